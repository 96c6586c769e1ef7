"""Top workers, the system qualification valued at the lower bound of a worker's cross-job
skill interval: granted from a bar over enough judged answers, updated, kept down to a
lower bar, revoked with a reason; refreshed by the beat task and the command; usable as a
requirement with a comparator; seen by the worker. And Masters judging gold answers."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jobs.models import AssignmentStatus, HITStatus, JobWorker
from jobs.services.jobs import job_launch
from tests.jobs.factories import (
    AssignmentFactory,
    DataObjectFactory,
    HITFactory,
    LabelingJobFactory,
    RunningJobFactory,
)
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import session_client
from tests.workforce.factories import WorkerProfileFactory
from workforce.eligibility import jobs_open_to_worker
from workforce.models import Qualification, QualificationStatus, SystemQualification
from workforce.qualifications import job_requirements_set
from workforce.system_qualifications import (
    TOP_WORKERS_GRANT_PERCENT,
    TOP_WORKERS_KEEP_PERCENT,
    accuracy_figures,
    top_workers_figures,
    top_workers_qualifications_refresh,
)
from workforce.tasks import top_workers_refresh

pytestmark = pytest.mark.django_db

# Values with the Beta(2, 1) prior, interval mean +- 1.96 sd, floored to a percent:
# 30 of 30: Beta(32, 1), mean 32/33 = 0.9697, sd sqrt(32 / (33^2 * 34)) = 0.0294,
#   low 0.9697 - 0.0576 = 0.9121 -> 91.
# 15 of 15: Beta(17, 1), low 0.8414 -> 84, but 15 judged answers are fewer than 20.
# 48 of 50: Beta(50, 3), mean 0.9434, sd 0.0314, low 0.8818 -> 88.
# 30 of 33: Beta(32, 4), mean 0.8889, sd 0.0517, low 0.7876 -> 78.
# 38 of 42: Beta(40, 5), mean 0.8889, sd 0.0463, low 0.7981 -> 79.
# 30 of 40: Beta(32, 11), mean 0.7442, sd 0.0658, low 0.6153 -> 61.
# 40 of 50 agreement, no gold: Beta(42, 11), mean 0.7925, sd 0.0552, low 0.6843 -> 68.


def top_workers(worker):
    held = Qualification.objects.filter(
        worker=worker, qualification_type__type_id=SystemQualification.TOP_WORKERS
    ).first()
    return None if held is None else (held.integer_value, held.status)


def standing(worker, *, job=None, **counters):
    return JobWorker.objects.create(job=job or RunningJobFactory(), worker=worker, **counters)


def test_the_value_is_the_lower_bound_of_the_cross_job_skill():
    worker = WorkerProfileFactory()
    standing(worker, gold_answered=20, gold_correct=20)
    standing(worker, gold_answered=10, gold_correct=10, agreement_answered=5)

    assert top_workers_figures(worker_ids=[worker.pk]) == {worker.pk: (91, 30)}


def test_granted_from_the_bar_over_enough_judged_answers():
    top, lucky, good, sloppy, new = WorkerProfileFactory.create_batch(5)
    standing(top, gold_answered=30, gold_correct=30)
    standing(lucky, gold_answered=15, gold_correct=15)  # 84 but too few answers
    standing(good, gold_answered=50, gold_correct=48)
    standing(sloppy, agreement_answered=50, agreement_matched=40)  # 68: below the bar

    holders = top_workers_qualifications_refresh(
        worker_ids=[top.pk, lucky.pk, good.pk, sloppy.pk, new.pk]
    )

    assert holders == 2
    assert top_workers(top) == (91, QualificationStatus.GRANTED)
    assert top_workers(good) == (88, QualificationStatus.GRANTED)
    assert [top_workers(w) for w in (lucky, sloppy, new)] == [None, None, None]


def test_updated_kept_down_to_the_lower_bar_then_revoked_with_a_reason():
    worker = WorkerProfileFactory()
    row = standing(worker, gold_answered=30, gold_correct=30)
    top_workers_qualifications_refresh(worker_ids=[worker.pk])
    assert top_workers(worker) == (91, QualificationStatus.GRANTED)

    JobWorker.objects.filter(pk=row.pk).update(gold_answered=33)  # 78: kept, value moves
    top_workers_qualifications_refresh(worker_ids=[worker.pk])
    assert top_workers(worker) == (78, QualificationStatus.GRANTED)

    JobWorker.objects.filter(pk=row.pk).update(gold_answered=40)  # 61: revoked
    assert top_workers_qualifications_refresh(worker_ids=[worker.pk]) == 0
    held = Qualification.objects.get(
        worker=worker, qualification_type__type_id=SystemQualification.TOP_WORKERS
    )
    assert (held.status, held.integer_value) == (QualificationStatus.REVOKED, 61)
    assert held.revoke_reason == (
        "Your skill across jobs fell to 61% (the lower end of its 95% interval); Top workers "
        f"is kept from {TOP_WORKERS_KEEP_PERCENT}% and granted again from "
        f"{TOP_WORKERS_GRANT_PERCENT}%."
    )

    JobWorker.objects.filter(pk=row.pk).update(gold_answered=42, gold_correct=38)  # 79
    top_workers_qualifications_refresh(worker_ids=[worker.pk])
    assert top_workers(worker) == (61, QualificationStatus.REVOKED)  # not granted again < 80


def test_refreshing_twice_changes_nothing():
    worker = WorkerProfileFactory()
    standing(worker, gold_answered=30, gold_correct=30)
    top_workers_qualifications_refresh(worker_ids=[worker.pk])
    first = Qualification.objects.get(worker=worker)

    top_workers_qualifications_refresh(worker_ids=[worker.pk])

    again = Qualification.objects.get(worker=worker)
    assert (again.pk, again.integer_value, again.granted_at, again.updated_at) == (
        first.pk,
        first.integer_value,
        first.granted_at,
        first.updated_at,
    )


def test_the_beat_task_refreshes_workers_whose_standing_moved_lately():
    recent, stale = WorkerProfileFactory.create_batch(2)
    standing(recent, gold_answered=30, gold_correct=30)
    old = standing(stale, gold_answered=30, gold_correct=30)
    JobWorker.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    top_workers_refresh.delay()

    assert top_workers(recent) == (91, QualificationStatus.GRANTED)
    assert top_workers(stale) is None


def test_the_command_refreshes_named_workers_or_everyone(capsys):
    named, other = WorkerProfileFactory.create_batch(2)
    standing(named, gold_answered=30, gold_correct=30)
    standing(other, gold_answered=50, gold_correct=48)

    call_command("top_workers_refresh", "--worker", named.worker_id)
    assert (top_workers(named), top_workers(other)) == ((91, "Granted"), None)

    call_command("top_workers_refresh")
    assert top_workers(other) == (88, "Granted")
    assert capsys.readouterr().out.splitlines()[-1] == "2 worker(s) hold Top workers."

    with pytest.raises(CommandError, match="No such worker: NOBODY"):
        call_command("top_workers_refresh", "--worker", "NOBODY")


def test_a_job_can_require_top_workers_at_90_or_more():
    best, good, new = WorkerProfileFactory.create_batch(3)
    standing(best, gold_answered=30, gold_correct=30)  # 91
    standing(good, gold_answered=50, gold_correct=48)  # 88
    top_workers_qualifications_refresh(worker_ids=[best.pk, good.pk, new.pk])
    gated = LabelingJobFactory()
    DataObjectFactory(job=gated)
    actor = requester_of(gated.organization)
    job_requirements_set(
        actor=actor,
        job=gated,
        requirements=[
            {
                "QualificationTypeId": SystemQualification.TOP_WORKERS.value,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [90],
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        ],
    )
    gated = job_launch(actor=actor, job=gated)

    assert jobs_open_to_worker(worker=best).filter(pk=gated.pk).exists()
    assert not jobs_open_to_worker(worker=good).filter(pk=gated.pk).exists()
    assert not jobs_open_to_worker(worker=new).filter(pk=gated.pk).exists()


def test_the_worker_sees_it_among_their_qualifications():
    worker = WorkerProfileFactory()
    standing(worker, gold_answered=30, gold_correct=30)
    top_workers_qualifications_refresh(worker_ids=[worker.pk])

    response = session_client(worker.user).get("/api/v1/work/qualifications/")

    assert response.status_code == 200
    [row] = [
        row
        for row in response.json()["results"]
        if row["QualificationTypeId"] == SystemQualification.TOP_WORKERS.value
    ]
    assert (row["Name"], row["IntegerValue"], row["Status"]) == ("Top workers", 91, "Granted")


# Masters judges gold answers too.


def test_masters_accuracy_counts_scored_gold_answers_as_judged():
    worker = WorkerProfileFactory()
    job = RunningJobFactory()
    for number, correct in enumerate((True, True, True, False)):
        gold_hit = HITFactory(job=job, is_gold=True, status=HITStatus.ASSIGNABLE)
        AssignmentFactory(
            hit=gold_hit,
            worker=worker,
            status=AssignmentStatus.SUBMITTED,
            answer={"label": "cat"},
            submitted_at=timezone.now() - timedelta(minutes=number),
            gold_correct=correct,
        )
    unscored = HITFactory(job=job, is_gold=True, status=HITStatus.ASSIGNABLE)
    AssignmentFactory(
        hit=unscored,
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        answer={"label": "cat"},
        submitted_at=timezone.now(),
    )

    # Three of the four scored gold answers were right; the unscored one is not judged.
    assert accuracy_figures(worker_ids=[worker.pk]) == {worker.pk: (3, 4)}
