"""Review: a requester approves or rejects submitted assignments (one or many), overrides a
rejection within 30 days, sends rejected work back for rework (its slot is re-issued to
another worker), and submitted work is approved automatically when its auto-approval time
comes.

Approval and plain rejection lock only assignment rows (in id order), so they never wait
for a HIT and never deadlock a submit or a sweep. Rework re-issues slots, so it locks the
HITs first (in id order), then the assignments, as the services' lock order wants.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import (
    HIT,
    REJECTION_OVERRIDE_WINDOW,
    Assignment,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.consolidation import answers_are_in
from jobs.services.jobs import lock_options
from jobs.services.slots import hit_add_slot_locked
from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import Membership, User
from notifications import events
from payments.escrow import (
    assignment_pay_locked,
    assignment_rehold_locked,
    assignment_release_locked,
)
from payments.exceptions import InsufficientFunds

logger = logging.getLogger(__name__)

FEEDBACK_MAX = 1024  # Assignment.requester_feedback; Mechanical Turk allows 1024 too
# The job counter of each status an object leaves when its work is sent back for rework.
REOPENED_COUNTERS = {
    DataObjectStatus.HUMAN_LABELED: "human_labeled",
    DataObjectStatus.FAILED: "failed_objects",
}


def _feedback_clean(feedback: object, *, required: bool) -> str:
    if not isinstance(feedback, str):
        raise InvalidInput(fields={"feedback": ["Give the feedback as text."]})
    feedback = feedback.strip()
    if required and not feedback:
        raise InvalidInput(
            fields={"feedback": ["Say why the work is rejected; the worker sees this."]}
        )
    if len(feedback) > FEEDBACK_MAX:
        raise InvalidInput(fields={"feedback": [f"At most {FEEDBACK_MAX} characters."]})
    return feedback


def _lock_for_review(*, actor: User, assignments: Iterable[Assignment]) -> list[Assignment]:
    """Lock the assignments in id order, after checking that every one belongs to a job of
    an organization `actor` is a member of (NotFound for any other: reveal nothing)."""
    ids = sorted({assignment.pk for assignment in assignments})
    if not ids:
        raise InvalidInput(fields={"assignments": ["Name at least one assignment."]})
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    locked = list(
        Assignment.objects.select_for_update(**lock_options())
        .select_related("hit")
        .filter(pk__in=ids, hit__job__organization_id__in=organizations)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise NotFound()
    return locked


def _reconsolidate(assignment: Assignment) -> None:
    """Which answers count changed: the object's label is recomputed once all are in (a
    gold object has no label to recompute)."""
    if not assignment.hit.is_gold and answers_are_in(assignment.hit):
        from jobs import tasks

        enqueue_on_commit(tasks.data_object_consolidate, assignment.hit.data_object_id)


def _approve_locked(
    assignment: Assignment, *, feedback: str, override_rejection: bool, now: datetime
) -> None:
    if assignment.status == AssignmentStatus.APPROVED:
        return
    if assignment.status == AssignmentStatus.REJECTED:
        if not override_rejection:
            raise Conflict(
                f"Assignment {assignment.assignment_id} is rejected; approve it with "
                "override_rejection to reverse the rejection.",
                code="assignment_rejected",
            )
        if assignment.submitted_at + REJECTION_OVERRIDE_WINDOW < now:
            raise Conflict(
                f"Assignment {assignment.assignment_id} was submitted more than 30 days ago; "
                "its rejection can no longer be overridden.",
                code="rejection_override_window_passed",
            )
    elif assignment.status != AssignmentStatus.SUBMITTED:
        raise Conflict(
            f'Assignment {assignment.assignment_id} is "{assignment.status}"; only submitted '
            "work can be approved.",
            code="illegal_assignment_transition",
        )
    overridden = assignment.status == AssignmentStatus.REJECTED
    assignment.status = AssignmentStatus.APPROVED
    assignment.approved_at = now
    update_fields = ["status", "approved_at", "updated_at"]
    if feedback:
        assignment.requester_feedback = feedback
        update_fields.append("requester_feedback")
    assignment.save(update_fields=update_fields)
    events.assignment_event_emit(assignment=assignment)
    # Money: the reward to the worker, the fee to the platform, keyed by the assignment so
    # a repeat pays nothing more; InsufficientFunds (402) refuses the approval.
    assignment_pay_locked(assignment=assignment, job=assignment.hit.job)
    if overridden:
        _reconsolidate(assignment)


def _reject_locked(
    assignment: Assignment,
    *,
    feedback: str,
    now: datetime,
    reconsolidate: bool = True,
    release: bool = True,
) -> None:
    if assignment.status == AssignmentStatus.REJECTED:
        return
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise Conflict(
            f'Assignment {assignment.assignment_id} is "{assignment.status}"; only submitted '
            "work can be rejected.",
            code="illegal_assignment_transition",
        )
    if assignment.auto_approval_at is not None and assignment.auto_approval_at <= now:
        raise Conflict(
            f"Assignment {assignment.assignment_id} passed its auto-approval time; it is approved.",
            code="auto_approval_time_passed",
        )
    assignment.status = AssignmentStatus.REJECTED
    assignment.rejected_at = now
    assignment.requester_feedback = feedback
    assignment.save(update_fields=["status", "rejected_at", "requester_feedback", "updated_at"])
    events.assignment_event_emit(assignment=assignment)
    # Money: a plain rejection releases the reward + fee from the hold; rework keeps it for
    # the re-issued slot.
    if release:
        assignment_release_locked(assignment=assignment, job=assignment.hit.job)
    if reconsolidate:
        _reconsolidate(assignment)


@transaction.atomic
def assignments_approve(
    *,
    actor: User,
    assignments: Iterable[Assignment],
    feedback: str = "",
    override_rejection: bool = False,
) -> list[Assignment]:
    """Approve many assignments, all or nothing: one that cannot be approved refuses the
    whole request and changes nothing. Approved ones are returned as they are."""
    feedback = _feedback_clean(feedback, required=False)
    locked = _lock_for_review(actor=actor, assignments=assignments)
    now = timezone.now()
    for assignment in locked:
        _approve_locked(
            assignment, feedback=feedback, override_rejection=override_rejection, now=now
        )
    return locked


def _lock_hits_for_rework(*, actor: User, assignments: Iterable[Assignment]) -> dict[int, HIT]:
    """Lock the HITs of the assignments (in id order, before the assignments themselves),
    with their jobs; NotFound for any assignment outside the actor's organizations."""
    ids = sorted({assignment.pk for assignment in assignments})
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    hit_ids = set(
        Assignment.objects.filter(
            pk__in=ids, hit__job__organization_id__in=organizations
        ).values_list("hit_id", flat=True)
    )
    return {
        hit.pk: hit
        for hit in HIT.objects.select_for_update(**lock_options())
        .select_related("job")
        .filter(pk__in=hit_ids)
        .order_by("pk")
    }


def _check_reissue(assignment: Assignment, hit: HIT, *, now: datetime) -> None:
    """Refuse rework, before anything changes, when the slot cannot be re-issued."""
    job = hit.job
    if job.status not in (JobStatus.RUNNING, JobStatus.PAUSED):
        raise Conflict(
            f"Assignment {assignment.assignment_id} cannot be sent back for rework: its job "
            f'is "{job.status}", so its tasks can no longer be re-issued.',
            code="job_not_running",
        )
    if hit.status == HITStatus.DISPOSED or hit.expires_at <= now:
        raise Conflict(
            f"Assignment {assignment.assignment_id} cannot be sent back for rework: its HIT "
            "has expired.",
            code="hit_expired",
        )
    if hit.is_gold:
        raise Conflict(
            f"Assignment {assignment.assignment_id} answered a control task; there is "
            "nothing to re-issue.",
            code="hit_full",
        )


def _rework_locked(assignment: Assignment, hit: HIT, *, feedback: str, now: datetime) -> None:
    """Reject (if not yet) and re-issue the slot: the HIT takes one more worker. Caller
    holds the HIT's lock, then the assignment's. A re-issued assignment is left alone."""
    if assignment.reissued_at is not None:
        return
    if assignment.status != AssignmentStatus.REJECTED:
        _reject_locked(assignment, feedback=feedback, now=now, reconsolidate=False, release=False)
    else:
        # Rejected plainly before: its released money is held again for the new slot.
        assignment_rehold_locked(assignment=assignment, job=hit.job)
    hit_add_slot_locked(hit=hit, job=hit.job, now=now)
    assignment.reissued_at = now
    assignment.save(update_fields=["reissued_at", "updated_at"])
    _object_reopen_locked(data_object_id=hit.data_object_id, job_id=hit.job_id, now=now)


def _object_reopen_locked(*, data_object_id: int, job_id: int, now: datetime) -> None:
    """The object waits for its re-issued answer unlabeled: it leaves the output and the
    job's counters, so the job cannot complete without that answer; the submit that brings
    it queues the object's consolidation. Locks the object after its HIT and assignment."""
    data_object = DataObject.objects.select_for_update(**lock_options()).get(pk=data_object_id)
    counter = REOPENED_COUNTERS.get(data_object.status)
    if counter is None:
        return
    data_object.status = DataObjectStatus.UNLABELED
    data_object.label = data_object.label_metadata = data_object.confidence = None
    data_object.labeled_at = None
    data_object.save(
        update_fields=[
            "status",
            "label",
            "label_metadata",
            "confidence",
            "labeled_at",
            "updated_at",
        ]
    )
    LabelingJob.objects.filter(pk=job_id).update(**{counter: F(counter) - 1}, updated_at=now)


@transaction.atomic
def assignments_reject(
    *, actor: User, assignments: Iterable[Assignment], feedback: str, rework: bool = False
) -> list[Assignment]:
    """Reject many assignments with the feedback their workers will see, all or nothing.

    With `rework`, each is also sent back for rework: the rejection stands and the
    object's slot is re-issued, so another worker (never the same one) answers it and the
    object is consolidated again with that answer; meanwhile the object is unlabeled.
    Already rejected work may be sent back later the same way. Conflict, with nothing
    changed, when a job has ended or a HIT has expired. Idempotent: re-issued work is not
    re-issued again.
    """
    assignments = list(assignments)
    feedback = _feedback_clean(feedback, required=True)
    hits = _lock_hits_for_rework(actor=actor, assignments=assignments) if rework else {}
    locked = _lock_for_review(actor=actor, assignments=assignments)
    now = timezone.now()
    if not rework:
        for assignment in locked:
            _reject_locked(assignment, feedback=feedback, now=now)
        return locked
    pending = [assignment for assignment in locked if assignment.reissued_at is None]
    for assignment in pending:
        if assignment.status not in (AssignmentStatus.SUBMITTED, AssignmentStatus.REJECTED):
            _reject_locked(assignment, feedback=feedback, now=now)  # raises: not submitted
        _check_reissue(assignment, hits[assignment.hit_id], now=now)
    for assignment in pending:
        _rework_locked(assignment, hits[assignment.hit_id], feedback=feedback, now=now)
    return locked


def assignment_approve(
    *,
    actor: User,
    assignment: Assignment,
    feedback: str = "",
    override_rejection: bool = False,
) -> Assignment:
    """Submitted -> approved, or rejected -> approved with `override_rejection` within 30
    days of submission (Mechanical Turk's ApproveAssignment). Idempotent."""
    return assignments_approve(
        actor=actor,
        assignments=[assignment],
        feedback=feedback,
        override_rejection=override_rejection,
    )[0]


def assignment_reject(
    *, actor: User, assignment: Assignment, feedback: str, rework: bool = False
) -> Assignment:
    """Submitted -> rejected; `feedback` is required and shown to the worker; with
    `rework`, the slot is re-issued to another worker (see assignments_reject). Idempotent."""
    return assignments_reject(
        actor=actor, assignments=[assignment], feedback=feedback, rework=rework
    )[0]


@transaction.atomic
def assignment_auto_approve(*, assignment: Assignment) -> Assignment:
    """Approve submitted work whose auto-approval time has come; anything else is returned
    unchanged (the sweep may find it already reviewed)."""
    try:
        assignment = Assignment.objects.select_for_update(**lock_options()).get(pk=assignment.pk)
    except Assignment.DoesNotExist:
        raise NotFound() from None
    assignment_auto_approve_locked(assignment, now=timezone.now())
    return assignment


def assignment_auto_approve_locked(assignment: Assignment, *, now: datetime) -> bool:
    """Caller holds the assignment's row lock. Returns whether it was approved now.

    When neither the job's hold nor the organization's available balance can pay it, the
    assignment stays submitted (a warning is logged) and a later sweep tries again.
    """
    if assignment.status != AssignmentStatus.SUBMITTED or (
        assignment.auto_approval_at is None or assignment.auto_approval_at > now
    ):
        return False
    try:
        with transaction.atomic():
            _approve_locked(assignment, feedback="", override_rejection=False, now=now)
    except InsufficientFunds as error:
        assignment.refresh_from_db(
            fields=["status", "approved_at", "requester_feedback", "updated_at"]
        )
        logger.warning(
            "Auto-approval of assignment %s postponed: %s", assignment.assignment_id, error
        )
        return False
    return True
