"""jobs.services.slots: one more assignment for an object's HIT — taken at once while the HIT
is open, reopened into a free slot of the batch, or waiting for hits_release; refused for an
ended job, an expired HIT and a gold HIT; hits_release reopens waiting objects first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    HIT,
    DataObject,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.jobs import hits_release, lock_options
from jobs.services.slots import SlotOutcome, hit_add_slot_locked, waiting_hits_reopen_locked
from marketplace.exceptions import Conflict
from tests.jobs.factories import DataObjectFactory, HITFactory, RunningJobFactory
from tests.jobs.lifecycle import fresh
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def locked(hit: HIT) -> HIT:
    return HIT.objects.select_for_update(**lock_options()).get(pk=hit.pk)


def closed_hit(job: LabelingJob, **fields) -> HIT:
    """A HIT whose answers are all in (Reviewable), which no longer takes a batch slot."""
    defaults = {"status": HITStatus.REVIEWABLE, "max_assignments": 2, "assignments_completed": 2}
    return HITFactory(job=job, **{**defaults, **fields})


def test_an_open_hit_simply_takes_one_more_worker():
    job = RunningJobFactory(open_hits=1)
    hit = HITFactory(
        job=job, status=HITStatus.UNASSIGNABLE, max_assignments=2, assignments_pending=2
    )

    outcome = hit_add_slot_locked(hit=locked(hit), job=job, now=timezone.now())

    assert outcome == SlotOutcome.OPEN
    hit = fresh(hit)
    assert (hit.status, hit.max_assignments) == (HITStatus.ASSIGNABLE, 3)
    assert fresh(job).open_hits == 1


def test_a_closed_hit_reopens_into_a_free_slot_of_the_batch():
    job = RunningJobFactory(max_concurrent_tasks=2, open_hits=1)
    hit = closed_hit(job)

    outcome = hit_add_slot_locked(hit=locked(hit), job=job, now=timezone.now())

    assert outcome == SlotOutcome.REOPENED
    hit = fresh(hit)
    assert (hit.status, hit.max_assignments) == (HITStatus.ASSIGNABLE, 3)
    assert fresh(job).open_hits == 2
    assert not fresh(hit.data_object).needs_more_answers


def test_with_the_batch_full_the_object_waits():
    job = RunningJobFactory(max_concurrent_tasks=1, open_hits=1)
    hit = closed_hit(job)

    outcome = hit_add_slot_locked(hit=locked(hit), job=job, now=timezone.now())

    assert outcome == SlotOutcome.WAITING
    hit = fresh(hit)
    assert (hit.status, hit.max_assignments) == (HITStatus.REVIEWABLE, 3)
    assert fresh(hit.data_object).needs_more_answers
    assert fresh(job).open_hits == 1


@pytest.mark.parametrize(
    ("job_status", "hit_fields", "code"),
    [
        (JobStatus.STOPPED, {}, "job_not_running"),
        (JobStatus.COMPLETED, {}, "job_not_running"),
        (JobStatus.RUNNING, {"status": HITStatus.DISPOSED}, "hit_expired"),
        (JobStatus.RUNNING, {"expires_at": timezone.now() - timedelta(seconds=1)}, "hit_expired"),
        (
            JobStatus.RUNNING,
            {"is_gold": True, "max_assignments": GOLD_HIT_MAX_ASSIGNMENTS},
            "hit_full",
        ),
    ],
)
def test_a_slot_is_refused_and_nothing_changes(job_status, hit_fields, code):
    job = RunningJobFactory(status=job_status)
    hit = closed_hit(job, **hit_fields)
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        hit_add_slot_locked(hit=locked(hit), job=job, now=timezone.now())

    assert error.value.code == code
    assert database_snapshot() == before


def test_a_paused_job_still_takes_slots():
    job = RunningJobFactory(status=JobStatus.PAUSED, max_concurrent_tasks=2)
    hit = closed_hit(job)

    assert hit_add_slot_locked(hit=locked(hit), job=job, now=timezone.now()) == "reopened"


def waiting_object(job: LabelingJob, **hit_fields) -> DataObject:
    hit = closed_hit(job, max_assignments=3, **hit_fields)
    DataObject.objects.filter(pk=hit.data_object_id).update(needs_more_answers=True)
    return hit.data_object


def test_waiting_objects_reopen_oldest_first_within_the_free_slots():
    job = RunningJobFactory(max_concurrent_tasks=3, open_hits=1)
    oldest, middle, newest = (waiting_object(job) for _ in range(3))
    expired = waiting_object(job, expires_at=timezone.now() - timedelta(seconds=1))
    job = LabelingJob.objects.select_for_update(**lock_options()).get(pk=job.pk)

    reopened = waiting_hits_reopen_locked(job=job, slots=2, now=timezone.now())

    assert reopened == 2
    assert [fresh(data_object).needs_more_answers for data_object in (oldest, middle, newest)] == [
        False,
        False,
        True,
    ]
    assert fresh(oldest.hit).status == fresh(middle.hit).status == HITStatus.ASSIGNABLE
    assert (fresh(job).open_hits, job.open_hits) == (3, 3)
    assert fresh(expired).needs_more_answers  # an expired HIT is never reopened
    assert waiting_hits_reopen_locked(job=job, slots=0, now=timezone.now()) == 0


def test_hits_release_reopens_waiting_objects_before_it_releases_new_ones():
    job = RunningJobFactory(max_concurrent_tasks=2, open_hits=0, total_objects=3)
    waiting = waiting_object(job)
    fresh_objects = DataObjectFactory.create_batch(2, job=job)

    released = hits_release(job=job)

    assert released == 2
    assert fresh(waiting.hit).status == HITStatus.ASSIGNABLE
    assert not fresh(waiting).needs_more_answers
    assert HIT.objects.filter(data_object=fresh_objects[0]).exists()
    assert not HIT.objects.filter(data_object=fresh_objects[1]).exists()
    assert fresh(job).open_hits == 2
