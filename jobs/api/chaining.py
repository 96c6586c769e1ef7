"""Requesters' API for chaining: POST /api/v1/jobs/<id>/chain/ makes a draft job from the
job's output, to verify its labels, adjust them, or label again under a new attribute."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.jobs import JobFieldsSerializer, LabelingJobSerializer
from jobs.api.serializers import MoneyStringField
from jobs.selectors import job_access
from jobs.services.chaining import ChainKind, job_chain
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import error_responses

KIND_HELP = (
    '"verification": workers judge the source\'s labels (label-verification, labels '
    '"Correct" and "Incorrect" unless label_category_config names others); "adjustment": '
    'workers correct them (label-adjustment over the source\'s labels); "same": the '
    "source's own task type labels the objects again."
)


class ChainedJobSerializer(serializers.Serializer):
    job = LabelingJobSerializer()
    objects = serializers.IntegerField(help_text="The source's labeled objects the job took.")
    skipped = serializers.IntegerField(
        help_text="Labeled objects left out because they already carry the new attribute."
    )


class JobChainApi(APIView):
    class InputSerializer(JobFieldsSerializer):
        """The job settings, all taken from the source unless given, but for the new job's
        name and label attribute name; the task type follows from the kind."""

        kind = serializers.ChoiceField(
            choices=[(value, value) for value in ChainKind.values], help_text=KIND_HELP
        )
        task_type = None
        label_attribute_name = serializers.CharField(
            max_length=127, help_text="A new attribute, not the source's."
        )
        label_category_config = serializers.DictField(
            required=False,
            help_text="Verification labels, or a same-type job's labels (an adjustment job "
            "keeps the source's).",
        )
        title = serializers.CharField(max_length=128, required=False)
        reward = MoneyStringField(
            required=False, help_text="Per assignment; default: the source's reward."
        )

    @extend_schema(
        operation_id="job_chain",
        description="Create a draft job in the source job's organization whose input is the "
        "source's output so far (input line + label attribute + metadata), with Ground "
        "Truth's chaining rules: a new label attribute name; objects that already carry it "
        "are skipped. Settings are copied from the source unless given. Then launch it.",
        request=InputSerializer,
        responses={201: ChainedJobSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, job_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        source = job_access(
            actor=request.user, job_id=job_id, only=request_bound_organization(request)
        )
        result = job_chain(actor=request.user, source_job=source, kind=fields.pop("kind"), **fields)
        body = {"job": result.job, "objects": result.objects, "skipped": result.skipped}
        return Response(ChainedJobSerializer(body).data, status=status.HTTP_201_CREATED)
