"""Dispatch under concurrency, with real threads against PostgreSQL: no over-assignment, no
(HIT, worker) duplicates, one stored submit, and counters that always equal the rows.
Racy tests run several rounds."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from jobs.models import (
    HIT,
    OPEN_HIT_STATUSES,
    Assignment,
    AssignmentStatus,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.dispatch import (
    assignment_claim_next,
    assignment_return,
    assignment_submit,
)
from jobs.services.jobs import job_stop
from jobs.services.review import assignments_approve
from jobs.services.sweeps import assignments_auto_approve, assignments_expire_leases
from tests.concurrency import run_at_once
from tests.jobs.lifecycle import fresh, hit_counts_match_rows, launched_job, workers
from workforce.selectors import public_crowd_get

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = range(3)


@pytest.fixture(autouse=True)
def _public_crowd():
    """Transactional tests empty the tables afterwards, the data migration's row included."""
    public_crowd_get()


def assert_no_overassignment() -> None:
    duplicates = Assignment.objects.values("hit", "worker").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    for hit in HIT.objects.all():
        assert hit_counts_match_rows(hit)
        assert hit.assignments_pending + hit.assignments_completed <= hit.max_assignments
        full = hit.assignments_pending + hit.assignments_completed == hit.max_assignments
        if hit.status in OPEN_HIT_STATUSES:
            assert hit.status == (HITStatus.UNASSIGNABLE if full else HITStatus.ASSIGNABLE)


@pytest.mark.parametrize("round_", ROUNDS)
def test_many_workers_on_few_slots_get_exactly_the_slots(round_):
    job, _ = launched_job(objects=3, workers_per_object=2)
    crowd = workers(12)

    outcomes = run_at_once(
        *[lambda worker=worker: assignment_claim_next(worker=worker, job=job) for worker in crowd]
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    claimed = [outcome for outcome in outcomes if outcome is not None]
    assert len(claimed) == 6
    assert Assignment.objects.count() == 6
    assert set(HIT.objects.values_list("status", flat=True)) == {HITStatus.UNASSIGNABLE}
    assert_no_overassignment()


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_worker_in_many_threads_never_gets_a_hit_twice(round_):
    job, _ = launched_job(objects=3, workers_per_object=3)
    worker = workers(1)[0]

    outcomes = run_at_once(*[lambda: assignment_claim_next(worker=worker, job=job)] * 8)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    claimed = [outcome for outcome in outcomes if outcome is not None]
    assert len(claimed) == 3
    assert len({assignment.hit_id for assignment in claimed}) == 3
    assert_no_overassignment()


@pytest.mark.parametrize("round_", ROUNDS)
def test_concurrent_submits_of_one_assignment_store_one_answer(round_):
    job, _ = launched_job(objects=1, workers_per_object=2)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    labels = ["cat", "dog"] * 4

    outcomes = run_at_once(
        *[
            lambda label=label: assignment_submit(
                worker=worker, assignment=assignment, answer={"label": label}
            )
            for label in labels
        ]
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    stored = fresh(assignment)
    assert stored.status == AssignmentStatus.SUBMITTED
    assert {outcome.answer["label"] for outcome in outcomes} == {stored.answer["label"]}
    hit = fresh(stored.hit)
    assert (hit.assignments_pending, hit.assignments_completed) == (0, 1)
    assert_no_overassignment()


@pytest.mark.parametrize("round_", ROUNDS)
def test_claims_racing_a_return_and_a_lease_expiry_keep_counters_true(round_):
    job, _ = launched_job(objects=1, workers_per_object=2)
    returning, expiring, *claimers = workers(6)
    held = assignment_claim_next(worker=returning, job=job)
    stale = assignment_claim_next(worker=expiring, job=job)
    Assignment.objects.filter(pk=stale.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    outcomes = run_at_once(
        lambda: assignment_return(worker=returning, assignment=held),
        assignments_expire_leases,
        *[
            lambda worker=worker: assignment_claim_next(worker=worker, job=job)
            for worker in claimers
        ],
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    claimed = [outcome for outcome in outcomes[2:] if outcome is not None]
    assert len(claimed) <= 2
    assert_no_overassignment()
    # The sweep skips a HIT that a claim or the return held at that instant: the next run
    # (every 30 seconds) takes it.
    assignments_expire_leases()
    assert fresh(held).status == AssignmentStatus.RETURNED
    assert fresh(stale).status == AssignmentStatus.ABANDONED
    hit = job.hits.get()
    assert hit_counts_match_rows(hit)
    assert fresh(hit).assignments_pending == len(claimed)
    assert_no_overassignment()


@pytest.mark.parametrize("round_", ROUNDS)
def test_stopping_a_job_while_work_is_submitted_and_claimed_keeps_counters_true(round_):
    job, actor = launched_job(objects=4, workers_per_object=1)
    busy = workers(3)
    held = [assignment_claim_next(worker=worker, job=job) for worker in busy]
    latecomers = workers(3)

    outcomes = run_at_once(
        lambda: job_stop(actor=actor, job=job),
        *[
            lambda worker=worker, assignment=assignment: assignment_submit(
                worker=worker, assignment=assignment, answer={"label": "cat"}
            )
            for worker, assignment in zip(busy, held, strict=True)
        ],
        *[
            lambda worker=worker: assignment_claim_next(worker=worker, job=job)
            for worker in latecomers
        ],
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    job = fresh(job)
    assert job.status == JobStatus.STOPPED
    open_hits = HIT.objects.filter(job=job, status__in=OPEN_HIT_STATUSES).count()
    assert job.open_hits == open_hits == 0
    assert job.human_labeled == 3
    assert LabelingJob.objects.get(pk=job.pk).unlabeled == 1
    assert_no_overassignment()


@pytest.mark.parametrize("round_", ROUNDS)
def test_bulk_review_racing_the_auto_approval_sweep_approves_each_once(round_):
    job, actor = launched_job(objects=3, workers_per_object=2)
    submitted = []
    for worker in workers(2):
        for _ in range(3):
            assignment = assignment_claim_next(worker=worker, job=job)
            submitted.append(
                assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})
            )
    Assignment.objects.update(auto_approval_at=timezone.now() - timedelta(seconds=1))

    outcomes = run_at_once(
        lambda: assignments_approve(actor=actor, assignments=submitted),
        lambda: assignments_approve(actor=actor, assignments=list(reversed(submitted))),
        assignments_auto_approve,
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert set(Assignment.objects.values_list("status", flat=True)) == {"Approved"}
