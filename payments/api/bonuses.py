"""Bonuses API: send a bonus for one of the organization's assignments (Mechanical Turk's
SendBonus, its field names accepted too) and list the bonuses sent."""

import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import ENTITY_ID_PATTERN, MoneyStringField, query_filters
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_organization
from marketplace.api.serializers import (
    OutputSerializer,
    StrictInputSerializer,
    error_responses,
)
from payments.bonuses import REASON_MAX, TOKEN_MAX, bonus_list, bonus_send
from workforce.models import WORKER_ID_REGEX

# Mechanical Turk's CurrencyAmount: a USD string.
MTURK_AMOUNT_PATTERN = r"^[0-9]+(\.)?[0-9]{0,2}$"
MTURK_CURRENCY = "USD"
# Each field under its name here and under Mechanical Turk's; give one of the two.
FIELD_NAMES = {
    "worker_id": "WorkerId",
    "assignment_id": "AssignmentId",
    "amount": "BonusAmount",
    "reason": "Reason",
    "unique_request_token": "UniqueRequestToken",
}


@extend_schema_field({"type": "string", "pattern": MTURK_AMOUNT_PATTERN, "example": "0.50"})
class MechanicalTurkAmountField(serializers.CharField):
    """Mechanical Turk's CurrencyAmount: a string of digits with at most 2 decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(MTURK_AMOUNT_PATTERN, data):
            raise serializers.ValidationError(
                'Give a USD amount as a string with at most 2 decimals, such as "5" or "101.42".'
            )
        return super().to_internal_value(data)


class BonusSerializer(OutputSerializer):
    """A bonus in Mechanical Turk's BonusPayment shape, plus its id, fee and currency."""

    id = serializers.IntegerField()
    WorkerId = serializers.CharField(source="worker.worker_id")
    AssignmentId = serializers.CharField(source="assignment.assignment_id")
    BonusAmount = serializers.DecimalField(source="amount", max_digits=20, decimal_places=4)
    Reason = serializers.CharField(source="reason")
    GrantTime = serializers.DateTimeField(source="created_at")
    UniqueRequestToken = serializers.CharField(source="unique_request_token")
    fee = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="The platform's fee, charged on top."
    )
    currency = serializers.CharField()


class BonusFilterSerializer(serializers.Serializer):
    assignment_id = serializers.RegexField(
        f"^{ENTITY_ID_PATTERN}$", required=False, help_text="Only this assignment's bonuses."
    )


class BonusListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        worker_id = serializers.RegexField(WORKER_ID_REGEX, required=False)
        WorkerId = serializers.RegexField(WORKER_ID_REGEX, required=False)
        assignment_id = serializers.RegexField(r"^[A-Z0-9]{1,64}$", required=False)
        AssignmentId = serializers.RegexField(r"^[A-Z0-9]{1,64}$", required=False)
        amount = MoneyStringField(
            required=False, help_text="Whole cents, more than 0, in the job's currency."
        )
        BonusAmount = MechanicalTurkAmountField(
            required=False,
            help_text="Mechanical Turk's USD string; means currency USD unless `currency` "
            "says otherwise.",
        )
        currency = serializers.RegexField(
            r"^[A-Z]{3}$",
            required=False,
            help_text="Optional; must be the job's currency (400 otherwise).",
        )
        reason = serializers.CharField(max_length=REASON_MAX, required=False)
        Reason = serializers.CharField(max_length=REASON_MAX, required=False)
        unique_request_token = serializers.CharField(
            min_length=1, max_length=TOKEN_MAX, required=False, trim_whitespace=False
        )
        UniqueRequestToken = serializers.CharField(
            min_length=1, max_length=TOKEN_MAX, required=False, trim_whitespace=False
        )

        def validate(self, data):
            merged, errors = {}, {}
            for name, mturk_name in FIELD_NAMES.items():
                if name in data and mturk_name in data:
                    errors[mturk_name] = [f"Give {name} or {mturk_name}, not both."]
                elif name in data or mturk_name in data:
                    merged[name] = data.get(name, data.get(mturk_name))
                else:
                    errors[name] = [f"This field is required (or {mturk_name})."]
            if errors:
                raise serializers.ValidationError(errors)
            merged["currency"] = data.get("currency")
            if merged["currency"] is None and "BonusAmount" in data:
                merged["currency"] = MTURK_CURRENCY
            return merged

    @extend_schema(
        operation_id="bonuses_list",
        description="The organization's bonuses, newest first; filter by assignment_id.",
        parameters=[BonusFilterSerializer],
        responses={200: BonusSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        filters = query_filters(BonusFilterSerializer, request)
        organization = request_organization(request, organization_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=bonus_list(
                organization=organization, assignment_id=filters.get("assignment_id")
            ),
            serializer_class=BonusSerializer,
        )

    @extend_schema(
        operation_id="bonus_send",
        description="Send a bonus (Mechanical Turk's SendBonus) to the worker of one of the "
        "organization's submitted, approved or rejected assignments: the amount plus the "
        "platform's fee (20%, at least 0.01) leaves the available balance, and the amount "
        "goes to the worker's pending earnings. Fields by their names here or Mechanical "
        "Turk's (WorkerId, AssignmentId, BonusAmount, Reason, UniqueRequestToken). The same "
        "token with the same fields returns the first bonus (200); with other fields, 409. "
        "402 names the shortfall when the balance is short; 404 for someone else's "
        "assignment or a worker who did not do it; 409 for work not submitted.",
        request=InputSerializer,
        responses={
            201: BonusSerializer,
            200: BonusSerializer,
            **error_responses(400, 402, 404, 409),
        },
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        organization = request_organization(request, organization_id)
        bonus, created = bonus_send(
            actor=request.user,
            organization=organization,
            worker_id=fields["worker_id"],
            assignment_id=fields["assignment_id"],
            amount=Decimal(fields["amount"]),
            reason=fields["reason"],
            unique_request_token=fields["unique_request_token"],
            currency=fields["currency"],
        )
        return Response(
            BonusSerializer(bonus).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
