"""Quality rules' service: each collector's figure on fixtures, each action fired with its
evidence and exactly once, rules running as answers and returns arrive, removal from a job,
and the job's has_quality_rules flag."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    Assignment,
    AssignmentStatus,
    DataObjectStatus,
    HITStatus,
    JobStatus,
    JobWorker,
    LabelingJob,
    QualityActionRecord,
)
from jobs.services.dispatch import assignment_claim_next, assignment_return, assignment_submit
from jobs.services.quality_collectors import rule_figures
from jobs.services.quality_rules import (
    notice_text,
    quality_rule_create,
    quality_rule_set_active,
    rules_check_worker,
)
from marketplace.exceptions import Conflict
from tests.jobs.factories import (
    AssignmentFactory,
    DataObjectFactory,
    HITFactory,
    LabelingJobFactory,
    RunningJobFactory,
)
from tests.jobs.lifecycle import fresh, launched_job, requester_of
from tests.workforce.factories import QualificationTypeFactory, WorkerProfileFactory
from workforce.models import Qualification, WorkerBlock
from workforce.selectors import public_crowd_get

pytestmark = pytest.mark.django_db


def add_rule(job, actor=None, **fields):
    fields = {
        "collector": "submissions_24h",
        "operator": "gte",
        "value": 2,
        "action": "remove_from_job",
        "reason": "Too many tasks too fast.",
        **fields,
    }
    return quality_rule_create(actor=actor or requester_of(job.organization), job=job, **fields)


def answer(
    job,
    worker,
    *,
    status=AssignmentStatus.SUBMITTED,
    seconds=60,
    active_seconds=None,
    ago=timedelta(minutes=1),
    label="cat",
    gold_correct=None,
    object_label=None,
):
    """One of `worker`'s assignments on a HIT of its own: submitted `ago`, after `seconds`
    from its accept (or ended then, for a returned one)."""
    data_object = DataObjectFactory(job=job)
    if object_label is not None:
        data_object.status = DataObjectStatus.HUMAN_LABELED
        data_object.label = job.labels.index(object_label)
        data_object.label_metadata = {"class-name": object_label}
        data_object.save()
    hit = HITFactory(
        job=job,
        data_object=data_object,
        is_gold=gold_correct is not None,
        max_assignments=GOLD_HIT_MAX_ASSIGNMENTS if gold_correct is not None else 3,
    )
    now = timezone.now()
    submitted = status in (
        AssignmentStatus.SUBMITTED,
        AssignmentStatus.APPROVED,
        AssignmentStatus.REJECTED,
    )
    return AssignmentFactory(
        hit=hit,
        worker=worker,
        status=status,
        accepted_at=now - ago - timedelta(seconds=seconds),
        submitted_at=now - ago if submitted else None,
        ended_at=None if submitted or status == AssignmentStatus.ACCEPTED else now - ago,
        answer={"label": label} if submitted else None,
        active_seconds=active_seconds,
        gold_correct=gold_correct,
    )


@pytest.fixture
def job():
    return RunningJobFactory()


@pytest.fixture
def worker():
    return WorkerProfileFactory()


def figures_of(job, worker, **fields):
    rule = add_rule(job, **fields)
    return rule_figures(rule=rule, job=job, worker_id=worker.pk)


# Collectors.


def test_gold_accuracy_is_the_share_of_scored_gold_answers_that_were_right(job, worker):
    right = [answer(job, worker, gold_correct=True, ago=timedelta(minutes=m)) for m in (4, 3, 2)]
    wrong = answer(job, worker, gold_correct=False, ago=timedelta(minutes=1))
    answer(job, worker)  # not gold
    answer(job, WorkerProfileFactory(), gold_correct=False)  # someone else's

    figures = figures_of(job, worker, collector="gold_accuracy", operator="lt", value=0.8)

    assert (figures.figure, figures.count, figures.details) == (0.75, 4, {"correct": 3})
    evidence_ids = list(figures.evidence_ids.values_list("assignment_id", flat=True))
    assert evidence_ids == [wrong.assignment_id, *[a.assignment_id for a in reversed(right)]]


def test_gold_accuracy_over_the_latest_answers_only(job, worker):
    answer(job, worker, gold_correct=True, ago=timedelta(minutes=5))
    answer(job, worker, gold_correct=False, ago=timedelta(minutes=2))
    answer(job, worker, gold_correct=False, ago=timedelta(minutes=1))

    figures = figures_of(
        job, worker, collector="gold_accuracy", operator="lt", value=0.5, params={"history_size": 2}
    )

    assert (figures.figure, figures.count) == (0.0, 2)


def test_majority_agreement_judges_answers_on_labeled_objects_against_their_label(job, worker):
    answer(job, worker, label="cat", object_label="cat")
    answer(job, worker, label="cat", object_label="cat")
    disagreeing = answer(job, worker, label="dog", object_label="cat")
    answer(job, worker, label="dog")  # the object has no label yet
    answer(job, worker, label="dog", object_label="cat", status=AssignmentStatus.RETURNED)

    figures = figures_of(job, worker, collector="majority_agreement", operator="lt", value=0.7)

    assert (figures.figure, figures.count) == (0.666667, 3)
    assert figures.details == {
        "matched": 2,
        "disagreed_assignment_ids": [disagreeing.assignment_id],
    }


def test_fast_responses_counts_submits_under_the_threshold(job, worker):
    quick = answer(job, worker, seconds=2)
    active = answer(job, worker, seconds=100, active_seconds=1)  # the page's own timing
    answer(job, worker, seconds=30)
    answer(job, worker, seconds=3, active_seconds=40)  # quick wall time, but worked 40 s

    count = figures_of(
        job,
        worker,
        collector="fast_responses",
        operator="gte",
        value=2,
        params={"threshold_seconds": 10},
    )
    share = figures_of(
        job,
        worker,
        collector="fast_responses",
        operator="gte",
        value=0.5,
        params={"threshold_seconds": 10, "measure": "share"},
    )

    assert (count.figure, count.count, count.details) == (2, 4, {"fast": 2, "share": 0.5})
    assert (share.figure, share.count) == (0.5, 4)
    assert set(count.evidence_ids.values_list("assignment_id", flat=True)) == {
        quick.assignment_id,
        active.assignment_id,
    }


def test_fast_responses_over_the_latest_answers_only(job, worker):
    answer(job, worker, seconds=1, ago=timedelta(minutes=9))
    answer(job, worker, seconds=50, ago=timedelta(minutes=2))
    answer(job, worker, seconds=1, ago=timedelta(minutes=1))

    figures = figures_of(
        job,
        worker,
        collector="fast_responses",
        operator="gte",
        value=1,
        params={"threshold_seconds": 10, "history_size": 2},
    )

    assert (figures.figure, figures.count) == (1, 2)


def test_returns_in_row_counts_the_run_since_the_last_submit(job, worker):
    answer(job, worker, status=AssignmentStatus.RETURNED)
    answer(job, worker)
    run = [
        answer(job, worker, status=status)
        for status in (
            AssignmentStatus.RETURNED,
            AssignmentStatus.ABANDONED,
            AssignmentStatus.EXPIRED,
        )
    ]
    answer(job, worker, status=AssignmentStatus.ACCEPTED)  # being worked on

    figures = figures_of(job, worker, collector="returns_in_row", operator="gte", value=3)

    assert (figures.figure, figures.count) == (3, 5)
    assert list(figures.evidence_ids.values_list("assignment_id", flat=True)) == [
        assignment.assignment_id for assignment in reversed(run)
    ]


def test_returns_in_row_without_a_submit_counts_every_return(job, worker):
    answer(job, worker, status=AssignmentStatus.RETURNED)
    answer(job, worker, status=AssignmentStatus.EXPIRED)

    figures = figures_of(job, worker, collector="returns_in_row", operator="gte", value=2)

    assert (figures.figure, figures.count) == (2, 2)


def test_submissions_24h_counts_the_last_day(job, worker):
    answer(job, worker, ago=timedelta(hours=1))
    answer(job, worker, ago=timedelta(hours=23), status=AssignmentStatus.APPROVED)
    answer(job, worker, ago=timedelta(hours=25))
    answer(job, worker, status=AssignmentStatus.RETURNED)
    answer(RunningJobFactory(), worker)  # another job

    figures = figures_of(job, worker, collector="submissions_24h", operator="gte", value=2)

    assert (figures.figure, figures.count) == (2, 3)


def test_a_collector_reads_with_one_query(job, worker, django_assert_num_queries):
    rule = add_rule(job, collector="fast_responses", params={"threshold_seconds": 5})
    for _ in range(3):
        answer(job, worker)

    with django_assert_num_queries(1):
        figures = rule_figures(rule=rule, job=job, worker_id=worker.pk)

    assert figures.count == 3


# Rules acting, once.


def test_a_rule_acts_once_with_its_evidence(job, worker):
    first = answer(job, worker, ago=timedelta(minutes=2))
    second = answer(job, worker, ago=timedelta(minutes=1))
    rule = add_rule(job, min_answers=2)

    records = rules_check_worker(job_id=job.pk, worker_id=worker.pk)
    again = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert again == []
    (record,) = records
    assert QualityActionRecord.objects.get() == record
    assert (record.rule, record.worker, record.action, record.reason) == (
        rule,
        worker,
        "remove_from_job",
        "Too many tasks too fast.",
    )
    assert record.evidence == {
        "collector": "submissions_24h",
        "params": {},
        "condition": {"operator": "gte", "value": 2.0},
        "min_answers": 2,
        "figure": 2,
        "count": 2,
        "assignment_ids": [second.assignment_id, first.assignment_id],
    }
    assert record.result == {"removed": True}


def test_a_rule_waits_for_min_answers(job, worker):
    answer(job, worker)
    add_rule(
        job, collector="fast_responses", params={"threshold_seconds": 600}, value=1, min_answers=2
    )

    assert rules_check_worker(job_id=job.pk, worker_id=worker.pk) == []
    answer(job, worker)
    assert len(rules_check_worker(job_id=job.pk, worker_id=worker.pk)) == 1


def test_a_condition_that_does_not_hold_does_nothing(job, worker):
    answer(job, worker)
    add_rule(job, value=5)

    assert rules_check_worker(job_id=job.pk, worker_id=worker.pk) == []
    assert not QualityActionRecord.objects.exists()


def test_inactive_rules_and_ended_jobs_do_not_act(job, worker):
    answer(job, worker)
    answer(job, worker)
    rule = add_rule(job)
    quality_rule_set_active(actor=rule.created_by, rule=rule, active=False)
    assert rules_check_worker(job_id=job.pk, worker_id=worker.pk) == []

    quality_rule_set_active(actor=rule.created_by, rule=rule, active=True)
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
    assert rules_check_worker(job_id=job.pk, worker_id=worker.pk) == []
    assert not QualityActionRecord.objects.exists()


def test_remove_from_job_stops_claims_in_that_job_only(django_capture_on_commit_callbacks):
    job, actor = launched_job(objects=4, workers_per_object=1)
    other, _ = launched_job(objects=2, workers_per_object=1)
    add_rule(job, actor, reason="You worked too fast.")
    worker = WorkerProfileFactory()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assignment = assignment_claim_next(worker=worker, job_id=job.pk)
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    standing = JobWorker.objects.get(job=job, worker=worker)
    assert standing.removed_at is not None
    assert standing.removed_reason == "You worked too fast."
    assert assignment_claim_next(worker=worker, job=job) is None
    assert assignment_claim_next(worker=worker, job_id=job.pk) is None
    assert assignment_claim_next(worker=worker).hit.job_id == other.pk
    assert assignment_claim_next(worker=WorkerProfileFactory(), job=job) is not None
    (record,) = QualityActionRecord.objects.all()
    assert notice_text(record) == "You were removed from this job: you get no more of its tasks."


def test_a_return_runs_the_rules(django_capture_on_commit_callbacks):
    job, actor = launched_job(objects=3, workers_per_object=1)
    add_rule(job, actor, collector="returns_in_row", value=2, reason="You skip too much.")
    worker = WorkerProfileFactory()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assignment = assignment_claim_next(worker=worker, job_id=job.pk)
            assignment_return(worker=worker, assignment=assignment)

    (record,) = QualityActionRecord.objects.all()
    assert (record.evidence["figure"], record.evidence["count"]) == (2, 2)
    assert fresh(JobWorker.objects.get(job=job, worker=worker)).removed_at is not None
    assert assignment_claim_next(worker=worker, job=job) is None


def test_block_uses_the_organizations_block_with_the_reason(job, worker):
    answer(job, worker)
    answer(job, worker)
    add_rule(job, action="block", reason="Spam answers.")

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    block = WorkerBlock.objects.get(organization=job.organization, worker=worker)
    assert block.reason == "Spam answers."
    assert record.result == {"blocked": True, "block_id": block.pk}


def test_block_keeps_an_existing_block(job, worker):
    WorkerBlock.objects.create(organization=job.organization, worker=worker, reason="Mine.")
    answer(job, worker)
    answer(job, worker)
    add_rule(job, action="block")

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert WorkerBlock.objects.get().reason == "Mine."
    assert record.result == {"blocked": False, "already_blocked": True}


def test_reject_pending_rejects_and_reissues_so_another_worker_takes_the_hit(
    django_capture_on_commit_callbacks,
):
    job, actor = launched_job(objects=2, workers_per_object=1)
    add_rule(
        job,
        actor,
        collector="fast_responses",
        params={"threshold_seconds": 3600},
        value=2,
        action="reject_pending",
        reason="Answers too fast to be real.",
    )
    worker = WorkerProfileFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assignment = assignment_claim_next(worker=worker, job_id=job.pk)
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    mine = list(Assignment.objects.filter(worker=worker).order_by("pk"))
    assert [a.status for a in mine] == [AssignmentStatus.REJECTED] * 2
    assert {a.requester_feedback for a in mine} == {"Answers too fast to be real."}
    assert all(a.reissued_at is not None for a in mine)
    for assignment in mine:
        hit = fresh(assignment.hit)
        assert (hit.status, hit.max_assignments, hit.assignments_completed) == (
            HITStatus.ASSIGNABLE,
            2,
            1,
        )
    (record,) = QualityActionRecord.objects.all()
    assert record.result["rejected"] == sorted(a.assignment_id for a in mine)
    assert {item["assignment_id"] for item in record.result["reissued"]} == {
        a.assignment_id for a in mine
    }
    assert record.evidence["figure"] == 2
    assert set(record.evidence["assignment_ids"]) == {a.assignment_id for a in mine}
    another = WorkerProfileFactory()
    taken = assignment_claim_next(worker=another, job=job)
    assert taken.hit_id in {a.hit_id for a in mine}
    assert notice_text(record) == (
        "Your work awaiting review in this job was rejected (2 assignments)."
    )


def test_reject_pending_leaves_approved_work_alone(job, worker):
    approved = answer(job, worker, status=AssignmentStatus.APPROVED)
    pending = answer(job, worker)
    add_rule(job, action="reject_pending")

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert fresh(approved).status == AssignmentStatus.APPROVED
    assert fresh(pending).status == AssignmentStatus.REJECTED
    assert record.result["rejected"] == [pending.assignment_id]


def test_change_overlap_adds_workers_to_the_workers_unlabeled_objects(job, worker):
    unlabeled = answer(job, worker)
    labeled = answer(job, worker, object_label="cat")
    add_rule(job, action="change_overlap", action_params={"extra": 2})

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert fresh(unlabeled.hit).max_assignments == 5
    assert fresh(labeled.hit).max_assignments == 3
    assert record.result == {"hits": 1, "extra": 2, "slots": {"open": 2}, "skipped": []}


def test_change_overlap_with_relabel_takes_labeled_objects_too(job, worker):
    unlabeled = answer(job, worker)
    labeled = answer(job, worker, object_label="cat")
    add_rule(job, action="change_overlap", action_params={"extra": 1, "relabel": True})

    rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert (fresh(unlabeled.hit).max_assignments, fresh(labeled.hit).max_assignments) == (4, 4)


def test_set_skill_grants_the_organizations_qualification(job, worker):
    skill = QualificationTypeFactory(owner=job.organization, name="Careful")
    answer(job, worker)
    answer(job, worker)
    add_rule(
        job,
        action="set_skill",
        action_params={"qualification_type_id": skill.type_id, "value": 20},
    )

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    qualification = Qualification.objects.get(qualification_type=skill, worker=worker)
    assert (qualification.status, qualification.integer_value) == ("Granted", 20)
    assert record.result == {
        "qualification_type_id": skill.type_id,
        "qualification_name": "Careful",
        "value": 20,
    }


def test_an_action_the_state_refuses_is_logged_with_its_error_once(job, worker):
    rule = add_rule(job, action="block")
    rule.created_by.memberships.all().delete()  # the author left the organization
    answer(job, worker)
    answer(job, worker)

    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    assert record.result == {"error": "not_found", "message": "Not found."}
    assert not WorkerBlock.objects.exists()
    assert rules_check_worker(job_id=job.pk, worker_id=worker.pk) == []


def test_each_rule_acts_once_per_worker_and_independently(job, worker):
    answer(job, worker)
    answer(job, worker)
    add_rule(job)
    add_rule(job, action="block")
    other = WorkerProfileFactory()
    answer(job, other)

    assert len(rules_check_worker(job_id=job.pk, worker_id=worker.pk)) == 2
    assert rules_check_worker(job_id=job.pk, worker_id=other.pk) == []
    answer(job, other)
    assert len(rules_check_worker(job_id=job.pk, worker_id=other.pk)) == 2
    assert QualityActionRecord.objects.count() == 4


# The has_quality_rules flag and ended jobs.


def test_the_flag_follows_the_active_rules(job):
    actor = requester_of(job.organization)
    first = add_rule(job, actor)
    second = add_rule(job, actor)
    assert fresh(job).has_quality_rules

    quality_rule_set_active(actor=actor, rule=first, active=False)
    assert fresh(job).has_quality_rules
    quality_rule_set_active(actor=actor, rule=second, active=False)
    assert not fresh(job).has_quality_rules
    quality_rule_set_active(actor=actor, rule=second, active=True)
    assert fresh(job).has_quality_rules


def test_an_ended_job_takes_no_rule_and_keeps_its_rules(job):
    actor = requester_of(job.organization)
    rule = add_rule(job, actor)
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.STOPPED)

    with pytest.raises(Conflict) as refused:
        add_rule(fresh(job), actor)
    with pytest.raises(Conflict):
        quality_rule_set_active(actor=actor, rule=rule, active=False)

    assert refused.value.code == "job_ended"
    assert list(job.quality_rules.values_list("active", flat=True)) == [True]


def test_a_draft_job_takes_rules():
    job = LabelingJobFactory(workforce=public_crowd_get())
    rule = add_rule(job)
    assert rule.active
    assert fresh(job).has_quality_rules


# Eligibility of a removed worker, on every path.


def test_a_removed_worker_cannot_accept_a_hit_of_that_job_nor_is_listed_eligible(job, worker):
    from jobs.services.dispatch import assignment_accept
    from marketplace.exceptions import NotFound
    from workforce.eligibility import jobs_open_to_worker, workers_eligible_for_job

    hit = HITFactory(job=job)
    other_hit = HITFactory(job=RunningJobFactory())
    JobWorker.objects.create(job=job, worker=worker, removed_at=timezone.now())

    with pytest.raises(NotFound):
        assignment_accept(worker=worker, hit=hit)
    assert assignment_accept(worker=worker, hit=other_hit).hit_id == other_hit.pk
    assert job.pk not in set(jobs_open_to_worker(worker=worker).values_list("pk", flat=True))
    assert worker not in workers_eligible_for_job(job=job)
    assert worker in workers_eligible_for_job(job=other_hit.job)


def test_a_standing_without_removal_keeps_the_job_open(job, worker):
    from workforce.eligibility import jobs_open_to_worker

    JobWorker.objects.create(job=job, worker=worker, submitted=3)

    assert job.pk in set(jobs_open_to_worker(worker=worker).values_list("pk", flat=True))


def test_rules_run_in_a_paused_job(job, worker):
    answer(job, worker)
    answer(job, worker)
    add_rule(job)
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.PAUSED)

    assert len(rules_check_worker(job_id=job.pk, worker_id=worker.pk)) == 1
