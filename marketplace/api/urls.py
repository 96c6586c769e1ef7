"""API v1 routes."""

from django.urls import include, path

from marketplace.api.accounts import MeApi
from marketplace.api.api_keys import ApiKeyListApi, ApiKeyRevokeApi
from marketplace.api.organizations import (
    InvitationAcceptApi,
    InvitationListApi,
    InvitationPreviewApi,
    InvitationRevokeApi,
    MemberDetailApi,
    MemberListApi,
    OrganizationDetailApi,
    OrganizationListApi,
)
from marketplace.api.root import ApiRootApi
from marketplace.api.vendors import VendorProfileApi
from workforce.apis import WorkerProfileApi

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns = [
    path("", ApiRootApi.as_view(), name="api-root"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/worker-profile/", WorkerProfileApi.as_view(), name="api-worker-profile"),
    path("organizations/", OrganizationListApi.as_view(), name="api-organizations"),
    path(ORGANIZATION, OrganizationDetailApi.as_view(), name="api-organization"),
    path(f"{ORGANIZATION}members/", MemberListApi.as_view(), name="api-members"),
    path(
        f"{ORGANIZATION}members/<int:membership_id>/",
        MemberDetailApi.as_view(),
        name="api-member",
    ),
    path(f"{ORGANIZATION}invitations/", InvitationListApi.as_view(), name="api-invitations"),
    path(
        f"{ORGANIZATION}invitations/<int:invitation_id>/",
        InvitationRevokeApi.as_view(),
        name="api-invitation",
    ),
    path(f"{ORGANIZATION}api-keys/", ApiKeyListApi.as_view(), name="api-api-keys"),
    path(
        f"{ORGANIZATION}api-keys/<int:api_key_id>/",
        ApiKeyRevokeApi.as_view(),
        name="api-api-key",
    ),
    path(f"{ORGANIZATION}vendor-profile/", VendorProfileApi.as_view(), name="api-vendor-profile"),
    path("invitations/<str:token>/", InvitationPreviewApi.as_view(), name="api-invitation-preview"),
    path(
        "invitations/<str:token>/accept/",
        InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path("", include("jobs.api.urls")),
    path("", include("workforce.api_urls")),
    path("", include("notifications.urls")),
]
