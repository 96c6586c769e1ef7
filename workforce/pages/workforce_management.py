"""Pages where an organization manages its workforces (private ones, and a vendor's vendor
workforce): the list with a create form, and one workforce's members, invitations and
teams. Every POST goes through a service; what the actor may not change is hidden and
refused (403)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from marketplace.exceptions import DomainError, InvalidInput, NotFound
from marketplace.models import MANAGER_ROLES
from marketplace.pages.views import _posted, _submit, domain_errors_as_pages
from marketplace.selectors import organization_access
from workforce import private_workforces, work_teams
from workforce.models import WorkforceInvitationStatus, WorkforceKind, WorkTeamMember
from workforce.selectors import (
    organization_workforce_access,
    organization_workforce_list,
    work_team_access,
    work_team_list,
    worker_by_public_id,
    workforce_invitation_access,
    workforce_invitation_list,
    workforce_member_list,
)

# Forms (the services check the rules; these only shape the input).


class WorkforceForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")


class WorkforceInviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email address")


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100, label="Team name")
    description = forms.CharField(
        max_length=1000, required=False, label="Description", widget=forms.Textarea({"rows": 2})
    )


class TeamMemberForm(forms.Form):
    worker_id = forms.CharField(
        max_length=21,
        label="Worker id",
        help_text="A member of this workforce.",
        widget=forms.TextInput({"list": "workforce-worker-ids", "autocomplete": "off"}),
    )


# Helpers.


def _access(request, organization_id, workforce_id=None):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    if workforce_id is None:
        return organization, membership, None
    workforce = organization_workforce_access(organization=organization, workforce_id=workforce_id)
    return organization, membership, workforce


def _can_manage(workforce, membership) -> bool:
    """The same rule as workforce_change_require, for what the page shows."""
    return workforce.kind == WorkforceKind.PRIVATE or membership.role in MANAGER_ROLES


def _detail_url(workforce, anchor: str = "") -> str:
    url = reverse(
        "organization_workforce_detail",
        kwargs={"organization_id": workforce.organization_id, "workforce_id": workforce.pk},
    )
    return f"{url}#{anchor}" if anchor else url


def _render_detail(
    request,
    organization,
    membership,
    workforce,
    *,
    status: int = 200,
    team_forms: dict | None = None,
    **extra,
):
    """The workforce page; `team_forms` maps a team id to the bound form that failed on it
    ({"rename": form} or {"add": form}), shown in that team's box."""
    team_forms = team_forms or {}
    teams = list(
        work_team_list(workforce=workforce).prefetch_related(
            Prefetch(
                "members",
                queryset=WorkTeamMember.objects.select_related("worker__user").order_by(
                    "created_at", "id"
                ),
            )
        )
    )
    for team in teams:
        failed = team_forms.get(team.pk, {})
        auto_id = f"id_team{team.pk}_%s"
        team.rename_form = failed.get("rename") or TeamForm(
            initial={"name": team.name, "description": team.description}, auto_id=auto_id
        )
        team.add_form = failed.get("add") or TeamMemberForm(auto_id=f"id_team{team.pk}_add_%s")
    context = {
        "organization": organization,
        "membership": membership,
        "workforce": workforce,
        "can_manage": _can_manage(workforce, membership),
        "members": list(workforce_member_list(workforce=workforce)),
        "invitations": workforce_invitation_list(workforce=workforce)
        .filter(status=WorkforceInvitationStatus.PENDING)
        .select_related("invited_by"),
        "teams": teams,
        "rename_form": WorkforceForm(initial={"name": workforce.name}, auto_id="id_rename_%s"),
        "invite_form": WorkforceInviteForm(),
        "team_form": TeamForm(auto_id="id_new_team_%s"),
        **extra,
    }
    return render(request, "workforces/workforce_detail.html", context, status=status)


def _action(request, organization, membership, workforce, call, success: str, anchor: str):
    """Run a form-less action (withdraw, remove, delete); a refusal is shown on the page."""
    try:
        call()
    except DomainError as error:
        return _render_detail(
            request,
            organization,
            membership,
            workforce,
            status=error.status_code,
            action_errors=[error.message],
        )
    messages.success(request, success)
    return redirect(_detail_url(workforce, anchor))


# Views.


@login_required
@domain_errors_as_pages
def workforce_list_page(request, organization_id):
    organization, membership, _workforce = _access(request, organization_id)
    form = WorkforceForm(_posted(request))
    status = 200
    if request.method == "POST":
        status, created = _submit(
            form,
            lambda data: private_workforces.workforce_create(
                actor=request.user, organization=organization, name=data["name"]
            ),
        )
        if status is None:
            messages.success(request, f"{created.name} is ready. Invite its workers.")
            return redirect(_detail_url(created))
    return render(
        request,
        "workforces/workforce_list.html",
        {
            "organization": organization,
            "membership": membership,
            "workforces": organization_workforce_list(organization=organization),
            "form": form,
        },
        status=status,
    )


@login_required
@domain_errors_as_pages
def workforce_detail_page(request, organization_id, workforce_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    return _render_detail(request, organization, membership, workforce)


@login_required
@require_POST
@domain_errors_as_pages
def workforce_rename_page(request, organization_id, workforce_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    form = WorkforceForm(request.POST, auto_id="id_rename_%s")
    status, renamed = _submit(
        form,
        lambda data: private_workforces.workforce_rename(
            actor=request.user, workforce=workforce, name=data["name"]
        ),
    )
    if status is None:
        messages.success(request, f"The workforce is now called {renamed.name}.")
        return redirect(_detail_url(workforce))
    return _render_detail(
        request, organization, membership, workforce, status=status, rename_form=form
    )


@login_required
@require_POST
@domain_errors_as_pages
def workforce_invite_page(request, organization_id, workforce_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    form = WorkforceInviteForm(request.POST)
    status, invitation = _submit(
        form,
        lambda data: private_workforces.workforce_invite(
            actor=request.user, workforce=workforce, email=data["email"]
        ),
    )
    if status is None:
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect(_detail_url(workforce, "invitations"))
    return _render_detail(
        request, organization, membership, workforce, status=status, invite_form=form
    )


@login_required
@require_POST
@domain_errors_as_pages
def workforce_invitation_withdraw_page(request, organization_id, workforce_id, invitation_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    invitation = workforce_invitation_access(workforce=workforce, invitation_id=invitation_id)
    return _action(
        request,
        organization,
        membership,
        workforce,
        lambda: private_workforces.workforce_invitation_revoke(
            actor=request.user, invitation=invitation
        ),
        f"The invitation to {invitation.email} was withdrawn.",
        "invitations",
    )


@login_required
@require_POST
@domain_errors_as_pages
def workforce_member_remove_page(request, organization_id, workforce_id, worker_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    worker = worker_by_public_id(worker_id=worker_id)
    return _action(
        request,
        organization,
        membership,
        workforce,
        lambda: private_workforces.workforce_member_remove(
            actor=request.user, workforce=workforce, worker=worker
        ),
        f"{worker.worker_id} was removed from {workforce.name}.",
        "members",
    )


@login_required
@require_POST
@domain_errors_as_pages
def team_create_page(request, organization_id, workforce_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    form = TeamForm(request.POST, auto_id="id_new_team_%s")
    status, team = _submit(
        form,
        lambda data: work_teams.work_team_create(actor=request.user, workforce=workforce, **data),
    )
    if status is None:
        messages.success(request, f"The team {team.name} was created.")
        return redirect(_detail_url(workforce, f"team-{team.pk}"))
    return _render_detail(
        request, organization, membership, workforce, status=status, team_form=form
    )


@login_required
@require_POST
@domain_errors_as_pages
def team_update_page(request, organization_id, workforce_id, team_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    team = work_team_access(workforce=workforce, team_id=team_id)
    form = TeamForm(request.POST, auto_id=f"id_team{team.pk}_%s")
    status, updated = _submit(
        form, lambda data: work_teams.work_team_update(actor=request.user, team=team, **data)
    )
    if status is None:
        messages.success(request, f"The team {updated.name} was saved.")
        return redirect(_detail_url(workforce, f"team-{team.pk}"))
    return _render_detail(
        request,
        organization,
        membership,
        workforce,
        status=status,
        team_forms={team.pk: {"rename": form}},
    )


@login_required
@require_POST
@domain_errors_as_pages
def team_delete_page(request, organization_id, workforce_id, team_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    team = work_team_access(workforce=workforce, team_id=team_id)
    return _action(
        request,
        organization,
        membership,
        workforce,
        lambda: work_teams.work_team_delete(actor=request.user, team=team),
        f"The team {team.name} was deleted.",
        "teams",
    )


def _worker_field(worker_id):
    try:
        return worker_by_public_id(worker_id=worker_id.strip())
    except NotFound:
        raise InvalidInput(fields={"worker_id": ["No worker has this id."]}) from None


@login_required
@require_POST
@domain_errors_as_pages
def team_member_add_page(request, organization_id, workforce_id, team_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    team = work_team_access(workforce=workforce, team_id=team_id)
    form = TeamMemberForm(request.POST, auto_id=f"id_team{team.pk}_add_%s")
    status, member = _submit(
        form,
        lambda data: work_teams.work_team_member_add(
            actor=request.user, team=team, worker=_worker_field(data["worker_id"])
        ),
    )
    if status is None:
        messages.success(request, f"{member.worker.worker_id} is in {team.name}.")
        return redirect(_detail_url(workforce, f"team-{team.pk}"))
    return _render_detail(
        request,
        organization,
        membership,
        workforce,
        status=status,
        team_forms={team.pk: {"add": form}},
    )


@login_required
@require_POST
@domain_errors_as_pages
def team_member_remove_page(request, organization_id, workforce_id, team_id, worker_id):
    organization, membership, workforce = _access(request, organization_id, workforce_id)
    team = work_team_access(workforce=workforce, team_id=team_id)
    worker = worker_by_public_id(worker_id=worker_id)
    return _action(
        request,
        organization,
        membership,
        workforce,
        lambda: work_teams.work_team_member_remove(actor=request.user, team=team, worker=worker),
        f"{worker.worker_id} was taken out of {team.name}.",
        f"team-{team.pk}",
    )
