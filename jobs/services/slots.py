"""One more answer for an object whose HIT already took its workers: dynamic overlap asking
for another worker, a rejected answer sent back for rework, a quality rule reopening the
slots of a removed worker. The HIT takes one more assignment and reopens, within the job's
batch of open HITs; when the batch is full the object waits, and hits_release reopens
waiting objects before it releases new ones."""

from datetime import datetime

from django.db.models import F

from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    HIT,
    OPEN_HIT_STATUSES,
    DataObject,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.locking import lock_options
from marketplace.exceptions import Conflict


class SlotOutcome:
    OPEN = "open"  # the HIT was still open: it simply takes one more worker
    REOPENED = "reopened"  # the HIT was closed and is Assignable again
    WAITING = "waiting"  # the batch is full: the object waits for hits_release


def hit_add_slot_locked(*, hit: HIT, job: LabelingJob, now: datetime) -> str:
    """Let the HIT take one more assignment. Caller holds the HIT's row lock (the job's
    lock, if held, must have been taken after it, in the services' lock order).

    Conflict when the job is not running or paused, or the HIT expired or is disposed.
    Returns a SlotOutcome value.
    """
    if job.status not in (JobStatus.RUNNING, JobStatus.PAUSED):
        raise Conflict(
            f'The job is "{job.status}": its tasks can no longer be re-issued.',
            code="job_not_running",
        )
    if hit.status == HITStatus.DISPOSED or hit.expires_at <= now:
        raise Conflict(
            "The HIT has expired: its task can no longer be re-issued.", code="hit_expired"
        )
    if hit.max_assignments >= GOLD_HIT_MAX_ASSIGNMENTS:
        raise Conflict("The HIT takes no more assignments.", code="hit_full")
    if hit.status in OPEN_HIT_STATUSES:
        status = HITStatus.ASSIGNABLE if hit.status == HITStatus.UNASSIGNABLE else hit.status
        HIT.objects.filter(pk=hit.pk).update(
            max_assignments=F("max_assignments") + 1, status=status, updated_at=now
        )
        hit.max_assignments += 1
        hit.status = status
        return SlotOutcome.OPEN
    # A closed HIT reopens only into a free slot of the job's batch.
    took_slot = LabelingJob.objects.filter(
        pk=job.pk, open_hits__lt=F("max_concurrent_tasks")
    ).update(open_hits=F("open_hits") + 1, updated_at=now)
    if took_slot:
        HIT.objects.filter(pk=hit.pk).update(
            max_assignments=F("max_assignments") + 1,
            status=HITStatus.ASSIGNABLE,
            updated_at=now,
        )
        hit.max_assignments += 1
        hit.status = HITStatus.ASSIGNABLE
        return SlotOutcome.REOPENED
    HIT.objects.filter(pk=hit.pk).update(max_assignments=F("max_assignments") + 1, updated_at=now)
    hit.max_assignments += 1
    DataObject.objects.filter(pk=hit.data_object_id).update(needs_more_answers=True, updated_at=now)
    return SlotOutcome.WAITING


def waiting_hits_reopen_locked(*, job: LabelingJob, slots: int, now: datetime) -> int:
    """Reopen up to `slots` HITs of objects waiting for a free slot, oldest first. Caller
    holds the job's row lock; HITs another transaction holds are skipped (they are taken
    after the job here, against the usual order, so this never waits for one)."""
    if slots <= 0:
        return 0
    # Uses index: data_object_needs_more (job, id) WHERE needs_more_answers.
    waiting = list(
        DataObject.objects.filter(job=job, needs_more_answers=True)
        .order_by("id")
        .values_list("pk", flat=True)[:slots]
    )
    if not waiting:
        return 0
    hits = list(
        HIT.objects.select_for_update(**lock_options(skip_locked=True))
        .filter(data_object_id__in=waiting, status=HITStatus.REVIEWABLE, expires_at__gt=now)
        .values_list("pk", "data_object_id")
    )
    if not hits:
        return 0
    HIT.objects.filter(pk__in=[pk for pk, _ in hits]).update(
        status=HITStatus.ASSIGNABLE, updated_at=now
    )
    DataObject.objects.filter(pk__in=[object_id for _, object_id in hits]).update(
        needs_more_answers=False, updated_at=now
    )
    LabelingJob.objects.filter(pk=job.pk).update(
        open_hits=F("open_hits") + len(hits), updated_at=now
    )
    job.open_hits += len(hits)
    return len(hits)
