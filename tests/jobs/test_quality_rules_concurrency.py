"""Quality rules under concurrency, with real threads against PostgreSQL: two checks of the
same worker at once act once, with one record."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, HITStatus, QualityActionRecord
from jobs.services.quality_rules import quality_rule_create, rules_check_worker
from tests.concurrency import run_at_once
from tests.jobs.factories import AssignmentFactory, HITFactory, RunningJobFactory
from tests.jobs.lifecycle import fresh, requester_of
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WorkerBlock
from workforce.selectors import public_crowd_get

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = range(2)


@pytest.fixture(autouse=True)
def _public_crowd():
    """Transactional tests empty the tables afterwards, the data migration's row included."""
    public_crowd_get()


def submitted(job, worker):
    now = timezone.now()
    return AssignmentFactory(
        hit=HITFactory(job=job, max_assignments=1, status=HITStatus.REVIEWABLE),
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        accepted_at=now - timedelta(seconds=5),
        submitted_at=now,
        answer={"label": "cat"},
    )


@pytest.mark.parametrize("action", ["block", "reject_pending", "remove_from_job"])
@pytest.mark.parametrize("round_", ROUNDS)
def test_two_checks_at_once_act_once(action, round_):
    job = RunningJobFactory(max_concurrent_tasks=10)
    worker = WorkerProfileFactory()
    mine = [submitted(job, worker) for _ in range(2)]
    rule = quality_rule_create(
        actor=requester_of(job.organization),
        job=job,
        collector="submissions_24h",
        operator="gte",
        value=2,
        action=action,
        reason="Too fast.",
    )

    outcomes = run_at_once(
        lambda: rules_check_worker(job_id=job.pk, worker_id=worker.pk),
        lambda: rules_check_worker(job_id=job.pk, worker_id=worker.pk),
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert sorted(len(outcome) for outcome in outcomes) == [0, 1]
    (record,) = QualityActionRecord.objects.filter(rule=rule, worker=worker)
    assert "error" not in record.result
    if action == "block":
        assert WorkerBlock.objects.filter(worker=worker).count() == 1
    if action == "reject_pending":
        assert set(Assignment.objects.filter(worker=worker).values_list("status", flat=True)) == {
            AssignmentStatus.REJECTED
        }
        for assignment in mine:
            assert fresh(assignment.hit).max_assignments == 2
