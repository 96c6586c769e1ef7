"""API for the current user's worker profile (become a worker, read and edit it) and for
requesters' blocks on workers."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnly, request_organization
from marketplace.api.serializers import LanguagesField, StrictInputSerializer, error_responses
from marketplace.exceptions import InvalidInput, NotFound
from workforce.locales import COUNTRY_CODES
from workforce.models import MAX_SKILL_LENGTH, MAX_SKILLS, WorkerProfile
from workforce.selectors import worker_block_list, worker_by_public_id, worker_profile_get
from workforce.services import (
    worker_block,
    worker_profile_create,
    worker_profile_update,
    worker_unblock,
)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": MAX_SKILL_LENGTH},
        "maxItems": MAX_SKILLS,
        "uniqueItems": True,
    }
)
class SkillsField(serializers.ListField):
    """Skill tags ("medical imaging"), distinct ignoring case; the service checks the rest."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=MAX_SKILL_LENGTH),
            max_length=MAX_SKILLS,
            help_text=f"At most {MAX_SKILLS} distinct tags of 1 to {MAX_SKILL_LENGTH} characters.",
            **kwargs,
        )


class WorkerProfileSerializer(serializers.Serializer):
    worker_id = serializers.CharField(help_text="Your public worker id; the only one others see.")
    display_name = serializers.CharField()
    country = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    skills = serializers.ListField(
        child=serializers.CharField(), help_text="What you say you are good at."
    )
    is_adult = serializers.BooleanField(help_text="You said you are 18 or older.")
    created_at = serializers.DateTimeField()
    suspended = serializers.SerializerMethodField(
        help_text="Staff have suspended you: you get no new work until they lift it."
    )
    suspension_reason = serializers.CharField(help_text="Why, when suspended.")

    def get_suspended(self, profile) -> bool:
        return profile.suspended_at is not None


class WorkerProfileApi(APIView):
    """A worker profile belongs to a person, so API keys (an organization's) cannot use it."""

    permission_classes = [SessionOnly]

    class InputSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
        country = serializers.ChoiceField(
            choices=COUNTRY_CODES,
            allow_blank=True,
            required=False,
            help_text="ISO 3166-1 alpha-2 code in upper case, e.g. US.",
        )
        languages = LanguagesField(required=False)
        skills = SkillsField(required=False)
        is_adult = serializers.BooleanField(
            required=False, help_text="You are 18 or older (the Worker_Adult qualification)."
        )

    @extend_schema(responses={200: WorkerProfileSerializer, **error_responses(403, 404)})
    def get(self, request):
        return Response(WorkerProfileSerializer(worker_profile_get(actor=request.user)).data)

    @extend_schema(
        description="Become a worker. Needs a verified email address.",
        request=InputSerializer,
        responses={201: WorkerProfileSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = worker_profile_create(actor=request.user, **serializer.validated_data)
        return Response(WorkerProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InputSerializer,
        responses={200: WorkerProfileSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = worker_profile_update(actor=request.user, **serializer.validated_data)
        return Response(WorkerProfileSerializer(profile).data)


# Requesters' blocks (Mechanical Turk's CreateWorkerBlock / DeleteWorkerBlock / ListWorkerBlocks).


class WorkerBlockSerializer(serializers.Serializer):
    WorkerId = serializers.CharField(source="worker.worker_id")
    Reason = serializers.CharField(source="reason")
    CreationTime = serializers.DateTimeField(source="created_at")


def _worker(worker_id) -> WorkerProfile:
    """The worker with this public id; an unknown one is a field error, as on Mechanical
    Turk ("WorkerId is invalid.")."""
    try:
        return worker_by_public_id(worker_id=worker_id)
    except NotFound:
        raise InvalidInput(fields={"WorkerId": ["WorkerId is invalid."]}) from None


class WorkerBlockListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        WorkerId = serializers.CharField(max_length=64)
        Reason = serializers.CharField(max_length=1024, help_text="Why (kept for your records).")

    @extend_schema(
        operation_id="worker_blocks_list",
        description="The workers the organization has blocked, newest first.",
        responses={200: WorkerBlockSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=worker_block_list(organization=request_organization(request, organization_id)),
            serializer_class=WorkerBlockSerializer,
        )

    @extend_schema(
        description="Block a worker from all of the organization's work (at most 100,000 "
        "blocks); blocking again updates the reason.",
        request=InputSerializer,
        responses={201: WorkerBlockSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        block = worker_block(
            actor=request.user,
            organization=request_organization(request, organization_id),
            worker=_worker(serializer.validated_data["WorkerId"]),
            reason=serializer.validated_data["Reason"],
        )
        return Response(WorkerBlockSerializer(block).data, status=status.HTTP_201_CREATED)


class WorkerBlockDetailApi(APIView):
    @extend_schema(
        description="Unblock a worker; unblocking one who is not blocked succeeds too.",
        responses={204: None, **error_responses(400, 404)},
    )
    def delete(self, request, organization_id: int, worker_id: str):
        worker_unblock(
            actor=request.user,
            organization=request_organization(request, organization_id),
            worker=_worker(worker_id),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
