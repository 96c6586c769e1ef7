"""Escrow through the job lifecycle, with the real jobs services on PostgreSQL: launch holds
the quote, approval pays, rejection and savings release, vendors settle per object, the
end returns the rest, and nothing is paid twice or overdrawn."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, DataObjectStatus, JobStatus
from jobs.services.consolidation import data_object_consolidate
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch, job_stop
from jobs.services.review import (
    assignment_approve,
    assignment_reject,
    assignments_approve,
    assignments_reject,
)
from jobs.services.sweeps import (
    assignments_auto_approve,
    assignments_expire_leases,
    jobs_finish_expired,
)
from payments.balances import ledger_reconcile
from payments.escrow import assignment_pay_locked, job_holds_settle
from payments.exceptions import InsufficientFunds
from payments.models import Account, AccountKind, JobBudget, LedgerTransaction, TransactionKind
from payments.quotes import job_money_summary
from payments.tasks import job_holds_settle_task
from tests.concurrency import run_at_once
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.gold_support import gold_item
from tests.jobs.lifecycle import fresh, requester_of, workers
from tests.jobs.test_targeting import engagement, vendor_with_workers
from tests.marketplace.factories import FUNDED_BALANCE, OrganizationFactory
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db

D = Decimal


def balance(kind, *, organization=None, worker=None, job=None) -> Decimal:
    account = Account.objects.filter(
        kind=kind, organization=organization, worker=worker, job=job, currency="USD"
    ).first()
    return D("0.0000") if account is None else account.balance


def available(organization) -> Decimal:
    return balance(AccountKind.ORGANIZATION_AVAILABLE, organization=organization)


def on_hold(job) -> Decimal:
    return balance(AccountKind.ORGANIZATION_ON_HOLD, organization=job.organization, job=job)


def pending(worker) -> Decimal:
    return balance(AccountKind.WORKER_PENDING, worker=worker)


def fees() -> Decimal:
    return balance(AccountKind.PLATFORM_FEE_REVENUE)


def draft(*, objects: int = 3, funded=True, gold: int = 0, **job_kwargs):
    organization = OrganizationFactory(funded=funded)
    job = LabelingJobFactory(organization=organization, **job_kwargs)
    DataObjectFactory.create_batch(objects, job=job)
    actor = requester_of(organization)
    if gold:
        from jobs.services.gold import gold_add

        gold_add(actor=actor, job=job, items=[gold_item(number) for number in range(gold)])
    return job, actor


def launched(**kwargs):
    job, actor = draft(**kwargs)
    return job_launch(actor=actor, job=job), actor


def submit(job, worker, label: str = "cat") -> Assignment:
    assignment = assignment_claim_next(worker=worker, job=job)
    assert assignment is not None
    return assignment_submit(worker=worker, assignment=assignment, answer={"label": label})


def releases(job) -> list[str]:
    return list(
        LedgerTransaction.objects.filter(job=job, kind=TransactionKind.JOB_RELEASE)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )


# Launch.


@pytest.mark.parametrize(
    ("job_kwargs", "objects", "gold", "fee", "assignments", "total"),
    [
        # 20% of 0.05 is 0.01: 4 objects x 3 workers x 0.06.
        ({"reward": D("0.05"), "workers_per_object": 3}, 4, 0, "0.0100", 12, "0.7200"),
        # 20% of 0.01 is 0.002, below the 0.01 minimum fee.
        ({"reward": D("0.01"), "workers_per_object": 3}, 2, 0, "0.0100", 6, "0.1200"),
        # 0.125 x 20% = 0.025, half up to 0.03.
        ({"reward": D("0.125"), "workers_per_object": 1}, 3, 0, "0.0300", 3, "0.4650"),
        # Dynamic overlap holds the maximum: 5 workers per object, not 3.
        (
            {
                "reward": D("0.10"),
                "workers_per_object": 3,
                "max_workers_per_object": 5,
                "target_confidence": 0.9,
            },
            2,
            0,
            "0.0200",
            10,
            "1.2000",
        ),
        # Gold at rate 0.1 is allowed for at twice the rate: 12 x 0.2 / 0.8 = 3 more.
        (
            {"reward": D("0.05"), "workers_per_object": 3, "gold_rate": D("0.1")},
            4,
            2,
            "0.0100",
            15,
            "0.9000",
        ),
    ],
)
def test_launch_holds_exactly_the_quote(job_kwargs, objects, gold, fee, assignments, total):
    job, actor = draft(objects=objects, gold=gold, **job_kwargs)

    job = job_launch(actor=actor, job=job)

    budget = JobBudget.objects.get(job=job)
    assert budget.fee == D(fee)
    assert budget.data_objects == objects
    assert budget.data_objects * budget.assignments_per_object + budget.gold_assignments == (
        assignments
    )
    assert budget.amount_held == D(total)
    assert on_hold(job) == D(total)
    assert available(job.organization) == FUNDED_BALANCE - D(total)
    hold = LedgerTransaction.objects.get(job=job)
    assert (hold.idempotency_key, hold.kind, hold.reference) == (
        f"job-hold:{job.pk}",
        TransactionKind.JOB_HOLD,
        f"job:{job.pk}",
    )
    assert hold.created_by == actor


def test_large_hits_pay_the_extra_fee_on_their_maximum_overlap(settings):
    # A job takes at most 9 workers per object, below Mechanical Turk's 10; the threshold is
    # a setting, so the extra 20% is checked at 5.
    settings.PAYMENTS_LARGE_HIT_ASSIGNMENTS = 5
    job, _actor = launched(
        objects=2,
        reward=D("1.00"),
        workers_per_object=3,
        max_workers_per_object=5,
        target_confidence=0.9,
    )

    budget = JobBudget.objects.get(job=job)
    assert (budget.fee, budget.amount_held) == (D("0.40"), D("14.00"))  # 2 x 5 x 1.40


def test_a_vendor_job_holds_objects_times_the_vendors_price():
    job, _actor = vendor_job(objects=4)

    budget = JobBudget.objects.get(job=job)
    assert (budget.price_per_object, budget.vendor_fee, budget.amount_held) == (
        D("0.0800"),
        D("0.0200"),  # 20% of 0.08, to the cent
        D("0.3200"),
    )
    assert on_hold(job) == D("0.3200")


def test_launch_short_of_funds_is_refused_with_the_shortfall_and_changes_nothing():
    job, actor = draft(objects=4, funded=D("0.50"), reward=D("0.05"), workers_per_object=3)
    before = database_snapshot()

    with pytest.raises(InsufficientFunds) as refused:
        job_launch(actor=actor, job=job)

    assert refused.value.status_code == 402
    message = refused.value.message
    assert "0.72 USD" in message
    assert "0.50 USD" in message
    assert "top up 0.22 USD" in message
    assert refused.value.fields == {"balance": [message]}
    assert database_snapshot() == before
    assert fresh(job).status == JobStatus.DRAFT


def test_launch_with_exactly_the_quote_available_succeeds_and_empties_the_balance():
    job, actor = draft(objects=4, funded=D("0.72"), reward=D("0.05"), workers_per_object=3)

    job_launch(actor=actor, job=job)

    assert available(job.organization) == 0
    assert on_hold(job) == D("0.72")


def test_a_zero_total_writes_the_budget_and_posts_nothing():
    job, actor = draft(objects=2, funded=False, reward=D("0"))

    job_launch(actor=actor, job=job)

    assert JobBudget.objects.get(job=job).amount_held == 0
    assert not LedgerTransaction.objects.filter(job=job).exists()


def test_launching_again_holds_nothing_more():
    job, actor = launched(objects=2)

    job_launch(actor=actor, job=job)

    assert LedgerTransaction.objects.filter(job=job).count() == 1


# Approval.


def test_approval_pays_the_reward_to_pending_and_the_fee_to_the_platform_from_the_hold():
    job, actor = launched(objects=1, reward=D("0.05"), workers_per_object=1)
    (worker,) = workers(1)
    assignment = submit(job, worker)
    fees_before = fees()

    assignment_approve(actor=actor, assignment=assignment)

    assert pending(worker) == D("0.05")
    assert fees() - fees_before == D("0.01")
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")
    reward = LedgerTransaction.objects.get(kind=TransactionKind.REWARD, job=job)
    assert reward.idempotency_key == f"reward:{assignment.pk}"
    assert reward.reference == f"assignment:{assignment.assignment_id}"
    assert ledger_reconcile() == []


def test_approving_twice_or_paying_again_makes_one_transaction():
    job, actor = launched(objects=1, workers_per_object=1)
    (worker,) = workers(1)
    assignment = submit(job, worker)

    assignment_approve(actor=actor, assignment=assignment)
    assignment_approve(actor=actor, assignment=assignment)
    assignment_pay_locked(assignment=fresh(assignment), job=job)

    assert LedgerTransaction.objects.filter(kind=TransactionKind.REWARD).count() == 1
    assert pending(worker) == D("0.05")


def test_gold_assignments_are_paid_like_any_other():
    job, actor = launched(objects=1, gold=1, workers_per_object=1, gold_rate=D("0.5"))
    (worker,) = workers(1)
    from tests.jobs.gold_support import gold_due

    gold_due(job=job, worker=worker)
    assignment = submit(job, worker)
    assert assignment.hit.is_gold

    assignment_approve(actor=actor, assignment=assignment)

    assert pending(worker) == D("0.05")


def test_a_job_without_a_budget_moves_no_money():
    from tests.jobs.factories import HITFactory

    hit = HITFactory()  # a running job made by the factory, never launched by the service
    (worker,) = workers(1)
    assignment = submit(hit.job, worker)
    actor = requester_of(hit.job.organization)

    assignment_approve(actor=actor, assignment=assignment)

    assert not LedgerTransaction.objects.filter(job=hit.job).exists()
    assert pending(worker) == 0


def test_overriding_a_rejection_pays_from_available_once_the_hold_was_released():
    job, actor = launched(objects=1, workers_per_object=1)
    (worker,) = workers(1)
    assignment = submit(job, worker)
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong animal")
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE

    assignment_approve(actor=actor, assignment=assignment, override_rejection=True)

    assert pending(worker) == D("0.05")
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")
    reward = LedgerTransaction.objects.get(kind=TransactionKind.REWARD)
    assert {(e.account.kind, e.amount) for e in reward.entries.select_related("account")} == {
        (AccountKind.ORGANIZATION_AVAILABLE, D("-0.06")),
        (AccountKind.WORKER_PENDING, D("0.05")),
        (AccountKind.PLATFORM_FEE_REVENUE, D("0.01")),
    }


def test_approval_beyond_the_hold_takes_the_rest_from_available():
    job, actor = launched(objects=2, workers_per_object=1)
    first, second = workers(2)
    rejected = submit(job, first)
    other = submit(job, second)
    assignment_reject(actor=actor, assignment=rejected, feedback="No")  # hold 0.12 -> 0.06
    assignment_approve(actor=actor, assignment=other)  # hold 0.06 -> 0
    hold_drained = on_hold(job)

    assignment_approve(actor=actor, assignment=rejected, override_rejection=True)

    assert hold_drained == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.12")
    assert pending(first) == pending(second) == D("0.05")


def unaffordable_rework():
    """A submitted assignment on a job whose hold is empty, of an organization with nothing
    available: the job's only slot was rejected (releasing its money), another job took
    that money, and the rejected slot was then sent back for rework and answered again."""
    job, actor = launched(objects=1, workers_per_object=1, funded=D("0.06"))
    first, second = workers(2)
    rejected = submit(job, first)
    assignment_reject(actor=actor, assignment=rejected, feedback="Wrong")
    other = LabelingJobFactory(organization=job.organization, workers_per_object=1)
    DataObjectFactory(job=other)
    job_launch(actor=actor, job=other)  # takes the released 0.06, so nothing is re-held
    assignments_reject(actor=actor, assignments=[rejected], feedback="Redo", rework=True)
    answered = submit(job, second)
    assert (on_hold(job), available(job.organization)) == (0, 0)
    return job, actor, answered


def test_approval_with_both_the_hold_and_available_short_is_refused_with_the_shortfall():
    job, actor, assignment = unaffordable_rework()
    before = database_snapshot()

    with pytest.raises(InsufficientFunds) as refused:
        assignment_approve(actor=actor, assignment=assignment)

    assert refused.value.status_code == 402
    assert "top up 0.06 USD" in refused.value.message
    assert list(refused.value.fields) == ["balance"]
    assert database_snapshot() == before


def test_the_auto_approval_sweep_leaves_unaffordable_work_submitted_and_retries(caplog):
    job, _actor, assignment = unaffordable_rework()
    Assignment.objects.filter(pk=assignment.pk).update(
        auto_approval_at=timezone.now() - timedelta(seconds=1)
    )

    with caplog.at_level(logging.WARNING, logger="jobs.services.review"):
        assignments_auto_approve(batch_size=1)

    assert fresh(assignment).status == AssignmentStatus.SUBMITTED
    assert "postponed" in caplog.text
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REWARD).exists()

    from tests.marketplace.factories import organization_fund

    organization_fund(job.organization, D("1.00"))
    assignments_auto_approve()

    assert fresh(assignment).status == AssignmentStatus.APPROVED
    assert pending(assignment.worker) == D("0.05")


# Rejection.


def test_a_plain_rejection_releases_the_reward_and_fee():
    job, actor = launched(objects=1, workers_per_object=2)
    first, _second = workers(2)
    assignment = submit(job, first)

    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")

    assert on_hold(job) == D("0.06")
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")
    assert releases(job) == [f"job-release:{job.pk}:assignment:{assignment.pk}"]


def test_a_rejection_with_rework_keeps_the_money_held_for_the_reissued_slot():
    job, actor = launched(objects=1, workers_per_object=1)
    first, second = workers(2)
    assignment = submit(job, first)

    assignment_reject(actor=actor, assignment=assignment, feedback="Redo", rework=True)

    assert on_hold(job) == D("0.06")
    assert releases(job) == []
    assignment_approve(actor=actor, assignment=submit(job, second))
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")


def test_rework_sent_after_a_plain_rejection_holds_the_released_money_again():
    job, actor = launched(objects=1, workers_per_object=1)
    first, second = workers(2)
    assignment = submit(job, first)
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")
    assert on_hold(job) == 0

    assignments_reject(actor=actor, assignments=[assignment], feedback="Redo", rework=True)

    assert on_hold(job) == D("0.06")
    assert LedgerTransaction.objects.filter(
        idempotency_key=f"job-hold:{job.pk}:assignment:{assignment.pk}"
    ).exists()
    assert job_money_summary(job=job)["returned"] == 0  # released, then held again
    replacement = submit(job, second)
    data_object = data_object_consolidate(data_object_id=replacement.hit.data_object_id)
    assert data_object.status == DataObjectStatus.HUMAN_LABELED
    assert on_hold(job) == D("0.06")  # the replacement's pay is still held, nothing released
    assignment_approve(actor=actor, assignment=replacement)
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")


# Savings while the job runs.


def test_an_object_labeled_before_its_maximum_overlap_returns_the_unspent_reservation():
    job, actor = launched(
        objects=2,
        workers_per_object=1,
        max_workers_per_object=3,
        target_confidence=0.6,
        reward=D("0.05"),
    )
    assert on_hold(job) == D("0.36")  # 2 objects x 3 workers x 0.06
    (worker,) = workers(1)
    assignment = submit(job, worker)

    data_object = data_object_consolidate(data_object_id=assignment.hit.data_object_id)

    assert data_object.status == DataObjectStatus.HUMAN_LABELED  # one answer was enough
    assert on_hold(job) == D("0.24")  # 2 of its 3 slots can no longer be spent
    assert releases(job) == [f"job-release:{job.pk}:data_object:{data_object.pk}"]
    assignment_approve(actor=actor, assignment=assignment)
    assert on_hold(job) == D("0.18")  # the other object's 3 slots
    data_object_consolidate(data_object_id=data_object.pk)
    assert len(releases(job)) == 1  # consolidating again releases nothing more


def test_a_failed_object_returns_its_reservation_but_a_rejected_answer_is_not_released_twice():
    job, actor = launched(objects=2, workers_per_object=1)
    (worker,) = workers(1)
    assignment = submit(job, worker)
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")

    data_object = data_object_consolidate(data_object_id=assignment.hit.data_object_id)

    assert data_object.status == DataObjectStatus.FAILED
    assert on_hold(job) == D("0.06")  # the rejection already released the failed object's
    assert releases(job) == [f"job-release:{job.pk}:assignment:{assignment.pk}"]


# Vendor settlement.


def vendor_job(*, objects: int = 2, funded=True):
    requester = OrganizationFactory(funded=funded)
    actor = requester_of(requester)
    vendor, _workforce, labelers = vendor_with_workers(2)
    hired = engagement(requester, vendor)
    job = LabelingJobFactory(
        organization=requester, engagement=hired, workforce=_workforce, workers_per_object=1
    )
    DataObjectFactory.create_batch(objects, job=job)
    job = job_launch(actor=actor, job=job)
    job.labelers = labelers
    return job, actor


def test_a_vendor_is_paid_per_labeled_object_and_assignments_pay_no_reward():
    job, actor = vendor_job(objects=2)
    labeler = job.labelers[0]
    vendor_organization = job.engagement.vendor.organization
    fees_before = fees()
    assignment = submit(job, labeler)
    assignment_approve(actor=actor, assignment=assignment)
    assert pending(labeler) == 0

    data_object_consolidate(data_object_id=assignment.hit.data_object_id)
    data_object_consolidate(data_object_id=assignment.hit.data_object_id)

    settlement = LedgerTransaction.objects.get(kind=TransactionKind.VENDOR_SETTLEMENT)
    assert settlement.idempotency_key == f"vendor-settlement:{assignment.hit.data_object_id}"
    assert balance(AccountKind.VENDOR_AVAILABLE, organization=vendor_organization) == D("0.06")
    assert fees() - fees_before == D("0.02")
    assert on_hold(job) == D("0.08")


def test_a_vendors_failed_object_is_not_charged_and_its_price_returns():
    job, actor = vendor_job(objects=2)
    assignment = submit(job, job.labelers[0])
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")

    data_object = data_object_consolidate(data_object_id=assignment.hit.data_object_id)

    assert data_object.status == DataObjectStatus.FAILED
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.VENDOR_SETTLEMENT).exists()
    assert on_hold(job) == D("0.08")
    assert available(job.organization) == FUNDED_BALANCE - D("0.08")


def test_stopping_a_vendor_job_keeps_the_price_of_objects_still_being_worked():
    job, actor = vendor_job(objects=3)
    live = assignment_claim_next(worker=job.labelers[0], job=job)

    job_stop(actor=actor, job=job)

    assert on_hold(job) == D("0.08")
    assignment_submit(worker=job.labelers[0], assignment=live, answer={"label": "cat"})
    data_object_consolidate(data_object_id=live.hit.data_object_id)
    assert on_hold(job) == 0
    assert balance(
        AccountKind.VENDOR_AVAILABLE, organization=job.engagement.vendor.organization
    ) == D("0.06")
    assert available(job.organization) == FUNDED_BALANCE - D("0.08")


# The end.


def test_stop_returns_the_rest_while_outstanding_work_stays_held_then_the_beat_settles():
    job, actor = launched(objects=3, workers_per_object=1)
    live_worker, done_worker = workers(2)
    live = assignment_claim_next(worker=live_worker, job=job)
    done = submit(job, done_worker)

    job_stop(actor=actor, job=job)

    assert on_hold(job) == D("0.12")  # one live and one unreviewed assignment
    assert releases(job) == [f"job-release:{job.pk}:end:0"]
    assert available(job.organization) == FUNDED_BALANCE - D("0.12")

    assignment_approve(actor=actor, assignment=done)
    assert on_hold(job) == D("0.06")
    assignments_expire_leases(now=live.deadline + timedelta(seconds=1))
    assert job_holds_settle() == 1
    assert job_holds_settle() == 0
    job_holds_settle_task()

    assert on_hold(job) == 0
    assert releases(job) == [f"job-release:{job.pk}:end:0", f"job-release:{job.pk}:end:1"]
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")
    assert ledger_reconcile() == []


def test_expiry_completes_the_job_and_returns_everything_not_outstanding():
    job, actor = launched(objects=4, workers_per_object=2, max_concurrent_tasks=1)
    (worker,) = workers(1)
    done = submit(job, worker)

    jobs_finish_expired(now=job.expires_at + timedelta(seconds=1))

    assert fresh(job).status == JobStatus.COMPLETED
    assert on_hold(job) == D("0.06")
    assignment_approve(actor=actor, assignment=done)
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.06")


def test_completion_returns_what_is_left_after_the_last_object():
    job, actor = launched(objects=1, workers_per_object=2, reward=D("0.05"))
    first, second = workers(2)
    answers = [submit(job, first), submit(job, second)]
    assignments_approve(actor=actor, assignments=answers)

    data_object_consolidate(data_object_id=answers[0].hit.data_object_id)

    assert fresh(job).status == JobStatus.COMPLETED
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE - D("0.12")
    assert releases(job) == []  # nothing was left to return


def test_an_unpaid_job_ended_with_gold_allowance_returns_the_allowance():
    job, actor = launched(objects=2, gold=2, gold_rate=D("0.2"), workers_per_object=1)
    held = JobBudget.objects.get(job=job).amount_held
    assert JobBudget.objects.get(job=job).gold_assignments == 2  # 2 x 0.4 / 0.6, rounded up

    job_stop(actor=actor, job=job)

    assert held == D("0.24")
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE


# Concurrency.


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_never_overdraw_and_exactly_the_affordable_ones_succeed():
    """10 approvals (2 submitted, 8 rejections overridden) against a hold of 2 assignments
    and 1 assignment's worth available: exactly 3 are paid."""
    job, actor = launched(objects=10, workers_per_object=1, funded=D("1.02"))
    crowd = workers(10)
    answers = [submit(job, worker) for worker in crowd]

    assignments_reject(actor=actor, assignments=answers[2:], feedback="Wrong")
    other = LabelingJobFactory(organization=job.organization, workers_per_object=1)
    DataObjectFactory.create_batch(14, job=other)  # holds 0.84 of the 0.90 available
    job_launch(actor=actor, job=other)
    assert (on_hold(job), available(job.organization)) == (D("0.12"), D("0.06"))

    outcomes = run_at_once(
        *(
            lambda assignment=assignment: assignment_approve(
                actor=actor, assignment=assignment, override_rejection=True
            )
            for assignment in answers
        )
    )

    paid = [outcome for outcome in outcomes if isinstance(outcome, Assignment)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientFunds)]
    assert (len(paid), len(refused)) == (3, 7), outcomes
    assert (on_hold(job), available(job.organization)) == (0, 0)
    assert Assignment.objects.filter(hit__job=job, status=AssignmentStatus.APPROVED).count() == 3
    assert sum(pending(worker) for worker in crowd) == D("0.15")
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REWARD).count() == 3
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_the_beat_settle_run_from_many_threads_at_once_releases_once():
    job, actor = launched(objects=3, workers_per_object=1)
    (worker,) = workers(1)
    live = assignment_claim_next(worker=worker, job=job)
    job_stop(actor=actor, job=job)
    assignments_expire_leases(now=live.deadline + timedelta(seconds=1))
    assert on_hold(job) == D("0.06")

    outcomes = run_at_once(*(job_holds_settle for _ in range(6)))

    assert sorted(outcomes) == [0, 0, 0, 0, 0, 1], outcomes
    assert releases(job) == [f"job-release:{job.pk}:end:0", f"job-release:{job.pk}:end:1"]
    assert on_hold(job) == 0
    assert available(job.organization) == FUNDED_BALANCE
