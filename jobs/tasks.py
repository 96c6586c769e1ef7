"""Celery tasks of the jobs app: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.conf import settings

from jobs.models import LabelingJob
from jobs.services import answers, consolidation, refit, sweeps
from jobs.services import jobs as job_services
from marketplace.exceptions import NotFound


@shared_task(name="jobs.hits_release", ignore_result=True)
def hits_release(job_id: int) -> int:
    """Fill the job's free slots with HITs (enqueued whenever a HIT leaves the open states)."""
    try:
        return job_services.hits_release(job=LabelingJob(pk=job_id))
    except NotFound:  # the job was deleted meanwhile
        return 0


@shared_task(name="jobs.job_hits_close", ignore_result=True)
def job_hits_close(job_id: int) -> int:
    """Expire the open HITs an ended job's own transaction could not take."""
    return job_services.job_hits_close(job_id=job_id)


@shared_task(name="jobs.data_object_consolidate", ignore_result=True)
def data_object_consolidate(data_object_id: int) -> None:
    """Consolidate one object once all its answers are in (enqueued on commit)."""
    try:
        consolidation.data_object_consolidate(data_object_id=data_object_id)
    except NotFound:
        pass


# Consolidation: job-wide refits and objects whose wait for another worker ended.


@shared_task(
    name="jobs.job_refit",
    ignore_result=True,
    soft_time_limit=settings.REFIT_SOFT_TIME_LIMIT,
    time_limit=settings.REFIT_SOFT_TIME_LIMIT + 60,
)
def job_refit(job_id: int) -> None:
    """Re-estimate the job's labels and worker model from all its answers (queued on
    commit every REFIT_EVERY_OBJECTS labeled objects and when the job ends); a second
    run while one is going exits at once."""
    try:
        refit.job_refit(job_id=job_id)
    except NotFound:
        pass


@shared_task(name="jobs.waiting_objects_settle", ignore_result=True)
def waiting_objects_settle() -> int:
    """Label objects that were waiting for another worker when their job ended."""
    return consolidation.waiting_objects_settle()


@shared_task(name="jobs.answer_arrived", ignore_result=True)
def answer_arrived(assignment_id: int) -> None:
    """Score a gold answer and run the job's quality rules (enqueued on a submit's commit)."""
    answers.answer_arrived(assignment_id=assignment_id)


@shared_task(name="jobs.assignments_expire_leases", ignore_result=True)
def assignments_expire_leases() -> int:
    return sweeps.assignments_expire_leases()


@shared_task(name="jobs.assignments_auto_approve", ignore_result=True)
def assignments_auto_approve() -> int:
    return sweeps.assignments_auto_approve()


@shared_task(name="jobs.hits_expire", ignore_result=True)
def hits_expire() -> int:
    return sweeps.hits_expire()


@shared_task(name="jobs.jobs_finish_expired", ignore_result=True)
def jobs_finish_expired() -> int:
    return sweeps.jobs_finish_expired()
