"""API v1 routes."""

from django.urls import include, path

from marketplace.api.accounts import MeApi
from marketplace.api.api_keys import ApiKeyListApi, ApiKeyRevokeApi
from marketplace.api.engagements import (
    EngagementAcceptApi,
    EngagementCancelApi,
    EngagementDeclineApi,
    EngagementDetailApi,
    EngagementEndApi,
    EngagementListApi,
    VendorJobListApi,
    VendorRatingApi,
)
from marketplace.api.listings import (
    ListingBrowseApi,
    ListingDetailApi,
    VendorListingDetailApi,
    VendorListingListApi,
    VendorListingSubmitApi,
    VendorListingWithdrawApi,
)
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
    path("listings/", ListingBrowseApi.as_view(), name="api-listings"),
    path("listings/<int:listing_id>/", ListingDetailApi.as_view(), name="api-listing"),
    path(f"{ORGANIZATION}listings/", VendorListingListApi.as_view(), name="api-vendor-listings"),
    path(
        f"{ORGANIZATION}listings/<int:listing_id>/",
        VendorListingDetailApi.as_view(),
        name="api-vendor-listing",
    ),
    path(
        f"{ORGANIZATION}listings/<int:listing_id>/submit/",
        VendorListingSubmitApi.as_view(),
        name="api-vendor-listing-submit",
    ),
    path(
        f"{ORGANIZATION}listings/<int:listing_id>/withdraw/",
        VendorListingWithdrawApi.as_view(),
        name="api-vendor-listing-withdraw",
    ),
    path(f"{ORGANIZATION}engagements/", EngagementListApi.as_view(), name="api-engagements"),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/",
        EngagementDetailApi.as_view(),
        name="api-engagement",
    ),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/accept/",
        EngagementAcceptApi.as_view(),
        name="api-engagement-accept",
    ),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/decline/",
        EngagementDeclineApi.as_view(),
        name="api-engagement-decline",
    ),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/cancel/",
        EngagementCancelApi.as_view(),
        name="api-engagement-cancel",
    ),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/end/",
        EngagementEndApi.as_view(),
        name="api-engagement-end",
    ),
    path(f"{ORGANIZATION}vendor-jobs/", VendorJobListApi.as_view(), name="api-vendor-jobs"),
    path(
        f"{ORGANIZATION}jobs/<int:job_id>/vendor-rating/",
        VendorRatingApi.as_view(),
        name="api-vendor-rating",
    ),
    path("invitations/<str:token>/", InvitationPreviewApi.as_view(), name="api-invitation-preview"),
    path(
        "invitations/<str:token>/accept/",
        InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path("", include("jobs.api.urls")),
    path("", include("workforce.api_urls")),
    path("", include("notifications.urls")),
    path("", include("payments.api.urls")),
]
