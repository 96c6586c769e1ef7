"""Page routes: home, organizations and their members, invitations, keys, profiles."""

from django.urls import path

from marketplace.pages import views

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
    path("invitations/<str:token>/", views.invitation_detail, name="invitation_detail"),
    path(
        "workforce-invitations/<str:token>/",
        views.workforce_invitation_detail,
        name="workforce_invitation_detail",
    ),
]
