"""API v1 routes of the workforce app: qualifications, worker blocks, organizations'
private and vendor workforces and their work teams (included from marketplace.api.urls)."""

from django.urls import path

from workforce.apis import WorkerBlockDetailApi, WorkerBlockListApi
from workforce.qualification_apis import (
    JobRequirementsApi,
    QualificationGrantListApi,
    QualificationRevokeApi,
    QualificationTypeDetailApi,
    QualificationTypeListApi,
    SystemQualificationTypeListApi,
    WorkQualificationListApi,
)
from workforce.qualification_request_apis import (
    QualificationRequestAcceptApi,
    QualificationRequestListApi,
    QualificationRequestRejectApi,
    WorkQualificationRequestListApi,
    WorkQualificationRequestStartApi,
    WorkQualificationRequestSubmitApi,
    WorkRequestableTypeListApi,
)
from workforce.workforce_apis import (
    WorkforceDetailApi,
    WorkforceInvitationAcceptApi,
    WorkforceInvitationDetailApi,
    WorkforceInvitationListApi,
    WorkforceListApi,
    WorkforceMemberDetailApi,
    WorkforceMemberListApi,
    WorkTeamDetailApi,
    WorkTeamListApi,
    WorkTeamMemberDetailApi,
    WorkTeamMemberListApi,
)

TYPES = "organizations/<int:organization_id>/qualification-types/"
TYPE = f"{TYPES}<str:type_id>/"
WORKFORCES = "organizations/<int:organization_id>/workforces/"
WORKFORCE = f"{WORKFORCES}<int:workforce_id>/"
TEAM = f"{WORKFORCE}teams/<int:team_id>/"

urlpatterns = [
    path(TYPES, QualificationTypeListApi.as_view(), name="api-qualification-types"),
    path(TYPE, QualificationTypeDetailApi.as_view(), name="api-qualification-type"),
    path(f"{TYPE}grants/", QualificationGrantListApi.as_view(), name="api-qualification-grants"),
    path(
        f"{TYPE}grants/<str:worker_id>/revoke/",
        QualificationRevokeApi.as_view(),
        name="api-qualification-revoke",
    ),
    path(
        "qualification-types/system/",
        SystemQualificationTypeListApi.as_view(),
        name="api-system-qualification-types",
    ),
    path(
        "jobs/<int:job_id>/qualification-requirements/",
        JobRequirementsApi.as_view(),
        name="api-job-qualification-requirements",
    ),
    path(
        "work/qualifications/", WorkQualificationListApi.as_view(), name="api-work-qualifications"
    ),
    path(
        f"{TYPE}requests/", QualificationRequestListApi.as_view(), name="api-qualification-requests"
    ),
    path(
        f"{TYPE}requests/<str:request_id>/accept/",
        QualificationRequestAcceptApi.as_view(),
        name="api-qualification-request-accept",
    ),
    path(
        f"{TYPE}requests/<str:request_id>/reject/",
        QualificationRequestRejectApi.as_view(),
        name="api-qualification-request-reject",
    ),
    path(
        "work/qualification-types/",
        WorkRequestableTypeListApi.as_view(),
        name="api-work-qualification-types",
    ),
    path(
        "work/qualification-types/<str:type_id>/request/",
        WorkQualificationRequestStartApi.as_view(),
        name="api-work-qualification-request-start",
    ),
    path(
        "work/qualification-requests/",
        WorkQualificationRequestListApi.as_view(),
        name="api-work-qualification-requests",
    ),
    path(
        "work/qualification-requests/<str:request_id>/submit/",
        WorkQualificationRequestSubmitApi.as_view(),
        name="api-work-qualification-request-submit",
    ),
    path(
        "organizations/<int:organization_id>/worker-blocks/",
        WorkerBlockListApi.as_view(),
        name="api-worker-blocks",
    ),
    path(
        "organizations/<int:organization_id>/worker-blocks/<str:worker_id>/",
        WorkerBlockDetailApi.as_view(),
        name="api-worker-block",
    ),
    path(WORKFORCES, WorkforceListApi.as_view(), name="api-workforces"),
    path(WORKFORCE, WorkforceDetailApi.as_view(), name="api-workforce"),
    path(f"{WORKFORCE}members/", WorkforceMemberListApi.as_view(), name="api-workforce-members"),
    path(
        f"{WORKFORCE}members/<str:worker_id>/",
        WorkforceMemberDetailApi.as_view(),
        name="api-workforce-member",
    ),
    path(
        f"{WORKFORCE}invitations/",
        WorkforceInvitationListApi.as_view(),
        name="api-workforce-invitations",
    ),
    path(
        f"{WORKFORCE}invitations/<int:invitation_id>/",
        WorkforceInvitationDetailApi.as_view(),
        name="api-workforce-invitation",
    ),
    path(f"{WORKFORCE}teams/", WorkTeamListApi.as_view(), name="api-workforce-teams"),
    path(TEAM, WorkTeamDetailApi.as_view(), name="api-workforce-team"),
    path(f"{TEAM}members/", WorkTeamMemberListApi.as_view(), name="api-workforce-team-members"),
    path(
        f"{TEAM}members/<str:worker_id>/",
        WorkTeamMemberDetailApi.as_view(),
        name="api-workforce-team-member",
    ),
    path(
        "workforce-invitations/<str:token>/accept/",
        WorkforceInvitationAcceptApi.as_view(),
        name="api-workforce-invitation-accept",
    ),
]
