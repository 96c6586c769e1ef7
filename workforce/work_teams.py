"""Writes for work teams, the named groups inside a private or vendor workforce that a job
may target: create, rename, delete, add and remove members.

Who may change a team is who may change its workforce (workforce_change_require). Lock
order: the team row, then the worker's workforce membership row.
"""

from django.db import IntegrityError, transaction

from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import User
from workforce.models import (
    WorkerProfile,
    Workforce,
    WorkforceKind,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)
from workforce.private_workforces import workforce_change_require

MAX_TEAM_NAME_LENGTH = 100
MAX_TEAM_DESCRIPTION_LENGTH = 1000
TEAM_WORKFORCE_KINDS = (WorkforceKind.PRIVATE, WorkforceKind.VENDOR)


def _name_clean(name) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_TEAM_NAME_LENGTH:
        raise InvalidInput(
            fields={"name": [f"Give a name of 1 to {MAX_TEAM_NAME_LENGTH} characters."]}
        )
    return name.strip()


def _description_clean(description) -> str:
    if not isinstance(description, str) or len(description.strip()) > MAX_TEAM_DESCRIPTION_LENGTH:
        raise InvalidInput(
            fields={
                "description": [f"At most {MAX_TEAM_DESCRIPTION_LENGTH} characters."],
            }
        )
    return description.strip()


def _save_named(team: WorkTeam) -> WorkTeam:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise InvalidInput(
            fields={"name": ["The workforce already has a team with this name."]}
        ) from None
    return team


def _team_lock(team: WorkTeam) -> WorkTeam:
    try:
        return WorkTeam.objects.select_for_update().get(pk=team.pk)
    except WorkTeam.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def work_team_create(
    *, actor: User, workforce: Workforce, name: str, description: str = ""
) -> WorkTeam:
    """A new team in a private or vendor workforce (the name unique in the workforce)."""
    if workforce.kind not in TEAM_WORKFORCE_KINDS:
        raise NotFound()
    workforce_change_require(actor=actor, workforce=workforce)
    team = WorkTeam(
        workforce=workforce, name=_name_clean(name), description=_description_clean(description)
    )
    return _save_named(team)


@transaction.atomic
def work_team_update(
    *, actor: User, team: WorkTeam, name: str | None = None, description: str | None = None
) -> WorkTeam:
    """Rename the team and/or change its description; the same values change nothing."""
    workforce_change_require(actor=actor, workforce=team.workforce)
    changes = {}
    if name is not None:
        changes["name"] = _name_clean(name)
    if description is not None:
        changes["description"] = _description_clean(description)
    team = _team_lock(team)
    changed = [field for field, value in changes.items() if getattr(team, field) != value]
    if not changed:
        return team
    for field in changed:
        setattr(team, field, changes[field])
    try:
        with transaction.atomic():
            team.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise InvalidInput(
            fields={"name": ["The workforce already has a team with this name."]}
        ) from None
    return team


@transaction.atomic
def work_team_delete(*, actor: User, team: WorkTeam) -> None:
    """Delete the team and its memberships; refused while a job that has not ended (a
    draft too) targets it: the job would silently reach the whole workforce instead. The
    job service locks the teams it sets, so a draft cannot take the team meanwhile."""
    from jobs.models import JobStatus

    workforce_change_require(actor=actor, workforce=team.workforce)
    team = _team_lock(team)
    live = [JobStatus.DRAFT, JobStatus.RUNNING, JobStatus.PAUSED]
    if team.labeling_jobs.filter(status__in=live).exists():
        raise Conflict(
            (
                "A draft, running or paused job targets this team: "
                "take it off the draft or stop the job first."
            ),
            code="team_in_use",
        )
    team.delete()


@transaction.atomic
def work_team_member_add(*, actor: User, team: WorkTeam, worker: WorkerProfile) -> WorkTeamMember:
    """Put a member of the team's workforce in the team; adding them again returns their
    place unchanged."""
    workforce_change_require(actor=actor, workforce=team.workforce)
    team = _team_lock(team)
    # The membership row stays locked until commit: workforce_member_remove waits for us,
    # then removes the team place made here along with the membership.
    membership = (
        WorkforceMember.objects.select_for_update()
        .filter(workforce_id=team.workforce_id, worker=worker)
        .first()
    )
    if membership is None:
        raise InvalidInput(
            fields={"worker_id": ["This worker is not a member of the team's workforce."]}
        )
    member, _created = WorkTeamMember.objects.get_or_create(team=team, worker=worker)
    return member


@transaction.atomic
def work_team_member_remove(*, actor: User, team: WorkTeam, worker: WorkerProfile) -> None:
    """Take the worker out of the team (not the workforce); removing someone who is not in
    it changes nothing."""
    workforce_change_require(actor=actor, workforce=team.workforce)
    team = _team_lock(team)
    WorkTeamMember.objects.filter(team=team, worker=worker).delete()
