"""API for an organization's private workforces: create, rename, members (remove) and
email invitations (send, withdraw), and accepting an invitation."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnly, request_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from workforce.models import WorkforceInvitationStatus
from workforce.private_workforces import (
    workforce_create,
    workforce_invitation_accept,
    workforce_invitation_revoke,
    workforce_invite,
    workforce_member_remove,
    workforce_rename,
)
from workforce.selectors import (
    private_workforce_access,
    private_workforce_list,
    worker_by_public_id,
    workforce_invitation_access,
    workforce_invitation_list,
    workforce_member_list,
)


class WorkforceSerializer(OutputSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    member_count = serializers.IntegerField(default=0)
    created_at = serializers.DateTimeField()


class WorkforceMemberSerializer(OutputSerializer):
    WorkerId = serializers.CharField(source="worker.worker_id")
    email = serializers.EmailField(source="worker.user.email")
    display_name = serializers.CharField(source="worker.display_name")
    joined_at = serializers.DateTimeField(source="created_at")


class WorkforceInvitationSerializer(OutputSerializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    status = serializers.ChoiceField(choices=WorkforceInvitationStatus.choices)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


def _workforce(request, organization_id, workforce_id):
    return private_workforce_access(
        organization=request_organization(request, organization_id), workforce_id=workforce_id
    )


class NameSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)


class WorkforceListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(NameSerializer):
        pass

    @extend_schema(
        operation_id="workforces_list",
        description="The organization's private workforces, newest first.",
        responses={200: WorkforceSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=private_workforce_list(
                organization=request_organization(request, organization_id)
            ),
            serializer_class=WorkforceSerializer,
        )

    @extend_schema(
        description="Create a private workforce (the name is unique in the organization).",
        request=InputSerializer,
        responses={201: WorkforceSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = workforce_create(
            actor=request.user,
            organization=request_organization(request, organization_id),
            name=serializer.validated_data["name"],
        )
        return Response(WorkforceSerializer(created).data, status=status.HTTP_201_CREATED)


class WorkforceDetailApi(APIView):
    class InputSerializer(NameSerializer):
        pass

    @extend_schema(responses={200: WorkforceSerializer, **error_responses(404)})
    def get(self, request, organization_id: int, workforce_id: int):
        return Response(
            WorkforceSerializer(_workforce(request, organization_id, workforce_id)).data
        )

    @extend_schema(
        request=InputSerializer, responses={200: WorkforceSerializer, **error_responses(400, 404)}
    )
    def patch(self, request, organization_id: int, workforce_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workforce = workforce_rename(
            actor=request.user,
            workforce=_workforce(request, organization_id, workforce_id),
            name=serializer.validated_data["name"],
        )
        return Response(WorkforceSerializer(workforce).data)


class WorkforceMemberListApi(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="workforce_members_list",
        responses={200: WorkforceMemberSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, workforce_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=workforce_member_list(
                workforce=_workforce(request, organization_id, workforce_id)
            ),
            serializer_class=WorkforceMemberSerializer,
        )


class WorkforceMemberDetailApi(APIView):
    @extend_schema(
        description="Remove a worker from the workforce: they get none of its new work. "
        "Removing someone who is not a member succeeds too.",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, organization_id: int, workforce_id: int, worker_id: str):
        workforce_member_remove(
            actor=request.user,
            workforce=_workforce(request, organization_id, workforce_id),
            worker=worker_by_public_id(worker_id=worker_id),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkforceInvitationListApi(APIView):
    pagination_class = CursorPagination
    permission_classes = [SessionOnly]

    class InputSerializer(StrictInputSerializer):
        email = serializers.CharField(max_length=254)

    @extend_schema(
        operation_id="workforce_invitations_list",
        responses={
            200: WorkforceInvitationSerializer(many=True),
            **error_responses(400, 403, 404),
        },
    )
    def get(self, request, organization_id: int, workforce_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=workforce_invitation_list(
                workforce=_workforce(request, organization_id, workforce_id)
            ),
            serializer_class=WorkforceInvitationSerializer,
        )

    @extend_schema(
        description="Invite an email address to the workforce (a new or an existing user; "
        "the link goes out by email only, valid 7 days, single use). A pending invitation "
        "to the same address is replaced.",
        request=InputSerializer,
        responses={201: WorkforceInvitationSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, organization_id: int, workforce_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = workforce_invite(
            actor=request.user,
            workforce=_workforce(request, organization_id, workforce_id),
            email=serializer.validated_data["email"],
        )
        return Response(
            WorkforceInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class WorkforceInvitationDetailApi(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        description="Withdraw a pending invitation.",
        responses={200: WorkforceInvitationSerializer, **error_responses(403, 404, 409)},
    )
    def delete(self, request, organization_id: int, workforce_id: int, invitation_id: int):
        workforce = _workforce(request, organization_id, workforce_id)
        invitation = workforce_invitation_revoke(
            actor=request.user,
            invitation=workforce_invitation_access(
                workforce=workforce, invitation_id=invitation_id
            ),
        )
        return Response(WorkforceInvitationSerializer(invitation).data)


class WorkforceInvitationAcceptApi(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        description="Accept a workforce invitation with the token from its link: the "
        "logged-in user's verified address must be the invited one. A user who is not a "
        "worker yet becomes one.",
        request=None,
        responses={201: WorkforceSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, token: str):
        member = workforce_invitation_accept(actor=request.user, token=token)
        return Response(WorkforceSerializer(member.workforce).data, status=status.HTTP_201_CREATED)
