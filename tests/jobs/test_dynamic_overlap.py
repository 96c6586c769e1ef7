"""Dynamic overlap: an object takes the minimum of workers, then one more at a time until its
posterior reaches the job's target or it has the maximum of counted answers; a full batch
makes it wait for hits_release, and an ended job labels it with what it has."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import HIT, DataObjectStatus, HITStatus, JobStatus, JobWorker
from jobs.services.consolidation import data_object_consolidate, waiting_objects_settle
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import hits_release, job_stop
from jobs.services.review import assignment_reject
from tests.jobs.lifecycle import fresh, hit_counts_match_rows, launched_job, workers
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_automatic_refits(settings):
    settings.REFIT_EVERY_OBJECTS = 0


def overlap_job(*, objects=2, minimum=2, maximum=5, target=0.9, **job_kwargs):
    return launched_job(
        objects=objects,
        workers_per_object=minimum,
        max_workers_per_object=maximum,
        target_confidence=target,
        **job_kwargs,
    )


def answer(job, worker, label: str, capture):
    """`worker` answers the job's oldest open object they have not done, on-commit tasks run."""
    with capture(execute=True):
        assignment = assignment_claim_next(worker=worker, job=job)
        return assignment_submit(worker=worker, assignment=assignment, answer={"label": label})


def first_object(job):
    return job.data_objects.order_by("line_number").first()


def test_an_easy_object_takes_only_the_minimum(django_capture_on_commit_callbacks):
    job, _ = overlap_job()
    skilled = workers(2)
    for worker in skilled:
        JobWorker.objects.create(job=job, worker=worker, skill=0.9)

    for worker in skilled:
        answer(job, worker, "dog", django_capture_on_commit_callbacks)

    data_object = first_object(job)
    assert (data_object.status, data_object.label_metadata) == (
        DataObjectStatus.HUMAN_LABELED,
        {"class-name": "dog"},
    )
    assert (data_object.hit.max_assignments, data_object.hit.status) == (2, HITStatus.REVIEWABLE)
    assert fresh(job).human_labeled == 1


def test_a_contested_object_takes_workers_until_it_reaches_the_target(
    django_capture_on_commit_callbacks,
):
    # New workers count as 70% right: cat + dog is a tie, one more dog gives 0.79, a second
    # one 0.95, past the 0.9 target.
    job, _ = overlap_job()
    crowd = workers(4)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)

    data_object = first_object(job)
    hit = fresh(data_object.hit)
    assert data_object.status == DataObjectStatus.UNLABELED
    assert (hit.status, hit.max_assignments, hit.assignments_completed) == (
        HITStatus.ASSIGNABLE,
        3,
        2,
    )
    job = fresh(job)
    assert (job.human_labeled, job.unlabeled, job.open_hits) == (0, 2, 2)

    answer(job, crowd[2], "dog", django_capture_on_commit_callbacks)
    assert fresh(data_object).status == DataObjectStatus.UNLABELED
    assert fresh(hit).max_assignments == 4

    answer(job, crowd[3], "dog", django_capture_on_commit_callbacks)
    data_object = fresh(data_object)
    assert (data_object.status, data_object.label_metadata) == (
        DataObjectStatus.HUMAN_LABELED,
        {"class-name": "dog"},
    )
    assert data_object.confidence >= 0.9
    hit = fresh(hit)
    assert (hit.status, hit.max_assignments, hit.assignments_completed) == (
        HITStatus.REVIEWABLE,
        4,
        4,
    )
    assert hit_counts_match_rows(hit)
    assert fresh(job).human_labeled == 1


def test_an_object_stops_at_the_maximum(django_capture_on_commit_callbacks):
    job, _ = overlap_job(maximum=3, target=0.99)
    for worker, label in zip(workers(3), ["cat", "dog", "bird"], strict=True):
        answer(job, worker, label, django_capture_on_commit_callbacks)

    data_object = first_object(job)
    assert data_object.status == DataObjectStatus.HUMAN_LABELED
    assert data_object.confidence < 0.99
    assert (data_object.hit.max_assignments, data_object.hit.status) == (3, HITStatus.REVIEWABLE)


def test_rejected_answers_do_not_count_toward_the_maximum(django_capture_on_commit_callbacks):
    job, actor = overlap_job(maximum=3)
    crowd = workers(3)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    rejected = answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=actor, assignment=rejected, feedback="Not a dog")

    answer(job, crowd[2], "dog", django_capture_on_commit_callbacks)

    # Three answers were submitted, but two count (cat, dog): a tie, under the maximum.
    data_object = first_object(job)
    hit = fresh(data_object.hit)
    assert data_object.status == DataObjectStatus.UNLABELED
    assert (hit.status, hit.max_assignments, hit.assignments_completed) == (
        HITStatus.ASSIGNABLE,
        4,
        3,
    )


def test_a_full_batch_makes_the_object_wait_and_hits_release_reopens_it_first(
    django_capture_on_commit_callbacks,
):
    job, _ = overlap_job(objects=3, max_concurrent_tasks=1)
    crowd = workers(5)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)

    # The first HIT's close released the second object into the only slot.
    first, second, third = job.data_objects.order_by("line_number")
    assert (first.status, first.needs_more_answers) == (DataObjectStatus.UNLABELED, True)
    assert (fresh(first.hit).status, fresh(first.hit).max_assignments) == (HITStatus.REVIEWABLE, 3)
    assert fresh(job).open_hits == 1
    # While it waits, consolidating it changes nothing.
    before = database_snapshot()
    data_object_consolidate(data_object_id=first.pk)
    assert database_snapshot() == before

    answer(job, crowd[2], "bird", django_capture_on_commit_callbacks)
    answer(job, crowd[3], "bird", django_capture_on_commit_callbacks)

    # The second object is labeled; the waiting one takes the freed slot before the third.
    assert fresh(second).status == DataObjectStatus.HUMAN_LABELED
    first = fresh(first)
    assert (first.needs_more_answers, fresh(first.hit).status) == (False, HITStatus.ASSIGNABLE)
    assert not HIT.objects.filter(data_object=third).exists()
    job = fresh(job)
    assert (job.open_hits, job.status) == (1, JobStatus.RUNNING)

    answer(job, crowd[4], "dog", django_capture_on_commit_callbacks)
    assert fresh(first).hit.assignments_completed == 3


def test_objects_waiting_when_the_job_ends_are_labeled_with_what_they_have(
    django_capture_on_commit_callbacks,
):
    job, actor = overlap_job(objects=3, max_concurrent_tasks=1)
    crowd = workers(2)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)
    first = first_object(job)
    assert first.needs_more_answers

    with django_capture_on_commit_callbacks(execute=True):
        job_stop(actor=actor, job=job)

    first = fresh(first)
    assert (first.status, first.needs_more_answers, first.label_metadata) == (
        DataObjectStatus.HUMAN_LABELED,
        False,
        {"class-name": "cat"},  # a tie goes to the first label
    )
    job = fresh(job)
    assert (job.status, job.human_labeled) == (JobStatus.STOPPED, 1)


def test_the_sweep_labels_objects_whose_hit_expired_while_waiting(
    django_capture_on_commit_callbacks,
):
    job, _ = overlap_job(objects=3, max_concurrent_tasks=1)
    crowd = workers(2)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[0], "bird", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)
    _, waiting, _ = job.data_objects.order_by("line_number")
    assert fresh(waiting).needs_more_answers
    assert waiting_objects_settle() == 0  # still running, HIT not expired: it waits

    HIT.objects.filter(data_object=waiting).update(expires_at=timezone.now() - timedelta(1))
    assert waiting_objects_settle() == 1

    waiting = fresh(waiting)
    assert (waiting.status, waiting.needs_more_answers) == (DataObjectStatus.HUMAN_LABELED, False)
    assert fresh(job).human_labeled == 2
    assert waiting_objects_settle() == 0


def test_a_waiting_object_reopened_by_hits_release_is_not_released_twice(
    django_capture_on_commit_callbacks,
):
    job, _ = overlap_job(objects=2, max_concurrent_tasks=1)
    crowd = workers(2)
    answer(job, crowd[0], "cat", django_capture_on_commit_callbacks)
    answer(job, crowd[1], "dog", django_capture_on_commit_callbacks)
    first = first_object(job)
    assert fresh(first).needs_more_answers

    assert hits_release(job=job) == 0  # the batch is still full

    assert fresh(first).needs_more_answers
    assert fresh(job).open_hits == 1
