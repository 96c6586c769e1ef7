"""The ledger under concurrency, with real threads against PostgreSQL: parallel debits never
overdraw, and one idempotency key posted at once from many threads posts once."""

from decimal import Decimal

import pytest

from marketplace.exceptions import Conflict
from payments.balances import ledger_reconcile
from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_post
from payments.models import Account, LedgerEntry, LedgerTransaction, TransactionKind
from tests.concurrency import run_at_once
from tests.payments.factories import OrganizationAccountFactory, WorkerAccountFactory, top_up

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = range(3)
THREADS = 12


def _debit(source: Account, target: Account, amount: str, key: str):
    return lambda: ledger_post(
        idempotency_key=key,
        entries=[(source, -Decimal(amount)), (target, Decimal(amount))],
        kind=TransactionKind.REWARD,
        reference=f"assignment:{key}",
    )


@pytest.mark.parametrize("round_", ROUNDS)
def test_parallel_debits_never_overdraw_and_exactly_the_affordable_ones_succeed(round_):
    organization = OrganizationAccountFactory()
    top_up(organization, "5.0000")  # affords 3 debits of 1.5000, with 0.5000 left
    workers = [WorkerAccountFactory() for _ in range(THREADS)]

    outcomes = run_at_once(
        *(
            _debit(organization, worker, "1.5000", f"r{round_}-{i}")
            for i, worker in enumerate(workers)
        )
    )

    posted = [outcome for outcome in outcomes if isinstance(outcome, LedgerTransaction)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientFunds)]
    assert len(posted) == 3
    assert len(refused) == THREADS - 3
    organization.refresh_from_db()
    assert organization.balance == Decimal("0.5000")
    assert sum(Account.objects.get(pk=w.pk).balance for w in workers) == Decimal("4.5000")
    assert ledger_reconcile() == []


@pytest.mark.parametrize("round_", ROUNDS)
def test_crossing_transfers_between_two_accounts_do_not_deadlock(round_):
    first = OrganizationAccountFactory()
    second = OrganizationAccountFactory()
    top_up(first, "10.0000")
    top_up(second, "10.0000")

    outcomes = run_at_once(
        *(
            _debit(first, second, "1.0000", f"x{round_}-a{i}")
            if i % 2
            else _debit(second, first, "1.0000", f"x{round_}-b{i}")
            for i in range(THREADS)
        )
    )

    assert all(isinstance(outcome, LedgerTransaction) for outcome in outcomes), outcomes
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.balance + second.balance == Decimal("20.0000")
    assert ledger_reconcile() == []


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_key_posted_from_many_threads_at_once_makes_one_transaction(round_):
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "5.0000")
    key = f"approve:same-{round_}"

    outcomes = run_at_once(*(_debit(organization, worker, "1.0000", key) for _ in range(THREADS)))

    assert all(isinstance(outcome, LedgerTransaction) for outcome in outcomes), outcomes
    assert len({outcome.pk for outcome in outcomes}) == 1
    assert LedgerTransaction.objects.filter(idempotency_key=key).count() == 1
    assert LedgerEntry.objects.filter(transaction__idempotency_key=key).count() == 2
    organization.refresh_from_db()
    assert organization.balance == Decimal("4.0000")


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_key_on_different_accounts_at_once_posts_once_and_the_rest_conflict(round_):
    organization = OrganizationAccountFactory()
    top_up(organization, "5.0000")
    workers = [WorkerAccountFactory() for _ in range(THREADS)]
    key = f"approve:clash-{round_}"

    outcomes = run_at_once(*(_debit(organization, worker, "1.0000", key) for worker in workers))

    assert sum(isinstance(outcome, LedgerTransaction) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, Conflict) for outcome in outcomes) == THREADS - 1
    organization.refresh_from_db()
    assert organization.balance == Decimal("4.0000")


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_key_on_disjoint_accounts_at_once_posts_once_and_the_rest_conflict(round_):
    """No shared row lock serialises these: the unique key decides, and the losers see it."""
    organizations = [OrganizationAccountFactory() for _ in range(THREADS)]
    for organization in organizations:
        top_up(organization, "1.0000")
    key = f"approve:disjoint-{round_}"

    outcomes = run_at_once(
        *(
            _debit(organization, WorkerAccountFactory(), "1.0000", key)
            for organization in organizations
        )
    )

    assert sum(isinstance(outcome, LedgerTransaction) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, Conflict) for outcome in outcomes) == THREADS - 1
    assert LedgerEntry.objects.filter(transaction__idempotency_key=key).count() == 2
    assert sorted(Account.objects.get(pk=o.pk).balance for o in organizations) == [
        Decimal("0.0000")
    ] + [Decimal("1.0000")] * (THREADS - 1)
    assert ledger_reconcile() == []
