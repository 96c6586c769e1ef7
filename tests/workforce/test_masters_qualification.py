"""Masters, the "top workers" system qualification: granted by accuracy against the
consolidated labels, kept with a lower bar, revoked with a reason, refreshed by the beat
task, and usable as a job requirement."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import AssignmentStatus, DataObjectStatus, HITStatus
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch
from tests.jobs.factories import (
    AssignmentFactory,
    DataObjectFactory,
    HITFactory,
    LabelingJobFactory,
    RunningJobFactory,
)
from tests.jobs.lifecycle import launched_job, requester_of
from tests.workforce.factories import WorkerProfileFactory
from workforce import system_qualifications
from workforce.eligibility import jobs_open_to_worker
from workforce.models import Qualification, QualificationStatus, SystemQualification
from workforce.qualifications import job_requirements_set
from workforce.system_qualifications import (
    MASTERS_GRANT_PERCENT,
    MASTERS_KEEP_PERCENT,
    MASTERS_MIN_JUDGED,
    accuracy_figures,
    masters_qualifications_refresh,
)
from workforce.tasks import system_qualifications_refresh

pytestmark = pytest.mark.django_db


def masters(worker):
    held = Qualification.objects.filter(
        worker=worker, qualification_type__type_id=SystemQualification.MASTERS
    ).first()
    return None if held is None else (held.integer_value, held.status)


def judged_answers(worker, *, right: int, wrong: int, job=None, others: int = 2, start=None):
    """`right` + `wrong` answers of `worker` to objects consolidated as "cat" from
    1 + `others` answers; the latest answers are the wrong ones."""
    job = job or RunningJobFactory()
    start = start or timezone.now() - timedelta(days=1)
    for number in range(right + wrong):
        hit = HITFactory(job=job, status=HITStatus.REVIEWABLE, assignments_completed=1 + others)
        data_object = hit.data_object
        data_object.status = DataObjectStatus.HUMAN_LABELED
        data_object.label = 0
        data_object.label_metadata = {"class-name": "cat"}
        data_object.labeled_at = timezone.now()
        data_object.save()
        AssignmentFactory(
            hit=hit,
            worker=worker,
            status=AssignmentStatus.SUBMITTED,
            answer={"label": "cat" if number < right else "dog"},
            submitted_at=start + timedelta(minutes=number),
        )
    return job


def test_accuracy_counts_agreement_over_objects_labeled_from_several_answers():
    worker = WorkerProfileFactory()
    judged_answers(worker, right=7, wrong=3)
    alone = RunningJobFactory()
    judged_answers(worker, right=0, wrong=4, job=alone, others=0)  # a single answer judges nothing

    assert accuracy_figures(worker_ids=[worker.pk]) == {worker.pk: (7, 10)}


def test_only_the_latest_answers_count(monkeypatch):
    monkeypatch.setattr(system_qualifications, "MASTERS_WINDOW", 5)
    worker = WorkerProfileFactory()
    judged_answers(worker, right=10, wrong=2)  # the two wrong ones are the latest

    assert accuracy_figures(worker_ids=[worker.pk]) == {worker.pk: (3, 5)}


def test_an_accurate_worker_with_enough_judged_answers_becomes_a_master():
    accurate, sloppy, new = WorkerProfileFactory.create_batch(3)
    judged_answers(accurate, right=MASTERS_MIN_JUDGED, wrong=0)
    judged_answers(sloppy, right=MASTERS_MIN_JUDGED - 5, wrong=5)  # 90%: below 95
    judged_answers(new, right=MASTERS_MIN_JUDGED - 1, wrong=0)  # too few to judge

    holders = masters_qualifications_refresh(worker_ids=[accurate.pk, sloppy.pk, new.pk])

    assert holders == 1
    assert masters(accurate) == (100, QualificationStatus.GRANTED)
    assert masters(sloppy) is None
    assert masters(new) is None


def test_a_master_keeps_it_down_to_the_lower_bar_then_loses_it_with_a_reason():
    worker = WorkerProfileFactory()
    job = judged_answers(worker, right=MASTERS_MIN_JUDGED, wrong=0)
    masters_qualifications_refresh(worker_ids=[worker.pk])
    assert masters(worker) == (100, QualificationStatus.GRANTED)

    # 50 right, 4 wrong: 92%, below the grant bar, above the keeping bar.
    judged_answers(worker, right=0, wrong=4, job=job, start=timezone.now())
    masters_qualifications_refresh(worker_ids=[worker.pk])
    assert masters(worker) == (92, QualificationStatus.GRANTED)

    # 50 right, 8 wrong: 86%.
    judged_answers(worker, right=0, wrong=4, job=job, start=timezone.now() + timedelta(hours=1))
    masters_qualifications_refresh(worker_ids=[worker.pk])
    held = Qualification.objects.get(
        worker=worker, qualification_type__type_id=SystemQualification.MASTERS
    )
    assert (held.status, held.integer_value) == (QualificationStatus.REVOKED, 86)
    assert held.revoke_reason == (
        "Your accuracy over your latest judged answers fell to 86%; Masters is kept from "
        f"{MASTERS_KEEP_PERCENT}% and granted again from {MASTERS_GRANT_PERCENT}%."
    )

    # Back to 92%: enough to keep, not to be granted again.
    judged_answers(worker, right=42, wrong=0, job=job, start=timezone.now() + timedelta(hours=2))
    masters_qualifications_refresh(worker_ids=[worker.pk])
    assert masters(worker) == (86, QualificationStatus.REVOKED)


def test_the_beat_task_grants_masters_to_workers_whose_objects_were_consolidated_and_is_idempotent(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(system_qualifications, "MASTERS_MIN_JUDGED", 4)
    job, _actor = launched_job(objects=4, workers_per_object=3)
    crowd = WorkerProfileFactory.create_batch(3)
    for _ in range(4):
        for worker, label in zip(crowd, ("cat", "cat", "dog"), strict=True):
            assignment = assignment_claim_next(worker=worker, job=job)
            # Consolidation runs on commit, as in production.
            with django_capture_on_commit_callbacks(execute=True):
                assignment_submit(worker=worker, assignment=assignment, answer={"label": label})

    system_qualifications_refresh.delay()
    first = [masters(worker) for worker in crowd]
    system_qualifications_refresh.delay()

    assert first == [(100, "Granted"), (100, "Granted"), None]
    assert [masters(worker) for worker in crowd] == first


def test_masters_gates_work_as_a_requirement():
    master, other = WorkerProfileFactory.create_batch(2)
    judged_answers(master, right=MASTERS_MIN_JUDGED, wrong=0)
    masters_qualifications_refresh(worker_ids=[master.pk, other.pk])
    gated = LabelingJobFactory()
    DataObjectFactory(job=gated)
    actor = requester_of(gated.organization)
    job_requirements_set(
        actor=actor,
        job=gated,
        requirements=[
            {
                "QualificationTypeId": SystemQualification.MASTERS.value,
                "Comparator": "Exists",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        ],
    )
    gated = job_launch(actor=actor, job=gated)

    assert jobs_open_to_worker(worker=master).filter(pk=gated.pk).exists()
    assert not jobs_open_to_worker(worker=other).filter(pk=gated.pk).exists()
