"""Earnings release: rewards and bonuses move from pending to available after the hold, once,
and never overdraw a pending balance that a correction or adjustment drew down."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from payments import earnings
from payments.balances import ledger_reconcile
from payments.earnings import earnings_release_due
from payments.ledger import ledger_correct, ledger_post, platform_account, worker_account
from payments.models import AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from payments.tasks import earnings_release_due_task
from tests.concurrency import run_at_once
from tests.payments.factories import OrganizationAccountFactory, new_key, top_up
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db
HOLD = timedelta(days=3)


@pytest.fixture
def hold(settings):
    settings.PAYMENTS_EARNINGS_HOLD_SECONDS = int(HOLD.total_seconds())
    settings.PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS = 30


def _earn(worker, reward: str, *, kind=TransactionKind.REWARD) -> LedgerTransaction:
    """A reward (or bonus) as approval posts it: the requester pays reward + 20% fee."""
    organization = OrganizationAccountFactory()
    reward_amount = Decimal(reward)
    fee = (reward_amount / 5).quantize(Decimal("0.0001"))
    top_up(organization, str(reward_amount + fee))
    pending = worker_account(worker=worker, kind=AccountKind.WORKER_PENDING, currency="USD")
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")
    return ledger_post(
        idempotency_key=new_key(kind),
        entries=[(organization, -(reward_amount + fee)), (pending, reward_amount), (fees, fee)],
        kind=kind,
        reference=f"assignment:{new_key('A')}",
    )


def _balances(worker) -> tuple[Decimal, Decimal]:
    pending = worker_account(worker=worker, kind=AccountKind.WORKER_PENDING, currency="USD")
    available = worker_account(worker=worker, kind=AccountKind.WORKER_AVAILABLE, currency="USD")
    return pending.balance, available.balance


def _releases():
    return LedgerTransaction.objects.filter(kind=TransactionKind.EARNINGS_RELEASE)


def test_an_earning_stays_pending_until_the_hold_is_over(hold):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.2500")

    outcome = earnings_release_due(now=earned.created_at + HOLD - timedelta(seconds=1))

    assert outcome.as_json() == {"released": 0, "skipped": 0}
    assert _balances(worker) == (Decimal("1.2500"), Decimal("0.0000"))
    assert not _releases().exists()


def test_after_the_hold_the_earning_moves_to_available_with_its_key_and_reference(hold):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.2500")
    bonus = _earn(worker, "0.0050", kind=TransactionKind.BONUS)

    outcome = earnings_release_due(now=bonus.created_at + HOLD)

    assert outcome.as_json() == {"released": 2, "skipped": 0}
    assert _balances(worker) == (Decimal("0.0000"), Decimal("1.2550"))
    release = _releases().get(idempotency_key=f"earnings-release:{earned.pk}")
    assert release.reference == f"ledger_transaction:{earned.pk}"
    assert sorted(
        (entry.account.kind, entry.amount) for entry in release.entries.select_related("account")
    ) == [
        (AccountKind.WORKER_AVAILABLE, Decimal("1.2500")),
        (AccountKind.WORKER_PENDING, Decimal("-1.2500")),
    ]
    assert _releases().filter(idempotency_key=f"earnings-release:{bonus.pk}").exists()
    assert ledger_reconcile() == []


def test_running_the_release_again_moves_nothing_more(hold):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "2.0000")
    now = earned.created_at + HOLD

    first = earnings_release_due(now=now)
    second = earnings_release_due(now=now + timedelta(hours=1))

    assert first.released == 1
    assert second.as_json() == {"released": 0, "skipped": 0}
    assert _releases().count() == 1
    assert _balances(worker) == (Decimal("0.0000"), Decimal("2.0000"))


def test_only_due_earnings_are_released_and_the_later_one_follows_later(hold):
    worker = WorkerProfileFactory()
    older = _earn(worker, "1.0000")
    newer = _earn(worker, "3.0000")

    earnings_release_due(now=older.created_at + HOLD)
    assert older.created_at < newer.created_at
    assert _balances(worker) == (Decimal("3.0000"), Decimal("1.0000"))
    earnings_release_due(now=newer.created_at + HOLD)

    assert _balances(worker) == (Decimal("0.0000"), Decimal("4.0000"))


def test_an_earning_corrected_in_full_releases_nothing(hold):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.0000")
    ledger_correct(idempotency_key="correct:1", corrects=earned, reason="Approved by mistake")

    outcome = earnings_release_due(now=earned.created_at + HOLD)

    assert outcome.as_json() == {"released": 0, "skipped": 1}
    assert not _releases().exists()
    assert _balances(worker) == (Decimal("0.0000"), Decimal("0.0000"))


def test_a_partly_corrected_earning_releases_what_is_left_of_it(hold):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.0000")
    pending = worker_account(worker=worker, kind=AccountKind.WORKER_PENDING, currency="USD")
    adjustments = platform_account(kind=AccountKind.ADJUSTMENTS, currency="USD")
    ledger_correct(
        idempotency_key="correct:part",
        corrects=earned,
        reason="Half of the reward was wrong",
        entries=[(pending, Decimal("-0.4000")), (adjustments, Decimal("0.4000"))],
    )

    earnings_release_due(now=earned.created_at + HOLD)

    assert _balances(worker) == (Decimal("0.0000"), Decimal("0.6000"))
    assert ledger_reconcile() == []


def test_a_pending_balance_drawn_down_elsewhere_is_skipped_and_logged_not_overdrawn(hold, caplog):
    worker = WorkerProfileFactory()
    first = _earn(worker, "1.0000")
    second = _earn(worker, "1.0000")
    pending = worker_account(worker=worker, kind=AccountKind.WORKER_PENDING, currency="USD")
    adjustments = platform_account(kind=AccountKind.ADJUSTMENTS, currency="USD")
    # Staff took 1.5 back by an adjustment that names neither earning.
    ledger_post(
        idempotency_key="adjust:1",
        entries=[(pending, Decimal("-1.5000")), (adjustments, Decimal("1.5000"))],
        kind=TransactionKind.ADJUSTMENT,
        reference=f"worker:{worker.pk}",
        reason="Fraud",
    )

    with caplog.at_level(logging.WARNING, logger="payments.earnings"):
        outcome = earnings_release_due(now=second.created_at + HOLD)

    assert outcome.as_json() == {"released": 0, "skipped": 2}
    assert _balances(worker) == (Decimal("0.5000"), Decimal("0.0000"))
    assert f"ledger transaction {first.pk} skipped" in caplog.text
    assert not _releases().exists()


def test_earnings_older_than_the_lookback_wait_for_a_full_scan(hold, settings):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.0000")
    much_later = earned.created_at + HOLD + timedelta(days=31)

    assert earnings_release_due(now=much_later).released == 0
    assert earnings_release_due(now=much_later, full_scan=True).released == 1
    assert _balances(worker) == (Decimal("0.0000"), Decimal("1.0000"))


def test_many_earnings_are_released_in_batches(hold, monkeypatch):
    monkeypatch.setattr(earnings, "BATCH_SIZE", 2)
    workers = [WorkerProfileFactory() for _ in range(3)]
    posted = [_earn(worker, "1.0000") for worker in workers for _ in range(2)]

    outcome = earnings_release_due(now=posted[-1].created_at + HOLD)

    assert outcome.released == 6
    assert all(_balances(worker) == (Decimal("0"), Decimal("2.0000")) for worker in workers)


def test_the_beat_task_releases_what_is_due(settings):
    settings.PAYMENTS_EARNINGS_HOLD_SECONDS = 0
    worker = WorkerProfileFactory()
    _earn(worker, "1.0000")

    result = earnings_release_due_task.apply().get()

    assert result == {"released": 1, "skipped": 0}
    assert _balances(worker) == (Decimal("0.0000"), Decimal("1.0000"))


def test_the_due_query_is_one_statement_per_batch(hold, django_assert_max_num_queries):
    worker = WorkerProfileFactory()
    earned = _earn(worker, "1.0000")
    earnings_release_due(now=earned.created_at + HOLD)

    with django_assert_max_num_queries(1):
        assert earnings_release_due(now=earned.created_at + HOLD).released == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_release_each_earning_once(hold):
    workers = [WorkerProfileFactory() for _ in range(4)]
    posted = [_earn(worker, "1.0000") for worker in workers]
    now = posted[-1].created_at + HOLD

    outcomes = run_at_once(*(lambda: earnings_release_due(now=now) for _ in range(4)))

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert _releases().count() == 4
    assert (
        LedgerEntry.objects.filter(transaction__kind=TransactionKind.EARNINGS_RELEASE).count() == 8
    )
    assert all(_balances(worker) == (Decimal("0"), Decimal("1.0000")) for worker in workers)
    assert ledger_reconcile() == []
