"""Workers' API: what quality rules did to the worker (removed from a job, blocked, work
rejected, ...) with the requester's reason; never the rule's figures or thresholds."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from jobs.api.work import WorkerApi
from jobs.models import RuleAction
from jobs.services.quality_rules import notice_text, worker_notice_list
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.serializers import OutputSerializer, error_responses


class WorkNoticeSerializer(OutputSerializer):
    """One action a requester's quality rule took on you."""

    id = serializers.IntegerField()
    job_id = serializers.IntegerField(source="job.id")
    job_title = serializers.CharField(source="job.title")
    action = serializers.ChoiceField(choices=RuleAction.choices)
    what_happened = serializers.SerializerMethodField()
    reason = serializers.CharField(help_text="The requester's reason.")
    created_at = serializers.DateTimeField()

    def get_what_happened(self, record) -> str:
        return notice_text(record)


class WorkNoticeListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_notices_list",
        description="What requesters' quality rules did to you, newest first: the job, what "
        "happened and the requester's reason.",
        responses={200: WorkNoticeSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=worker_notice_list(worker=self.worker),
            serializer_class=WorkNoticeSerializer,
        )
