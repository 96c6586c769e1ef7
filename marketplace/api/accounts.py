"""API for the current user: who they are, their roles and organizations, their name."""

from allauth.mfa.models import Authenticator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.organizations import OrganizationSerializer
from marketplace.api.permissions import SessionOnlyForWrites, request_bound_organization
from marketplace.api.serializers import StrictInputSerializer, error_responses
from marketplace.models import User
from marketplace.selectors import organization_list
from marketplace.services import user_update
from workforce.models import WorkerProfile


class RolesSerializer(serializers.Serializer):
    requester = serializers.BooleanField(help_text="Member of at least one organization.")
    worker = serializers.BooleanField(help_text="Has a worker profile.")
    vendor = serializers.BooleanField(help_text="Member of an organization that is a vendor.")
    staff = serializers.BooleanField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    email_verified = serializers.BooleanField()
    is_staff = serializers.BooleanField()
    two_factor_enabled = serializers.BooleanField()
    roles = RolesSerializer()
    organizations = OrganizationSerializer(
        many=True, help_text="With an API key, only the key's organization."
    )
    worker_id = serializers.CharField(allow_null=True)


def _me(request) -> dict:
    user: User = request.user
    organizations = list(organization_list(actor=user, only=request_bound_organization(request)))
    worker_id = WorkerProfile.objects.filter(user=user).values_list("worker_id", flat=True).first()
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "email_verified": user.has_verified_email,
        "is_staff": user.is_staff,
        "two_factor_enabled": Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists(),
        "roles": {
            "requester": bool(organizations),
            "worker": worker_id is not None,
            "vendor": any(hasattr(each, "vendor_profile") for each in organizations),
            "staff": user.is_staff,
        },
        "organizations": organizations,
        "worker_id": worker_id,
    }


class MeApi(APIView):
    permission_classes = [SessionOnlyForWrites]

    class InputSerializer(StrictInputSerializer):
        full_name = serializers.CharField(max_length=150, allow_blank=True)

    @extend_schema(responses={200: MeSerializer, **error_responses()})
    def get(self, request):
        return Response(MeSerializer(_me(request)).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: MeSerializer, **error_responses(400, 403)},
    )
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data:
            user_update(actor=request.user, **serializer.validated_data)
        return Response(MeSerializer(_me(request)).data)
