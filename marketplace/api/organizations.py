"""API for organizations, their members and invitations (and accepting an invitation link)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import (
    SessionOnly,
    SessionOnlyForWrites,
    request_bound_organization,
)
from marketplace.api.serializers import StrictInputSerializer, error_responses
from marketplace.exceptions import DomainError
from marketplace.models import MembershipRole, Organization
from marketplace.selectors import (
    invitation_access,
    invitation_from_token,
    invitation_list,
    member_access,
    member_list,
    organization_access,
    organization_list,
)
from marketplace.services import (
    invitation_accept,
    invitation_check_usable,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    organization_create,
    organization_update,
)


class OrganizationSerializer(serializers.Serializer):
    """An organization as seen by one of its members (rows of `organization_list`)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    role = serializers.ChoiceField(choices=MembershipRole.choices, help_text="Your role.")
    is_vendor = serializers.SerializerMethodField()

    def get_is_vendor(self, organization) -> bool:
        return hasattr(organization, "vendor_profile")


class MemberUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership id.")
    user = MemberUserSerializer()
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    created_at = serializers.DateTimeField()


class InvitationSerializer(serializers.Serializer):
    """An invitation as its organization's managers see it. The link's token is never shown."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    status = serializers.CharField()
    invited_by = serializers.EmailField(source="invited_by.email")
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class InvitationPreviewSerializer(serializers.Serializer):
    organization_name = serializers.CharField(source="organization.name")
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    email = serializers.EmailField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    usable = serializers.SerializerMethodField()

    def get_usable(self, invitation) -> bool:
        try:
            invitation_check_usable(invitation)
        except DomainError:
            return False
        return True


class OrganizationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class JoinedMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership id.")
    organization = OrganizationSummarySerializer()
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class OrganizationListApi(APIView):
    permission_classes = [SessionOnlyForWrites]
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(
        operation_id="organizations_list",
        responses={200: OrganizationSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        organizations = organization_list(
            actor=request.user, only=request_bound_organization(request)
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=organizations,
            serializer_class=OrganizationSerializer,
        )

    @extend_schema(
        operation_id="organizations_create",
        request=InputSerializer,
        responses={201: OrganizationSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = organization_create(actor=request.user, **serializer.validated_data)
        organization = organization_list(actor=request.user).get(pk=organization.pk)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=100)

    def _respond(self, request, organization: Organization) -> Response:
        organization = organization_list(actor=request.user).get(pk=organization.pk)
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(responses={200: OrganizationSerializer, **error_responses(404)})
    def get(self, request, organization_id: int):
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=organization_id,
            only=request_bound_organization(request),
        )
        return self._respond(request, organization)

    @extend_schema(
        request=InputSerializer,
        responses={200: OrganizationSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=organization_id,
            manage=True,
            only=request_bound_organization(request),
        )
        if serializer.validated_data:
            organization = organization_update(
                actor=request.user, organization=organization, **serializer.validated_data
            )
        return self._respond(request, organization)


class MemberListApi(APIView):
    permission_classes = [SessionOnly]
    pagination_class = CursorPagination

    @extend_schema(responses={200: MemberSerializer(many=True), **error_responses(400, 403, 404)})
    def get(self, request, organization_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=member_list(organization=organization),
            serializer_class=MemberSerializer,
        )


class MemberDetailApi(APIView):
    permission_classes = [SessionOnly]

    class InputSerializer(StrictInputSerializer):
        role = serializers.ChoiceField(choices=MembershipRole.choices)

    @extend_schema(
        request=InputSerializer,
        responses={200: MemberSerializer, **error_responses(400, 403, 404, 409)},
    )
    def patch(self, request, organization_id: int, membership_id: int):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id
        )
        membership = member_access(organization=organization, membership_id=membership_id)
        if serializer.validated_data:
            membership = membership_change_role(
                actor=request.user, membership=membership, **serializer.validated_data
            )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        description="Remove a member. Any member may remove themself (leave); owners and "
        "admins may remove others. The member's API keys are revoked.",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def delete(self, request, organization_id: int, membership_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id
        )
        membership = member_access(organization=organization, membership_id=membership_id)
        membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListApi(APIView):
    permission_classes = [SessionOnly]
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        role = serializers.ChoiceField(choices=MembershipRole.choices)

    @extend_schema(
        responses={200: InvitationSerializer(many=True), **error_responses(400, 403, 404)}
    )
    def get(self, request, organization_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=invitation_list(organization=organization),
            serializer_class=InvitationSerializer,
        )

    @extend_schema(
        description="Invite someone by email; the link is sent only by email. A pending "
        "invitation to the same address is replaced.",
        request=InputSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        invitation = invitation_create(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(responses={200: InvitationSerializer, **error_responses(403, 404, 409)})
    def delete(self, request, organization_id: int, invitation_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        invitation = invitation_access(organization=organization, invitation_id=invitation_id)
        invitation = invitation_revoke(actor=request.user, invitation=invitation)
        return Response(InvitationSerializer(invitation).data)


class InvitationPreviewApi(APIView):
    """Anyone holding a link's token may see what it invites to, before signing up."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: InvitationPreviewSerializer, **error_responses(404)})
    def get(self, request, token: str):
        invitation = invitation_from_token(token=token)
        return Response(InvitationPreviewSerializer(invitation).data)


class InvitationAcceptApi(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        description="Join the organization. The logged-in user must own the invited address, "
        "verified. Used, withdrawn or expired invitations give 409 with the reason's code.",
        request=None,
        responses={
            201: JoinedMembershipSerializer,
            **error_responses(403, 404, 409),
        },
    )
    def post(self, request, token: str):
        membership = invitation_accept(actor=request.user, token=token)
        return Response(JoinedMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)
