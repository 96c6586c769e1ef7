"""Gold questions' service: adding them (checked against the task type, all or nothing),
placing them at launch and later, keeping them out of counts and output, deactivating
them, scoring answers once, and the rate schedule."""

import random
from decimal import Decimal

import pytest
from django.utils import timezone

from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    HIT,
    DataObject,
    DataObjectStatus,
    GoldQuestion,
    GoldSet,
    HITStatus,
    JobStatus,
    JobWorker,
)
from jobs.output import output_manifest_lines, raw_responses_lines
from jobs.selectors import data_object_list, work_job_list
from jobs.services import gold
from jobs.services.consolidation import data_object_consolidate
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.gold import (
    gold_add,
    gold_answer_score,
    gold_deactivate,
    gold_rate_at,
    gold_set_add,
    gold_set_check,
    gold_set_create,
    gold_set_delete,
)
from jobs.services.jobs import job_launch, job_stop
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.gold_support import claim_and_submit, gold_due, gold_item, gold_job
from tests.jobs.lifecycle import fresh, requester_of, workers
from tests.marketplace.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


# Adding gold.


def test_gold_added_to_a_draft_is_stored_and_placed_at_launch():
    job = LabelingJobFactory(gold_rate=Decimal("0.1"))
    DataObjectFactory.create_batch(3, job=job)
    actor = requester_of(job.organization)

    added = gold_add(actor=actor, job=job, items=[gold_item(0), gold_item(1, label="dog")])

    assert [question.expected_answer for question in added] == [{"label": "cat"}, {"label": "dog"}]
    assert not DataObject.objects.filter(job=job, gold_question__isnull=False).exists()
    job = job_launch(actor=actor, job=job)
    placed = DataObject.objects.filter(job=job, gold_question__isnull=False).order_by("line_number")
    last = max(data_object_list(job=job).values_list("line_number", flat=True))
    assert [(obj.line_number, obj.data) for obj in placed] == [
        (last + 1, gold_item(0)["data"]),
        (last + 2, gold_item(1)["data"]),
    ]
    hits = HIT.objects.filter(data_object__in=placed)
    assert {(hit.is_gold, hit.max_assignments, hit.expires_at) for hit in hits} == {
        (True, GOLD_HIT_MAX_ASSIGNMENTS, job.expires_at)
    }
    job = fresh(job)
    assert (job.total_objects, job.open_hits) == (3, 3)


def test_gold_added_to_a_running_job_is_placed_at_once_and_placement_is_idempotent():
    job, actor = gold_job(objects=2, gold=1)

    gold_add(
        actor=actor,
        job=job,
        items={"data": {"source-ref": "s3://b/x.png"}, "answer": {"label": "dog"}},
    )

    assert gold.gold_place_locked(job=fresh(job), now=timezone.now()) == 0
    placed = DataObject.objects.filter(job=job, gold_question__isnull=False)
    last = max(data_object_list(job=job).values_list("line_number", flat=True))
    assert sorted(placed.values_list("line_number", flat=True)) == [last + 1, last + 2]
    assert HIT.objects.filter(job=job, is_gold=True).count() == 2
    assert fresh(job).open_hits == 2


def test_a_bad_item_refuses_the_whole_list_with_indexed_field_messages():
    job = LabelingJobFactory()
    actor = requester_of(job.organization)
    items = [
        gold_item(0),
        {"data": {"source-ref": "https://e.com/1.png"}, "answer": {"label": "zebra"}},
        {"data": {"source-ref": "https://e.com/2.png"}, "answer": {"label": "cat"}, "extra": 1},
        {
            "data": {"source-ref": "https://e.com/3.png"},
            "answer": {"label": "cat"},
            "tolerance": 0.5,
        },
        {"data": {"source": "text"}, "answer": {"label": "cat", "colour": "red"}},
        {"answer": {"label": "cat"}},
        "not an object",
    ]

    with pytest.raises(InvalidInput) as error:
        gold_add(actor=actor, job=job, items=items)

    fields = error.value.fields
    assert fields["gold[1].answer.label"] == ['"zebra" is not one of the job\'s labels.']
    assert fields["gold[2].extra"] == ["Unknown field."]
    assert "takes no tolerance" in fields["gold[3].tolerance"][0]
    assert fields["gold[4].answer.colour"] == ["Unknown field."]
    assert fields["gold[4].data"] == [
        'The line has "source", but image-classification needs "source-ref".'
    ]
    assert "required" in fields["gold[5].data"][0]
    assert "Give an object" in fields["gold[6]"][0]
    assert not any(name.startswith("gold[0]") for name in fields)
    assert not GoldQuestion.objects.exists()


def test_one_item_has_unindexed_field_messages_and_an_empty_list_is_refused():
    job = LabelingJobFactory()
    actor = requester_of(job.organization)

    with pytest.raises(InvalidInput) as one:
        gold_add(
            actor=actor,
            job=job,
            items={"data": {"source-ref": "https://e.com/1.png"}, "answer": {}},
        )
    with pytest.raises(InvalidInput) as empty:
        gold_add(actor=actor, job=job, items=[])

    assert one.value.fields == {"answer.label": ["This field is required."]}
    assert empty.value.fields == {"gold": ["Give at least one gold question."]}
    assert not GoldQuestion.objects.exists()


def test_gold_of_another_organization_or_an_ended_job_is_refused():
    job, actor = gold_job(gold=0)
    outsider = requester_of(OrganizationFactory())

    with pytest.raises(NotFound):
        gold_add(actor=outsider, job=job, items=[gold_item(0)])
    job_stop(actor=actor, job=job)
    with pytest.raises(Conflict):
        gold_add(actor=actor, job=job, items=[gold_item(0)])
    assert not GoldQuestion.objects.exists()


# Gold sets.


def test_gold_set_check_needs_the_same_organization_task_type_and_labels():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    gold_set = gold_set_create(
        actor=actor,
        organization=organization,
        name="Animals",
        task_type="image-classification",
        labels=["cat", "dog", "bird"],
    )

    assert (
        gold_set_check(
            organization_id=organization.pk,
            task_type="image-classification",
            labels=["cat", "dog", "bird"],
            gold_set=gold_set.pk,
        )
        == gold_set
    )
    for organization_id, task_type, labels, message in (
        (OrganizationFactory().pk, "image-classification", ["cat", "dog", "bird"], "No such"),
        (organization.pk, "text-classification", ["cat", "dog", "bird"], "must be the same"),
        (organization.pk, "image-classification", ["dog", "cat", "bird"], "must be the same"),
    ):
        with pytest.raises(InvalidInput) as error:
            gold_set_check(
                organization_id=organization_id,
                task_type=task_type,
                labels=labels,
                gold_set=gold_set,
            )
        assert message in error.value.fields["gold_set"][0]


def test_bad_gold_sets_are_refused_with_field_messages():
    organization = OrganizationFactory()
    actor = requester_of(organization)

    with pytest.raises(InvalidInput) as error:
        gold_set_create(
            actor=actor, organization=organization, name="", task_type="nope", labels=[]
        )
    assert set(error.value.fields) == {"name", "task_type"}
    with pytest.raises(InvalidInput) as error:
        gold_set_create(
            actor=actor,
            organization=organization,
            name="A",
            task_type="image-classification",
            labels=["x"],
        )
    assert set(error.value.fields) == {"labels"}
    gold_set_create(
        actor=actor,
        organization=organization,
        name="A",
        task_type="image-classification",
        labels=["x", "y"],
    )
    with pytest.raises(Conflict):
        gold_set_create(
            actor=actor,
            organization=organization,
            name="a",
            task_type="image-classification",
            labels=["x", "y"],
        )
    assert GoldSet.objects.count() == 1


def test_a_jobs_gold_set_questions_are_placed_and_new_ones_reach_running_jobs():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    gold_set = gold_set_create(
        actor=actor,
        organization=organization,
        name="Animals",
        task_type="image-classification",
        labels=["cat", "dog", "bird"],
    )
    gold_set_add(actor=actor, gold_set=gold_set, items=[gold_item(0)])
    job, _ = gold_job(objects=2, gold=1, organization=organization, gold_set=gold_set)

    assert HIT.objects.filter(job=job, is_gold=True).count() == 2
    gold_set_add(actor=actor, gold_set=gold_set, items=[gold_item(5)])
    assert HIT.objects.filter(job=job, is_gold=True).count() == 3
    with pytest.raises(Conflict):
        gold_set_delete(actor=actor, gold_set=gold_set)
    assert GoldSet.objects.filter(pk=gold_set.pk).exists()


# Out of counts, lists, output and consolidation.


def test_gold_objects_stay_out_of_counts_lists_output_and_completion(
    django_capture_on_commit_callbacks,
):
    job, actor = gold_job(objects=1, gold=1, workers_per_object=1)
    worker, other = workers(2)
    gold_object = DataObject.objects.get(job=job, gold_question__isnull=False)

    # The gold object, then the real one (which completes the job).
    gold_due(job=job, worker=other)
    with django_capture_on_commit_callbacks(execute=True):
        gold_assignment = claim_and_submit(job=job, worker=other)
    with django_capture_on_commit_callbacks(execute=True):
        claim_and_submit(job=job, worker=worker, label="dog")

    assert gold_assignment.hit.is_gold
    job = fresh(job)
    assert (job.status, job.total_objects, job.human_labeled) == (JobStatus.COMPLETED, 1, 1)
    assert [obj.pk for obj in data_object_list(job=job)] == [
        obj.pk for obj in DataObject.objects.filter(job=job).exclude(pk=gold_object.pk)
    ]
    assert len(list(output_manifest_lines(job=job))) == 1
    assert "gold" not in "".join(output_manifest_lines(job=job))
    responses = list(raw_responses_lines(job=job))
    assert len(responses) == 1
    assert gold_assignment.assignment_id not in responses[0]
    assert fresh(gold_object).status == DataObjectStatus.UNLABELED
    assert HIT.objects.get(data_object=gold_object).status == HITStatus.REVIEWABLE
    assert fresh(job).open_hits == 0


def test_work_lists_do_not_count_gold_hits():
    job, _ = gold_job(objects=2, gold=3)
    worker = workers(1)[0]

    listed = work_job_list(worker=worker).get(pk=job.pk)

    assert listed.hits_available == 2


def test_stopping_closes_gold_hits_without_lowering_open_hits_for_them():
    job, actor = gold_job(objects=2, gold=2)

    job_stop(actor=actor, job=job)

    assert set(HIT.objects.filter(job=job).values_list("status", flat=True)) == {
        HITStatus.REVIEWABLE
    }
    assert fresh(job).open_hits == 0


# Deactivation.


def test_deactivated_gold_is_not_served_and_keeps_its_answers(
    django_capture_on_commit_callbacks,
):
    job, actor = gold_job(objects=3, gold=1)
    first, second = workers(2)
    gold_due(job=job, worker=first)
    with django_capture_on_commit_callbacks(execute=True):
        answered = claim_and_submit(job=job, worker=first)
    question = GoldQuestion.objects.get(job=job)

    gold_deactivate(actor=actor, question=question)
    gold_deactivate(actor=actor, question=question)  # again: unchanged
    gold_due(job=job, worker=second)
    served = assignment_claim_next(worker=second, job=job)

    assert not served.hit.is_gold
    assert HIT.objects.get(job=job, is_gold=True).status == HITStatus.DISPOSED
    assert fresh(answered).answer == {"label": "cat"}
    assert fresh(answered).gold_correct is True
    assert not fresh(question).active


# Scoring.


def test_scoring_counts_each_answer_once_even_when_run_again():
    job, _ = gold_job(objects=1, gold=1)
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment = assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    gold_answer_score(assignment_id=assignment.pk)
    gold_answer_score(assignment_id=assignment.pk)

    standing = JobWorker.objects.get(job=job, worker=worker)
    assert (standing.gold_answered, standing.gold_correct) == (1, 0)
    assert fresh(assignment).gold_correct is False


def test_answers_to_real_objects_are_never_scored():
    job, _ = gold_job(objects=1, gold=1)
    worker = workers(1)[0]
    assignment = claim_and_submit(job=job, worker=worker)

    gold_answer_score(assignment_id=assignment.pk)

    assert fresh(assignment).gold_correct is None
    assert JobWorker.objects.get(job=job, worker=worker).gold_answered == 0


def test_consolidation_leaves_a_gold_object_unlabeled():
    job, _ = gold_job(objects=1, gold=1)
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)
    assignment = claim_and_submit(job=job, worker=worker)
    HIT.objects.filter(pk=assignment.hit_id).update(status=HITStatus.REVIEWABLE)

    gold_object = DataObject.objects.get(job=job, gold_question__isnull=False)
    result = data_object_consolidate(data_object_id=gold_object.pk)

    assert result.status == DataObjectStatus.UNLABELED
    assert fresh(job).human_labeled == 0


# The rate schedule.


def test_the_rate_starts_higher_and_decays_to_the_gold_rate():
    schedule = gold.GoldSchedule(boost=2.0, tasks=10.0)

    rates = [
        gold_rate_at(submitted=n, gold_rate=0.1, schedule=schedule) for n in (0, 1, 10, 50, 200)
    ]

    assert rates[0] == pytest.approx(0.3)
    assert rates[1] == pytest.approx(0.1 * (1 + 2 * 0.904837), rel=1e-5)
    assert rates[2] == pytest.approx(0.1 * (1 + 2 / 2.718281828), rel=1e-6)
    assert rates[3] == pytest.approx(0.1, abs=0.01)
    assert rates[4] == pytest.approx(0.1)
    assert rates == sorted(rates, reverse=True)
    assert gold_rate_at(submitted=0, gold_rate=0.4, schedule=schedule) == 0.5  # capped
    assert gold_rate_at(submitted=0, gold_rate=0, schedule=schedule) == 0


def test_seeded_workers_get_more_gold_in_their_first_ten_tasks_than_in_tasks_40_to_50():
    draws = random.Random(20261203)
    early = late = 0
    for _worker in range(2_000):
        for n in range(1, 51):
            is_gold = gold.gold_is_due(draw=draws.random(), submitted=n, gold_rate=0.2)
            if n <= 10:
                early += is_gold
            elif n > 40:
                late += is_gold

    assert early / 20_000 > 0.3
    assert late / 20_000 == pytest.approx(0.2, abs=0.02)
    assert early > 1.5 * late


# Admin.


def test_gold_sets_and_questions_render_read_only_in_the_admin(staff_client):
    job, _ = gold_job(objects=1, gold=1)
    question = GoldQuestion.objects.get(job=job)
    organization = job.organization
    gold_set = gold_set_create(
        actor=requester_of(organization),
        organization=organization,
        name="Animals",
        task_type="image-classification",
        labels=["cat", "dog"],
    )

    pages = [
        staff_client.get(f"/admin/jobs/goldset/{gold_set.pk}/change/"),
        staff_client.get("/admin/jobs/goldset/"),
        staff_client.get(f"/admin/jobs/goldquestion/{question.pk}/change/"),
        staff_client.get("/admin/jobs/goldquestion/"),
    ]

    assert [page.status_code for page in pages] == [200] * 4
    assert staff_client.get("/admin/jobs/goldquestion/add/").status_code == 403
