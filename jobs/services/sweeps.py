"""Periodic sweeps run by Celery beat: expired leases, auto-approval, HIT expiry and job
expiry. Each works in batches, each batch its own transaction that skips rows another
transaction holds (they are picked up next time), and each is idempotent: a second run
finds nothing more to do.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from jobs.models import (
    HIT,
    OPEN_HIT_STATUSES,
    Assignment,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.dispatch import assignment_end_locked
from jobs.services.jobs import (
    ENDED_JOB_STATUSES,
    hits_close,
    job_complete_locked,
    job_hits_close,
    job_stop_locked,
    lock_options,
)
from jobs.services.review import assignment_auto_approve_locked

EXPIRED_REASON = "task availability lifetime ended"


def _in_batches(batch, *, now: datetime | None, batch_size: int) -> int:
    """Run `batch(now, batch_size) -> processed` in its own transaction until a batch comes
    back short (nothing left, or the rest is locked by others for now)."""
    total = 0
    while True:
        with transaction.atomic():
            processed = batch(now or timezone.now(), batch_size)
        total += processed
        if processed < batch_size:
            return total


def assignments_expire_leases(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Accepted assignments past their deadline -> abandoned; their slots reopen."""
    return _in_batches(_expire_leases_batch, now=now, batch_size=batch_size)


def _expire_leases_batch(now: datetime, batch_size: int) -> int:
    # Uses index: assignment_live_deadline (deadline) WHERE status = 'Accepted'.
    candidates = list(
        Assignment.objects.filter(status=AssignmentStatus.ACCEPTED, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", "hit_id")[:batch_size]
    )
    if not candidates:
        return 0
    # Lock order: HITs first (skipping those a claim or submit holds), then assignments.
    hits = {
        hit.pk: hit
        for hit in HIT.objects.select_for_update(**lock_options(skip_locked=True))
        .filter(pk__in={hit_id for _, hit_id in candidates})
        .order_by("pk")
    }
    assignments = list(
        Assignment.objects.select_for_update(**lock_options())
        .filter(
            pk__in=[pk for pk, hit_id in candidates if hit_id in hits],
            status=AssignmentStatus.ACCEPTED,
            deadline__lte=now,
        )
        .order_by("pk")
    )
    for assignment in assignments:
        assignment_end_locked(
            hit=hits[assignment.hit_id],
            assignment=assignment,
            status=AssignmentStatus.ABANDONED,
            now=now,
        )
    return len(assignments)


def assignments_auto_approve(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Submitted assignments whose auto-approval time has come -> approved. Those the
    job's money cannot pay yet stay submitted for a later sweep (skipped in this one)."""
    unpaid: set[int] = set()

    def batch(now: datetime, batch_size: int) -> int:
        return _auto_approve_batch(now, batch_size, unpaid=unpaid)

    return _in_batches(batch, now=now, batch_size=batch_size)


def _auto_approve_batch(now: datetime, batch_size: int, *, unpaid: set[int]) -> int:
    # Uses index: assignment_auto_approval (auto_approval_at) WHERE status = 'Submitted'.
    assignments = list(
        Assignment.objects.select_for_update(**lock_options(skip_locked=True))
        .filter(status=AssignmentStatus.SUBMITTED, auto_approval_at__lte=now)
        .exclude(pk__in=unpaid)
        .order_by("auto_approval_at")[:batch_size]
    )
    for assignment in assignments:
        if not assignment_auto_approve_locked(assignment, now=now):
            unpaid.add(assignment.pk)
    return len(assignments)


def hits_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Open HITs past their expiry -> Reviewable. Live assignments keep their lease."""

    def batch(now: datetime, batch_size: int) -> int:
        # Uses index: hit_open_expiry (expires_at) WHERE status IN the open states.
        hits = list(
            HIT.objects.select_for_update(**lock_options(skip_locked=True))
            .filter(status__in=OPEN_HIT_STATUSES, expires_at__lte=now)
            .order_by("expires_at")[:batch_size]
        )
        hits_close(hits=hits, now=now)
        return len(hits)

    return _in_batches(batch, now=now, batch_size=batch_size)


def jobs_finish_expired(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Jobs past their availability lifetime end: a running job completes (objects that
    never went out fail, as in Ground Truth), a paused one stops. Open HITs expire; answers
    still out are consolidated when they arrive. Also finishes closing the HITs of ended
    jobs that a lost task left open. Returns how many jobs ended."""
    ended = _in_batches(_finish_expired_batch, now=now, batch_size=batch_size)
    leftovers = LabelingJob.objects.filter(
        status__in=ENDED_JOB_STATUSES, open_hits__gt=0
    ).values_list("pk", flat=True)[:batch_size]
    for job_id in list(leftovers):
        job_hits_close(job_id=job_id)
    return ended


def _finish_expired_batch(now: datetime, batch_size: int) -> int:
    jobs = list(
        LabelingJob.objects.select_for_update(**lock_options(skip_locked=True))
        .filter(status__in=(JobStatus.RUNNING, JobStatus.PAUSED), expires_at__lte=now)
        .order_by("expires_at")[:batch_size]
    )
    for job in jobs:
        if job.status == JobStatus.PAUSED:
            job_stop_locked(job, actor=None, now=now, reason=EXPIRED_REASON)
            continue
        never_released = (
            DataObject.objects.filter(
                job=job, status=DataObjectStatus.UNLABELED, gold_question__isnull=True
            )
            .exclude(Exists(HIT.objects.filter(data_object=OuterRef("pk"))))
            .update(status=DataObjectStatus.FAILED, updated_at=now)
        )
        if never_released:
            LabelingJob.objects.filter(pk=job.pk).update(
                failed_objects=F("failed_objects") + never_released
            )
            job.failed_objects += never_released
        job_complete_locked(job, reason=EXPIRED_REASON, now=now)
    return len(jobs)
