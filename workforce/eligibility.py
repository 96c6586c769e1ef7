"""The one place that decides whether a worker may work on a job.

Discovery, preview, accept and dispatch all call it. The workforces issue adds
qualifications and vendor workforces here.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from jobs.models import JobStatus, LabelingJob
from workforce.models import WorkerBlock, WorkerProfile, WorkforceKind, WorkforceMember


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


def worker_is_eligible(*, worker: WorkerProfile, job: LabelingJob) -> bool:
    """Whether `worker` may take work from `job` now."""
    return (
        worker_is_active(worker=worker)
        and jobs_open_to_worker(worker=worker).filter(pk=job.pk).exists()
    )
