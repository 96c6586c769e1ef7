"""API for qualifications in Mechanical Turk's shapes: an organization's qualification
types, granting and revoking them, a job's qualification requirements, the platform's
system types, and a worker's own qualifications."""

from contextlib import contextmanager

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.work import WorkerApi
from jobs.selectors import job_access
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization, request_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from marketplace.exceptions import InvalidInput
from workforce.models import (
    MAX_REQUIREMENTS_PER_JOB,
    ActionsGuarded,
    Comparator,
    QualificationStatus,
    QualificationTypeStatus,
)
from workforce.qualifications import (
    job_requirements_set,
    qualification_grant,
    qualification_revoke,
    qualification_type_create,
    qualification_type_update,
)
from workforce.selectors import (
    job_requirement_list,
    qualification_grant_list,
    qualification_type_access,
    qualification_type_list,
    system_qualification_type_list,
    worker_by_public_id,
    worker_qualification_list,
)

INTEGER_LIMIT = 2**31 - 1


# Output.


class QualificationTypeSerializer(OutputSerializer):
    QualificationTypeId = serializers.CharField(source="type_id")
    CreationTime = serializers.DateTimeField(source="created_at")
    Name = serializers.CharField(source="name")
    Description = serializers.CharField(source="description")
    Keywords = serializers.CharField(source="keywords")
    QualificationTypeStatus = serializers.ChoiceField(
        source="status", choices=QualificationTypeStatus.choices
    )
    RetryDelayInSeconds = serializers.IntegerField(source="retry_delay_seconds", allow_null=True)
    AutoGranted = serializers.BooleanField(source="auto_granted")
    AutoGrantedValue = serializers.IntegerField(source="auto_granted_value")
    IsSystem = serializers.BooleanField(
        source="is_system", help_text="Computed by the platform (Mechanical Turk's system ids)."
    )
    Test = serializers.JSONField(source="test", allow_null=True)
    AnswerKey = serializers.JSONField(source="answer_key", allow_null=True)
    TestDurationInSeconds = serializers.IntegerField(
        source="test_duration_seconds", allow_null=True
    )


class LocaleSerializer(OutputSerializer):
    Country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    Subdivision = serializers.CharField(required=False, help_text="ISO 3166-2 (e.g. WA).")


class QualificationSerializer(OutputSerializer):
    QualificationTypeId = serializers.CharField(source="qualification_type.type_id")
    Name = serializers.CharField(source="qualification_type.name")
    WorkerId = serializers.CharField(source="worker.worker_id")
    GrantTime = serializers.DateTimeField(source="granted_at")
    IntegerValue = serializers.IntegerField(source="integer_value", allow_null=True)
    LocaleValue = serializers.SerializerMethodField()
    Status = serializers.ChoiceField(source="status", choices=QualificationStatus.choices)
    RevokeReason = serializers.CharField(
        source="revoke_reason", help_text="Why it was revoked (shown to the worker)."
    )

    @extend_schema_field(LocaleSerializer(allow_null=True))
    def get_LocaleValue(self, qualification):  # noqa: N802 - Mechanical Turk's field name
        return _locale(qualification.locale_country, qualification.locale_subdivision)


class RequirementSerializer(OutputSerializer):
    QualificationTypeId = serializers.CharField(source="qualification_type.type_id")
    Comparator = serializers.ChoiceField(source="comparator", choices=Comparator.choices)
    IntegerValues = serializers.SerializerMethodField()
    LocaleValues = serializers.SerializerMethodField()
    ActionsGuarded = serializers.ChoiceField(
        source="actions_guarded", choices=ActionsGuarded.choices
    )

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_IntegerValues(self, requirement):  # noqa: N802
        return [v.integer_value for v in requirement.values.all() if v.integer_value is not None]

    @extend_schema_field(LocaleSerializer(many=True))
    def get_LocaleValues(self, requirement):  # noqa: N802
        return [_locale(v.country, v.subdivision) for v in requirement.values.all() if v.country]


def _locale(country: str, subdivision: str) -> dict | None:
    if not country:
        return None
    return {"Country": country, **({"Subdivision": subdivision} if subdivision else {})}


class RequirementsSerializer(serializers.Serializer):
    requirements = RequirementSerializer(many=True)


# Input.


class QualificationTypeFieldsSerializer(StrictInputSerializer):
    Name = serializers.CharField(source="name", max_length=200)
    Description = serializers.CharField(source="description", max_length=2000)
    Keywords = serializers.CharField(
        source="keywords", max_length=1000, allow_blank=True, required=False
    )
    QualificationTypeStatus = serializers.ChoiceField(
        source="status", choices=QualificationTypeStatus.choices, required=False
    )
    RetryDelayInSeconds = serializers.IntegerField(
        source="retry_delay_seconds",
        min_value=0,
        max_value=INTEGER_LIMIT,
        allow_null=True,
        required=False,
        help_text="Empty: one attempt only. Once set, it cannot be emptied again.",
    )
    AutoGranted = serializers.BooleanField(source="auto_granted", required=False)
    AutoGrantedValue = serializers.IntegerField(
        source="auto_granted_value",
        min_value=-INTEGER_LIMIT,
        max_value=INTEGER_LIMIT,
        required=False,
    )
    Test = serializers.JSONField(
        source="test",
        required=False,
        allow_null=True,
        help_text='{"questions": [{"id": "q1", "text": "...", "options": [{"id": "a", '
        '"text": "..."}, ...]}, ...]}: 1-50 questions of 2-10 options.',
    )
    AnswerKey = serializers.JSONField(
        source="answer_key",
        required=False,
        allow_null=True,
        help_text='{"q1": {"a": 10, "b": 0}, ...}: a score per option; the grant\'s value is '
        "the sum. Without one, requests wait for review by hand.",
    )
    TestDurationInSeconds = serializers.IntegerField(
        source="test_duration_seconds",
        min_value=30,
        max_value=8 * 3600,
        allow_null=True,
        required=False,
    )


# The services' field names as this API spells them (Mechanical Turk's).
API_FIELD_NAMES = {
    "name": "Name",
    "description": "Description",
    "keywords": "Keywords",
    "status": "QualificationTypeStatus",
    "retry_delay_seconds": "RetryDelayInSeconds",
    "auto_granted": "AutoGranted",
    "auto_granted_value": "AutoGrantedValue",
    "integer_value": "IntegerValue",
    "reason": "Reason",
    "test": "Test",
    "answer_key": "AnswerKey",
    "test_duration_seconds": "TestDurationInSeconds",
    "answers": "Answers",
}


@contextmanager
def api_field_names():
    """A service's field errors under the names the request used."""
    try:
        yield
    except InvalidInput as error:
        fields = {API_FIELD_NAMES.get(name, name): value for name, value in error.fields.items()}
        raise InvalidInput(error.message, fields=fields, code=error.code) from None


# Views.


class QualificationTypeListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(QualificationTypeFieldsSerializer):
        pass

    @extend_schema(
        operation_id="qualification_types_list",
        description="The organization's qualification types, newest first.",
        responses={200: QualificationTypeSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=qualification_type_list(
                organization=request_organization(request, organization_id)
            ),
            serializer_class=QualificationTypeSerializer,
        )

    @extend_schema(
        description="Create a qualification type (Mechanical Turk's CreateQualificationType; "
        "the name is unique in the organization).",
        request=InputSerializer,
        responses={201: QualificationTypeSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            created = qualification_type_create(
                actor=request.user,
                organization=request_organization(request, organization_id),
                **serializer.validated_data,
            )
        return Response(QualificationTypeSerializer(created).data, status=status.HTTP_201_CREATED)


class QualificationTypeDetailApi(APIView):
    class InputSerializer(QualificationTypeFieldsSerializer):
        pass

    @extend_schema(responses={200: QualificationTypeSerializer, **error_responses(404)})
    def get(self, request, organization_id: int, type_id: str):
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        return Response(QualificationTypeSerializer(found).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: QualificationTypeSerializer, **error_responses(400, 404)},
    )
    def patch(self, request, organization_id: int, type_id: str):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        if serializer.validated_data:
            with api_field_names():
                found = qualification_type_update(
                    actor=request.user, qualification_type=found, **serializer.validated_data
                )
        return Response(QualificationTypeSerializer(found).data)


class QualificationGrantListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        WorkerId = serializers.CharField(max_length=64)
        IntegerValue = serializers.IntegerField(
            min_value=-INTEGER_LIMIT, max_value=INTEGER_LIMIT, required=False
        )

    @extend_schema(
        operation_id="qualification_grants_list",
        description="Workers holding this qualification (revoked ones too), newest first.",
        responses={200: QualificationSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, type_id: str):
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=qualification_grant_list(qualification_type=found),
            serializer_class=QualificationSerializer,
        )

    @extend_schema(
        description="Grant the qualification to a worker, or grant it again with a new value "
        "(Mechanical Turk's AssociateQualificationWithWorker; IntegerValue defaults to 1).",
        request=InputSerializer,
        responses={201: QualificationSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int, type_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        granted = qualification_grant(
            actor=request.user,
            qualification_type=found,
            worker=worker_by_public_id(worker_id=serializer.validated_data["WorkerId"]),
            integer_value=serializer.validated_data.get("IntegerValue", 1),
        )
        return Response(QualificationSerializer(granted).data, status=status.HTTP_201_CREATED)


class QualificationRevokeApi(APIView):
    class InputSerializer(StrictInputSerializer):
        Reason = serializers.CharField(max_length=1024, help_text="Shown to the worker.")

    @extend_schema(
        description="Revoke a worker's qualification with a reason they see (Mechanical "
        "Turk's DisassociateQualificationFromWorker). Revoking again changes nothing.",
        request=InputSerializer,
        responses={200: QualificationSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int, type_id: str, worker_id: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = qualification_type_access(
            organization=request_organization(request, organization_id), type_id=type_id
        )
        with api_field_names():
            revoked = qualification_revoke(
                actor=request.user,
                qualification_type=found,
                worker=worker_by_public_id(worker_id=worker_id),
                reason=serializer.validated_data["Reason"],
            )
        return Response(QualificationSerializer(revoked).data)


class SystemQualificationTypeListApi(APIView):
    @extend_schema(
        operation_id="system_qualification_types_list",
        description="The platform's system qualification types (Mechanical Turk's ids), "
        "usable in any job's requirements.",
        responses={200: QualificationTypeSerializer(many=True), **error_responses()},
    )
    def get(self, request):
        return Response(
            QualificationTypeSerializer(system_qualification_type_list(), many=True).data
        )


class JobRequirementsApi(APIView):
    class InputSerializer(StrictInputSerializer):
        requirements = serializers.ListField(
            child=serializers.DictField(),
            max_length=MAX_REQUIREMENTS_PER_JOB,
            help_text="Mechanical Turk's QualificationRequirement objects: "
            "QualificationTypeId, Comparator, IntegerValues, LocaleValues, ActionsGuarded.",
        )

    @extend_schema(responses={200: RequirementsSerializer, **error_responses(404)})
    def get(self, request, job_id: int):
        job = job_access(
            actor=request.user, job_id=job_id, only=request_bound_organization(request)
        )
        return Response(
            {"requirements": RequirementSerializer(job_requirement_list(job=job), many=True).data}
        )

    @extend_schema(
        description="Replace a draft job's qualification requirements (0-10). Every "
        "requirement is checked by Mechanical Turk's rules; one bad one refuses them all.",
        request=InputSerializer,
        responses={200: RequirementsSerializer, **error_responses(400, 404, 409)},
    )
    def put(self, request, job_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = job_access(
            actor=request.user, job_id=job_id, only=request_bound_organization(request)
        )
        job_requirements_set(
            actor=request.user, job=job, requirements=serializer.validated_data["requirements"]
        )
        return Response(
            {"requirements": RequirementSerializer(job_requirement_list(job=job), many=True).data}
        )


class WorkQualificationListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_qualifications_list",
        description="Your qualifications, revoked ones with the reason, newest first.",
        responses={200: QualificationSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=worker_qualification_list(worker=self.worker),
            serializer_class=QualificationSerializer,
        )
