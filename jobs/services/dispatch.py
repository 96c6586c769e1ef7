"""Dispatch: a worker claims the next task (or accepts a given HIT), returns it, or submits
an answer, with Mechanical Turk's assignment semantics.

Claim and submit are the hot path. The claim locks one open HIT, skipping HITs other
claims hold (FOR UPDATE SKIP LOCKED over the partial index hit_open_by_job), inserts the
assignment and moves the HIT's counters; the submit stores the answer and moves the
counters. On PostgreSQL each is a single statement, so a single short transaction (see
_claim_in_one_statement and _submit_in_one_statement, and their SQL in
jobs.services.statements); the queryset versions are the fallback, which also gives the
exact reason when the statement changed nothing, and SQLite's path. No query on them
counts rows or reads wide JSON. The unique (hit, worker) constraint is the last guard
against a worker getting the same data object twice. Lock order as in jobs.services.jobs:
HIT, assignment, job, then the worker's JobWorker row.
"""

import random
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from psycopg.types.json import Jsonb

from jobs.models import (
    HIT,
    OPEN_HIT_STATUSES,
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    HITStatus,
    JobStatus,
    JobWorker,
    LabelingJob,
)
from jobs.services import gold, statements
from jobs.services.jobs import lock_options
from jobs.tasktypes import task_type_get
from jobs.tasktypes.base import AnswerInvalid
from marketplace.celery import enqueue_on_commit
from marketplace.db import attnames, execute_prepared, from_row
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.services import user_require_verified_email
from notifications import events
from workforce.eligibility import jobs_open_to_worker
from workforce.models import WorkerProfile

# A claim that finds every candidate HIT locked by other claims tries again; each of
# those transactions lasts a few milliseconds.
MAX_CLAIM_ATTEMPTS = 8
CLAIM_RETRY_PAUSE_SECONDS = 0.002
ENDED_ASSIGNMENT_STATUSES = frozenset(
    {AssignmentStatus.RETURNED, AssignmentStatus.ABANDONED, AssignmentStatus.EXPIRED}
)
# Each submit's gold draw (uniform in [0, 1)): from the operating system, so that no run
# of a worker's own tasks predicts their next draw.
_system_random = random.SystemRandom()


def gold_draw() -> float:
    return _system_random.random()


def worker_require_active(*, worker: WorkerProfile) -> None:
    """Work needs an active account with a verified email."""
    if not worker.user.is_active:
        raise PermissionDenied("This account is not active.")
    user_require_verified_email(user=worker.user)


def _lock_hit(hit_id: int) -> HIT:
    try:
        return HIT.objects.select_for_update(**lock_options()).select_related("job").get(pk=hit_id)
    except HIT.DoesNotExist:
        raise NotFound() from None


def _lock_assignment(assignment_id: int) -> Assignment:
    try:
        return Assignment.objects.select_for_update(**lock_options()).get(pk=assignment_id)
    except Assignment.DoesNotExist:
        raise NotFound() from None


def _assignment_create(*, hit: HIT, worker: WorkerProfile, now: datetime) -> Assignment:
    """Caller holds the Assignable HIT's row lock."""
    assignment = Assignment.objects.create(
        hit=hit,
        worker=worker,
        accepted_at=now,
        deadline=now + timedelta(seconds=hit.job.task_time_limit_seconds),
    )
    pending = hit.assignments_pending + 1
    status = (
        HITStatus.UNASSIGNABLE
        if pending + hit.assignments_completed >= hit.max_assignments
        else hit.status
    )
    HIT.objects.filter(pk=hit.pk).update(
        assignments_pending=F("assignments_pending") + 1, status=status, updated_at=now
    )
    hit.assignments_pending = pending
    hit.status = status
    assignment.hit = hit
    events.assignment_event_emit(assignment=assignment, hit=hit, worker=worker)
    return assignment


def _claimable_hits(*, worker: WorkerProfile, job_id: int | None, now: datetime):
    jobs = jobs_open_to_worker(worker=worker)
    if job_id is not None:
        jobs = jobs.filter(pk=job_id)
    already_had = Assignment.objects.filter(hit=OuterRef("pk"), worker=worker)
    # Uses index: hit_open_by_job (job, id) WHERE status = 'Assignable', read in its own
    # order (oldest job first, then oldest HIT), so the scan touches open HITs only; the
    # NOT EXISTS probes assignment_once_per_worker (hit, worker).
    return (
        HIT.objects.filter(
            job__in=jobs.values("pk"),
            status=HITStatus.ASSIGNABLE,
            is_gold=False,
            expires_at__gt=now,
        )
        .exclude(Exists(already_had))
        .order_by("job_id", "id")
    )


def _claimable_gold_hits(*, worker: WorkerProfile, job_id: int | None, now: datetime):
    """The gold HITs the worker may get now: in a job open to them whose last submit drew
    gold for them (JobWorker.next_gold), Assignable, unexpired, never had by them; least
    shown first (the statement's gold pick)."""
    due = JobWorker.objects.filter(worker=worker, next_gold=True)
    if job_id is not None:
        due = due.filter(job_id=job_id)
    jobs = jobs_open_to_worker(worker=worker).filter(pk__in=due.values("job_id"))
    already_had = Assignment.objects.filter(hit=OuterRef("pk"), worker=worker)
    # Uses index: hit_gold_open (job, id) WHERE status = 'Assignable' AND is_gold.
    return (
        HIT.objects.filter(
            job__in=jobs.values("pk"),
            status=HITStatus.ASSIGNABLE,
            is_gold=True,
            expires_at__gt=now,
        )
        .exclude(Exists(already_had))
        .alias(shown=F("assignments_completed") + F("assignments_pending"))
        .order_by("shown", "id")
    )


def _gold_served(*, worker: WorkerProfile, hit: HIT, now: datetime) -> None:
    """The claim took a task in a job whose gold was due (a gold HIT, or none was left):
    the next is drawn again at the next submit. After the HIT lock, as the statement."""
    JobWorker.objects.filter(worker=worker, job_id=hit.job_id, next_gold=True).update(
        next_gold=False, updated_at=now
    )


def assignment_claim_next(
    *, worker: WorkerProfile, job: LabelingJob | None = None, job_id: int | None = None
) -> Assignment | None:
    """Give `worker` the next task: a new assignment on the oldest open HIT they have not
    done, in `job` (or the job with id `job_id`; one not open to the worker has no work)
    or else in the oldest job open to them. None when there is no work. The assignment
    comes with its HIT, the HIT's job and data object loaded.

    Each attempt is its own short transaction; call it outside an open transaction.
    """
    if not worker.user.is_active:
        raise PermissionDenied("This account is not active.")
    if job is not None:
        job_id = job.pk
    if connection.vendor == "postgresql":
        try:
            assignment = _claim_in_one_statement(worker=worker, job_id=job_id, job=job)
        except IntegrityError:
            # The (hit, worker) guard: this worker took that HIT in a concurrent claim.
            assignment = None
        if assignment is not None:
            return assignment
    # No HIT was free right now (or this is SQLite): the full checks and the retries.
    worker_require_active(worker=worker)
    skip_locked = True
    for attempt in range(MAX_CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                now = timezone.now()
                # Gold first when due (jobs.services.gold), as the one-statement claim.
                hit = (
                    _claimable_gold_hits(worker=worker, job_id=job_id, now=now)
                    .select_for_update(**lock_options(skip_locked=True))
                    .select_related("job", "data_object")
                    .first()
                )
                candidates = _claimable_hits(worker=worker, job_id=job_id, now=now)
                if hit is None:
                    hit = (
                        candidates.select_for_update(**lock_options(skip_locked=skip_locked))
                        .select_related("job", "data_object")
                        .first()
                    )
                if hit is not None:
                    assignment = _assignment_create(hit=hit, worker=worker, now=now)
                    _gold_served(worker=worker, hit=hit, now=now)
                    return assignment
                if not skip_locked or not candidates.exists():
                    return None
        except IntegrityError:
            # The (hit, worker) guard: this worker took that HIT in a concurrent claim.
            continue
        # Every candidate is held by another claim right now: wait for one instead of
        # reporting "no work" while slots are open.
        skip_locked = False
        time.sleep(CLAIM_RETRY_PAUSE_SECONDS * attempt)
    return None


def _claim_in_one_statement(
    *, worker: WorkerProfile, job_id: int | None, job: LabelingJob | None
) -> Assignment | None:
    """PostgreSQL's claim: one attempt, one statement. None when no HIT was free (none
    open to the worker, all held by other claims, or no verified email). Raises
    IntegrityError when a concurrent claim of this worker took the same HIT."""
    now = timezone.now()
    assignment = Assignment(
        worker=worker,
        status=AssignmentStatus.ACCEPTED,
        accepted_at=now,
        created_at=now,
        updated_at=now,
    )
    params = {
        "now": now,
        "worker": worker.pk,
        "user": worker.user_id,
        "email": worker.user.email,
        "assignment_id": assignment.assignment_id,
        "job": job_id,
    }
    row = execute_prepared(
        statements.claim_sql(one_job=job_id is not None, with_job=job is None), params
    )
    if row is None:
        return None
    assignment.pk, assignment.deadline = row[0], row[1]
    # Read by the API's task body, which would otherwise query it.
    assignment.done_in_job = row[2] or 0
    assignment.hit = statements.claimed_hit(row[3:], job=job)
    assignment._state.adding = False
    assignment._state.db = connection.alias
    events.assignment_event_emit(assignment=assignment, worker=worker)
    return assignment


@transaction.atomic
def assignment_accept(*, worker: WorkerProfile, hit: HIT) -> Assignment:
    """Accept a given HIT (Mechanical Turk's AcceptHIT). Accepting a HIT the worker holds
    returns their assignment; one they returned or submitted is a Conflict."""
    worker_require_active(worker=worker)
    hit = _lock_hit(hit.pk)
    if not jobs_open_to_worker(worker=worker).filter(pk=hit.job_id).exists():
        raise NotFound()
    now = timezone.now()
    existing = Assignment.objects.filter(hit=hit, worker=worker).first()
    if existing is not None:
        if existing.status == AssignmentStatus.ACCEPTED and existing.deadline > now:
            return existing
        raise Conflict(
            f'You already had this HIT (your assignment is "{existing.status}").',
            code="hit_already_taken",
        )
    if hit.status != HITStatus.ASSIGNABLE or hit.expires_at <= now:
        raise Conflict(
            f'The HIT is "{hit.status}"; no assignment is available.', code="hit_not_assignable"
        )
    return _assignment_create(hit=hit, worker=worker, now=now)


def assignment_end_locked(*, hit: HIT, assignment: Assignment, status: str, now: datetime) -> None:
    """Accepted -> returned, abandoned or expired: the slot reopens while the HIT is open
    and unexpired. Caller holds the HIT's and the assignment's row locks."""
    assignment.status = status
    assignment.ended_at = now
    assignment.save(update_fields=["status", "ended_at", "updated_at"])
    pending = hit.assignments_pending - 1
    status_after = hit.status
    if hit.status == HITStatus.UNASSIGNABLE and hit.expires_at > now:
        status_after = HITStatus.ASSIGNABLE
    HIT.objects.filter(pk=hit.pk).update(
        assignments_pending=F("assignments_pending") - 1, status=status_after, updated_at=now
    )
    hit.assignments_pending = pending
    hit.status = status_after
    events.assignment_event_emit(assignment=assignment, hit=hit)
    if hit.status not in OPEN_HIT_STATUSES and pending == 0:
        _enqueue_consolidation(hit)


def _enqueue_consolidation(hit: HIT) -> None:
    if hit.is_gold:  # a gold object is never consolidated
        return
    from jobs import tasks

    enqueue_on_commit(tasks.data_object_consolidate, hit.data_object_id)


@transaction.atomic
def assignment_return(*, worker: WorkerProfile, assignment: Assignment) -> Assignment:
    """Accepted -> returned (the worker gives the task back; the slot reopens).

    Returning a returned assignment returns it unchanged; past the deadline the lease is
    already over and the assignment is recorded as abandoned.
    """
    if assignment.worker_id != worker.pk:
        raise NotFound()
    hit = _lock_hit(assignment.hit_id)
    assignment = _lock_assignment(assignment.pk)
    if assignment.status == AssignmentStatus.RETURNED:
        return assignment
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise Conflict(
            f'The assignment is "{assignment.status}"; only an accepted one can be returned.',
            code="illegal_assignment_transition",
        )
    now = timezone.now()
    status = AssignmentStatus.RETURNED if assignment.deadline > now else AssignmentStatus.ABANDONED
    assignment_end_locked(hit=hit, assignment=assignment, status=status, now=now)
    if hit.job.has_quality_rules:  # a return counts for the returns-in-row rules
        _enqueue_answer_checks(hit=hit, job=hit.job, assignment=assignment)
    return assignment


def _answer_fields(error: AnswerInvalid) -> dict:
    return {
        "answer" if name == "non_field_errors" else f"answer.{name}": messages
        for name, messages in error.fields.items()
    }


def assignment_submit(
    *,
    worker: WorkerProfile,
    assignment: Assignment,
    answer: object,
    active_seconds: int | None = None,
) -> Assignment:
    """Store the worker's answer (Accepted -> Submitted) before anything else happens.

    Submitting a submitted assignment again returns it unchanged: the first answer stands.
    Another worker's assignment is NotFound; a wrong answer is InvalidInput on
    "answer.<field>" and changes nothing; after the deadline the assignment is recorded
    as abandoned and the submit is a Conflict.
    """
    if assignment.worker_id != worker.pk:
        raise NotFound()
    if active_seconds is not None and (
        isinstance(active_seconds, bool)
        or not isinstance(active_seconds, int)
        or active_seconds < 0
    ):
        raise InvalidInput(fields={"active_seconds": ["Give a whole number of seconds, >= 0."]})
    if not worker.user.is_active:
        raise PermissionDenied("This account is not active.")
    if connection.vendor == "postgresql":
        # A launched job's labels and settings are fixed, so the answer can be checked
        # before the statement. A wrong answer, a late or repeated submit and a missing
        # verified email all go the full way below, which says exactly what is wrong.
        job = assignment.hit.job
        try:
            valid = task_type_get(job.task_type).validate_answer(answer, labels=job.labels)
        except AnswerInvalid:
            valid = None
        if valid is not None:
            submitted = _submit_in_one_statement(
                worker=worker, assignment=assignment, answer=valid, active_seconds=active_seconds
            )
            if submitted is not None:
                return submitted
    worker_require_active(worker=worker)
    assignment, late = _submit(assignment=assignment, answer=answer, active_seconds=active_seconds)
    if late:
        raise Conflict(
            "The assignment's deadline passed before it was submitted.", code="deadline_passed"
        )
    return assignment


def _submit_in_one_statement(
    *, worker: WorkerProfile, assignment: Assignment, answer, active_seconds: int | None
) -> Assignment | None:
    """PostgreSQL's submit of a checked answer: one statement, so its own transaction, and
    the follow-up tasks are queued right after it. None when it changed nothing."""
    job = assignment.hit.job
    now = timezone.now()
    auto_approval_at = now + timedelta(seconds=job.auto_approval_delay_seconds)
    params = {
        "hit": assignment.hit_id,
        "assignment": assignment.pk,
        "worker": worker.pk,
        "user": worker.user_id,
        "email": worker.user.email,
        "answer": Jsonb(answer),
        "active_seconds": active_seconds,
        "auto_approval_at": auto_approval_at,
        "now": now,
        **_gold_draw_params(job),
    }
    row = execute_prepared(statements.submit_sql(), params)
    if row is None:
        return None
    job_status, open_hits, max_concurrent_tasks, *hit_values = row
    hit = from_row(HIT, attnames(HIT), hit_values)
    hit.job = job
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.answer = answer
    assignment.submitted_at = assignment.updated_at = now
    assignment.active_seconds = active_seconds
    assignment.auto_approval_at = auto_approval_at
    assignment.hit = hit
    events.assignment_event_emit(assignment=assignment, hit=hit, worker=worker)
    if job_status is not None:  # this submit closed the HIT
        events.hit_reviewable_emit(hit=hit)
    if job_status == JobStatus.RUNNING and _release_due(free=max_concurrent_tasks - open_hits):
        from jobs import tasks

        enqueue_on_commit(tasks.hits_release, job.pk)
    if hit.status not in OPEN_HIT_STATUSES and hit.assignments_pending == 0:
        _enqueue_consolidation(hit)
    _enqueue_answer_checks(hit=hit, job=job, assignment=assignment)
    return assignment


def _gold_draw_params(job: LabelingJob) -> dict:
    """The submit statement's gold draw: a fresh draw and the job's rate schedule."""
    schedule = gold.gold_schedule()
    return {
        "gold_draw": gold_draw(),
        "gold_rate": float(job.gold_rate),
        "gold_boost": schedule.boost,
        "gold_tasks": schedule.tasks,
    }


def _enqueue_answer_checks(*, hit: HIT, job: LabelingJob, assignment: Assignment) -> None:
    """After the submit commits: score a gold answer and run the job's quality rules
    (jobs.services.answers). Nothing is queued for a plain job without rules."""
    if hit.is_gold or job.has_quality_rules:
        from jobs import tasks

        enqueue_on_commit(tasks.answer_arrived, assignment.pk)


# A closed HIT frees a slot in its job's batch. The release task fills every free slot
# when it runs, so it is queued when the first slot frees up after a release (and every
# RELEASE_NUDGE_EVERY slots after that, in case a queued release was lost), not on every
# close: a busy job's submits would otherwise queue one release each.
RELEASE_NUDGE_EVERY = 50


def _release_due(*, free: int) -> bool:
    return free == 1 or (free > 0 and free % RELEASE_NUDGE_EVERY == 0)


@transaction.atomic
def _submit(
    *, assignment: Assignment, answer: object, active_seconds: int | None
) -> tuple[Assignment, bool]:
    """The submit's transaction, the full way (SQLite, and PostgreSQL whenever the one
    statement changed nothing). Returns (assignment, whether the deadline had passed): a
    late submit commits the abandonment, then the caller refuses it."""
    hit = _lock_hit(assignment.hit_id)
    assignment = _lock_assignment(assignment.pk)
    if assignment.status in SUBMITTED_ASSIGNMENT_STATUSES:
        return assignment, False
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise Conflict(
            f'The assignment is "{assignment.status}"; it can no longer be submitted.',
            code="illegal_assignment_transition",
        )
    now = timezone.now()
    if assignment.deadline <= now:
        assignment_end_locked(
            hit=hit, assignment=assignment, status=AssignmentStatus.ABANDONED, now=now
        )
        return assignment, True
    job = hit.job
    try:
        answer = task_type_get(job.task_type).validate_answer(answer, labels=job.labels)
    except AnswerInvalid as error:
        raise InvalidInput(fields=_answer_fields(error)) from None

    assignment.status = AssignmentStatus.SUBMITTED
    assignment.answer = answer
    assignment.submitted_at = now
    assignment.active_seconds = active_seconds
    assignment.auto_approval_at = now + timedelta(seconds=job.auto_approval_delay_seconds)
    assignment.save(
        update_fields=[
            "status",
            "answer",
            "submitted_at",
            "active_seconds",
            "auto_approval_at",
            "updated_at",
        ]
    )

    pending = hit.assignments_pending - 1
    completed = hit.assignments_completed + 1
    was_open = hit.status in OPEN_HIT_STATUSES
    status = HITStatus.REVIEWABLE if completed >= hit.max_assignments else hit.status
    HIT.objects.filter(pk=hit.pk).update(
        assignments_pending=F("assignments_pending") - 1,
        assignments_completed=F("assignments_completed") + 1,
        status=status,
        updated_at=now,
    )
    hit.assignments_pending, hit.assignments_completed, hit.status = pending, completed, status
    events.assignment_event_emit(assignment=assignment, hit=hit)
    if was_open and status not in OPEN_HIT_STATUSES and not hit.is_gold:
        events.hit_reviewable_emit(hit=hit)
        LabelingJob.objects.filter(pk=job.pk, open_hits__gt=0).update(
            open_hits=F("open_hits") - 1, updated_at=now
        )
        if job.status == JobStatus.RUNNING:
            from jobs import tasks

            enqueue_on_commit(tasks.hits_release, job.pk)
    _tally_submit(job=job, worker_id=assignment.worker_id, now=now)
    if status not in OPEN_HIT_STATUSES and pending == 0:
        _enqueue_consolidation(hit)
    assignment.hit = hit
    _enqueue_answer_checks(hit=hit, job=job, assignment=assignment)
    return assignment, False


def _tally_submit(*, job: LabelingJob, worker_id: int, now: datetime) -> None:
    """Count one more submit for the worker in the job and draw whether their next task
    there is gold (after the HIT, assignment and job locks, as the one-statement submit)."""
    draw = gold_draw()
    standing, created = JobWorker.objects.get_or_create(
        job_id=job.pk,
        worker_id=worker_id,
        defaults={
            "submitted": 1,
            "next_gold": gold.gold_is_due(draw=draw, submitted=1, gold_rate=job.gold_rate),
        },
    )
    if not created:
        standing = JobWorker.objects.select_for_update(**lock_options()).get(pk=standing.pk)
        submitted = standing.submitted + 1
        JobWorker.objects.filter(pk=standing.pk).update(
            submitted=F("submitted") + 1,
            next_gold=gold.gold_is_due(draw=draw, submitted=submitted, gold_rate=job.gold_rate),
            updated_at=now,
        )
