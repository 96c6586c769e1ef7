"""The one place that decides whether a worker may work on a job.

Discovery, preview, accept and dispatch all call it, naming the action: a job's
qualification requirements guard some actions and not others (Mechanical Turk's
ActionsGuarded), so a worker may discover a job they may not yet accept.
"""

from enum import IntEnum
from functools import cache

from allauth.account.models import EmailAddress
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from jobs.models import JobStatus, JobWorker, LabelingJob
from workforce.models import (
    ActionsGuarded,
    Comparator,
    Qualification,
    QualificationRequirement,
    QualificationRequirementValue,
    QualificationStatus,
    WorkerBlock,
    WorkerProfile,
    Workforce,
    WorkforceKind,
    WorkforceMember,
    WorkTeamMember,
)

# The job-to-team rows: a job with none goes to its whole workforce.
JobTeam = LabelingJob.teams.through


class Action(IntEnum):
    """What the worker wants to do with a job, least to most restricted."""

    DISCOVER = 1
    PREVIEW = 2
    ACCEPT = 3


# The least restricted action each ActionsGuarded value guards (it guards all above too).
GUARDED_FROM = {
    ActionsGuarded.DISCOVER_PREVIEW_AND_ACCEPT: Action.DISCOVER,
    ActionsGuarded.PREVIEW_AND_ACCEPT: Action.PREVIEW,
    ActionsGuarded.ACCEPT: Action.ACCEPT,
}

# How each integer comparator compares the worker's value (left) with the required one.
ORDERING = {
    Comparator.LESS_THAN: "<",
    Comparator.LESS_THAN_OR_EQUAL_TO: "<=",
    Comparator.GREATER_THAN: ">",
    Comparator.GREATER_THAN_OR_EQUAL_TO: ">=",
}


@cache
def unmet_requirement_sql(action: Action, *, job: str, worker: str) -> str:
    """SQL that is true when the job whose id is the SQL expression `job` has a
    qualification requirement guarding `action` that the worker (the placeholder
    `worker`) does not meet.

    Mechanical Turk's rules: every comparator but DoesNotExist needs a granted (not
    revoked) qualification; EqualTo / In match any listed value (a locale matches on its
    country, and on its subdivision when the requirement names one); NotEqualTo / NotIn
    match none of them; the ordering comparators compare integer values.
    """
    requirement = QualificationRequirement._meta.db_table
    value, held = QualificationRequirementValue._meta.db_table, Qualification._meta.db_table
    guards = ", ".join(
        f"'{guard}'" for guard, guarded_from in GUARDED_FROM.items() if guarded_from <= action
    )
    matches = f"""EXISTS (
          SELECT 1 FROM {value} listed WHERE listed.requirement_id = requirement.id AND (
            listed.integer_value = held.integer_value
            OR (listed.country <> '' AND listed.country = held.locale_country
                AND (listed.subdivision = '' OR listed.subdivision = held.locale_subdivision))
          ))"""  # noqa: S608
    ordering = "\n".join(
        f"""WHEN '{comparator}' THEN EXISTS (
              SELECT 1 FROM {value} listed WHERE listed.requirement_id = requirement.id
                AND held.integer_value {operator} listed.integer_value)"""  # noqa: S608
        for comparator, operator in ORDERING.items()
    )
    # Only table names, constants and the caller's SQL names are formatted in.
    return f"""EXISTS (
        SELECT 1 FROM {requirement} requirement
        LEFT JOIN {held} held
          ON held.qualification_type_id = requirement.qualification_type_id
          AND held.worker_id = {worker} AND held.status = '{QualificationStatus.GRANTED}'
        WHERE requirement.job_id = {job} AND requirement.actions_guarded IN ({guards})
          AND NOT (CASE requirement.comparator
            WHEN '{Comparator.EXISTS}' THEN held.id IS NOT NULL
            WHEN '{Comparator.DOES_NOT_EXIST}' THEN held.id IS NULL
            WHEN '{Comparator.EQUAL_TO}' THEN {matches}
            WHEN '{Comparator.IN}' THEN {matches}
            WHEN '{Comparator.NOT_EQUAL_TO}' THEN held.id IS NOT NULL AND NOT {matches}
            WHEN '{Comparator.NOT_IN}' THEN held.id IS NOT NULL AND NOT {matches}
            {ordering}
            ELSE FALSE END)
      )"""  # noqa: S608


def worker_is_active(*, worker: WorkerProfile) -> bool:
    """An active user with a verified email whom staff have not suspended: the
    precondition for any new work."""
    return worker.user.is_active and worker.user.has_verified_email and worker.suspended_at is None


def jobs_open_to_worker(
    *, worker: WorkerProfile, action: Action = Action.ACCEPT
) -> QuerySet[LabelingJob]:
    """Running jobs whose workforce includes `worker` (the public crowd; or a private or
    vendor workforce they are a member of, and one of the job's teams if it names any),
    whose requester has not blocked them, that have not removed them (a quality rule's
    remove_from_job), and whose qualification requirements guarding `action` they meet.
    Callers check `worker_is_active` once per request."""
    member = WorkforceMember.objects.filter(workforce=OuterRef("workforce"), worker=worker)
    blocked = WorkerBlock.objects.filter(organization=OuterRef("organization"), worker=worker)
    in_a_team = JobTeam.objects.filter(
        Exists(WorkTeamMember.objects.filter(team=OuterRef("workteam"), worker=worker)),
        labelingjob=OuterRef("pk"),
    )
    job = LabelingJob._meta.db_table
    # A self-contained subquery (its own alias), so the queryset nests in others safely.
    unmet = RawSQL(  # noqa: S611 - table names and constants only; values are parameters
        f"SELECT unmet_job.id FROM {job} unmet_job WHERE unmet_job.status = %s AND "  # noqa: S608
        + unmet_requirement_sql(action, job="unmet_job.id", worker="%s"),
        [JobStatus.RUNNING, worker.pk],
    )
    # Read from the database, not the (possibly older) instance: a suspension is at once.
    suspended = WorkerProfile.objects.filter(pk=worker.pk, suspended_at__isnull=False)
    # Uses index: job_worker_removed (worker, job) WHERE removed_at IS NOT NULL.
    removed = JobWorker.objects.filter(job=OuterRef("pk"), worker=worker, removed_at__isnull=False)
    return (
        LabelingJob.objects.filter(status=JobStatus.RUNNING)
        .filter((Q(workforce__kind=WorkforceKind.PUBLIC) | Exists(member)) & ~Exists(blocked))
        .filter(Q(routed_to_teams=False) | Exists(in_a_team))
        .exclude(pk__in=unmet)
        .exclude(Exists(suspended))
        .exclude(Exists(removed))
    )


@cache
def jobs_open_to_worker_sql() -> str:
    """`jobs_open_to_worker` as a raw SQL subquery selecting job ids, for dispatch's
    one-statement claim (building the queryset costs more CPU than the claim's SQL).

    Takes the named parameter %(worker)s. Keep it in step with `jobs_open_to_worker`;
    tests/jobs/test_dispatch.py (claims across public, private and blocking jobs) runs
    the claim through it on PostgreSQL.
    """
    job, workforce = LabelingJob._meta.db_table, Workforce._meta.db_table
    member, blocked = WorkforceMember._meta.db_table, WorkerBlock._meta.db_table
    profile, job_worker = WorkerProfile._meta.db_table, JobWorker._meta.db_table
    job_team, team_member = JobTeam._meta.db_table, WorkTeamMember._meta.db_table
    # Only table names and constants are formatted in; every value is a parameter.
    return f"""
        SELECT open_job.id FROM {job} open_job
        JOIN {workforce} job_workforce ON job_workforce.id = open_job.workforce_id
        WHERE open_job.status = '{JobStatus.RUNNING}'
          AND (
            job_workforce.kind = '{WorkforceKind.PUBLIC}'
            OR EXISTS (
              SELECT 1 FROM {member} member
              WHERE member.workforce_id = open_job.workforce_id
                AND member.worker_id = %(worker)s
            )
          )
          AND NOT EXISTS (
            SELECT 1 FROM {blocked} blocked
            WHERE blocked.organization_id = open_job.organization_id
              AND blocked.worker_id = %(worker)s
          )
          AND (
            NOT open_job.routed_to_teams
            OR EXISTS (
              SELECT 1 FROM {job_team} routed
              JOIN {team_member} team_member ON team_member.team_id = routed.workteam_id
              WHERE routed.labelingjob_id = open_job.id AND team_member.worker_id = %(worker)s
            )
          )
          AND NOT {unmet_requirement_sql(Action.ACCEPT, job="open_job.id", worker="%(worker)s")}
          AND NOT EXISTS (
            SELECT 1 FROM {profile} suspended
            WHERE suspended.id = %(worker)s AND suspended.suspended_at IS NOT NULL
          )
          AND NOT EXISTS (
            -- Uses index: job_worker_removed (worker, job) WHERE removed_at IS NOT NULL.
            SELECT 1 FROM {job_worker} removed
            WHERE removed.worker_id = %(worker)s AND removed.job_id = open_job.id
              AND removed.removed_at IS NOT NULL
          )
    """  # noqa: S608


def worker_is_eligible(
    *, worker: WorkerProfile, job: LabelingJob, action: Action = Action.ACCEPT
) -> bool:
    """Whether `worker` may do `action` with `job` now."""
    return (
        worker_is_active(worker=worker)
        and jobs_open_to_worker(worker=worker, action=action).filter(pk=job.pk).exists()
    )


def workers_eligible_for_job(
    *, job: LabelingJob, action: Action = Action.ACCEPT
) -> QuerySet[WorkerProfile]:
    """The workers who may do `action` with `job` whatever its status: active, verified
    and not suspended, in its workforce (and one of its teams if it names any), not
    blocked by its requester nor removed from the job, meeting its requirements guarding
    `action`. A vendor sees
    through it which of its workers a routed job reaches; `jobs_open_to_worker` is the
    same rule from the worker's side."""
    verified = EmailAddress.objects.filter(
        user=OuterRef("user"), email__iexact=OuterRef("user__email"), verified=True
    )
    blocked = WorkerBlock.objects.filter(organization=job.organization_id, worker=OuterRef("pk"))
    teams = JobTeam.objects.filter(labelingjob=job.pk).values("workteam")
    in_a_team = WorkTeamMember.objects.filter(worker=OuterRef("pk"), team__in=teams)
    profile = WorkerProfile._meta.db_table
    unmet = RawSQL(  # noqa: S611 - table names and constants only; values are parameters
        unmet_requirement_sql(action, job="%s", worker=f"{profile}.id"),
        [job.pk],
        output_field=BooleanField(),
    )
    workers = WorkerProfile.objects.filter(
        Exists(verified), user__is_active=True, suspended_at__isnull=True
    )
    if job.workforce.kind != WorkforceKind.PUBLIC:
        member = WorkforceMember.objects.filter(workforce=job.workforce_id, worker=OuterRef("pk"))
        workers = workers.filter(Exists(member))
    removed = JobWorker.objects.filter(job=job.pk, worker=OuterRef("pk"), removed_at__isnull=False)
    return (
        workers.filter(~Exists(teams) | Exists(in_a_team))
        .exclude(Exists(blocked))
        .exclude(Exists(removed))
        .exclude(unmet)
        .order_by("worker_id")
    )
