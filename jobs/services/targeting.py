"""Where a job's work goes: the public crowd, one of its organization's private
workforces (optionally some of its teams), or a vendor's workforce through an accepted
engagement; and the rule that personal data never reaches the public crowd.

`job_target_apply` validates the targeting fields of a job create or update and sets
them on the unsaved job; the teams are many-to-many rows, written by `save_teams` once
the job has its id.
"""

from dataclasses import dataclass, field

from jobs.models import LabelingJob
from jobs.services.locking import lock_options
from marketplace.models import Engagement, EngagementStatus
from workforce.models import Workforce, WorkforceKind, WorkTeam
from workforce.selectors import public_crowd_get

TARGET_FIELDS = ("workforce", "engagement", "teams")
MAX_TEAMS_PER_JOB = 50
NO_SUCH_WORKFORCE = "No such workforce in this organization."


@dataclass
class Target:
    """What `job_target_apply` changed: model field names, and the teams to store."""

    changed: list[str] = field(default_factory=list)
    teams: list[WorkTeam] | None = None  # None: leave the job's teams as they are

    @property
    def teams_changed(self) -> bool:
        return self.teams is not None

    def save_teams(self, job: LabelingJob) -> None:
        """Store the teams on the saved job, and the flag the claim reads."""
        if self.teams is not None:
            job.teams.set(self.teams)
            job.routed_to_teams = bool(self.teams)
            LabelingJob.objects.filter(pk=job.pk).update(routed_to_teams=job.routed_to_teams)


def _id(value, problems: dict, name: str, what: str) -> int | None:
    raw = getattr(value, "pk", value)
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems[name] = [f"Give {what} id."]
        return None
    return raw


def _resolve_workforce(value, *, organization_id: int, problems: dict) -> Workforce | None:
    """The public crowd (None), or a private workforce of this organization (its own
    vendor workforce too, for a vendor labeling its own data); anything else is refused
    without saying whether it exists. Other vendors are reached through engagements."""
    if value is None:
        return public_crowd_get()
    workforce_id = _id(value, problems, "workforce", "a workforce")
    if workforce_id is None:
        return None
    workforce = Workforce.objects.filter(pk=workforce_id).first()
    if workforce is None or (
        workforce.kind != WorkforceKind.PUBLIC and workforce.organization_id != organization_id
    ):
        problems["workforce"] = [NO_SUCH_WORKFORCE]
        return None
    return workforce


def _resolve_engagement(value, *, job: LabelingJob, task_type: str, problems: dict):
    """The organization's own accepted engagement for the job's task type, and the vendor
    workforce it opens; (None, None) for no engagement or a refused one."""
    if value is None:
        return None, None
    engagement_id = _id(value, problems, "engagement", "an engagement")
    if engagement_id is None:
        return None, None
    engagement = (
        Engagement.objects.filter(pk=engagement_id, requester_id=job.organization_id)
        .select_related("vendor")
        .first()
    )
    if engagement is None:
        problems["engagement"] = ["No such engagement in this organization."]
        return None, None
    if engagement.status != EngagementStatus.ACCEPTED:
        problems["engagement"] = [
            f'The engagement is "{engagement.status}"; only an accepted one can take jobs.'
        ]
        return None, None
    if engagement.task_type != task_type:
        problems["engagement"] = [
            f'The engagement is for "{engagement.task_type}" jobs, not "{task_type}".'
        ]
        return None, None
    workforce = Workforce.objects.filter(
        kind=WorkforceKind.VENDOR, organization_id=engagement.vendor.organization_id
    ).first()
    if workforce is None:  # a vendor without its workforce: not yet able to take work
        problems["engagement"] = ["The vendor has no workforce to take the job yet."]
        return None, None
    return engagement, workforce


def _resolve_teams(value, *, workforce: Workforce | None, problems: dict) -> list[WorkTeam]:
    if not isinstance(value, list) or any(
        isinstance(team, bool) or not isinstance(getattr(team, "pk", team), int) for team in value
    ):
        problems["teams"] = ["Give a list of team ids."]
        return []
    ids = [getattr(team, "pk", team) for team in value]
    if len(ids) > MAX_TEAMS_PER_JOB:
        problems["teams"] = [f"At most {MAX_TEAMS_PER_JOB} teams."]
        return []
    if len(set(ids)) != len(ids):
        problems["teams"] = ["A team is listed twice."]
        return []
    if not ids:
        return []
    if workforce is None:
        return []  # the workforce's own problem is reported
    if workforce.kind != WorkforceKind.PRIVATE:
        problems["teams"] = ["Only a private workforce's jobs go to some of its teams."]
        return []
    # Locked until commit, so a concurrent work_team_delete cannot take a team from a
    # job and leave it reaching the whole workforce.
    teams = list(
        WorkTeam.objects.select_for_update(**lock_options())
        .filter(workforce=workforce, pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {team.pk for team in teams})
    if missing:
        problems["teams"] = [f"No team {', '.join(map(str, missing))} in the job's workforce."]
        return []
    return sorted(teams, key=lambda team: ids.index(team.pk))


def _check_personal_information(
    job: LabelingJob, fields: dict, workforce: Workforce | None, *, targeted: bool, problems: dict
) -> None:
    """Data with personal information never goes to the public crowd (Ground Truth's
    content classifiers: only data free of it may)."""
    flag = fields.get("contains_personal_information", job.contains_personal_information)
    if not isinstance(flag, bool):
        problems["contains_personal_information"] = ["Give true or false."]
        return
    if flag and workforce is not None and workforce.kind == WorkforceKind.PUBLIC:
        field_name = "workforce" if targeted else "contains_personal_information"
        problems.setdefault(
            field_name,
            ["Data with personal information cannot go to the public crowd; choose a "
             "private workforce or a vendor."],
        )  # fmt: skip


def job_target_apply(*, job: LabelingJob, fields: dict, task_type: str, problems: dict) -> Target:
    """Take the targeting fields (`workforce`, `engagement`, `teams`) out of `fields`,
    validate them against the job's organization, and set the workforce and engagement
    on `job`. Problems go into `problems` under the field names; nothing is saved.

    An engagement decides the workforce (the vendor's), so `workforce` is then either
    left out or that same workforce. Giving a workforce without an engagement drops the
    job's engagement; changing the workforce drops its teams unless new ones are given.
    """
    target = Target()
    given = {name: fields.pop(name) for name in TARGET_FIELDS if name in fields}
    workforce = job.workforce if job.workforce_id else None
    engagement = job.engagement
    if "engagement" in given:
        engagement, workforce = _resolve_engagement(
            given["engagement"], job=job, task_type=task_type, problems=problems
        )
        if given["engagement"] is None and "workforce" not in given:
            workforce = public_crowd_get() if job.engagement_id else workforce
    elif engagement is not None and "task_type" in fields and task_type != engagement.task_type:
        problems["engagement"] = [
            f'The engagement is for "{engagement.task_type}" jobs, not "{task_type}".'
        ]
    if "workforce" in given:
        chosen = _resolve_workforce(
            given["workforce"], organization_id=job.organization_id, problems=problems
        )
        if engagement is not None and "engagement" in given:
            # The vendor's workforce belongs to the vendor: the engagement stands for it.
            if given["workforce"] is not None and getattr(
                given["workforce"], "pk", given["workforce"]
            ) != getattr(workforce, "pk", None):
                problems["workforce"] = ["Leave out the workforce: the engagement sets it."]
        else:
            workforce, engagement = chosen, None
    _check_personal_information(
        job, fields, workforce, targeted="workforce" in given, problems=problems
    )
    if "teams" in given:
        target.teams = _resolve_teams(given["teams"], workforce=workforce, problems=problems)
    if problems.keys() & set(TARGET_FIELDS):
        return target
    if workforce is not None and workforce.pk != job.workforce_id:
        job.workforce = workforce
        target.changed.append("workforce")
        if target.teams is None and job.pk is not None and job.teams.exists():
            target.teams = []
    if (engagement.pk if engagement else None) != job.engagement_id:
        job.engagement = engagement
        target.changed.append("engagement")
    if target.teams is not None and job.pk is not None:
        current = sorted(job.teams.values_list("pk", flat=True))
        if current == sorted(team.pk for team in target.teams):
            target.teams = None
    elif target.teams == []:
        target.teams = None
    return target
