"""Requesters' API for a job's label quality: agreement metrics over the job and per label,
and each worker's answers, accuracy and skill with its uncertainty."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import pagination, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.quality_report import CACHE_SECONDS, job_quality_report
from jobs.selectors import job_access
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import error_responses

CACHED = f"Computed on demand and cached for up to {CACHE_SECONDS} seconds."
NULL_METRIC = "Null when no object has two or more answers yet."


class SkillEstimateSerializer(serializers.Serializer):
    correct = serializers.IntegerField(help_text="Judged answers that were right.")
    total = serializers.IntegerField(help_text="Judged answers.")
    mean = serializers.FloatField(help_text="Posterior mean accuracy, 0..1.")
    low = serializers.FloatField(help_text="Lower end of the 95% interval.")
    high = serializers.FloatField(help_text="Upper end of the 95% interval.")


class WorkerSkillSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(
        choices=["gold", "agreement", "prior"],
        help_text="What `combined` is: the gold posterior when the worker answered gold, "
        "else the agreement posterior; `prior` without evidence.",
    )
    combined = SkillEstimateSerializer()
    gold = SkillEstimateSerializer()
    agreement = SkillEstimateSerializer()


class QualityLabelSerializer(serializers.Serializer):
    label = serializers.CharField()
    consolidated = serializers.IntegerField(help_text="Objects consolidated to this label.")
    share = serializers.FloatField(allow_null=True, help_text="Its share of labeled objects.")
    answers = serializers.IntegerField(help_text="Answers choosing this label.")
    answer_share = serializers.FloatField(allow_null=True, help_text="Its share of answers.")
    kappa = serializers.FloatField(
        allow_null=True, help_text=f"Fleiss' per-category kappa. {NULL_METRIC}"
    )


class QualityWorkerSerializer(serializers.Serializer):
    worker_id = serializers.CharField()
    answers = serializers.IntegerField(help_text="Counted answers on the job's own objects.")
    consensus_answered = serializers.IntegerField(
        help_text="Answers on objects with a consolidated label."
    )
    consensus_matched = serializers.IntegerField(help_text="Of those, equal to the label.")
    consensus_accuracy = serializers.FloatField(allow_null=True)
    gold_answered = serializers.IntegerField(help_text="Scored gold answers.")
    gold_correct = serializers.IntegerField()
    gold_accuracy = serializers.FloatField(allow_null=True)
    skill = WorkerSkillSerializer()


class QualityReportSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    is_supported = serializers.BooleanField(
        help_text="False for a task type whose answers are not categorical (no metrics)."
    )
    answers = serializers.IntegerField(required=False)
    objects = serializers.IntegerField(required=False, help_text="Objects with answers.")
    objects_with_several_answers = serializers.IntegerField(required=False)
    workers = serializers.IntegerField(required=False, help_text="Workers with answers.")
    labeled_objects = serializers.IntegerField(required=False)
    fleiss_kappa = serializers.FloatField(allow_null=True, required=False, help_text=NULL_METRIC)
    krippendorff_alpha = serializers.FloatField(
        allow_null=True, required=False, help_text=f"Nominal. {NULL_METRIC}"
    )
    percent_agreement = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text=f"Mean share of agreeing answer pairs per object. {NULL_METRIC}",
    )
    labels = QualityLabelSerializer(many=True)


class QualityWorkerPagination(pagination.LimitOffsetPagination):
    """Offset pages over the computed rows (they are not a queryset, so no cursor)."""

    default_limit = 50
    max_limit = settings.API_MAX_PAGE_SIZE

    def _whole_number(self, request, name: str, *, minimum: int) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        if len(values) > 1 or not values[0].isdigit() or int(values[0]) < minimum:
            raise serializers.ValidationError(
                {name: [f"Give one whole number from {minimum} upwards."]}
            )
        return int(values[0])

    def get_limit(self, request):
        limit = self._whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return self._whole_number(request, self.offset_query_param, minimum=0) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update({"minimum": 1})
                parameter["description"] = (
                    f"Rows per page, from 1 (default {self.default_limit}); more than "
                    f"{self.max_limit} gives {self.max_limit}."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update({"minimum": 0})
                parameter["description"] = "Rows to skip (default 0)."
        return parameters


def _report(request, job_id) -> dict:
    job = job_access(actor=request.user, job_id=job_id, only=request_bound_organization(request))
    return job_quality_report(job=job)


class JobQualityApi(APIView):
    @extend_schema(
        description="The job's agreement metrics over its counted answers on its own "
        "(non-gold) objects: Fleiss' kappa, Krippendorff's alpha, percent agreement, and "
        f"per label the consolidated count and share and the per-category kappa. {CACHED}",
        responses={200: QualityReportSerializer, **error_responses(404)},
    )
    def get(self, request, job_id: int):
        return Response(QualityReportSerializer(_report(request, job_id)).data)


class JobQualityWorkerListApi(APIView):
    pagination_class = QualityWorkerPagination

    @extend_schema(
        description="Per worker in the job, most answers first: answers, accuracy against "
        "the consensus (the objects' consolidated labels) and against gold, and skill as a "
        f"Beta posterior with its 95% interval and the counts behind it. {CACHED}",
        responses={200: QualityWorkerSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        paginator = self.pagination_class()
        paginator.get_limit(request), paginator.get_offset(request)  # a 400 before any work
        rows = _report(request, job_id)["worker_rows"]
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(QualityWorkerSerializer(page, many=True).data)
