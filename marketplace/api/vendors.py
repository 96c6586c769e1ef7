"""API for an organization's vendor profile (what makes it a labeling company)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import LanguagesField, StrictInputSerializer, error_responses
from marketplace.models.vendors import MAX_CERTIFICATION_LENGTH, MAX_CERTIFICATIONS
from marketplace.selectors import organization_access, vendor_profile_get
from marketplace.services import vendor_profile_create, vendor_profile_update


class VendorProfileSerializer(serializers.Serializer):
    display_name = serializers.CharField()
    description = serializers.CharField()
    website = serializers.URLField()
    contact_email = serializers.EmailField()
    languages = serializers.ListField(child=serializers.CharField())
    certifications = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class VendorProfileApi(APIView):
    """Any member reads the profile; owners and admins create and change it."""

    class InputSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=100)
        description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
        website = serializers.URLField(max_length=200, allow_blank=True, required=False)
        contact_email = serializers.EmailField(max_length=254)
        languages = LanguagesField(required=False)
        certifications = serializers.ListField(
            child=serializers.CharField(max_length=MAX_CERTIFICATION_LENGTH),
            max_length=MAX_CERTIFICATIONS,
            required=False,
            help_text=f'Short names such as "ISO 27001"; at most {MAX_CERTIFICATIONS}.',
        )

    def _access(self, request, organization_id: int, *, manage: bool):
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=organization_id,
            manage=manage,
            only=request_bound_organization(request),
        )
        return organization

    @extend_schema(responses={200: VendorProfileSerializer, **error_responses(404)})
    def get(self, request, organization_id: int):
        organization = self._access(request, organization_id, manage=False)
        profile = vendor_profile_get(organization=organization)
        return Response(VendorProfileSerializer(profile).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: VendorProfileSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = self._access(request, organization_id, manage=True)
        profile = vendor_profile_create(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        return Response(VendorProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InputSerializer,
        responses={200: VendorProfileSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = self._access(request, organization_id, manage=True)
        profile = vendor_profile_get(organization=organization)
        profile = vendor_profile_update(
            actor=request.user, profile=profile, **serializer.validated_data
        )
        return Response(VendorProfileSerializer(profile).data)
