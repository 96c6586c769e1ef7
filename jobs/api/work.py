"""Workers' API: find work, claim the next task or accept a HIT, see and submit or return
one's own assignments, and one's earnings. A logged-in worker only; a worker sees nothing
of a job but what the task needs, and nothing of any assignment but their own."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import MAX_DATABASE_INTEGER
from jobs.files import task_file_url
from jobs.models import Assignment, AssignmentStatus
from jobs.selectors import (
    assignment_access_for_worker,
    hit_access_for_worker,
    work_job_list,
    work_job_preview,
    worker_assignment_list,
    worker_done_count,
    worker_earnings_by_job,
    worker_earnings_totals,
)
from jobs.services.dispatch import (
    assignment_accept,
    assignment_claim_next,
    assignment_return,
    assignment_submit,
)
from jobs.tasktypes import task_type_get
from jobs.tasktypes.audit import AuditTaskType, prior_label
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnly
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from marketplace.exceptions import PermissionDenied
from payments.statements import worker_balances
from workforce.models import WorkerProfile

NOT_A_WORKER = (
    "This needs a worker profile; become a worker first (POST /api/v1/me/worker-profile/)."
)
# Wide columns a worker's assignment list never shows: not read for a page of it.
UNSHOWN_COLUMNS = (
    "answer",
    "hit__data_object__data",
    "hit__data_object__label",
    "hit__data_object__label_metadata",
    "hit__job__labels",
    "hit__job__label_category_config",
    "hit__job__short_instructions",
    "hit__job__full_instructions",
)


# Output.


class WorkJobSerializer(OutputSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    task_type = serializers.CharField()
    reward = serializers.DecimalField(max_digits=18, decimal_places=4)
    currency = serializers.CharField()
    task_time_limit_seconds = serializers.IntegerField()
    hits_available = serializers.IntegerField(help_text="Open HITs you have not worked on.")
    requester = serializers.CharField(source="organization.name")


class WorkJobPreviewSerializer(WorkJobSerializer):
    """A job as a worker previews it before taking a task (Mechanical Turk's preview)."""

    short_instructions = serializers.CharField(help_text="Sanitized HTML.")
    full_instructions = serializers.CharField(help_text="Sanitized HTML.")
    labels = serializers.ListField(child=serializers.CharField())


class TaskJobSerializer(OutputSerializer):
    """What a worker sees of the job: what the task needs, nothing more."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    short_instructions = serializers.CharField(help_text="Sanitized HTML.")
    full_instructions = serializers.CharField(help_text="Sanitized HTML.")
    labels = serializers.ListField(child=serializers.CharField())
    task_type = serializers.CharField()
    reward = serializers.DecimalField(max_digits=18, decimal_places=4)
    currency = serializers.CharField()


class TaskDataSerializer(OutputSerializer):
    source_url = serializers.CharField(
        allow_null=True,
        help_text="Where the browser loads the object from (a short-lived signed URL for "
        "stored files), or null.",
    )
    text = serializers.CharField(allow_null=True, help_text="The object's text, or null.")
    prior_label = serializers.CharField(
        allow_null=True,
        help_text="Label verification and adjustment: the class name of the label to judge "
        "or correct; null for other task types.",
    )


class TaskSerializer(OutputSerializer):
    """One of the worker's own assignments with what is needed to work on it."""

    assignment_id = serializers.CharField()
    hit_id = serializers.CharField()
    status = serializers.CharField(
        help_text=f"The assignment's status: {', '.join(AssignmentStatus.values)}."
    )
    deadline = serializers.DateTimeField()
    job = TaskJobSerializer()
    data = TaskDataSerializer()
    answer = serializers.JSONField(allow_null=True, help_text="Your answer, once submitted.")
    done_in_job = serializers.IntegerField(help_text="Tasks of this job you have submitted.")


class WorkAssignmentSerializer(OutputSerializer):
    """One of the worker's own assignments, in Mechanical Turk's shape."""

    AssignmentId = serializers.CharField(source="assignment_id")
    HITId = serializers.CharField(source="hit.hit_id")
    Title = serializers.CharField(source="hit.job.title")
    AssignmentStatus = serializers.ChoiceField(source="status", choices=AssignmentStatus.choices)
    Reward = serializers.DecimalField(source="hit.job.reward", max_digits=18, decimal_places=4)
    Currency = serializers.CharField(source="hit.job.currency")
    AcceptTime = serializers.DateTimeField(source="accepted_at")
    SubmitTime = serializers.DateTimeField(source="submitted_at", allow_null=True)
    Deadline = serializers.DateTimeField(source="deadline")
    RequesterFeedback = serializers.CharField(source="requester_feedback")


class EarningSerializer(OutputSerializer):
    """How many assignments are in one review state and their rewards summed."""

    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4)


class EarningFiguresSerializer(OutputSerializer):
    pending = EarningSerializer(help_text="Submitted, awaiting the requester's review.")
    approved = EarningSerializer(help_text="Approved: owed to you.")
    rejected = EarningSerializer(help_text="Rejected: not paid.")


class EarningTotalSerializer(EarningFiguresSerializer):
    currency = serializers.CharField()


class EarningJobSerializer(EarningFiguresSerializer):
    job_id = serializers.IntegerField()
    title = serializers.CharField()
    requester = serializers.CharField(help_text="The requester organization's name.")
    currency = serializers.CharField()


class EarningBalanceSerializer(OutputSerializer):
    """Money from the ledger and payouts (payments.statements.worker_balances)."""

    currency = serializers.CharField()
    pending = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="Earned, in the hold period."
    )
    available = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="Can be paid out."
    )
    in_transit = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="Paid out, not yet arrived."
    )
    paid = serializers.DecimalField(max_digits=20, decimal_places=4, help_text="Paid out.")


class EarningsSerializer(OutputSerializer):
    totals = EarningTotalSerializer(many=True, help_text="Per currency.")
    jobs = EarningJobSerializer(many=True, help_text="Per job, most recent job first.")
    balances = EarningBalanceSerializer(
        many=True,
        help_text="Per currency, your money: pending, available, in transit and paid. "
        "Every line is in /api/v1/work/statement/.",
    )


def _earning_figures(row: dict) -> dict:
    """A GROUP BY row (pending_count, pending_amount, ...) in the nested shape."""
    return {
        **row,
        **{
            name: {"count": row[f"{name}_count"], "amount": row[f"{name}_amount"]}
            for name in ("pending", "approved", "rejected")
        },
    }


def _prior_class_name(assignment: Assignment) -> str | None:
    """An audit task's prior label (what the worker judges or corrects), else None."""
    job = assignment.hit.job
    if not isinstance(task_type_get(job.task_type), AuditTaskType):
        return None
    prior = prior_label(
        assignment.hit.data_object.data, attribute=job.source_label_attribute_name or None
    )
    return prior.class_name if prior is not None else None


def task_body(*, assignment: Assignment, worker: WorkerProfile, request) -> dict:
    """The task of one of `worker`'s assignments; only the assignment's own data object."""
    job = assignment.hit.job
    source = assignment.hit.data_object.data.get("source")
    return TaskSerializer(
        {
            "assignment_id": assignment.assignment_id,
            "hit_id": assignment.hit.hit_id,
            "status": assignment.status,
            "deadline": assignment.deadline,
            "job": job,
            "data": {
                "source_url": task_file_url(assignment=assignment, request=request),
                "text": source if isinstance(source, str) else None,
                "prior_label": _prior_class_name(assignment),
            },
            "answer": assignment.answer,
            "done_in_job": (
                assignment.done_in_job
                if hasattr(assignment, "done_in_job")
                else worker_done_count(worker=worker, job=job)
            ),
        }
    ).data


# Views.


class WorkerApi(APIView):
    """A view for workers: a logged-in session (an API key is an organization's, not a
    person's) of a user with a worker profile (`self.worker`)."""

    permission_classes = [SessionOnly]
    worker: WorkerProfile

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            self.worker = request.user.worker_profile
        except WorkerProfile.DoesNotExist:
            raise PermissionDenied(NOT_A_WORKER, code="not_a_worker") from None


class WorkJobListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_jobs_list",
        description="Jobs with work for you now, newest first.",
        responses={200: WorkJobSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=work_job_list(worker=self.worker),
            serializer_class=WorkJobSerializer,
        )


class WorkJobPreviewApi(WorkerApi):
    @extend_schema(
        description="Preview a job with work for you: its instructions, labels and reward. "
        "404 when it is not open to you, its qualification requirements keep you from "
        "previewing it, or it has no task for you.",
        responses={200: WorkJobPreviewSerializer, **error_responses(403, 404)},
    )
    def get(self, request, job_id: int):
        job = work_job_preview(worker=self.worker, job_id=job_id)
        return Response(WorkJobPreviewSerializer(job).data)


class WorkNextApi(WorkerApi):
    class InputSerializer(StrictInputSerializer):
        job_id = serializers.IntegerField(
            min_value=1,
            max_value=MAX_DATABASE_INTEGER,
            required=False,
            help_text="Work in this job only; without it, the oldest job open to you.",
        )

    @extend_schema(
        description="Claim the next task: a new assignment on an open HIT you have not done. "
        "204 when there is no work (in that job).",
        request=InputSerializer,
        responses={
            201: TaskSerializer,
            204: OpenApiResponse(description="No work right now."),
            **error_responses(400, 403),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A job that is not open to this worker has no work for them: 204 as well.
        assignment = assignment_claim_next(
            worker=self.worker, job_id=serializer.validated_data.get("job_id")
        )
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = task_body(assignment=assignment, worker=self.worker, request=request)
        return Response(body, status=status.HTTP_201_CREATED)


class WorkHITAcceptApi(WorkerApi):
    @extend_schema(
        description="Accept a given HIT (Mechanical Turk's AcceptHIT). Accepting one you hold "
        "returns your assignment.",
        request=None,
        responses={201: TaskSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, hit_id: str):
        hit = hit_access_for_worker(worker=self.worker, hit_id=hit_id)
        assignment = assignment_accept(worker=self.worker, hit=hit)
        body = task_body(assignment=assignment, worker=self.worker, request=request)
        return Response(body, status=status.HTTP_201_CREATED)


class WorkAssignmentListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_assignments_list",
        description="Your assignments, newest first, with the requester's feedback.",
        responses={200: WorkAssignmentSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=worker_assignment_list(worker=self.worker).defer(*UNSHOWN_COLUMNS),
            serializer_class=WorkAssignmentSerializer,
        )


class WorkAssignmentDetailApi(WorkerApi):
    @extend_schema(responses={200: TaskSerializer, **error_responses(403, 404)})
    def get(self, request, assignment_id: str):
        assignment = assignment_access_for_worker(worker=self.worker, assignment_id=assignment_id)
        return Response(task_body(assignment=assignment, worker=self.worker, request=request))


class WorkAssignmentSubmitApi(WorkerApi):
    class InputSerializer(StrictInputSerializer):
        answer = serializers.DictField(help_text='For classification: {"label": "<name>"}.')
        active_seconds = serializers.IntegerField(
            min_value=0,
            max_value=MAX_DATABASE_INTEGER,
            required=False,
            help_text="Seconds you actively worked on it.",
        )

    @extend_schema(
        description="Submit your answer. Submitting again returns the first result and "
        "changes nothing; after the deadline the assignment is abandoned (409).",
        request=InputSerializer,
        responses={200: WorkAssignmentSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, assignment_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = assignment_access_for_worker(
            worker=self.worker, assignment_id=assignment_id, with_data=False
        )
        # Not wrapped in a transaction: a late submit commits the abandonment, then refuses.
        assignment = assignment_submit(
            worker=self.worker, assignment=assignment, **serializer.validated_data
        )
        return Response(WorkAssignmentSerializer(assignment).data)


class WorkAssignmentReturnApi(WorkerApi):
    @extend_schema(
        description="Give the task back; its slot reopens. Returning it again changes nothing.",
        request=None,
        responses={200: WorkAssignmentSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, assignment_id: str):
        assignment = assignment_access_for_worker(
            worker=self.worker, assignment_id=assignment_id, with_data=False
        )
        assignment = assignment_return(worker=self.worker, assignment=assignment)
        return Response(WorkAssignmentSerializer(assignment).data)


class WorkEarningsApi(WorkerApi):
    @extend_schema(
        operation_id="work_earnings",
        description="Your earnings from submitted work: per currency and per job, how many "
        "assignments await review (pending), were approved and were rejected, with their "
        "rewards summed (decimal strings); and your balances from the ledger: pending (in "
        "the hold period), available (can be paid out), in transit and paid.",
        responses={200: EarningsSerializer, **error_responses(403)},
    )
    def get(self, request):
        return Response(
            EarningsSerializer(
                {
                    "totals": [
                        _earning_figures(row) for row in worker_earnings_totals(worker=self.worker)
                    ],
                    "jobs": [
                        _earning_figures(row) for row in worker_earnings_by_job(worker=self.worker)
                    ],
                    "balances": [
                        balance.as_json() for balance in worker_balances(worker=self.worker)
                    ],
                }
            ).data
        )
