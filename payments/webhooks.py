"""Stripe webhook intake: verify the signature on the raw body, store the event, enqueue it.

Nothing is recorded for a request that fails verification. A verified event is inserted
(its unique event id makes a redelivery a no-op) before anything acts on it; processing
happens in the Celery task `payments.stripe_event_process`, enqueued on commit.
"""

import json
import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import InvalidInput
from payments.models import StripeEvent
from payments.stripe_client import StripeUnavailable

logger = logging.getLogger(__name__)


class WebhookNotConfigured(StripeUnavailable):
    code = "stripe_webhooks_off"
    default_message = "Stripe webhooks are not configured here (no signing secret)."


def _bad_request(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_webhook")


@transaction.atomic
def stripe_webhook_receive(*, payload: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    """Verify and store one delivery; returns (the event, whether it is new).

    Raises InvalidInput (400) for a missing, forged or stale signature (older than
    STRIPE_WEBHOOK_TOLERANCE_SECONDS) or a body that is not a Stripe event, storing
    nothing; WebhookNotConfigured (503) without a signing secret, so Stripe retries later.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookNotConfigured()
    try:
        stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        raise _bad_request("The Stripe-Signature header does not verify.") from None
    except (ValueError, TypeError, AttributeError, KeyError):
        # Signed, but not UTF-8, not JSON or not an object (checked after the signature).
        raise _bad_request("The body is not a JSON Stripe event.") from None
    # Parsed again as plain data for storage (construct_event's objects are Stripe's).
    data = json.loads(payload)
    event_id, event_type = (data.get("id"), data.get("type")) if isinstance(data, dict) else (0, 0)
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise _bad_request("The body is not a Stripe event (no id or type).")
    try:
        with transaction.atomic():
            event = StripeEvent.objects.create(
                event_id=event_id[:255],
                type=event_type[:100],
                payload=data,
                livemode=bool(data.get("livemode", False)),
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event_id), False
    from payments.tasks import stripe_event_process_task

    enqueue_on_commit(stripe_event_process_task, event.event_id)
    return event, True
