"""Consolidation: one data object's answers become its label and confidence, through its
task type, once every answer it will get is in."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import (
    HIT,
    OPEN_HIT_STATUSES,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.jobs import job_complete_locked, job_completion_reason, job_lock, lock_options
from jobs.tasktypes import task_type_get
from marketplace.exceptions import NotFound

# Rejected answers do not count.
COUNTED_ASSIGNMENT_STATUSES = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
STATUS_COUNTERS = {
    DataObjectStatus.HUMAN_LABELED: "human_labeled",
    DataObjectStatus.MACHINE_LABELED: "machine_labeled",
    DataObjectStatus.FAILED: "failed_objects",
}


def answers_are_in(hit: HIT) -> bool:
    """Every answer the HIT will get is in: all its assignments are submitted, or it is no
    longer open (expired or its job ended) and nobody holds a lease on it."""
    if hit.assignments_pending > 0:
        return False
    return hit.assignments_completed >= hit.max_assignments or hit.status not in OPEN_HIT_STATUSES


@transaction.atomic
def data_object_consolidate(*, data_object_id: int) -> DataObject:
    """Consolidate the object's submitted and approved answers into its label, confidence
    and metadata, and move the job's label counters; completes the job when nothing is left.

    Idempotent: it recomputes from the answers, so running it again (or after a review
    changed which answers count) writes only what changed. An object whose answers are
    not all in yet, or that a model labeled, is returned unchanged. With no answer that
    counts, the object fails, except in a stopped job, where it stays unlabeled.
    """
    try:
        data_object = (
            DataObject.objects.select_for_update(**lock_options())
            .select_related("job")
            .get(pk=data_object_id)
        )
    except DataObject.DoesNotExist:
        raise NotFound() from None
    if data_object.status == DataObjectStatus.MACHINE_LABELED or data_object.gold_question_id:
        return data_object
    hit = HIT.objects.filter(data_object=data_object).first()
    if hit is None or not answers_are_in(hit):
        return data_object

    job = data_object.job
    answers = list(
        hit.assignments.filter(status__in=COUNTED_ASSIGNMENT_STATUSES)
        .order_by("submitted_at", "id")
        .values_list("answer", flat=True)
    )
    if answers:
        result = task_type_get(job.task_type).consolidate(
            answers, labels=job.labels, data=data_object.data
        )
        status, label, confidence, metadata = (
            DataObjectStatus.HUMAN_LABELED,
            result.label,
            result.confidence,
            dict(result.metadata),
        )
    elif job.status == JobStatus.STOPPED:
        status, label, confidence, metadata = DataObjectStatus.UNLABELED, None, None, None
    else:
        status, label, confidence, metadata = DataObjectStatus.FAILED, None, None, None

    old_status = data_object.status
    if (old_status, data_object.label, data_object.confidence, data_object.label_metadata) == (
        status,
        label,
        confidence,
        metadata,
    ):
        return data_object
    now = timezone.now()
    data_object.status = status
    data_object.label = label
    data_object.confidence = confidence
    data_object.label_metadata = metadata
    data_object.labeled_at = now if status == DataObjectStatus.HUMAN_LABELED else None
    data_object.save(
        update_fields=[
            "status",
            "label",
            "confidence",
            "label_metadata",
            "labeled_at",
            "updated_at",
        ]
    )
    if old_status != status:
        deltas = {}
        if old_status in STATUS_COUNTERS:
            deltas[STATUS_COUNTERS[old_status]] = F(STATUS_COUNTERS[old_status]) - 1
        if status in STATUS_COUNTERS:
            deltas[STATUS_COUNTERS[status]] = F(STATUS_COUNTERS[status]) + 1
        LabelingJob.objects.filter(pk=job.pk).update(**deltas, updated_at=now)
        job = job_lock(job_id=job.pk)
        if job.status == JobStatus.RUNNING:
            reason = job_completion_reason(job)
            if reason is not None:
                job_complete_locked(job, reason=reason, now=now)
        data_object.job = job
    return data_object
