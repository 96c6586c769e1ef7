"""Property-based (hypothesis stateful) test of random postings, retries and corrections:
after every step each transaction sums to zero, all balances sum to zero, cached balances
equal their entries and a model's, and no guarded account is negative."""

from collections import defaultdict
from decimal import Decimal
from itertools import count

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from payments.exceptions import InsufficientFunds
from payments.ledger import (
    account_get_or_create,
    ledger_correct,
    ledger_post,
    organization_account,
    platform_account,
    worker_account,
)
from payments.models import Account, AccountKind, TransactionKind
from tests.jobs.factories import LabelingJobFactory
from tests.marketplace.factories import OrganizationFactory
from tests.payments.invariants import assert_ledger_invariants
from tests.workforce.factories import WorkerProfileFactory

amounts = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("40"), places=4, allow_nan=False
)
CURRENCIES = ("USD", "EUR")
_examples = count()


class LedgerMachine(RuleBasedStateMachine):
    """Each example runs in a savepoint that is rolled back, so examples start empty."""

    @initialize()
    def open_accounts(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.example = next(_examples)
        self.keys = count()
        self.expected: dict[int, Decimal] = defaultdict(Decimal)
        self.postings: list[dict] = []
        self.accounts: dict[tuple, Account] = {}
        for currency in CURRENCIES:
            for kind in (
                AccountKind.STRIPE_CLEARING,
                AccountKind.PLATFORM_FEE_REVENUE,
                AccountKind.PAYOUTS_IN_TRANSIT,
            ):
                self.accounts[(kind, currency)] = platform_account(kind=kind, currency=currency)
        self.organizations = [OrganizationFactory(funded=False) for _ in range(2)]
        self.workers = [WorkerProfileFactory() for _ in range(2)]
        self.jobs = [
            LabelingJobFactory(organization=organization) for organization in self.organizations
        ]

    def teardown(self):
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def _organization(self, index: int, kind: str, currency: str) -> Account:
        if kind == AccountKind.ORGANIZATION_ON_HOLD:  # held per job
            return account_get_or_create(
                kind=kind,
                organization=self.organizations[index],
                job=self.jobs[index],
                currency=currency,
            )
        return organization_account(
            organization=self.organizations[index], kind=kind, currency=currency
        )

    def _worker(self, index: int, kind: str, currency: str) -> Account:
        return worker_account(worker=self.workers[index], kind=kind, currency=currency)

    def _post(self, entries, kind, reference, *, correct=None, reason=""):
        """Post, and check the ledger refused exactly when the model says a guarded account
        would go negative."""
        would_overdraw = any(
            account.must_not_go_negative and self.expected[account.pk] + amount < 0
            for account, amount in entries
        )
        key = f"example{self.example}:{next(self.keys)}"
        try:
            if correct is not None:
                posted = ledger_correct(idempotency_key=key, corrects=correct, reason=reason)
            else:
                posted = ledger_post(
                    idempotency_key=key, entries=entries, kind=kind, reference=reference
                )
        except InsufficientFunds:
            assert would_overdraw
            return
        assert not would_overdraw
        for account, amount in entries:
            self.expected[account.pk] += amount
        self.postings.append(
            {
                "transaction": posted,
                "key": key,
                "entries": entries,
                "kind": kind,
                "reference": reference,
                "correct": correct,
                "reason": reason,
            }
        )

    @rule(organization=st.integers(0, 1), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def top_up(self, organization, currency, amount):
        self._post(
            [
                (self.accounts[(AccountKind.STRIPE_CLEARING, currency)], -amount),
                (
                    self._organization(organization, AccountKind.ORGANIZATION_AVAILABLE, currency),
                    amount,
                ),
            ],
            TransactionKind.TOP_UP,
            "stripe_event:property",
        )

    @rule(organization=st.integers(0, 1), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def hold_or_release(self, organization, currency, amount):
        available = self._organization(organization, AccountKind.ORGANIZATION_AVAILABLE, currency)
        on_hold = self._organization(organization, AccountKind.ORGANIZATION_ON_HOLD, currency)
        if amount > 20:  # half the time release instead
            available, on_hold, amount = on_hold, available, amount - 20
        self._post(
            [(available, -amount), (on_hold, amount)], TransactionKind.JOB_HOLD, "job:property"
        )

    @rule(
        organization=st.integers(0, 1),
        worker=st.integers(0, 1),
        currency=st.sampled_from(CURRENCIES),
        reward=amounts,
        fee=amounts,
    )
    def approve(self, organization, worker, currency, reward, fee):
        self._post(
            [
                (
                    self._organization(organization, AccountKind.ORGANIZATION_ON_HOLD, currency),
                    -(reward + fee),
                ),
                (self._worker(worker, AccountKind.WORKER_PENDING, currency), reward),
                (self.accounts[(AccountKind.PLATFORM_FEE_REVENUE, currency)], fee),
            ],
            TransactionKind.REWARD,
            "assignment:property",
        )

    @rule(worker=st.integers(0, 1), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def release_earnings(self, worker, currency, amount):
        self._post(
            [
                (self._worker(worker, AccountKind.WORKER_PENDING, currency), -amount),
                (self._worker(worker, AccountKind.WORKER_AVAILABLE, currency), amount),
            ],
            TransactionKind.EARNINGS_RELEASE,
            "worker:property",
        )

    @rule(worker=st.integers(0, 1), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def payout(self, worker, currency, amount):
        self._post(
            [
                (self._worker(worker, AccountKind.WORKER_AVAILABLE, currency), -amount),
                (self.accounts[(AccountKind.PAYOUTS_IN_TRANSIT, currency)], amount),
            ],
            TransactionKind.PAYOUT,
            "payout:property",
        )

    @precondition(lambda self: self.postings)
    @rule(data=st.data())
    def retry(self, data):
        posting = data.draw(st.sampled_from(self.postings))
        before = dict(self.expected)

        if posting["correct"] is not None:
            again = ledger_correct(
                idempotency_key=posting["key"],
                corrects=posting["correct"],
                reason=posting["reason"],
            )
        else:
            again = ledger_post(
                idempotency_key=posting["key"],
                entries=posting["entries"],
                kind=posting["kind"],
                reference=posting["reference"],
            )

        assert again.pk == posting["transaction"].pk
        assert self.expected == before

    @precondition(lambda self: self.postings)
    @rule(data=st.data())
    def correct(self, data):
        posting = data.draw(st.sampled_from(self.postings))
        reversal = [(account, -amount) for account, amount in posting["entries"]]
        self._post(
            reversal,
            TransactionKind.CORRECTION,
            "",
            correct=posting["transaction"],
            reason="property test reversal",
        )

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "atomic"):
            return
        assert_ledger_invariants()
        for account in Account.objects.all():
            assert account.balance == self.expected[account.pk]


@pytest.mark.django_db
def test_random_postings_and_corrections_keep_the_ledger_invariants():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
