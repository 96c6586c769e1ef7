"""Page routes for managing private and vendor workforces, their teams and members."""

from django.urls import path

from workforce.pages import workforce_management as views

WORKFORCES = "organizations/<int:organization_id>/workforces/"
WORKFORCE = f"{WORKFORCES}<int:workforce_id>/"
TEAM = f"{WORKFORCE}teams/<int:team_id>/"

# Named organization_*: the site's navigation marks "Organizations" for them.
urlpatterns = [
    path(WORKFORCES, views.workforce_list_page, name="organization_workforces"),
    path(WORKFORCE, views.workforce_detail_page, name="organization_workforce_detail"),
    path(f"{WORKFORCE}rename/", views.workforce_rename_page, name="organization_workforce_rename"),
    path(
        f"{WORKFORCE}invitations/",
        views.workforce_invite_page,
        name="organization_workforce_invite",
    ),
    path(
        f"{WORKFORCE}invitations/<int:invitation_id>/withdraw/",
        views.workforce_invitation_withdraw_page,
        name="organization_workforce_invitation_withdraw",
    ),
    path(
        f"{WORKFORCE}members/<str:worker_id>/remove/",
        views.workforce_member_remove_page,
        name="organization_workforce_member_remove",
    ),
    path(f"{WORKFORCE}teams/", views.team_create_page, name="organization_workforce_team_create"),
    path(TEAM, views.team_update_page, name="organization_workforce_team_update"),
    path(f"{TEAM}delete/", views.team_delete_page, name="organization_workforce_team_delete"),
    path(
        f"{TEAM}members/", views.team_member_add_page, name="organization_workforce_team_member_add"
    ),
    path(
        f"{TEAM}members/<str:worker_id>/remove/",
        views.team_member_remove_page,
        name="organization_workforce_team_member_remove",
    ),
]
