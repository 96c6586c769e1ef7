"""Processing stored Stripe events: a registry of handlers by event type, retries, pruning.

A handler is a function `handler(event: dict)` that receives the stored event (Stripe's
JSON: `event["data"]["object"]` is the PaymentIntent, Refund, Account...). It must be
idempotent (Stripe redelivers, the beat retries) and owns its transactions. It may return a
note (a string) to keep in the event's `last_error` although it was processed, e.g. an
amount that did not match and was not credited. An exception leaves the event unprocessed
with `attempts` and `last_error`; `payments.stripe_events_process_due` retries it.

Handlers are named by dotted path and imported when used, so other payments modules plug
in without this one importing them (payments.payouts' handlers are listed already).
"""

import importlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from payments.models import Refund, StripeEvent, TopUp, TopUpStatus

logger = logging.getLogger(__name__)

HANDLERS: dict[str, str] = {
    "payment_intent.succeeded": "payments.stripe_events.payment_intent_succeeded",
    "payment_intent.payment_failed": "payments.stripe_events.payment_intent_payment_failed",
    "payment_intent.canceled": "payments.stripe_events.payment_intent_canceled",
    "charge.refunded": "payments.stripe_events.charge_refunded",
    "refund.updated": "payments.stripe_events.refund_updated",
    "refund.failed": "payments.stripe_events.refund_updated",
    "account.updated": "payments.payouts.stripe_account_updated",
    "transfer.reversed": "payments.payouts.stripe_transfer_reversed",
}
# The beat leaves a just-received event to the task enqueued for it, and gives up on an
# event after this many attempts (it stays, with its last error, for staff to look at).
PROCESS_DUE_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 20
BATCH = 100


class HandlerMissing(Exception):
    """The registry names a function that does not exist (yet)."""


def handler_for(event_type: str):
    """The handler registered for `event_type`, None for types nobody handles."""
    path = HANDLERS.get(event_type)
    if path is None:
        return None
    module_path, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_path), name)
    except (ImportError, AttributeError) as error:
        raise HandlerMissing(f"No handler {path} for {event_type}: {error}") from error


def stripe_event_process(*, event_id: str) -> bool:
    """Process one stored event once; True when it is (now or already) processed.

    Never raises for a handler's failure: the error is recorded on the event
    (attempts, last_error) and the beat retries it, so the webhook path also works
    with Celery running eagerly.
    """
    event = StripeEvent.objects.filter(event_id=event_id).first()
    if event is None:
        logger.warning("Stripe event %s is not stored", event_id)
        return False
    if event.processed_at is not None:
        return True
    note = None
    try:
        handler = handler_for(event.type)
        if handler is not None:
            note = handler(event.payload)
    except Exception as error:  # recorded, retried by the beat
        logger.exception("Processing Stripe event %s (%s) failed", event.event_id, event.type)
        StripeEvent.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:5000]
        )
        return False
    StripeEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error=(note or "")[:5000],
    )
    return True


def stripe_events_process_due(*, limit: int = BATCH) -> int:
    """Retry unprocessed events (oldest first, in one batch); returns how many succeeded."""
    due = StripeEvent.objects.filter(
        processed_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        received_at__lte=timezone.now() - PROCESS_DUE_AFTER,
    ).order_by("received_at", "pk")
    return sum(
        stripe_event_process(event_id=event_id)
        for event_id in due.values_list("event_id", flat=True)[:limit]
    )


def stripe_events_prune() -> int:
    """Delete processed events older than STRIPE_EVENT_RETENTION_DAYS (at least 3: Stripe
    redelivers for up to three days, and a kept id is what makes a redelivery a no-op).
    Unprocessed events are kept. Returns how many were deleted."""
    days = max(3, settings.STRIPE_EVENT_RETENTION_DAYS)
    deleted, _ = StripeEvent.objects.filter(
        processed_at__isnull=False, received_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return deleted


# Handlers of money in.


def _object(event: dict) -> dict:
    return (event.get("data") or {}).get("object") or {}


def _top_up_id(intent: dict) -> int | None:
    """The top-up a PaymentIntent pays: its metadata, else its stored id. None for
    PaymentIntents that are not Groundwork top-ups."""
    metadata = intent.get("metadata") or {}
    raw = metadata.get("top_up")
    if raw is not None and str(raw).isdigit():
        return int(raw)
    return (
        TopUp.objects.filter(stripe_payment_intent_id=intent.get("id"))
        .values_list("pk", flat=True)
        .first()
    )


def payment_intent_succeeded(event: dict) -> str | None:
    from payments.topups import top_up_succeed

    intent = _object(event)
    top_up_id = _top_up_id(intent)
    if top_up_id is None or not TopUp.objects.filter(pk=top_up_id).exists():
        return f"PaymentIntent {intent.get('id')} is not a known top-up; ignored."
    amount = intent.get("amount_received") or intent.get("amount")
    return top_up_succeed(
        top_up_id=top_up_id,
        payment_intent_id=intent.get("id"),
        amount_cents=amount,
        currency=intent.get("currency"),
    )


def _top_up_unpaid(event: dict, status: str) -> str | None:
    from payments.topups import top_up_fail

    intent = _object(event)
    top_up_id = _top_up_id(intent)
    if top_up_id is None or not TopUp.objects.filter(pk=top_up_id).exists():
        return f"PaymentIntent {intent.get('id')} is not a known top-up; ignored."
    error = intent.get("last_payment_error") or {}
    message = error.get("message") or f"Stripe: payment {status}"
    top_up_fail(top_up_id=top_up_id, message=message, status=status)
    return None


def payment_intent_payment_failed(event: dict) -> str | None:
    return _top_up_unpaid(event, TopUpStatus.FAILED)


def payment_intent_canceled(event: dict) -> str | None:
    return _top_up_unpaid(event, TopUpStatus.CANCELED)


def _refund_from_stripe(stripe_refund: dict) -> str | None:
    from payments.refunds import refund_update_from_stripe

    metadata = stripe_refund.get("metadata") or {}
    raw = metadata.get("refund")
    refund = None
    if raw is not None and str(raw).isdigit():
        refund = Refund.objects.filter(pk=int(raw)).first()
    if refund is None:
        refund = Refund.objects.filter(stripe_refund_id=stripe_refund.get("id")).first()
    if refund is None:
        return f"Refund {stripe_refund.get('id')} is not one of ours; ignored."
    refund_update_from_stripe(
        refund_id=refund.pk,
        stripe_refund_id=stripe_refund.get("id"),
        status=stripe_refund.get("status") or "pending",
        message=stripe_refund.get("failure_reason") or "",
    )
    return None


def refund_updated(event: dict) -> str | None:
    return _refund_from_stripe(_object(event))


def charge_refunded(event: dict) -> str | None:
    """A charge's refunds, as listed on it (older API versions embed them)."""
    refunds = ((_object(event).get("refunds") or {}).get("data")) or []
    notes = [note for note in map(_refund_from_stripe, refunds) if note]
    return " ".join(notes) or None
