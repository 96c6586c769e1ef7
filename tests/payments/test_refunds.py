"""Refunds of unused prepaid money: split across Stripe top-ups newest first, the money
reserved in the ledger at once and sent to localstripe afterwards; refusals, Stripe down or
refusing, permissions, idempotency and parallel requests."""

from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.models import MembershipRole
from payments.ledger import organization_account, platform_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    Refund,
    RefundStatus,
    StripeEvent,
    TopUp,
    TransactionKind,
)
from payments.refunds import refund_create, refunds_submit_due
from payments.topups import top_up_create, top_up_record_manual, top_up_succeed
from tests.concurrency import run_at_once
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import session_client, snapshot
from tests.marketplace.factories import OrganizationFactory
from tests.payments.localstripe import wait_until


def _url(organization):
    return reverse("api-refunds", kwargs={"organization_id": organization.pk})


def _available(organization) -> Decimal:
    return organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    ).balance


def _paid_top_up(localstripe, organization, actor, amount: str) -> TopUp:
    """A card top-up paid at localstripe and credited (as its webhook would)."""
    checkout = top_up_create(actor=actor, organization=organization, amount=amount)
    intent = localstripe.pay(checkout.top_up.stripe_payment_intent_id)
    top_up_succeed(
        top_up_id=checkout.top_up.pk,
        payment_intent_id=intent.id,
        amount_cents=intent.amount,
        currency=intent.currency,
    )
    return TopUp.objects.get(pk=checkout.top_up.pk)


@pytest.fixture
def owner_world(db):
    organization = OrganizationFactory()
    owner = requester_of(organization, role=MembershipRole.OWNER)
    return organization, owner, session_client(owner)


def test_a_refund_splits_across_top_ups_newest_first_and_goes_to_stripe(
    owner_world, stripe_api, django_capture_on_commit_callbacks
):
    organization, owner, client = owner_world
    older = _paid_top_up(stripe_api, organization, owner, "10.00")
    newer = _paid_top_up(stripe_api, organization, owner, "15.00")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(organization),
            {"amount": "20.00", "reason": "Project over", "idempotency_key": "r1"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(row["top_up"], row["amount"], row["status"]) for row in body] == [
        (newer.pk, "15.0000", "pending"),  # as created; Stripe answered after commit
        (older.pk, "5.0000", "pending"),
    ]
    refunds = list(Refund.objects.order_by("pk"))
    assert [refund.status for refund in refunds] == [RefundStatus.SUCCEEDED] * 2
    assert all(refund.stripe_refund_id.startswith("re_") for refund in refunds)
    assert all(refund.created_by == owner for refund in refunds)
    stripe = stripe_api.client()
    for refund, cents in zip(refunds, (1500, 500), strict=True):
        at_stripe = stripe.v1.refunds.retrieve(refund.stripe_refund_id)
        assert (at_stripe.amount, at_stripe.payment_intent) == (
            cents,
            refund.top_up.stripe_payment_intent_id,
        )
    assert _available(organization) == Decimal("5.0000")
    assert platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD").balance == Decimal(
        "-5.0000"
    )
    postings = LedgerTransaction.objects.filter(kind=TransactionKind.REFUND).order_by("pk")
    assert [posting.idempotency_key for posting in postings] == [
        f"refund:{refund.pk}" for refund in refunds
    ]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.amount_refunded, newer.amount_refunded) == (Decimal("5"), Decimal("15"))

    again = client.post(
        _url(organization),
        {"amount": "20.00", "reason": "Project over", "idempotency_key": "r1"},
        format="json",
    )
    assert again.status_code == 200
    assert [row["id"] for row in again.json()] == [refund.pk for refund in refunds]
    other = client.post(
        _url(organization),
        {"amount": "1.00", "reason": "Project over", "idempotency_key": "r1"},
        format="json",
    )
    assert other.status_code == 409
    assert Refund.objects.count() == 2


def test_above_the_available_balance_is_a_402_naming_the_shortfall(owner_world):
    organization, owner, client = owner_world
    top_up = TopUp.objects.create(
        organization=organization,
        amount=Decimal("10"),
        currency="USD",
        provider="stripe",
        idempotency_key="t",
        stripe_payment_intent_id="pi_x",
    )
    top_up_succeed(top_up_id=top_up.pk, payment_intent_id="pi_x", amount_cents=1000, currency="usd")
    before = snapshot()

    response = client.post(
        _url(organization), {"amount": "12.50", "idempotency_key": "r"}, format="json"
    )

    assert response.status_code == 402
    assert response.json()["fields"] == {"amount": ["Short by 2.5000 USD."]}
    assert snapshot() == before


def test_money_that_did_not_come_by_card_cannot_be_refunded_to_one(owner_world, staff):
    organization, _owner, client = owner_world
    top_up_record_manual(actor=staff, organization=organization, amount="30", reason="Wire")
    before = snapshot()

    response = client.post(
        _url(organization), {"amount": "5.00", "idempotency_key": "r"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "refund_above_refundable"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "-1.00", "idempotency_key": "k"}, "amount"),
        ({"amount": "1.001", "idempotency_key": "k"}, "amount"),
        ({"amount": "1.00", "currency": "EUR", "idempotency_key": "k"}, "currency"),
        ({"amount": "1.00"}, "idempotency_key"),
        ({"amount": "1.00", "idempotency_key": "k", "top_up": 1}, "top_up"),
    ],
)
def test_bad_refund_input_is_a_400_and_changes_nothing(owner_world, payload, field):
    organization, _owner, client = owner_world
    before = snapshot()

    response = client.post(_url(organization), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert snapshot() == before


def test_members_may_not_refund_and_other_organizations_are_404(owner_world):
    organization, _owner, _client = owner_world
    member = session_client(requester_of(organization))
    stranger = session_client(requester_of(OrganizationFactory()))
    payload = {"amount": "1.00", "idempotency_key": "k"}
    before = snapshot()

    assert member.post(_url(organization), payload, format="json").status_code == 403
    assert stranger.post(_url(organization), payload, format="json").status_code == 404
    assert stranger.get(_url(organization)).status_code == 404
    assert member.get(_url(organization)).status_code == 200
    assert snapshot() == before


def _credited(organization, amount="20.00", intent="pi_fake") -> TopUp:
    top_up = TopUp.objects.create(
        organization=organization,
        amount=Decimal(amount),
        currency="USD",
        provider="stripe",
        idempotency_key=intent,
        stripe_payment_intent_id=intent,
    )
    top_up_succeed(
        top_up_id=top_up.pk,
        payment_intent_id=intent,
        amount_cents=int(Decimal(amount) * 100),
        currency="usd",
    )
    return top_up


def test_stripe_refusing_fails_the_refund_and_a_correction_returns_the_money(
    owner_world, stripe_api, django_capture_on_commit_callbacks
):
    organization, owner, _client = owner_world
    top_up = _credited(organization, intent="pi_unknown_to_stripe")

    with django_capture_on_commit_callbacks(execute=True):
        (refund,), _created = refund_create(
            actor=owner, organization=organization, amount="8.00", idempotency_key="k"
        )

    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert "Stripe refused" in refund.failure_message
    correction = LedgerTransaction.objects.get(kind=TransactionKind.CORRECTION)
    assert correction.idempotency_key == f"refund-failed:{refund.pk}"
    assert correction.corrects.idempotency_key == f"refund:{refund.pk}"
    assert correction.reason.startswith(f"Refund {refund.pk} failed")
    assert _available(organization) == Decimal("20.0000")
    top_up.refresh_from_db()
    assert top_up.amount_refunded == 0


def test_stripe_down_keeps_the_refund_pending_until_the_beat_sends_it(
    owner_world, stripe_down, settings, localstripe_server, django_capture_on_commit_callbacks
):
    organization, owner, _client = owner_world
    intent = localstripe_server.client().v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]}
    )
    localstripe_server.pay(intent.id)
    _credited(organization, intent=intent.id)

    with django_capture_on_commit_callbacks(execute=True):
        (refund,), _created = refund_create(
            actor=owner, organization=organization, amount="8.00", idempotency_key="k"
        )

    refund.refresh_from_db()
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.PENDING, None)
    assert _available(organization) == Decimal("12.0000")  # reserved: not spendable twice

    settings.STRIPE_API_BASE = localstripe_server.url
    assert refunds_submit_due() == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refunds_submit_due() == 0


def test_a_refund_updated_event_that_failed_returns_the_money(
    owner_world, settings, django_capture_on_commit_callbacks
):
    from payments.stripe_events import stripe_event_process

    organization, owner, _client = owner_world
    _credited(organization)
    settings.STRIPE_SECRET_KEY = ""  # not sent: the task waits for Stripe
    with django_capture_on_commit_callbacks(execute=True):
        (refund,), _created = refund_create(
            actor=owner, organization=organization, amount="5.00", idempotency_key="k"
        )
    StripeEvent.objects.create(
        event_id="evt_r",
        type="refund.updated",
        payload={
            "id": "evt_r",
            "type": "refund.updated",
            "data": {
                "object": {
                    "id": "re_1",
                    "status": "failed",
                    "failure_reason": "expired_or_canceled_card",
                    "metadata": {"refund": str(refund.pk)},
                }
            },
        },
    )

    assert stripe_event_process(event_id="evt_r") is True

    refund.refresh_from_db()
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.FAILED, "re_1")
    assert refund.failure_message == "expired_or_canceled_card"
    assert _available(organization) == Decimal("20.0000")


@pytest.mark.django_db(transaction=True)
def test_parallel_refunds_never_take_more_than_the_balance(settings):
    settings.STRIPE_SECRET_KEY = ""  # the Stripe calls are not under test here
    organization = OrganizationFactory()
    owner = requester_of(organization, role=MembershipRole.OWNER)
    _credited(organization, amount="20.00", intent="pi_a")

    outcomes = run_at_once(
        *(
            (
                lambda key=key: refund_create(
                    actor=owner, organization=organization, amount="7.00", idempotency_key=key
                )
            )
            for key in ("a", "b", "c", "d", "e")
        )
    )

    succeeded = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    assert len(succeeded) == 2, outcomes
    assert _available(organization) == Decimal("6.0000")
    assert TopUp.objects.get().amount_refunded == Decimal("14.0000")


@pytest.mark.django_db(transaction=True)
def test_a_refund_end_to_end_after_a_real_top_up(stripe_live):
    organization = OrganizationFactory()
    owner = requester_of(organization, role=MembershipRole.OWNER)
    client = session_client(owner)
    created = client.post(
        reverse("api-top-ups", kwargs={"organization_id": organization.pk}),
        {"amount": "30.00"},
        format="json",
    ).json()
    stripe_live.pay(TopUp.objects.get().stripe_payment_intent_id)
    wait_until(lambda: _available(organization) == Decimal("30.0000"))

    response = client.post(
        _url(organization), {"amount": "30.00", "idempotency_key": "all"}, format="json"
    )

    assert response.status_code == 201
    refund = Refund.objects.get()
    assert refund.top_up_id == created["top_up"]["id"]
    assert refund.status == RefundStatus.SUCCEEDED
    assert _available(organization) == 0
    assert platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD").balance == 0
