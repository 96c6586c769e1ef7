"""Requesters' review API: the queue of submitted work, one assignment in Mechanical Turk's
shape, and approving or rejecting one or many (all or nothing)."""

from django.db.models import QuerySet, prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import ENTITY_ID_PATTERN, MAX_DATABASE_INTEGER, query_filters
from jobs.models import Assignment, AssignmentStatus
from jobs.selectors import (
    assignment_access_for_review,
    assignment_list_for_review,
    assignments_access_for_review,
    job_access,
)
from jobs.services.review import (
    FEEDBACK_MAX,
    assignment_approve,
    assignment_reject,
    assignments_approve,
    assignments_reject,
)
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import StrictInputSerializer, error_responses
from workforce.models import WORKER_ID_REGEX

MAX_BULK_ASSIGNMENTS = 100
REWORK_HELP = (
    "Also send the work back for rework: the rejection stands and the object's task is "
    "re-issued to another worker (409 if the job has ended or the HIT has expired). Already "
    "rejected work may be sent back this way too."
)
# Wide columns the review shapes never show: not read for a page of the queue.
UNSHOWN_COLUMNS = (
    "hit__data_object__data",
    "hit__data_object__label",
    "hit__data_object__label_metadata",
    "hit__job__label_category_config",
    "hit__job__short_instructions",
    "hit__job__full_instructions",
)


class ReviewAssignmentSerializer(serializers.Serializer):
    """An assignment in Mechanical Turk's shape, as its requester sees it."""

    AssignmentId = serializers.CharField(source="assignment_id")
    WorkerId = serializers.CharField(source="worker.worker_id")
    HITId = serializers.CharField(source="hit.hit_id")
    AssignmentStatus = serializers.ChoiceField(source="status", choices=AssignmentStatus.choices)
    AutoApprovalTime = serializers.DateTimeField(source="auto_approval_at", allow_null=True)
    AcceptTime = serializers.DateTimeField(source="accepted_at")
    SubmitTime = serializers.DateTimeField(source="submitted_at", allow_null=True)
    ApprovalTime = serializers.DateTimeField(source="approved_at", allow_null=True)
    RejectionTime = serializers.DateTimeField(source="rejected_at", allow_null=True)
    Deadline = serializers.DateTimeField(source="deadline")
    Answer = serializers.JSONField(source="answer", allow_null=True)
    RequesterFeedback = serializers.CharField(source="requester_feedback")
    ActiveSeconds = serializers.IntegerField(source="active_seconds", allow_null=True)


class ReviewResultSerializer(serializers.Serializer):
    assignments = ReviewAssignmentSerializer(many=True)


class ReviewFilterSerializer(serializers.Serializer):
    job = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_INTEGER, required=False)
    worker = serializers.RegexField(
        WORKER_ID_REGEX, required=False, help_text="A public worker id."
    )
    status = serializers.ChoiceField(
        choices=AssignmentStatus.choices,
        required=False,
        help_text="Without it: submitted, approved and rejected work.",
    )


class ChronologicalPagination(CursorPagination):
    ordering = ("created_at", "id")


def _reviewable(request, assignment_id: str) -> Assignment:
    return assignment_access_for_review(
        actor=request.user,
        assignment_id=assignment_id,
        only=request_bound_organization(request),
    )


def _single_response(assignment: Assignment) -> Response:
    return Response(ReviewAssignmentSerializer(assignment).data)


def _page_of_queue(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return queryset.defer(*UNSHOWN_COLUMNS)


class AssignmentListApi(APIView):
    pagination_class = ChronologicalPagination

    @extend_schema(
        operation_id="assignments_list",
        description="The review queue: work submitted to your organizations' jobs, oldest "
        "first. Filter by job, worker id and status.",
        parameters=[ReviewFilterSerializer],
        responses={200: ReviewAssignmentSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request):
        filters = query_filters(ReviewFilterSerializer, request)
        only = request_bound_organization(request)
        job = None
        if "job" in filters:
            job = job_access(actor=request.user, job_id=filters["job"], only=only)
        assignments = assignment_list_for_review(
            actor=request.user,
            job=job,
            worker_id=filters.get("worker"),
            status=filters.get("status"),
            only=only,
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=_page_of_queue(assignments),
            serializer_class=ReviewAssignmentSerializer,
        )


class AssignmentDetailApi(APIView):
    @extend_schema(responses={200: ReviewAssignmentSerializer, **error_responses(404)})
    def get(self, request, assignment_id: str):
        return Response(ReviewAssignmentSerializer(_reviewable(request, assignment_id)).data)


class AssignmentApproveApi(APIView):
    class InputSerializer(StrictInputSerializer):
        feedback = serializers.CharField(
            max_length=FEEDBACK_MAX, allow_blank=True, required=False, default=""
        )
        override_rejection = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Approve rejected work (within 30 days of its submission).",
        )

    @extend_schema(
        operation_id="assignment_approve",
        description="Submitted -> approved (or rejected -> approved with override_rejection, "
        "within 30 days of submission). Approving approved work changes nothing. Approval "
        "pays the reward and fee from the job's hold, then the available balance: 402 when "
        "both are short.",
        request=InputSerializer,
        responses={200: ReviewAssignmentSerializer, **error_responses(400, 402, 404, 409)},
    )
    def post(self, request, assignment_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = assignment_approve(
            actor=request.user,
            assignment=_reviewable(request, assignment_id),
            **serializer.validated_data,
        )
        return _single_response(assignment)


class AssignmentRejectApi(APIView):
    class InputSerializer(StrictInputSerializer):
        feedback = serializers.CharField(
            max_length=FEEDBACK_MAX, help_text="Why; the worker sees it."
        )
        rework = serializers.BooleanField(required=False, default=False, help_text=REWORK_HELP)

    @extend_schema(
        operation_id="assignment_reject",
        description="Submitted -> rejected, with feedback the worker sees; with rework, the "
        "task is re-issued to another worker. Rejecting rejected work changes nothing.",
        request=InputSerializer,
        responses={200: ReviewAssignmentSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, assignment_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = assignment_reject(
            actor=request.user,
            assignment=_reviewable(request, assignment_id),
            **serializer.validated_data,
        )
        return _single_response(assignment)


class BulkInputSerializer(StrictInputSerializer):
    assignment_ids = serializers.ListField(
        child=serializers.RegexField(f"^{ENTITY_ID_PATTERN}$"),
        allow_empty=False,
        max_length=MAX_BULK_ASSIGNMENTS,
        help_text=f"AssignmentIds, at most {MAX_BULK_ASSIGNMENTS}.",
    )


def _reviewables(request, assignment_ids: list[str]) -> list[Assignment]:
    """Each named assignment, or NotFound if any is not the caller's to review."""
    return assignments_access_for_review(
        actor=request.user,
        assignment_ids=assignment_ids,
        only=request_bound_organization(request),
    )


def _bulk_response(assignments: list[Assignment]) -> Response:
    """The reviewed assignments as the service left them (locked rows, HITs joined)."""
    prefetch_related_objects(assignments, "worker")
    return Response(ReviewResultSerializer({"assignments": assignments}).data)


class AssignmentsApproveApi(APIView):
    class InputSerializer(BulkInputSerializer):
        feedback = serializers.CharField(
            max_length=FEEDBACK_MAX, allow_blank=True, required=False, default=""
        )
        override_rejection = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="assignments_approve",
        description="Approve many assignments, all or nothing: if one cannot be approved, "
        "none is, and the error names it (402 when the money to pay them is short).",
        request=InputSerializer,
        responses={200: ReviewResultSerializer, **error_responses(400, 402, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        assignments = _reviewables(request, fields.pop("assignment_ids"))
        return _bulk_response(
            assignments_approve(actor=request.user, assignments=assignments, **fields)
        )


class AssignmentsRejectApi(APIView):
    class InputSerializer(BulkInputSerializer):
        feedback = serializers.CharField(
            max_length=FEEDBACK_MAX, help_text="Why; every worker named sees it."
        )
        rework = serializers.BooleanField(required=False, default=False, help_text=REWORK_HELP)

    @extend_schema(
        operation_id="assignments_reject",
        description="Reject many assignments with the same feedback, all or nothing; with "
        "rework, each task is re-issued to another worker.",
        request=InputSerializer,
        responses={200: ReviewResultSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        assignments = _reviewables(request, fields.pop("assignment_ids"))
        return _bulk_response(
            assignments_reject(actor=request.user, assignments=assignments, **fields)
        )
