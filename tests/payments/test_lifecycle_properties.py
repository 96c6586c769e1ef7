"""Money through the whole lifecycle, property-based: random sequences of top-ups (manual
and card), launches, work, approvals, rejections, bonuses, stops, hold settlements,
earnings releases, payouts (paid or failed) and refunds, all through the real services.
After every step each transaction sums to zero, all balances sum to zero per currency,
cached balances equal their entries, no guarded account is negative, and a launch was
refused exactly when the organization could not afford its quote."""

from collections import Counter
from decimal import Decimal
from functools import partial
from itertools import count

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jobs.models import Assignment, AssignmentStatus, JobStatus
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch, job_stop
from jobs.services.review import assignment_approve, assignment_reject
from marketplace.exceptions import DomainError
from marketplace.models import MembershipRole
from payments.bonuses import bonus_send
from payments.earnings import earnings_release_due
from payments.escrow import job_holds_settle
from payments.exceptions import InsufficientFunds
from payments.ledger import organization_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    Payout,
    PayoutStatus,
    Provider,
    TopUp,
    TopUpStatus,
)
from payments.payouts import payout_mark_failed, payout_mark_paid, payout_request
from payments.pricing import job_quote
from payments.refunds import refund_create
from payments.topups import top_up_manual_credit, top_up_succeed
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.payments.invariants import assert_ledger_invariants
from tests.workforce.factories import WorkerProfileFactory

cents = st.integers(min_value=1, max_value=200).map(lambda n: Decimal(n) / 100)
deposits = st.integers(min_value=100, max_value=2000).map(lambda n: Decimal(n) / 100)
rewards = st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.12"), Decimal("0.50")])
_examples = count()
# What the services did across all examples, so the test can show the paths were taken.
OUTCOMES: Counter = Counter()


def _run(call, name: str):
    """Call a service as a request would, running what it enqueues on commit (the test's
    transaction never commits); return the domain error it raised, if any. The outcome is
    counted for `--hypothesis-show-statistics`."""
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            with transaction.atomic():
                result = call()
    except DomainError as error:
        event(f"{name}: {error.code}")
        OUTCOMES[f"{name}: {error.code}"] += 1
        return error
    event(f"{name}: done")
    OUTCOMES[f"{name}: done"] += 1
    return result


class MoneyLifecycle(RuleBasedStateMachine):
    """Each example runs in a savepoint that is rolled back, so examples start empty."""

    @initialize()
    def open_marketplace(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.example = next(_examples)
        self.keys = count()
        self.organization = OrganizationFactory(funded=False)
        self.requester = requester_of(self.organization, role=MembershipRole.OWNER)
        self.staff = UserFactory(is_staff=True)
        self.workers = WorkerProfileFactory.create_batch(3)
        self.jobs = []
        self.card_top_ups = 0

    def teardown(self):
        if hasattr(self, "atomic"):
            self.atomic.__exit__(None, None, None)
            transaction.set_rollback(False)

    def _key(self, prefix: str) -> str:
        return f"{prefix}:{self.example}:{next(self.keys)}"

    def _available(self) -> Decimal:
        return organization_account(
            organization=self.organization,
            kind=AccountKind.ORGANIZATION_AVAILABLE,
            currency="USD",
        ).balance

    def _assignments(self, *statuses):
        return list(
            Assignment.objects.filter(
                hit__job__organization=self.organization, status__in=statuses
            ).order_by("pk")
        )

    # Money in.

    @rule(amount=deposits)
    def top_up_by_hand(self, amount):
        _run(
            lambda: top_up_manual_credit(
                organization=self.organization,
                amount=amount,
                reason="property test",
                idempotency_key=self._key("manual"),
            ),
            "manual top-up",
        )

    @rule(amount=deposits)
    def top_up_by_card(self, amount):
        """A card top-up credited as its payment_intent.succeeded event would; then the
        same event again, which credits nothing more."""
        self.card_top_ups += 1
        intent = f"pi_{self.example}_{self.card_top_ups}"
        top_up = TopUp.objects.create(
            organization=self.organization,
            amount=amount,
            currency="USD",
            provider=Provider.STRIPE,
            status=TopUpStatus.PENDING,
            idempotency_key=self._key("card"),
            stripe_payment_intent_id=intent,
        )
        event = {
            "top_up_id": top_up.pk,
            "payment_intent_id": intent,
            "amount_cents": int(amount * 100),
            "currency": "usd",
        }
        before = self._available()
        assert _run(lambda: top_up_succeed(**event), "card top-up") is None
        assert _run(lambda: top_up_succeed(**event), "card top-up replayed") is None
        assert self._available() == before + amount

    @rule(amount=cents)
    def refund(self, amount):
        _run(
            lambda: refund_create(
                actor=self.requester,
                organization=self.organization,
                amount=amount,
                reason="property test",
                idempotency_key=self._key("refund"),
            ),
            "refund",
        )

    # Jobs.

    @rule(objects=st.integers(1, 3), workers_per_object=st.integers(1, 2), reward=rewards)
    def launch(self, objects, workers_per_object, reward):
        job = LabelingJobFactory(
            organization=self.organization,
            reward=reward,
            workers_per_object=workers_per_object,
            name=f"lifecycle-{self.example}-{next(self.keys)}",
        )
        DataObjectFactory.create_batch(objects, job=job)
        cost = job_quote(job=job, data_objects=objects, has_gold=False).total
        available = self._available()

        outcome = _run(lambda: job_launch(actor=self.requester, job=job), "launch")

        job.refresh_from_db()
        if available < cost:
            assert isinstance(outcome, InsufficientFunds)
            assert job.status == JobStatus.DRAFT
            assert self._available() == available
        else:
            assert job.status != JobStatus.DRAFT, outcome
            assert self._available() == available - cost
            self.jobs.append(job)

    @rule(data=st.data())
    def work_and_review(self, data):
        """Every worker takes and submits one task of each job that has one for them; then
        the requester approves or rejects each submitted assignment, approving twice as a
        retried request would (which pays nothing more)."""
        for job in self.jobs:
            for worker in self.workers:
                assignment = _run(partial(assignment_claim_next, worker=worker, job=job), "claim")
                if isinstance(assignment, Assignment):
                    answer = {"label": "cat"}
                    submit = partial(
                        assignment_submit, worker=worker, assignment=assignment, answer=answer
                    )
                    _run(submit, "submit")
        for assignment in self._assignments(AssignmentStatus.SUBMITTED):
            if data.draw(st.booleans(), label=f"approve {assignment.assignment_id}"):
                approve = partial(assignment_approve, actor=self.requester, assignment=assignment)
                _run(approve, "approve")
                paid = LedgerTransaction.objects.count()
                _run(approve, "approve again")
                assert LedgerTransaction.objects.count() == paid
            else:
                reject = partial(
                    assignment_reject,
                    actor=self.requester,
                    assignment=assignment,
                    feedback="Not a cat.",
                )
                _run(reject, "reject")

    @rule(data=st.data(), amount=cents)
    def bonus(self, data, amount):
        done = self._assignments(AssignmentStatus.APPROVED, AssignmentStatus.REJECTED)
        if not done:
            return
        assignment = data.draw(st.sampled_from(done))
        request = {
            "actor": self.requester,
            "organization": self.organization,
            "worker_id": assignment.worker.worker_id,
            "assignment_id": assignment.assignment_id,
            "amount": amount,
            "reason": "Careful work",
            "unique_request_token": self._key("bonus")[-60:],
        }
        first = _run(lambda: bonus_send(**request), "bonus")
        paid = LedgerTransaction.objects.count()
        again = _run(lambda: bonus_send(**request), "bonus again")
        assert LedgerTransaction.objects.count() == paid
        if not isinstance(first, DomainError):
            assert again[0].pk == first[0].pk

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def stop(self, data):
        job = data.draw(st.sampled_from(self.jobs))
        _run(lambda: job_stop(actor=self.requester, job=job), "stop")

    @rule()
    def settle_ended_jobs(self):
        _run(job_holds_settle, "settle ended jobs")

    # Money out.

    @rule(data=st.data())
    def pay_out(self, data):
        """Time passes (earnings become available); each worker asks for a payout (all of
        it or an amount); staff mark each payout in transit paid or failed."""
        later = timezone.now() + timezone.timedelta(days=30)
        _run(partial(earnings_release_due, now=later), "release earnings")
        for worker in self.workers:
            everything = data.draw(st.booleans(), label="everything")
            request = partial(
                payout_request,
                actor=worker.user,
                worker=worker,
                amount=None if everything else data.draw(cents, label="amount"),
                idempotency_key=self._key("payout"),
            )
            _run(request, "payout")
        for payout in Payout.objects.filter(status=PayoutStatus.IN_TRANSIT).order_by("pk"):
            if data.draw(st.booleans(), label=f"paid {payout.pk}"):
                settle = partial(payout_mark_paid, actor=self.staff, payout=payout, note="wire")
                _run(settle, "payout paid")
            else:
                settle = partial(
                    payout_mark_failed, actor=self.staff, payout=payout, reason="bounced"
                )
                _run(settle, "payout failed")

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "atomic"):
            return
        assert_ledger_invariants()


@pytest.mark.django_db
def test_random_lifecycles_keep_the_ledger_invariants(settings):
    # Small payouts, so that a few approved tasks can be paid out within an example.
    settings.PAYMENTS_MIN_PAYOUT = Decimal("0.05")
    run_state_machine_as_test(
        MoneyLifecycle,
        settings=hypothesis_settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,  # the same sequences every run, so the coverage check holds
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    taken = {name for name, times in OUTCOMES.items() if times}
    assert {
        "launch: done",
        "launch: insufficient_funds",
        "approve: done",
        "reject: done",
        "bonus: done",
        "stop: done",
        "release earnings: done",
        "payout: done",
        "payout paid: done",
        "payout failed: done",
        "refund: done",
        "card top-up: done",
    } <= taken
