"""Page routes: home, organizations and their members, invitations, keys, profiles."""

from django.urls import path

from marketplace.pages import vendors, views

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organization_list_page, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<int:organization_id>/invitations/",
        views.organization_invite,
        name="organization_invite",
    ),
    path(
        "organizations/<int:organization_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:membership_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "organizations/<int:organization_id>/api-keys/",
        views.api_key_create,
        name="api_key_create",
    ),
    path(
        "organizations/<int:organization_id>/api-keys/<int:api_key_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
    path(
        "organizations/<int:organization_id>/vendor-profile/",
        views.vendor_profile,
        name="vendor_profile",
    ),
    path("marketplace/", vendors.marketplace_browse, name="marketplace_browse"),
    path(
        "marketplace/listings/<int:listing_id>/",
        vendors.marketplace_listing,
        name="marketplace_listing",
    ),
    path(
        "marketplace/listings/<int:listing_id>/engage/",
        vendors.marketplace_engage,
        name="marketplace_engage",
    ),
    path(f"{ORGANIZATION}listings/", vendors.vendor_listings, name="vendor_listings"),
    path(f"{ORGANIZATION}listings/new/", vendors.vendor_listing_new, name="vendor_listing_new"),
    path(
        f"{ORGANIZATION}listings/<int:listing_id>/edit/",
        vendors.vendor_listing_edit,
        name="vendor_listing_edit",
    ),
    path(
        f"{ORGANIZATION}listings/<int:listing_id>/<slug:action>/",
        vendors.vendor_listing_action,
        name="vendor_listing_action",
    ),
    path(
        f"{ORGANIZATION}engagements/",
        vendors.organization_engagements,
        name="organization_engagements",
    ),
    path(
        f"{ORGANIZATION}engagements/<int:engagement_id>/<slug:action>/",
        vendors.engagement_action,
        name="engagement_action",
    ),
    path(
        f"{ORGANIZATION}jobs/<int:job_id>/vendor-rating/",
        vendors.vendor_rating_page,
        name="vendor_rating",
    ),
    path(f"{ORGANIZATION}vendor-jobs/", vendors.vendor_jobs, name="vendor_jobs"),
    path("invitations/<str:token>/", views.invitation_detail, name="invitation_detail"),
    path(
        "workforce-invitations/<str:token>/",
        views.workforce_invitation_detail,
        name="workforce_invitation_detail",
    ),
]
