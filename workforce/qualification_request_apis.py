"""API for qualification requests: workers find the qualifications they can request,
take tests or ask for auto-granted types; requesters review requests by hand."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.work import WorkerApi
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from marketplace.exceptions import InvalidInput
from workforce.models import QualificationRequestStatus
from workforce.qualification_apis import INTEGER_LIMIT, api_field_names
from workforce.qualification_requests import (
    qualification_request_accept,
    qualification_request_reject,
    qualification_request_start,
    qualification_request_submit,
)
from workforce.selectors import (
    qualification_request_list,
    qualification_type_access,
    requestable_type_access,
    requestable_type_list,
    worker_qualification_request_list,
)


class RequestableTypeSerializer(OutputSerializer):
    """A type as a worker sees it before requesting it: never its answer key."""

    QualificationTypeId = serializers.CharField(source="type_id")
    Name = serializers.CharField(source="name")
    Description = serializers.CharField(source="description")
    Keywords = serializers.CharField(source="keywords")
    Requester = serializers.CharField(source="owner.name")
    AutoGranted = serializers.BooleanField(source="auto_granted")
    HasTest = serializers.SerializerMethodField()
    TestDurationInSeconds = serializers.IntegerField(
        source="test_duration_seconds", allow_null=True
    )
    RetryDelayInSeconds = serializers.IntegerField(source="retry_delay_seconds", allow_null=True)

    def get_HasTest(self, qualification_type) -> bool:  # noqa: N802
        return qualification_type.test is not None


class QualificationRequestSerializer(OutputSerializer):
    QualificationRequestId = serializers.CharField(source="request_id")
    QualificationTypeId = serializers.CharField(source="qualification_type.type_id")
    WorkerId = serializers.CharField(source="worker.worker_id")
    Status = serializers.ChoiceField(source="status", choices=QualificationRequestStatus.choices)
    Test = serializers.JSONField(
        source="qualification_type.test",
        allow_null=True,
        help_text="The questions (never the answer key).",
    )
    Answer = serializers.JSONField(source="answers", allow_null=True)
    Score = serializers.IntegerField(source="score", allow_null=True)
    StartTime = serializers.DateTimeField(source="started_at")
    SubmitTime = serializers.DateTimeField(source="submitted_at", allow_null=True)
    Deadline = serializers.SerializerMethodField()
    Reason = serializers.CharField(source="reason", help_text="Why it was rejected.")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_Deadline(self, request):  # noqa: N802
        duration = request.qualification_type.test_duration_seconds
        if duration is None:
            return None
        deadline = request.started_at + timedelta(seconds=duration)
        return serializers.DateTimeField().to_representation(deadline)


# Qualification requests: a worker takes a test or asks for an auto-granted type; the
# requester reviews requests without an answer key.


class QualificationRequestListApi(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="qualification_requests_list",
        description="Requests for this type, oldest first; ?status=Pending for the review queue.",
        parameters=[
            OpenApiParameter("status", str, enum=QualificationRequestStatus.values, required=False)
        ],
        responses={200: QualificationRequestSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, type_id: str):
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in QualificationRequestStatus.values:
            raise InvalidInput(
                fields={"status": [f"One of: {', '.join(QualificationRequestStatus.values)}."]}
            )
        return paginated_response(
            view=self,
            request=request,
            queryset=qualification_request_list(qualification_type=found, status=wanted),
            serializer_class=QualificationRequestSerializer,
        )


class QualificationRequestAcceptApi(APIView):
    class InputSerializer(StrictInputSerializer):
        IntegerValue = serializers.IntegerField(
            min_value=-INTEGER_LIMIT, max_value=INTEGER_LIMIT, required=False
        )

    @extend_schema(
        description="Grant a request waiting for review (Mechanical Turk's "
        "AcceptQualificationRequest; IntegerValue defaults to 1).",
        request=InputSerializer,
        responses={200: QualificationRequestSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, organization_id: int, type_id: str, request_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        accepted = qualification_request_accept(
            actor=request.user,
            qualification_type=found,
            request_id=request_id,
            integer_value=serializer.validated_data.get("IntegerValue", 1),
        )
        return Response(QualificationRequestSerializer(accepted).data)


class QualificationRequestRejectApi(APIView):
    class InputSerializer(StrictInputSerializer):
        Reason = serializers.CharField(max_length=1024, help_text="Shown to the worker.")

    @extend_schema(
        description="Refuse a request waiting for review, with a reason the worker sees.",
        request=InputSerializer,
        responses={200: QualificationRequestSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, organization_id: int, type_id: str, request_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        with api_field_names():
            rejected = qualification_request_reject(
                actor=request.user,
                qualification_type=found,
                request_id=request_id,
                reason=serializer.validated_data["Reason"],
            )
        return Response(QualificationRequestSerializer(rejected).data)


class WorkRequestableTypeListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_qualification_types_list",
        description="Qualifications you can request: by taking their test, or at once for "
        "auto-granted ones. Newest first.",
        responses={200: RequestableTypeSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=requestable_type_list().select_related("owner"),
            serializer_class=RequestableTypeSerializer,
        )


class WorkQualificationRequestListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_qualification_requests_list",
        description="Your qualification requests, newest first.",
        responses={200: QualificationRequestSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=worker_qualification_request_list(worker=self.worker),
            serializer_class=QualificationRequestSerializer,
        )


class WorkQualificationRequestStartApi(WorkerApi):
    @extend_schema(
        description="Request a qualification: an auto-granted one is granted at once "
        "(Status Granted); one with a test starts your attempt (Status InProgress, with "
        "the Test and a Deadline). 409 while you hold it, have an open request, or must "
        "wait out its retry delay (without one, one attempt is all there is).",
        request=None,
        responses={201: QualificationRequestSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, type_id: str):
        started = qualification_request_start(
            worker=self.worker, qualification_type=requestable_type_access(type_id=type_id)
        )
        return Response(
            QualificationRequestSerializer(started).data, status=status.HTTP_201_CREATED
        )


class WorkQualificationRequestSubmitApi(WorkerApi):
    class InputSerializer(StrictInputSerializer):
        Answers = serializers.DictField(
            child=serializers.CharField(), help_text='{"<question id>": "<option id>"}'
        )

    @extend_schema(
        description="Submit your test: scored at once when the type has an answer key (you "
        "are granted the qualification with your score as its value), otherwise left for "
        "the requester to review. After the deadline the attempt is rejected.",
        request=InputSerializer,
        responses={200: QualificationRequestSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, request_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            submitted = qualification_request_submit(
                worker=self.worker,
                request_id=request_id,
                answers=serializer.validated_data["Answers"],
            )
        return Response(QualificationRequestSerializer(submitted).data)
