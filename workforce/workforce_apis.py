"""API for the workforces an organization owns (its private workforces and, for a vendor,
its vendor workforce): create, rename, members (remove), email invitations (send,
withdraw), accepting an invitation, and work teams with their members."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnly, request_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from marketplace.exceptions import InvalidInput, NotFound
from workforce.models import WORKER_ID_REGEX, WorkforceInvitationStatus, WorkforceKind
from workforce.private_workforces import (
    workforce_create,
    workforce_invitation_accept,
    workforce_invitation_revoke,
    workforce_invite,
    workforce_member_remove,
    workforce_rename,
)
from workforce.selectors import (
    organization_workforce_access,
    organization_workforce_list,
    work_team_access,
    work_team_list,
    work_team_member_list,
    worker_by_public_id,
    workforce_invitation_access,
    workforce_invitation_list,
    workforce_member_list,
)
from workforce.work_teams import (
    work_team_create,
    work_team_delete,
    work_team_member_add,
    work_team_member_remove,
    work_team_update,
)


class WorkforceSerializer(OutputSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[WorkforceKind.PRIVATE, WorkforceKind.VENDOR],
        help_text="private: any member of the organization manages it; vendor: the vendor "
        "organization's one workforce, managed by its owners and admins only.",
    )
    member_count = serializers.IntegerField(default=0)
    team_count = serializers.IntegerField(default=0)
    created_at = serializers.DateTimeField()


class WorkTeamSerializer(OutputSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
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
    return organization_workforce_access(
        organization=request_organization(request, organization_id), workforce_id=workforce_id
    )


def _counted(workforce):
    """The workforce again with its member and team counts, for a response after a write."""
    return organization_workforce_access(
        organization=workforce.organization, workforce_id=workforce.pk
    )


def _team(request, organization_id, workforce_id, team_id):
    return work_team_access(
        workforce=_workforce(request, organization_id, workforce_id), team_id=team_id
    )


def _counted_team(team):
    return work_team_access(workforce=team.workforce, team_id=team.pk)


class NameSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)


class WorkforceListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(NameSerializer):
        pass

    @extend_schema(
        operation_id="workforces_list",
        description="The organization's workforces, newest first: its private workforces "
        "and, for a vendor, its vendor workforce (`kind`).",
        responses={200: WorkforceSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=organization_workforce_list(
                organization=request_organization(request, organization_id)
            ),
            serializer_class=WorkforceSerializer,
        )

    @extend_schema(
        description="Create a private workforce (the name is unique in the organization, "
        "its vendor workforce included). Any member may; a vendor workforce is never "
        "created here.",
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
        description="Rename the workforce (unique in the organization). A vendor workforce "
        "takes an owner or admin.",
        request=InputSerializer,
        responses={200: WorkforceSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, organization_id: int, workforce_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workforce = workforce_rename(
            actor=request.user,
            workforce=_workforce(request, organization_id, workforce_id),
            name=serializer.validated_data["name"],
        )
        return Response(WorkforceSerializer(_counted(workforce)).data)


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
        description="Remove a worker from the workforce (and its teams): they get none of "
        "its new work. Removing someone who is not a member succeeds too.",
        responses={204: None, **error_responses(403, 404)},
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
        return Response(
            WorkforceSerializer(_counted(member.workforce)).data, status=status.HTTP_201_CREATED
        )


# Work teams.


class TeamSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)


def _worker_field(worker_id: str):
    """The worker a body's `worker_id` names; an unknown id is a 400 on that field."""
    try:
        return worker_by_public_id(worker_id=worker_id)
    except NotFound:
        raise InvalidInput(fields={"worker_id": ["No worker has this id."]}) from None


class WorkTeamListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(TeamSerializer):
        pass

    @extend_schema(
        operation_id="workforce_teams_list",
        description="The workforce's teams, newest first, with their member counts.",
        responses={200: WorkTeamSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, workforce_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=work_team_list(workforce=_workforce(request, organization_id, workforce_id)),
            serializer_class=WorkTeamSerializer,
        )

    @extend_schema(
        description="Create a team (the name unique in the workforce, 1-100 characters; a "
        "description of at most 1000). A vendor workforce's teams take an owner or admin.",
        request=InputSerializer,
        responses={201: WorkTeamSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, organization_id: int, workforce_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = work_team_create(
            actor=request.user,
            workforce=_workforce(request, organization_id, workforce_id),
            **serializer.validated_data,
        )
        return Response(WorkTeamSerializer(team).data, status=status.HTTP_201_CREATED)


class WorkTeamDetailApi(APIView):
    class InputSerializer(TeamSerializer):
        name = serializers.CharField(max_length=100, required=False)

    @extend_schema(responses={200: WorkTeamSerializer, **error_responses(404)})
    def get(self, request, organization_id: int, workforce_id: int, team_id: int):
        return Response(
            WorkTeamSerializer(_team(request, organization_id, workforce_id, team_id)).data
        )

    @extend_schema(
        description="Rename the team or change its description.",
        request=InputSerializer,
        responses={200: WorkTeamSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, organization_id: int, workforce_id: int, team_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = work_team_update(
            actor=request.user,
            team=_team(request, organization_id, workforce_id, team_id),
            **serializer.validated_data,
        )
        return Response(WorkTeamSerializer(_counted_team(team)).data)

    @extend_schema(
        description="Delete the team and its memberships (the workers stay in the "
        "workforce). Refused with 409 `team_in_use` while a running or paused job targets it.",
        responses={204: None, **error_responses(403, 404, 409)},
    )
    def delete(self, request, organization_id: int, workforce_id: int, team_id: int):
        work_team_delete(
            actor=request.user, team=_team(request, organization_id, workforce_id, team_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkTeamMemberListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        worker_id = serializers.RegexField(
            WORKER_ID_REGEX,
            max_length=21,
            error_messages={"invalid": "A worker id is A followed by 12 to 20 A-Z or 0-9."},
        )

    @extend_schema(
        operation_id="workforce_team_members_list",
        responses={200: WorkforceMemberSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, workforce_id: int, team_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=work_team_member_list(
                team=_team(request, organization_id, workforce_id, team_id)
            ),
            serializer_class=WorkforceMemberSerializer,
        )

    @extend_schema(
        description="Put a member of the workforce in the team, by their public worker id "
        "(adding them again changes nothing). Someone outside the workforce is a 400 on "
        "`worker_id`.",
        request=InputSerializer,
        responses={201: WorkforceMemberSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, organization_id: int, workforce_id: int, team_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = _team(request, organization_id, workforce_id, team_id)
        member = work_team_member_add(
            actor=request.user,
            team=team,
            worker=_worker_field(serializer.validated_data["worker_id"]),
        )
        member = work_team_member_list(team=team).get(pk=member.pk)
        return Response(WorkforceMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class WorkTeamMemberDetailApi(APIView):
    @extend_schema(
        description="Take a worker out of the team (they stay in the workforce). Removing "
        "someone who is not in it succeeds too.",
        responses={204: None, **error_responses(403, 404)},
    )
    def delete(
        self, request, organization_id: int, workforce_id: int, team_id: int, worker_id: str
    ):
        work_team_member_remove(
            actor=request.user,
            team=_team(request, organization_id, workforce_id, team_id),
            worker=worker_by_public_id(worker_id=worker_id),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
