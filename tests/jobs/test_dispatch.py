"""Dispatch: claiming the next task, accepting a given HIT, returning, and submitting, with
Mechanical Turk's HIT and assignment states."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import selectors
from jobs.models import AssignmentStatus, DataObjectStatus, HITStatus, JobWorker
from jobs.services import dispatch
from jobs.services.dispatch import (
    assignment_accept,
    assignment_claim_next,
    assignment_return,
    assignment_submit,
)
from marketplace.exceptions import (
    Conflict,
    EmailNotVerified,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from tests.jobs.factories import AssignmentFactory, HITFactory, PrivateWorkforceFactory
from tests.jobs.lifecycle import fresh, hit_counts_match_rows, launched_job, workers
from tests.marketplace.factories import UserFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WorkerBlock, WorkforceMember

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["one statement", "queryset path"])
def dispatch_path(request, monkeypatch):
    """Every test runs twice: with PostgreSQL's one-statement claim and submit, and with
    the queryset path they fall back to (SQLite's path, and PostgreSQL's whenever the
    statement changed nothing)."""
    if request.param == "queryset path":
        monkeypatch.setattr(dispatch, "_claim_in_one_statement", lambda **_kwargs: None)
        monkeypatch.setattr(dispatch, "_submit_in_one_statement", lambda **_kwargs: None)
    return request.param


# Claim.


def test_postgresql_runs_the_claim_and_submit_as_prepared_statements(dispatch_path):
    """Planning them costs more than running them: each is planned once per connection."""
    from django.db import connection

    if dispatch_path != "one statement":
        pytest.skip("the queryset path runs Django's own queries")
    job, _ = launched_job(objects=2, workers_per_object=1)
    worker = workers(1)[0]

    for _ in range(2):
        assignment = assignment_claim_next(worker=worker, job=job)
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        runs = {statement.split()[1]: count for statement, count in cursor.fetchall()}
    # The claim's WITH begins "due" (its gold pick), the submit's "locked_hit": each
    # prepared once, run twice.
    assert runs == {"due": 2, "locked_hit": 2}


def test_claim_gives_the_oldest_open_hit_with_a_lease_of_the_task_time_limit():
    job, _ = launched_job(objects=2, workers_per_object=2, task_time_limit_seconds=120)
    worker = workers(1)[0]
    before = timezone.now()

    assignment = assignment_claim_next(worker=worker, job=job)

    assignment = fresh(assignment)
    first_hit = job.hits.order_by("id").first()
    assert assignment.hit == first_hit
    assert assignment.worker == worker
    assert assignment.status == AssignmentStatus.ACCEPTED
    assert assignment.accepted_at >= before
    assert assignment.deadline == assignment.accepted_at + timedelta(seconds=120)
    first_hit = fresh(first_hit)
    assert (first_hit.status, first_hit.assignments_pending) == (HITStatus.ASSIGNABLE, 1)


def test_a_worker_never_gets_the_same_object_twice():
    job, _ = launched_job(objects=3, workers_per_object=3)
    worker = workers(1)[0]

    claimed = [assignment_claim_next(worker=worker, job=job) for _ in range(4)]

    assert claimed[3] is None
    assert len({assignment.hit_id for assignment in claimed[:3]}) == 3


def test_a_hit_becomes_unassignable_when_its_slots_are_taken():
    job, _ = launched_job(objects=1, workers_per_object=2)
    first, second, third = workers(3)

    assignment_claim_next(worker=first, job=job)
    assignment_claim_next(worker=second, job=job)

    hit = job.hits.get()
    assert (hit.status, hit.assignments_pending, hit.assignments_available) == (
        HITStatus.UNASSIGNABLE,
        2,
        0,
    )
    assert assignment_claim_next(worker=third, job=job) is None


def test_claim_across_jobs_only_offers_jobs_open_to_the_worker():
    worker = workers(1)[0]
    team = PrivateWorkforceFactory()
    private_job, _ = launched_job(objects=1, workforce=team, organization=team.organization)
    blocking_job, _ = launched_job(objects=1)
    WorkerBlock.objects.create(organization=blocking_job.organization, worker=worker, reason="spam")
    assert assignment_claim_next(worker=worker) is None

    public_job, _ = launched_job(objects=1)
    assert assignment_claim_next(worker=worker).hit.job == public_job

    WorkforceMember.objects.create(workforce=team, worker=worker)
    assert assignment_claim_next(worker=worker).hit.job == private_job
    assert assignment_claim_next(worker=worker) is None


def test_claim_skips_expired_hits():
    job, _ = launched_job(objects=1)
    job.hits.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert assignment_claim_next(worker=workers(1)[0], job=job) is None


def test_an_inactive_or_unverified_worker_gets_no_work():
    job, _ = launched_job(objects=1)
    inactive = WorkerProfileFactory(user=UserFactory(is_active=False))
    unverified = WorkerProfileFactory(user=UserFactory(verified=False))
    before = database_snapshot()

    with pytest.raises(PermissionDenied):
        assignment_claim_next(worker=inactive, job=job)
    with pytest.raises(EmailNotVerified):
        assignment_claim_next(worker=unverified)

    assert database_snapshot() == before


# Accept.


def test_accept_takes_a_slot_on_a_given_hit_and_is_idempotent_while_held():
    job, _ = launched_job(objects=1, workers_per_object=1)
    hit = job.hits.get()
    worker, other = workers(2)

    assignment = assignment_accept(worker=worker, hit=hit)

    assert assignment_accept(worker=worker, hit=hit) == assignment
    assert fresh(hit).status == HITStatus.UNASSIGNABLE
    before = database_snapshot()
    with pytest.raises(Conflict, match='"Unassignable"'):
        assignment_accept(worker=other, hit=hit)
    assert database_snapshot() == before


def test_accept_refuses_a_hit_the_worker_returned():
    job, _ = launched_job(objects=1, workers_per_object=2)
    hit = job.hits.get()
    worker = workers(1)[0]
    assignment_return(worker=worker, assignment=assignment_accept(worker=worker, hit=hit))
    before = database_snapshot()

    with pytest.raises(Conflict, match='"Returned"'):
        assignment_accept(worker=worker, hit=hit)

    assert database_snapshot() == before


def test_accept_on_a_job_not_open_to_the_worker_is_not_found():
    team = PrivateWorkforceFactory()
    job, _ = launched_job(objects=1, workforce=team, organization=team.organization)
    outsider = workers(1)[0]
    before = database_snapshot()

    with pytest.raises(NotFound):
        assignment_accept(worker=outsider, hit=job.hits.get())

    assert database_snapshot() == before


# Return.


def test_return_reopens_the_slot():
    job, _ = launched_job(objects=1, workers_per_object=1)
    worker, other = workers(2)
    assignment = assignment_claim_next(worker=worker, job=job)
    assert fresh(assignment.hit).status == HITStatus.UNASSIGNABLE

    returned = assignment_return(worker=worker, assignment=assignment)

    assert (returned.status, returned.ended_at is not None) == (AssignmentStatus.RETURNED, True)
    hit = fresh(assignment.hit)
    assert (hit.status, hit.assignments_pending) == (HITStatus.ASSIGNABLE, 0)
    assert assignment_claim_next(worker=other, job=job).hit == hit
    # The worker who returned it never gets the same object again.
    assert assignment_claim_next(worker=worker, job=job) is None


def test_returning_twice_changes_nothing_more():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_return(
        worker=worker, assignment=assignment_claim_next(worker=worker, job=job)
    )
    before = database_snapshot()

    assert assignment_return(worker=worker, assignment=assignment).status == "Returned"
    assert database_snapshot() == before


def test_returning_after_the_deadline_records_an_abandonment():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    type(assignment).objects.filter(pk=assignment.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    assert assignment_return(worker=worker, assignment=assignment).status == "Abandoned"
    assert hit_counts_match_rows(assignment.hit)


def test_returning_another_workers_assignment_is_not_found():
    job, _ = launched_job(objects=1)
    worker, other = workers(2)
    assignment = assignment_claim_next(worker=worker, job=job)
    before = database_snapshot()

    with pytest.raises(NotFound):
        assignment_return(worker=other, assignment=assignment)

    assert database_snapshot() == before


def test_a_submitted_assignment_cannot_be_returned():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    before = database_snapshot()

    with pytest.raises(Conflict, match='"Submitted"'):
        assignment_return(worker=worker, assignment=assignment)

    assert database_snapshot() == before


# Submit.


def test_submit_stores_the_answer_and_moves_the_counters():
    job, _ = launched_job(objects=1, workers_per_object=2, auto_approval_delay_seconds=3600)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)

    submitted = assignment_submit(
        worker=worker, assignment=assignment, answer={"label": "dog"}, active_seconds=7
    )

    submitted = fresh(submitted)
    assert submitted.status == AssignmentStatus.SUBMITTED
    assert submitted.answer == {"label": "dog"}
    assert submitted.active_seconds == 7
    assert submitted.auto_approval_at == submitted.submitted_at + timedelta(hours=1)
    hit = fresh(assignment.hit)
    assert (hit.status, hit.assignments_pending, hit.assignments_completed) == (
        HITStatus.ASSIGNABLE,
        0,
        1,
    )
    assert fresh(job).open_hits == 1


def test_the_last_answer_makes_the_hit_reviewable_and_consolidates_the_object(
    django_capture_on_commit_callbacks,
):
    job, _ = launched_job(objects=2, workers_per_object=2)
    first, second = workers(2)
    assignments = [assignment_claim_next(worker=worker, job=job) for worker in (first, second)]
    assert assignments[0].hit_id == assignments[1].hit_id

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=first, assignment=assignments[0], answer={"label": "dog"})
    assert fresh(assignments[0].hit.data_object).status == DataObjectStatus.UNLABELED

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=second, assignment=assignments[1], answer={"label": "dog"})

    hit = fresh(assignments[0].hit)
    assert (hit.status, hit.assignments_completed) == (HITStatus.REVIEWABLE, 2)
    data_object = fresh(hit.data_object)
    assert (data_object.status, data_object.label, data_object.confidence) == (
        DataObjectStatus.HUMAN_LABELED,
        1,
        1.0,
    )
    assert fresh(job).open_hits == 1


def test_submitting_again_returns_the_first_answer_and_changes_nothing():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    before = database_snapshot()

    again = assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    assert again.answer == {"label": "cat"}
    assert database_snapshot() == before


def test_submit_counts_the_work_done_by_the_worker_in_the_job():
    job, _ = launched_job(objects=3, workers_per_object=2)
    other_job, _ = launched_job(objects=1)
    worker, other = workers(2)
    mine = [assignment_claim_next(worker=worker, job=job) for _ in range(3)]
    theirs = assignment_claim_next(worker=other, job=job)
    elsewhere = assignment_claim_next(worker=worker, job=other_job)

    for assignment in mine[:2]:
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assignment_submit(worker=worker, assignment=mine[0], answer={"label": "cat"})  # again
    assignment_submit(worker=other, assignment=theirs, answer={"label": "dog"})
    assignment_submit(worker=worker, assignment=elsewhere, answer={"label": "dog"})

    assert selectors.worker_done_count(worker=worker, job=job) == 2
    assert selectors.worker_done_count(worker=other, job=job) == 1
    assert selectors.worker_done_count(worker=worker, job=other_job) == 1
    assert selectors.worker_done_count(worker=other, job=other_job) == 0
    assert JobWorker.objects.count() == 3


def test_the_submit_that_closes_a_hit_frees_a_slot_that_the_release_fills(
    django_capture_on_commit_callbacks,
):
    job, _ = launched_job(objects=3, workers_per_object=1, max_concurrent_tasks=2)
    worker = workers(1)[0]
    objects = list(job.data_objects.order_by("line_number").values_list("pk", flat=True))
    assignment = assignment_claim_next(worker=worker, job=job)
    assert sorted(job.hits.values_list("data_object_id", flat=True)) == objects[:2]

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    # Celery runs eagerly in tests: the release queued after the submit has run.
    assert fresh(assignment.hit).status == HITStatus.REVIEWABLE
    assert sorted(job.hits.values_list("data_object_id", flat=True)) == objects
    assert fresh(job).open_hits == 2


def test_an_unverified_worker_cannot_submit_and_nothing_changes():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    worker.user.emailaddress_set.update(verified=False)
    before = database_snapshot()

    with pytest.raises(EmailNotVerified):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("free", "due"),
    [(0, False), (1, True), (2, False), (49, False), (50, True), (51, False), (100, True)],
)
def test_a_release_is_queued_on_the_first_free_slot_and_every_fiftieth(free, due):
    assert dispatch._release_due(free=free) is due


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"label": "horse"}, "answer.label"),
        ({}, "answer.label"),
        ({"label": "cat", "extra": 1}, "answer.extra"),
        (["cat"], "answer"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field_and_changes_nothing(answer, field):
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    before = database_snapshot()

    with pytest.raises(InvalidInput) as error:
        assignment_submit(worker=worker, assignment=assignment, answer=answer)

    assert field in error.value.fields
    assert database_snapshot() == before


def test_bad_active_seconds_are_refused():
    job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)

    with pytest.raises(InvalidInput) as error:
        assignment_submit(
            worker=worker, assignment=assignment, answer={"label": "cat"}, active_seconds=-1
        )

    assert list(error.value.fields) == ["active_seconds"]
    assert fresh(assignment).status == AssignmentStatus.ACCEPTED


def test_submitting_another_workers_assignment_is_not_found():
    job, _ = launched_job(objects=1)
    worker, other = workers(2)
    assignment = assignment_claim_next(worker=worker, job=job)
    before = database_snapshot()

    with pytest.raises(NotFound):
        assignment_submit(worker=other, assignment=assignment, answer={"label": "cat"})

    assert database_snapshot() == before


def test_a_late_submit_is_refused_and_the_assignment_is_abandoned():
    job, _ = launched_job(objects=1, workers_per_object=1)
    worker, other = workers(2)
    assignment = assignment_claim_next(worker=worker, job=job)
    type(assignment).objects.filter(pk=assignment.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(Conflict) as error:
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    assert error.value.code == "deadline_passed"
    assignment = fresh(assignment)
    assert (assignment.status, assignment.answer) == (AssignmentStatus.ABANDONED, None)
    assert fresh(assignment.hit).status == HITStatus.ASSIGNABLE
    assert hit_counts_match_rows(assignment.hit)
    assert assignment_claim_next(worker=other, job=job) is not None


@pytest.mark.parametrize(
    "status", [AssignmentStatus.RETURNED, AssignmentStatus.ABANDONED, AssignmentStatus.EXPIRED]
)
def test_an_ended_assignment_cannot_be_submitted(status):
    hit = HITFactory()
    assignment = AssignmentFactory(hit=hit, status=status, ended_at=timezone.now())
    before = database_snapshot()

    with pytest.raises(Conflict, match=f'"{status}"'):
        assignment_submit(worker=assignment.worker, assignment=assignment, answer={"label": "cat"})

    assert database_snapshot() == before


def test_an_answer_submitted_after_the_hit_expired_still_counts(
    django_capture_on_commit_callbacks,
):
    job, _ = launched_job(objects=1, workers_per_object=3)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    from jobs.services.sweeps import hits_expire

    with django_capture_on_commit_callbacks(execute=True):
        hits_expire(now=timezone.now() + timedelta(days=11))
    assert fresh(assignment.hit).status == HITStatus.REVIEWABLE

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    data_object = fresh(assignment.hit.data_object)
    assert (data_object.status, data_object.label, data_object.confidence) == (
        DataObjectStatus.HUMAN_LABELED,
        0,
        0.0,
    )


@pytest.mark.parametrize("status", [HITStatus.REVIEWABLE, HITStatus.REVIEWING, HITStatus.DISPOSED])
def test_a_closed_hit_can_be_neither_accepted_nor_claimed(status):
    job, _ = launched_job(objects=1)
    hit = job.hits.get()
    type(hit).objects.filter(pk=hit.pk).update(status=status)
    worker = workers(1)[0]
    before = database_snapshot()

    with pytest.raises(Conflict, match=f'"{status}"'):
        assignment_accept(worker=worker, hit=hit)
    assert assignment_claim_next(worker=worker, job=job) is None

    assert database_snapshot() == before
