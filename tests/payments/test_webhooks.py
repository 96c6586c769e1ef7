"""Stripe webhooks: the signature is checked on the raw body (forged, stale, missing, bad
JSON: 400, nothing stored); events are stored once by id and processed once; a replay
credits once; failures are kept for the beat to retry; processed events are pruned."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from django.utils import timezone
from stripe import WebhookSignature

from payments import stripe_events
from payments.ledger import organization_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    StripeEvent,
    TopUp,
    TopUpStatus,
)
from payments.stripe_events import stripe_event_process, stripe_events_process_due
from payments.stripe_events import stripe_events_prune as prune
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import session_client
from tests.marketplace.factories import OrganizationFactory
from tests.payments.localstripe import WEBHOOK_SECRET, wait_until

URL = "/api/v1/payments/stripe/webhook/"


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


def _signed(payload: str, *, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    return WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks):
    """POST a delivery as Stripe does, running what it enqueues on commit (Celery is eager)."""

    def send(payload: str, signature: str | None):
        headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.generic(
                "POST", URL, payload, content_type="application/json", **headers
            )

    return send


def _top_up(organization, amount="25.00", intent="pi_test_1") -> TopUp:
    return TopUp.objects.create(
        organization=organization,
        amount=Decimal(amount),
        currency="USD",
        provider="stripe",
        idempotency_key=f"key-{intent}",
        stripe_payment_intent_id=intent,
    )


def _event(event_id, event_type, data_object) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": data_object},
        }
    )


def _intent_succeeded(top_up: TopUp, *, event_id="evt_1", amount=None, currency="usd") -> str:
    return _event(
        event_id,
        "payment_intent.succeeded",
        {
            "id": top_up.stripe_payment_intent_id,
            "object": "payment_intent",
            "amount": amount if amount is not None else int(top_up.amount * 100),
            "amount_received": amount if amount is not None else int(top_up.amount * 100),
            "currency": currency,
            "metadata": {"top_up": str(top_up.pk), "organization": str(top_up.organization_id)},
            "status": "succeeded",
        },
    )


def _available(organization) -> Decimal:
    return organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    ).balance


def test_a_signed_event_is_stored_processed_and_credits_once(db, post, webhook_secret):
    top_up = _top_up(OrganizationFactory())
    payload = _intent_succeeded(top_up)

    first = post(payload, _signed(payload))
    again = post(payload, _signed(payload))

    assert first.status_code == 200
    assert first.json() == {"received": True, "event": "evt_1", "duplicate": False}
    assert again.json() == {"received": True, "event": "evt_1", "duplicate": True}
    event = StripeEvent.objects.get()
    assert (event.type, event.attempts, event.last_error) == ("payment_intent.succeeded", 1, "")
    assert event.processed_at is not None
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.SUCCEEDED
    assert LedgerTransaction.objects.filter(idempotency_key=f"top-up:{top_up.pk}").count() == 1
    assert _available(top_up.organization) == Decimal("25.0000")


def test_a_second_event_for_the_same_payment_credits_nothing_more(db, post, webhook_secret):
    top_up = _top_up(OrganizationFactory())
    for event_id in ("evt_a", "evt_b"):
        payload = _intent_succeeded(top_up, event_id=event_id)
        assert post(payload, _signed(payload)).status_code == 200

    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2
    assert LedgerTransaction.objects.count() == 1
    assert _available(top_up.organization) == Decimal("25.0000")


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        "garbage",
        "forged",  # signed with another secret
        "stale",  # signed 301 seconds ago
        "tampered",  # signed over another body
    ],
)
def test_a_bad_signature_is_a_400_and_nothing_is_recorded(db, post, webhook_secret, signature):
    top_up = _top_up(OrganizationFactory())
    payload = _intent_succeeded(top_up)
    if signature == "forged":
        signature = _signed(payload, secret="whsec_someone_else")
    elif signature == "stale":
        signature = _signed(payload, timestamp=int(time.time()) - 301)
    elif signature == "tampered":
        signature = _signed(payload.replace("2500", "2"))

    response = post(payload, signature)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_webhook"
    assert not StripeEvent.objects.exists()
    assert not LedgerTransaction.objects.exists()
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING


def test_a_signature_just_within_the_tolerance_is_accepted(db, post, webhook_secret):
    top_up = _top_up(OrganizationFactory())
    payload = _intent_succeeded(top_up)

    response = post(payload, _signed(payload, timestamp=int(time.time()) - 290))

    assert response.status_code == 200


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '{"type": "x"}', '{"id": 5}'])
def test_a_signed_body_that_is_not_an_event_is_a_400(db, post, webhook_secret, payload):
    response = post(payload, _signed(payload))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_without_a_signing_secret_webhooks_are_refused_with_503(db, post, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = _event("evt_1", "payment_intent.succeeded", {})

    response = post(payload, _signed(payload))

    assert response.status_code == 503
    assert not StripeEvent.objects.exists()


def test_an_amount_or_currency_mismatch_is_logged_and_not_credited(
    db, post, webhook_secret, caplog
):
    top_up = _top_up(OrganizationFactory())
    for event_id, amount, currency in (("evt_amount", 2400, "usd"), ("evt_cur", 2500, "eur")):
        payload = _intent_succeeded(top_up, event_id=event_id, amount=amount, currency=currency)
        assert post(payload, _signed(payload)).status_code == 200

    assert not LedgerTransaction.objects.exists()
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.PENDING
    events = {event.event_id: event for event in StripeEvent.objects.all()}
    assert "amount 2400 cents is not 2500" in events["evt_amount"].last_error
    assert "currency 'eur' is not USD" in events["evt_cur"].last_error
    assert all(event.processed_at for event in events.values())
    assert "not credited" in caplog.text


def test_payment_failed_and_canceled_mark_the_top_up(db, post, webhook_secret):
    organization = OrganizationFactory()
    failed, canceled = _top_up(organization, intent="pi_f"), _top_up(organization, intent="pi_c")
    for event_id, event_type, top_up in (
        ("evt_f", "payment_intent.payment_failed", failed),
        ("evt_c", "payment_intent.canceled", canceled),
    ):
        payload = _event(
            event_id,
            event_type,
            {
                "id": top_up.stripe_payment_intent_id,
                "metadata": {"top_up": str(top_up.pk)},
                "last_payment_error": {"message": "Your card was declined."},
            },
        )
        assert post(payload, _signed(payload)).status_code == 200

    failed.refresh_from_db()
    canceled.refresh_from_db()
    assert (failed.status, failed.failure_message) == ("failed", "Your card was declined.")
    assert canceled.status == "canceled"
    # A payment that succeeds after a declined attempt is still credited.
    payload = _intent_succeeded(failed, event_id="evt_ok")
    post(payload, _signed(payload))
    failed.refresh_from_db()
    assert failed.status == TopUpStatus.SUCCEEDED
    assert _available(organization) == Decimal("25.0000")


def test_unknown_types_are_processed_and_ignored(db, post, webhook_secret):
    payload = _event("evt_unknown", "customer.created", {"id": "cus_1"})

    assert post(payload, _signed(payload)).status_code == 200

    event = StripeEvent.objects.get()
    assert event.processed_at is not None
    assert not LedgerTransaction.objects.exists()


def test_a_failing_handler_keeps_the_event_for_the_beat_to_retry(
    db, post, webhook_secret, monkeypatch
):
    top_up = _top_up(OrganizationFactory())
    payload = _intent_succeeded(top_up)

    def broken(event):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(stripe_events.HANDLERS, "payment_intent.succeeded", "tests.x.nope")
    response = post(payload, _signed(payload))

    assert response.status_code == 200  # stored: Stripe need not redeliver
    event = StripeEvent.objects.get()
    assert event.processed_at is None
    assert event.attempts == 1
    assert "No handler tests.x.nope" in event.last_error

    monkeypatch.setattr(stripe_events, "payment_intent_succeeded", broken)
    monkeypatch.setitem(
        stripe_events.HANDLERS,
        "payment_intent.succeeded",
        "payments.stripe_events.payment_intent_succeeded",
    )
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert stripe_events_process_due() == 0
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (2, "RuntimeError: database hiccup")

    monkeypatch.undo()
    assert stripe_events_process_due() == 1
    event.refresh_from_db()
    assert event.processed_at is not None
    assert event.attempts == 3
    assert LedgerTransaction.objects.count() == 1
    assert stripe_event_process(event_id=event.event_id) is True  # again: nothing more
    assert LedgerTransaction.objects.count() == 1


def test_the_payouts_handlers_are_registered_by_dotted_path():
    assert stripe_events.HANDLERS["account.updated"] == "payments.payouts.stripe_account_updated"
    assert (
        stripe_events.HANDLERS["transfer.reversed"] == "payments.payouts.stripe_transfer_reversed"
    )


def test_prune_deletes_only_old_processed_events(db, settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 3
    now = timezone.now()
    rows = {
        "old_processed": (now - timedelta(days=4), now),
        "old_unprocessed": (now - timedelta(days=4), None),
        "recent_processed": (now - timedelta(days=2), now),
    }
    for event_id, (received_at, processed_at) in rows.items():
        event = StripeEvent.objects.create(
            event_id=event_id, type="x", payload={}, processed_at=processed_at
        )
        StripeEvent.objects.filter(pk=event.pk).update(received_at=received_at)

    assert prune() == 1

    assert set(StripeEvent.objects.values_list("event_id", flat=True)) == {
        "old_unprocessed",
        "recent_processed",
    }


def test_retention_is_never_below_three_days(db, settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 1
    event = StripeEvent.objects.create(
        event_id="e", type="x", payload={}, processed_at=timezone.now()
    )
    StripeEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(days=2))

    assert prune() == 0


@pytest.mark.django_db(transaction=True)
def test_a_webhook_localstripe_sent_replayed_to_the_live_server_credits_once(
    stripe_live, live_server
):
    organization = OrganizationFactory()
    client = session_client(requester_of(organization))
    response = client.post(
        reverse("api-top-ups", kwargs={"organization_id": organization.pk}),
        {"amount": "12.00"},
        format="json",
    )
    top_up = TopUp.objects.get(pk=response.json()["top_up"]["id"])
    stripe_live.pay(top_up.stripe_payment_intent_id)
    wait_until(lambda: TopUp.objects.get(pk=top_up.pk).status == TopUpStatus.SUCCEEDED)
    event = StripeEvent.objects.get(type="payment_intent.succeeded")

    # Stripe redelivers the same event (same id), freshly signed.
    payload = json.dumps(event.payload)
    replay = requests.post(
        live_server.url + URL,
        data=payload.encode(),
        headers={"Stripe-Signature": _signed(payload), "Content-Type": "application/json"},
        timeout=10,
    )

    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="top_up").count() == 1
    assert _available(organization) == Decimal("12.0000")
