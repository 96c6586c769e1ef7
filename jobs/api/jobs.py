"""Requesters' API for labeling jobs: create, read, change, launch / pause / resume / stop, the
manifest and data-file uploads, the job's data objects and HITs, and the downloads."""

import io
from decimal import Decimal

from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import (
    JSONL,
    MAX_DATABASE_INTEGER,
    NDJSON,
    MoneyStringField,
    download_response,
    query_filters,
    upload_error_responses,
)
from jobs.files import data_file_store
from jobs.manifests import manifest_import
from jobs.models import (
    MAX_AUTO_APPROVAL_DELAY,
    MAX_AVAILABILITY_LIFETIME,
    MAX_GOLD_RATE,
    MAX_TASK_TIME_LIMIT,
    MAX_WORKERS_PER_OBJECT,
    MIN_AVAILABILITY_LIFETIME,
    MIN_TASK_TIME_LIMIT,
    ConsolidationMethod,
    DataObjectStatus,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.output import output_manifest_lines, raw_responses_lines
from jobs.selectors import data_object_list, hit_access, hit_list, job_access, job_list
from jobs.services.jobs import job_create, job_launch, job_pause, job_resume, job_stop, job_update
from jobs.services.targeting import MAX_TEAMS_PER_JOB
from jobs.tasktypes import task_type_choices
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import StrictInputSerializer, error_responses
from marketplace.selectors import organization_access
from workforce.models import WorkTeam

WORKFORCE_HELP = (
    "A private workforce id of the job's organization, or null for the public crowd. A job "
    "through a vendor engagement reports the vendor's workforce here."
)
ENGAGEMENT_HELP = (
    "An accepted vendor engagement of the job's organization, for the job's task type: the "
    "job then goes to the vendor's workforce (leave `workforce` out). Null: no vendor."
)
TEAMS_HELP = (
    "Ids of teams of the job's private workforce: only their members get its work. Empty: "
    "the whole workforce."
)
PERSONAL_HELP = (
    "The data holds personal information, so the job cannot target the public crowd "
    "(default false)."
)

METHOD_HELP = (
    "How answers become labels: Dawid-Skene (default; a confusion matrix per worker), "
    "one-coin Dawid-Skene, skill-weighted or plain majority vote."
)
GOLD_RATE_HELP = (
    "The long-run share of each worker's tasks that are gold questions, 0 to 0.5 (higher "
    'during a worker\'s first tasks in the job). Decimal string such as "0.100".'
)
GOLD_SET_HELP = "An organization gold set of the same task type and labels to draw gold from."
MAX_WORKERS_HELP = (
    "Dynamic overlap: objects take workers_per_object answers, then more one at a time up "
    "to this many until their confidence reaches target_confidence. Both or neither."
)
TARGET_HELP = "Dynamic overlap's target confidence, 0.5 to 0.999."


# Output.


class LabelCountersSerializer(serializers.Serializer):
    """Ground Truth's LabelCounters, plus the total."""

    total_labeled = serializers.IntegerField()
    human_labeled = serializers.IntegerField()
    machine_labeled = serializers.IntegerField()
    failed_non_retryable_error = serializers.IntegerField(source="failed_objects")
    unlabeled = serializers.IntegerField()
    total = serializers.IntegerField(source="total_objects")


class LabelingJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.IntegerField(source="organization_id")
    name = serializers.CharField()
    label_attribute_name = serializers.CharField()
    task_type = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    label_category_config = serializers.DictField()
    title = serializers.CharField()
    description = serializers.CharField()
    short_instructions = serializers.CharField(help_text="Sanitized HTML.")
    full_instructions = serializers.CharField(help_text="Sanitized HTML.")
    reward = serializers.DecimalField(max_digits=18, decimal_places=4)
    currency = serializers.CharField()
    workers_per_object = serializers.IntegerField()
    task_time_limit_seconds = serializers.IntegerField()
    task_availability_lifetime_seconds = serializers.IntegerField()
    auto_approval_delay_seconds = serializers.IntegerField()
    max_concurrent_tasks = serializers.IntegerField()
    max_human_labeled_objects = serializers.IntegerField(allow_null=True)
    max_percentage_labeled = serializers.IntegerField(allow_null=True)
    workforce = serializers.SerializerMethodField(help_text=WORKFORCE_HELP)
    engagement = serializers.IntegerField(
        source="engagement_id", allow_null=True, help_text=ENGAGEMENT_HELP
    )
    teams = serializers.SerializerMethodField(help_text=TEAMS_HELP)
    contains_personal_information = serializers.BooleanField(help_text=PERSONAL_HELP)
    consolidation_method = serializers.ChoiceField(
        choices=ConsolidationMethod.choices, help_text=METHOD_HELP
    )
    gold_rate = serializers.DecimalField(max_digits=4, decimal_places=3, help_text=GOLD_RATE_HELP)
    gold_set = serializers.IntegerField(
        source="gold_set_id", allow_null=True, help_text=GOLD_SET_HELP
    )
    max_workers_per_object = serializers.IntegerField(allow_null=True, help_text=MAX_WORKERS_HELP)
    target_confidence = serializers.FloatField(allow_null=True, help_text=TARGET_HELP)
    source_job = serializers.IntegerField(
        source="source_job_id",
        allow_null=True,
        help_text="The job whose output this job takes as input (chained and audit jobs).",
    )
    source_label_attribute_name = serializers.CharField(
        help_text="The source job's label attribute this job verifies or adjusts."
    )
    status = serializers.ChoiceField(choices=JobStatus.choices)
    failure_reason = serializers.CharField()
    label_counters = LabelCountersSerializer(source="*")
    created_at = serializers.DateTimeField()
    launched_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_workforce(self, job: LabelingJob) -> int | None:
        return job.workforce_id if job.workforce.organization_id is not None else None

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_teams(self, job: LabelingJob) -> list[int]:
        return sorted(team.pk for team in job.teams.all())


class DataObjectSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    data = serializers.DictField(help_text="The manifest line as imported.")
    status = serializers.CharField(help_text=f"One of: {', '.join(DataObjectStatus.values)}.")
    label = serializers.JSONField(allow_null=True, help_text="The consolidated label value.")
    confidence = serializers.FloatField(allow_null=True)
    labeled_at = serializers.DateTimeField(allow_null=True)


class HITSerializer(serializers.Serializer):
    """A HIT in Mechanical Turk's shape."""

    HITId = serializers.CharField(source="hit_id")
    HITStatus = serializers.ChoiceField(source="status", choices=HITStatus.choices)
    MaxAssignments = serializers.IntegerField(source="max_assignments")
    NumberOfAssignmentsPending = serializers.IntegerField(source="assignments_pending")
    NumberOfAssignmentsAvailable = serializers.IntegerField(source="assignments_available")
    NumberOfAssignmentsCompleted = serializers.IntegerField(source="assignments_completed")
    Expiration = serializers.DateTimeField(source="expires_at")
    CreationTime = serializers.DateTimeField(source="created_at")
    line_number = serializers.IntegerField(help_text="The data object's manifest line.")
    is_gold = serializers.BooleanField(
        help_text="A gold question's HIT (after the manifest's lines; never in the counts "
        "or the output)."
    )


class ManifestImportedSerializer(serializers.Serializer):
    imported = serializers.IntegerField(help_text="Data objects this manifest added.")
    total_objects = serializers.IntegerField(help_text="Data objects the job now has.")


class DataFileSerializer(serializers.Serializer):
    """{"source-ref": "<storage path>"}: name it in a manifest line."""

    def get_fields(self):
        return {
            "source-ref": serializers.CharField(
                help_text="The stored file's path, for a manifest line's source-ref."
            )
        }


# Input.


class JobFieldsSerializer(StrictInputSerializer):
    """The job's settings; the job service checks the rules between them."""

    name = serializers.CharField(max_length=63, help_text="Unique in the organization.")
    label_attribute_name = serializers.CharField(max_length=127)
    task_type = serializers.ChoiceField(choices=task_type_choices())
    label_category_config = serializers.DictField(
        help_text='Ground Truth\'s label-category configuration: {"document-version": '
        '"2018-11-28", "labels": [{"label": "cat"}, ...]}.'
    )
    title = serializers.CharField(max_length=128)
    description = serializers.CharField(max_length=255, allow_blank=True, required=False)
    short_instructions = serializers.CharField(
        allow_blank=True, required=False, trim_whitespace=False, help_text="HTML; sanitized."
    )
    full_instructions = serializers.CharField(
        allow_blank=True, required=False, trim_whitespace=False, help_text="HTML; sanitized."
    )
    reward = MoneyStringField(help_text="Per assignment, at least 0.01, at most 4 places.")
    workers_per_object = serializers.IntegerField(min_value=1, max_value=9, required=False)
    task_time_limit_seconds = serializers.IntegerField(
        min_value=MIN_TASK_TIME_LIMIT, max_value=MAX_TASK_TIME_LIMIT, required=False
    )
    task_availability_lifetime_seconds = serializers.IntegerField(
        min_value=MIN_AVAILABILITY_LIFETIME, max_value=MAX_AVAILABILITY_LIFETIME, required=False
    )
    auto_approval_delay_seconds = serializers.IntegerField(
        min_value=0, max_value=MAX_AUTO_APPROVAL_DELAY, required=False
    )
    max_concurrent_tasks = serializers.IntegerField(min_value=1, max_value=5000, required=False)
    max_human_labeled_objects = serializers.IntegerField(
        min_value=1, max_value=MAX_DATABASE_INTEGER, allow_null=True, required=False
    )
    max_percentage_labeled = serializers.IntegerField(
        min_value=1, max_value=100, allow_null=True, required=False
    )
    workforce = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DATABASE_INTEGER,
        allow_null=True,
        required=False,
        help_text=WORKFORCE_HELP,
    )
    engagement = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DATABASE_INTEGER,
        allow_null=True,
        required=False,
        help_text=ENGAGEMENT_HELP,
    )
    teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_INTEGER),
        max_length=MAX_TEAMS_PER_JOB,
        required=False,
        help_text=TEAMS_HELP,
    )
    contains_personal_information = serializers.BooleanField(
        required=False, help_text=PERSONAL_HELP
    )
    consolidation_method = serializers.ChoiceField(
        choices=ConsolidationMethod.choices, required=False, help_text=METHOD_HELP
    )
    gold_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=MAX_GOLD_RATE,
        required=False,
        help_text=GOLD_RATE_HELP,
    )
    gold_set = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DATABASE_INTEGER,
        allow_null=True,
        required=False,
        help_text=GOLD_SET_HELP,
    )
    max_workers_per_object = serializers.IntegerField(
        min_value=1,
        max_value=MAX_WORKERS_PER_OBJECT,
        allow_null=True,
        required=False,
        help_text=MAX_WORKERS_HELP,
    )
    target_confidence = serializers.FloatField(
        min_value=0.5, max_value=0.999, allow_null=True, required=False, help_text=TARGET_HELP
    )


class JobFilterSerializer(serializers.Serializer):
    organization = serializers.IntegerField(
        min_value=1, max_value=MAX_DATABASE_INTEGER, required=False
    )
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)


# Views.


def _job(request, job_id) -> LabelingJob:
    return job_access(actor=request.user, job_id=job_id, only=request_bound_organization(request))


class JobListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(JobFieldsSerializer):
        organization = serializers.IntegerField(
            min_value=1,
            max_value=MAX_DATABASE_INTEGER,
            help_text="Your organization's id (with an API key: the key's organization).",
        )

    @extend_schema(
        operation_id="jobs_list",
        parameters=[JobFilterSerializer],
        responses={200: LabelingJobSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        filters = query_filters(JobFilterSerializer, request)
        jobs = job_list(
            actor=request.user, only=request_bound_organization(request)
        ).prefetch_related(Prefetch("teams", queryset=WorkTeam.objects.only("pk")))
        if "organization" in filters:
            jobs = jobs.filter(organization_id=filters["organization"])
        if "status" in filters:
            jobs = jobs.filter(status=filters["status"])
        return paginated_response(
            view=self, request=request, queryset=jobs, serializer_class=LabelingJobSerializer
        )

    @extend_schema(
        operation_id="jobs_create",
        description="Create a draft job. Then upload its manifest and launch it.",
        request=InputSerializer,
        responses={201: LabelingJobSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=fields.pop("organization"),
            only=request_bound_organization(request),
        )
        job = job_create(actor=request.user, organization=organization, **fields)
        return Response(LabelingJobSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailApi(APIView):
    class InputSerializer(JobFieldsSerializer):
        pass

    @extend_schema(responses={200: LabelingJobSerializer, **error_responses(404)})
    def get(self, request, job_id: int):
        return Response(LabelingJobSerializer(_job(request, job_id)).data)

    @extend_schema(
        description="Change a draft job's settings (a launched job's are fixed: 409).",
        request=InputSerializer,
        responses={200: LabelingJobSerializer, **error_responses(400, 404, 409)},
    )
    def patch(self, request, job_id: int):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        job = _job(request, job_id)
        if serializer.validated_data:
            job = job_update(actor=request.user, job=job, **serializer.validated_data)
        return Response(LabelingJobSerializer(job).data)


class JobManifestApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(StrictInputSerializer):
        manifest = serializers.FileField(
            allow_empty_file=True, help_text="The input manifest: JSON Lines, UTF-8."
        )

    @extend_schema(
        description="Import a JSON Lines input manifest into a draft job: the multipart "
        'field "manifest", or the JSON Lines themselves as the body (Content-Type '
        f"{NDJSON} or {JSONL}). A manifest with any bad line is refused whole, every bad "
        'line listed in fields.manifest ("line 3: ..."). The same bytes again change nothing.',
        request={
            "multipart/form-data": InputSerializer,
            NDJSON: OpenApiTypes.BINARY,
            JSONL: OpenApiTypes.BINARY,
        },
        responses={201: ManifestImportedSerializer, **upload_error_responses(400, 404, 409)},
    )
    def post(self, request, job_id: int):
        media_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media_type in (NDJSON, JSONL):
            stream = request.stream or io.BytesIO()
        else:
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            stream = serializer.validated_data["manifest"]
        job = _job(request, job_id)
        result = manifest_import(actor=request.user, job=job, stream=stream)
        body = {"imported": result.objects, "total_objects": result.job.total_objects}
        return Response(ManifestImportedSerializer(body).data, status=status.HTTP_201_CREATED)


class JobDataFileApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.FileField(
            help_text="An image (PNG, JPEG, GIF, BMP, WebP) or UTF-8 text, at most 40 MB."
        )

    @extend_schema(
        description="Store a data file for a draft job; name the returned path as a "
        "manifest line's source-ref.",
        request={"multipart/form-data": InputSerializer},
        responses={201: DataFileSerializer, **upload_error_responses(400, 404, 409)},
    )
    def post(self, request, job_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = _job(request, job_id)
        path = data_file_store(
            actor=request.user, job=job, uploaded_file=serializer.validated_data["file"]
        )
        return Response(DataFileSerializer({"source-ref": path}).data, status=201)


class _JobActionApi(APIView):
    def act(self, request, job_id, service) -> Response:
        job = service(actor=request.user, job=_job(request, job_id))
        return Response(LabelingJobSerializer(job).data)


class JobLaunchApi(_JobActionApi):
    @extend_schema(
        description="Draft -> running: HITs go out to workers. Needs data objects and a "
        "verified email. Launching holds the job's quote (its maximum cost) from the "
        "organization's available balance: 402 names the shortfall. Launching a running job "
        "changes nothing.",
        request=None,
        responses={200: LabelingJobSerializer, **error_responses(402, 403, 404, 409)},
    )
    def post(self, request, job_id: int):
        return self.act(request, job_id, job_launch)


class JobPauseApi(_JobActionApi):
    @extend_schema(
        description="Running -> paused: no new assignments; work in progress carries on.",
        request=None,
        responses={200: LabelingJobSerializer, **error_responses(404, 409)},
    )
    def post(self, request, job_id: int):
        return self.act(request, job_id, job_pause)


class JobResumeApi(_JobActionApi):
    @extend_schema(
        description="Paused -> running.",
        request=None,
        responses={200: LabelingJobSerializer, **error_responses(404, 409)},
    )
    def post(self, request, job_id: int):
        return self.act(request, job_id, job_resume)


class JobStopApi(_JobActionApi):
    @extend_schema(
        description="Running or paused -> stopped, for good. Open HITs expire; work in "
        "progress may still be submitted; results so far stay in the output.",
        request=None,
        responses={200: LabelingJobSerializer, **error_responses(404, 409)},
    )
    def post(self, request, job_id: int):
        return self.act(request, job_id, job_stop)


class LineNumberPagination(CursorPagination):
    ordering = ("line_number",)


class CreationOrderPagination(CursorPagination):
    ordering = ("id",)


class JobDataObjectListApi(APIView):
    pagination_class = LineNumberPagination

    @extend_schema(
        description="The job's data objects in manifest order, with their labels (gold "
        "objects are not listed: see the job's gold).",
        responses={200: DataObjectSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=data_object_list(job=_job(request, job_id)),
            serializer_class=DataObjectSerializer,
        )


class JobHITListApi(APIView):
    pagination_class = CreationOrderPagination

    @extend_schema(
        description="The job's HITs, oldest first, in Mechanical Turk's shape.",
        responses={200: HITSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=hit_list(job=_job(request, job_id)),
            serializer_class=HITSerializer,
        )


class HITDetailApi(APIView):
    @extend_schema(responses={200: HITSerializer, **error_responses(404)})
    def get(self, request, hit_id: str):
        hit = hit_access(
            actor=request.user, hit_id=hit_id, only=request_bound_organization(request)
        )
        return Response(HITSerializer(hit).data)


class _DownloadApi(APIView):
    """A streamed JSON Lines file; errors are JSON whatever the Accept header says."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def stream(self, lines, *, filename: str) -> StreamingHttpResponse:
        response = StreamingHttpResponse(lines, content_type=NDJSON)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class JobOutputApi(_DownloadApi):
    @extend_schema(
        description="The output (augmented) manifest: each labeled object's input line "
        "plus <label attribute name> and <label attribute name>-metadata. Partial while "
        "the job runs.",
        responses={**download_response("The output manifest."), **error_responses(404)},
    )
    def get(self, request, job_id: int):
        job = _job(request, job_id)
        return self.stream(output_manifest_lines(job=job), filename=f"{job.name}.output.manifest")


class JobResponsesApi(_DownloadApi):
    @extend_schema(
        description="Every submitted worker response (submitted, approved or rejected), by "
        "manifest line, workers named by their public worker id.",
        responses={**download_response("The raw worker responses."), **error_responses(404)},
    )
    def get(self, request, job_id: int):
        job = _job(request, job_id)
        return self.stream(raw_responses_lines(job=job), filename=f"{job.name}.responses.jsonl")
