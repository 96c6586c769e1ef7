"""The demo's money: Acme's prepaid balance through localstripe when it runs on loopback
(marketplace/settings/local.py points Stripe at it), else by the manual provider."""

import logging
from decimal import Decimal
from urllib.parse import urlencode, urlsplit
from urllib.request import urlopen

from django.conf import settings

from payments.models import TopUp, TopUpStatus
from payments.stripe_client import stripe_client, stripe_enabled, to_cents
from payments.topups import top_up_create, top_up_record_manual, top_up_succeed

logger = logging.getLogger(__name__)
DEMO_WEBHOOK_URL = "http://127.0.0.1:8000/api/v1/payments/stripe/webhook/"
DEMO_KEY = "demo-data-top-up"


def localstripe_running() -> bool:
    return stripe_enabled() and urlsplit(settings.STRIPE_API_BASE).hostname in {
        "127.0.0.1",
        "localhost",
    }


def demo_top_up(*, admin, organization, amount: Decimal) -> TopUp:
    """Fund the demo organization once (idempotent). With localstripe: a real card top-up
    (PaymentIntent, confirmed with Stripe's test card) credited as its succeeded event
    would be, and the webhook registered so the site's own top-ups arrive; else a manual
    top-up recorded by the admin."""
    existing = TopUp.objects.filter(organization=organization, idempotency_key=DEMO_KEY).first()
    if existing is not None and existing.status == TopUpStatus.SUCCEEDED:
        return existing
    if not localstripe_running():
        return top_up_record_manual(
            actor=admin,
            organization=organization,
            amount=amount,
            reason="Demo data: Acme's prepaid balance",
            idempotency_key=DEMO_KEY,
        )
    # localstripe's own configuration endpoint: deliver signed events to the demo site.
    registration = urlencode({"url": DEMO_WEBHOOK_URL, "secret": settings.STRIPE_WEBHOOK_SECRET})
    with urlopen(  # noqa: S310 - a loopback http URL from the demo settings
        f"{settings.STRIPE_API_BASE}/_config/webhooks/groundwork-demo",
        data=registration.encode(),
        timeout=5,
    ):
        pass
    checkout = top_up_create(
        actor=admin, organization=organization, amount=amount, idempotency_key=DEMO_KEY
    )
    top_up = checkout.top_up
    client = stripe_client()
    card = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        }
    )
    client.v1.payment_intents.update(
        top_up.stripe_payment_intent_id, params={"payment_method": card.id}
    )
    intent = client.v1.payment_intents.confirm(top_up.stripe_payment_intent_id)
    # The site is not serving yet, so its webhook would miss this event: credit it as the
    # event's processing does.
    top_up_succeed(
        top_up_id=top_up.pk,
        payment_intent_id=intent.id,
        amount_cents=to_cents(top_up.amount),
        currency=intent.currency,
    )
    logger.info("Demo top-up %s paid through localstripe (%s)", top_up.pk, intent.id)
    top_up.refresh_from_db()
    return top_up
