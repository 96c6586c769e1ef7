"""The one place Groundwork builds its Stripe client: keys and API base from settings."""

from django.conf import settings
from stripe import StripeClient

from marketplace.exceptions import DomainError


class StripeUnavailable(DomainError):
    """Stripe is not configured (no secret key) or could not be reached; nothing moved."""

    code = "stripe_unavailable"
    status_code = 503
    default_message = "Card payments are not available right now; nothing was charged."


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> StripeClient:
    """A client for the configured account (STRIPE_API_BASE points it at localstripe or a
    test stub). Calls go out with max_network_retries=2: Stripe's idempotency keys make a
    retried POST safe. Never call it inside a database transaction."""
    if not stripe_enabled():
        raise StripeUnavailable()
    base = settings.STRIPE_API_BASE
    return StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


def to_cents(amount) -> int:
    """A Decimal of whole cents as Stripe's integer amount; refuses sub-cent amounts (they
    stay in the balance, see docs/payments.md)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(cents)
