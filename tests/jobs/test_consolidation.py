"""Consolidation: an object's answers become its label and confidence once all are in, with
the job's method and worker model; the job's counters move, the job completes when nothing
is left, and a refit is queued every REFIT_EVERY_OBJECTS labels."""

import pytest

from jobs import tasks
from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    HIT,
    DataObject,
    DataObjectStatus,
    GoldQuestion,
    HITStatus,
    JobStatus,
    JobWorker,
)
from jobs.services.consolidation import (
    DEFAULT_ACCURACY,
    data_object_consolidate,
    job_class_priors,
    job_class_priors_forget,
    worker_accuracy,
)
from jobs.services.dispatch import assignment_accept, assignment_claim_next, assignment_submit
from jobs.services.jobs import job_stop
from jobs.services.review import assignment_reject
from marketplace.exceptions import NotFound
from tests.jobs.factories import DataObjectFactory, HITFactory
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


# The job's method and worker model (issue 5).


def answer_object(job, answers) -> list:
    """The job's oldest open object answered by each (worker, label) in turn."""
    submitted = []
    for worker, label in answers:
        assignment = assignment_claim_next(worker=worker, job=job)
        submitted.append(
            assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
        )
    return submitted


def standing(job, worker, **fields) -> JobWorker:
    return JobWorker.objects.create(job=job, worker=worker, **fields)


def test_dawid_skene_outvotes_a_worker_the_model_knows_is_biased(
    django_capture_on_commit_callbacks,
):
    # The biased worker says "cat" whatever the animal; the other one is reliable.
    job, _ = launched_job(objects=2, workers_per_object=2)
    biased, reliable = workers(2)
    standing(job, biased, skill=0.33, confusion=[[10, 0, 0], [10, 0, 0], [10, 0, 0]])
    standing(job, reliable, skill=0.9, confusion=[[9, 1, 0], [0, 9, 1], [1, 0, 9]])

    with django_capture_on_commit_callbacks(execute=True):
        answer_object(job, [(biased, "cat"), (reliable, "dog")])

    data_object = job.data_objects.order_by("line_number").first()
    assert (data_object.status, data_object.label_metadata) == (
        DataObjectStatus.HUMAN_LABELED,
        {"class-name": "dog"},
    )
    assert 0.6 < data_object.confidence < 1.0


def test_majority_vote_ignores_the_worker_model(django_capture_on_commit_callbacks):
    job, _ = launched_job(objects=2, workers_per_object=2, consolidation_method="majority-vote")
    biased, reliable = workers(2)
    standing(job, biased, skill=0.33, confusion=[[10, 0, 0], [10, 0, 0], [10, 0, 0]])

    with django_capture_on_commit_callbacks(execute=True):
        answer_object(job, [(biased, "cat"), (reliable, "dog")])

    data_object = job.data_objects.order_by("line_number").first()
    # A tie goes to the label listed first.
    assert (data_object.label, data_object.confidence) == (0, 0.5)


@pytest.mark.parametrize("method", ["one-coin-dawid-skene", "weighted-majority-vote"])
def test_skill_methods_trust_a_skilled_worker_over_two_poor_ones(
    method, django_capture_on_commit_callbacks
):
    job, _ = launched_job(objects=2, workers_per_object=3, consolidation_method=method)
    expert, first, second = workers(3)
    standing(job, expert, skill=0.95)
    standing(job, first, skill=0.35)
    standing(job, second, skill=0.35)

    with django_capture_on_commit_callbacks(execute=True):
        answer_object(job, [(expert, "bird"), (first, "dog"), (second, "dog")])

    data_object = job.data_objects.order_by("line_number").first()
    assert data_object.label_metadata == {"class-name": "bird"}


def test_new_workers_count_as_the_default_accuracy():
    assert worker_accuracy(skill=None, gold_correct=0, gold_answered=0) == pytest.approx(
        DEFAULT_ACCURACY
    )
    assert worker_accuracy(skill=None, gold_correct=10, gold_answered=10) > 0.9
    assert worker_accuracy(skill=None, gold_correct=0, gold_answered=10) < 0.2
    # The model's estimate wins over gold, kept off 0 and 1.
    assert worker_accuracy(skill=0.8, gold_correct=0, gold_answered=10) == 0.8
    assert worker_accuracy(skill=1.0, gold_correct=0, gold_answered=0) == 0.99


def test_the_class_priors_add_up_the_workers_confusion_rows():
    job, _ = launched_job(objects=1)
    first, second, third = workers(3)
    standing(job, first, confusion=[[5, 1, 0], [1, 1, 0], [0, 0, 0]])
    standing(job, second, confusion=[[2, 0, 0], [0, 1, 0], [0, 0, 1]])
    standing(job, third, confusion=[[1, 2], [3, 4]])  # not K x K: left out

    priors = job_class_priors(job_id=job.pk, n_labels=3)

    # Row sums 8, 3, 1, plus one per label.
    assert priors.tolist() == pytest.approx([9 / 15, 4 / 15, 2 / 15])
    JobWorker.objects.filter(job=job).delete()
    assert job_class_priors(job_id=job.pk, n_labels=3).tolist() == pytest.approx(
        [9 / 15, 4 / 15, 2 / 15]
    ), "cached until a refit forgets them"
    job_class_priors_forget(job_id=job.pk)
    assert job_class_priors(job_id=job.pk, n_labels=3).tolist() == pytest.approx([1 / 3] * 3)


def test_a_gold_object_is_returned_unchanged():
    job, _ = launched_job(objects=1, workers_per_object=1)
    gold = GoldQuestion.objects.create(
        organization=job.organization,
        job=job,
        data={"source-ref": "https://example.com/gold.png"},
        expected_answer={"label": "dog"},
        created_by=job.created_by,
    )
    gold_object = DataObjectFactory(job=job, gold_question=gold)
    hit = HITFactory(
        job=job, data_object=gold_object, is_gold=True, max_assignments=GOLD_HIT_MAX_ASSIGNMENTS
    )
    worker = workers(1)[0]
    assignment = assignment_accept(worker=worker, hit=hit)
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    HIT.objects.filter(pk=hit.pk).update(status=HITStatus.REVIEWABLE)
    before = database_snapshot()

    data_object_consolidate(data_object_id=gold_object.pk)

    assert database_snapshot() == before


def test_an_object_without_a_counted_answer_fails_or_stays_unlabeled_in_a_stopped_job(
    django_capture_on_commit_callbacks,
):
    job, actor = launched_job(objects=2, workers_per_object=1)
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = answer_object(job, [(workers(1)[0], "cat")])
        (second,) = answer_object(job, [(workers(1)[0], "dog")])
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=actor, assignment=first, feedback="Not a cat")
    assert fresh(first.hit.data_object).status == DataObjectStatus.FAILED
    job = fresh(job)
    assert (job.status, job.human_labeled, job.failed_objects) == (JobStatus.COMPLETED, 1, 1)

    stopped, actor = launched_job(objects=2, workers_per_object=1)
    with django_capture_on_commit_callbacks(execute=True):
        (answered,) = answer_object(stopped, [(workers(1)[0], "cat")])
        job_stop(actor=actor, job=stopped)
        assignment_reject(actor=actor, assignment=answered, feedback="Not a cat")
    data_object = fresh(answered.hit.data_object)
    assert (data_object.status, data_object.label) == (DataObjectStatus.UNLABELED, None)
    assert fresh(stopped).human_labeled == 0


def test_a_refit_is_queued_each_time_the_labeled_count_crosses_a_multiple(
    settings, django_capture_on_commit_callbacks
):
    settings.REFIT_EVERY_OBJECTS = 2
    job, _ = launched_job(objects=6, workers_per_object=1)
    crowd = workers(5)

    for worker in crowd:
        with django_capture_on_commit_callbacks(execute=True):
            answer_object(job, [(worker, "cat")])

    refits = list(job.events.filter(kind="refit").order_by("id").values_list("data", flat=True))
    assert [data["objects"] for data in refits] == [2, 4]
    assert fresh(job).status == JobStatus.RUNNING

    with django_capture_on_commit_callbacks(execute=True):
        answer_object(job, [(workers(1)[0], "dog")])

    # The sixth label crosses 6 and completes the job, which queues its final refit too
    # (a second refit of the same answers).
    assert fresh(job).status == JobStatus.COMPLETED
    assert job.events.filter(kind="refit").count() == 4
    assert job.events.filter(kind="refit").last().data["changed_labels"] == 0


def test_a_big_jobs_refit_step_is_a_share_of_its_objects(
    settings, django_capture_on_commit_callbacks
):
    # 10 objects, a 30% share: the step is 3 labels, not REFIT_EVERY_OBJECTS = 1.
    settings.REFIT_EVERY_OBJECTS = 1
    settings.REFIT_SHARE = 0.3
    job, _ = launched_job(objects=10, workers_per_object=1)

    for worker in workers(7):
        with django_capture_on_commit_callbacks(execute=True):
            answer_object(job, [(worker, "cat")])

    refits = list(job.events.filter(kind="refit").order_by("id").values_list("data", flat=True))
    assert [data["objects"] for data in refits] == [3, 6]
