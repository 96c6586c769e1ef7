"""Statements API: a requester organization's spend per job over a period, and a worker's
earnings lines, each as JSON and as a CSV download."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import query_filters
from jobs.api.work import WorkerApi
from marketplace.api.pagination import CursorPagination
from marketplace.api.permissions import request_organization
from marketplace.api.serializers import OutputSerializer, error_responses
from payments.statements import (
    COLUMNS,
    EarningStatus,
    Period,
    organization_statement,
    organization_statement_csv,
    with_bonus_details,
    worker_line_json,
    worker_statement_csv_rows,
    worker_statement_lines,
)

CSV = "text/csv"
PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="First day (YYYY-MM-DD, UTC), inclusive; without it, from the start.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Last day (YYYY-MM-DD, UTC), inclusive; without it, up to now.",
    ),
]


class PeriodSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
        }


def request_period(request) -> Period:
    filters = query_filters(PeriodSerializer, request)
    return Period(start=filters.get("from"), end=filters.get("to"))


def _money(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=4, **kwargs)


class StatementFiguresSerializer(OutputSerializer):
    currency = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        for name, help_text in COLUMNS.items():
            fields[name] = _money(help_text=help_text)
        fields["spent"] = _money(
            help_text="Rewards + fees + bonuses + bonus fees + vendor charges."
        )
        return fields


class StatementLineSerializer(StatementFiguresSerializer):
    job = serializers.IntegerField(allow_null=True, help_text="None: the Organization line.")
    name = serializers.CharField(help_text='The job\'s name, or "Organization".')
    title = serializers.CharField()


class StatementBalanceSerializer(OutputSerializer):
    currency = serializers.CharField()
    available = _money()
    on_hold = _money()


class OrganizationStatementSerializer(OutputSerializer):
    organization = serializers.IntegerField()
    lines = StatementLineSerializer(
        many=True,
        help_text="Per job (newest first), then an Organization line for what has no job.",
    )
    totals = StatementFiguresSerializer(many=True, help_text="Per currency.")
    balances = StatementBalanceSerializer(
        many=True, help_text="At the end of the period, per currency."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(allow_null=True)
        fields["to"] = serializers.DateField(allow_null=True)
        return fields


class _CsvApi(APIView):
    """A CSV download; errors are JSON whatever the Accept header says."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


def _csv_response(content, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=f"{CSV}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class OrganizationStatementApi(APIView):
    @extend_schema(
        operation_id="organization_statement",
        description="The organization's money per job over the period: held, rewards, "
        "fees, bonuses, bonus fees, vendor charges, returned; then an Organization line "
        "with top-ups, refunds and adjustments; totals per currency, and the balances at "
        "the period's end. From the ledger. CSV: statement.csv with the same parameters.",
        parameters=PERIOD_PARAMETERS,
        responses={200: OrganizationStatementSerializer, **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        period = request_period(request)
        organization = request_organization(request, organization_id)
        statement = organization_statement(organization=organization, period=period)
        return Response(statement.as_json())


class OrganizationStatementCsvApi(_CsvApi):
    @extend_schema(
        operation_id="organization_statement_csv",
        description="The statement as CSV: a header row, one row per line, then a Total row "
        "per currency.",
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, CSV): OpenApiResponse(OpenApiTypes.STR, description="The statement."),
            **error_responses(400, 404),
        },
    )
    def get(self, request, organization_id: int):
        period = request_period(request)
        organization = request_organization(request, organization_id)
        statement = organization_statement(organization=organization, period=period)
        return _csv_response(
            organization_statement_csv(statement),
            filename=f"statement-{organization.slug}-{period.filename_part}.csv",
        )


class WorkerLineSerializer(OutputSerializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="reward, bonus, adjustment or correction.")
    amount = _money(help_text="Negative when a correction took money back.")
    currency = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[EarningStatus.PENDING, EarningStatus.AVAILABLE],
        help_text="pending until the hold period ends; then available to pay out.",
    )
    available_at = serializers.DateTimeField(
        allow_null=True, help_text="When it became available, or is expected to."
    )
    job = serializers.IntegerField(allow_null=True)
    job_title = serializers.CharField()
    assignment_id = serializers.CharField(allow_null=True, help_text="The AssignmentId.")
    bonus = serializers.IntegerField(allow_null=True, help_text="The bonus id, for a bonus.")
    reason = serializers.CharField(help_text="A bonus's or adjustment's reason.")
    reference = serializers.CharField()


class LinePagination(CursorPagination):
    ordering = ("-id",)


class WorkerStatementApi(WorkerApi):
    pagination_class = LinePagination

    @extend_schema(
        operation_id="work_statement",
        description="Your earnings lines from the ledger, newest first: each reward with "
        "its AssignmentId and job, each bonus with its id, assignment and reason, each "
        "adjustment with its reason; status pending (in the hold period) or available. "
        "Totals are in /api/v1/work/earnings/ (balances). CSV: /api/v1/work/statement.csv.",
        parameters=PERIOD_PARAMETERS,
        responses={200: WorkerLineSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        period = request_period(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            worker_statement_lines(worker=self.worker, period=period), request, view=self
        )
        lines = [worker_line_json(entry) for entry in with_bonus_details(page)]
        return paginator.get_paginated_response(WorkerLineSerializer(lines, many=True).data)


class WorkerStatementCsvApi(WorkerApi):
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="work_statement_csv",
        description="All your earnings lines as CSV (the columns of /api/v1/work/statement/).",
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, CSV): OpenApiResponse(OpenApiTypes.STR, description="The lines."),
            **error_responses(400, 403),
        },
    )
    def get(self, request):
        period = request_period(request)
        return _csv_response(
            "".join(worker_statement_csv_rows(worker=self.worker, period=period)),
            filename=f"earnings-{self.worker.worker_id}-{period.filename_part}.csv",
        )
