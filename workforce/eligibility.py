"""The one place that decides whether a worker may work on a job.

Discovery, preview, accept and dispatch all call it. The workforces issue adds
qualifications and vendor workforces here.
"""

from functools import cache

from django.db.models import Exists, OuterRef, Q, QuerySet

from jobs.models import JobStatus, LabelingJob
from workforce.models import (
    WorkerBlock,
    WorkerProfile,
    Workforce,
    WorkforceKind,
    WorkforceMember,
)


def worker_is_active(*, worker: WorkerProfile) -> bool:
    """An active user with a verified email: the precondition for any work."""
    return worker.user.is_active and worker.user.has_verified_email


def jobs_open_to_worker(*, worker: WorkerProfile) -> QuerySet[LabelingJob]:
    """Running jobs whose workforce includes `worker` and whose requester has not blocked
    them. Callers check `worker_is_active` once per request."""
    member = WorkforceMember.objects.filter(workforce=OuterRef("workforce"), worker=worker)
    blocked = WorkerBlock.objects.filter(organization=OuterRef("organization"), worker=worker)
    return LabelingJob.objects.filter(status=JobStatus.RUNNING).filter(
        (Q(workforce__kind=WorkforceKind.PUBLIC) | Exists(member)) & ~Exists(blocked)
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
    """  # noqa: S608


def worker_is_eligible(*, worker: WorkerProfile, job: LabelingJob) -> bool:
    """Whether `worker` may take work from `job` now."""
    return (
        worker_is_active(worker=worker)
        and jobs_open_to_worker(worker=worker).filter(pk=job.pk).exists()
    )
