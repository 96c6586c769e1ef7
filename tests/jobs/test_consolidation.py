"""Consolidation: an object's answers become its label and confidence once all are in, the
job's counters move, and the job completes when nothing is left."""

import pytest

from jobs import tasks
from jobs.models import DataObject, DataObjectStatus, JobStatus
from jobs.services.consolidation import data_object_consolidate
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from marketplace.exceptions import NotFound
from tests.jobs.factories import DataObjectFactory
from tests.jobs.lifecycle import fresh, launched_job, workers
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def answer_all(job, labels_per_object: list[list[str]]) -> None:
    """Each object (in line order) answered by fresh workers with the given labels."""
    for labels in labels_per_object:
        for worker, label in zip(workers(len(labels)), labels, strict=True):
            assignment = assignment_claim_next(worker=worker, job=job)
            assignment_submit(worker=worker, assignment=assignment, answer={"label": label})


def test_majority_vote_writes_the_majority_label_with_its_share_of_votes():
    job, _ = launched_job(objects=2, workers_per_object=3, consolidation_method="majority-vote")
    answer_all(job, [["dog", "cat", "dog"]])
    data_object = job.data_objects.order_by("line_number").first()

    data_object = data_object_consolidate(data_object_id=data_object.pk)

    data_object = fresh(data_object)
    assert data_object.status == DataObjectStatus.HUMAN_LABELED
    assert (data_object.label, data_object.confidence) == (1, 0.67)
    assert data_object.label_metadata == {"class-name": "dog"}
    assert data_object.labeled_at is not None
    job = fresh(job)
    assert (job.human_labeled, job.unlabeled, job.status) == (1, 1, JobStatus.RUNNING)


def test_consolidating_again_changes_nothing():
    job, _ = launched_job(objects=2, workers_per_object=1)
    answer_all(job, [["cat"]])
    data_object = job.data_objects.order_by("line_number").first()
    data_object_consolidate(data_object_id=data_object.pk)
    before = database_snapshot()

    data_object_consolidate(data_object_id=data_object.pk)
    tasks.data_object_consolidate.delay(data_object.pk)

    assert database_snapshot() == before


def test_an_object_still_waiting_for_answers_is_left_alone():
    job, _ = launched_job(objects=1, workers_per_object=3)
    answer_all(job, [["cat", "cat"]])
    before = database_snapshot()

    data_object_consolidate(data_object_id=job.data_objects.get().pk)

    assert database_snapshot() == before


def test_objects_without_a_hit_or_labeled_by_a_model_are_left_alone():
    job, _ = launched_job(objects=1, max_concurrent_tasks=1)
    waiting = DataObjectFactory(job=job)
    machine = job.data_objects.exclude(pk=waiting.pk).get()
    DataObject.objects.filter(pk=machine.pk).update(status=DataObjectStatus.MACHINE_LABELED)
    before = database_snapshot()

    data_object_consolidate(data_object_id=waiting.pk)
    data_object_consolidate(data_object_id=machine.pk)

    assert database_snapshot() == before


def test_the_last_object_completes_the_job(django_capture_on_commit_callbacks):
    job, _ = launched_job(objects=2, workers_per_object=2, consolidation_method="majority-vote")

    with django_capture_on_commit_callbacks(execute=True):
        answer_all(job, [["cat", "cat"], ["dog", "cat"]])

    job = fresh(job)
    assert job.status == JobStatus.COMPLETED
    assert (job.human_labeled, job.unlabeled, job.open_hits) == (2, 0, 0)
    labels = list(job.data_objects.order_by("line_number").values_list("label", "confidence"))
    # A tie goes to the label listed first in the job ("cat").
    assert labels == [(0, 1.0), (0, 0.5)]
    assert job.events.get(kind="completed").data == {"reason": "every object is labeled or failed"}


def test_an_unknown_object_is_not_found():
    with pytest.raises(NotFound):
        data_object_consolidate(data_object_id=10**9)
    tasks.data_object_consolidate.delay(10**9)  # the task shrugs: the object is gone
