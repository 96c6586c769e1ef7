"""API for the current user's worker profile: become a worker, read and edit the profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.permissions import SessionOnly
from marketplace.api.serializers import LanguagesField, StrictInputSerializer, error_responses
from workforce.locales import COUNTRY_CODES
from workforce.selectors import worker_profile_get
from workforce.services import worker_profile_create, worker_profile_update


class WorkerProfileSerializer(serializers.Serializer):
    worker_id = serializers.CharField(help_text="Your public worker id; the only one others see.")
    display_name = serializers.CharField()
    country = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


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
