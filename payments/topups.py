"""Top-ups: prepaying an organization's balance by card (Stripe PaymentIntents) or by hand.

A top-up is created pending in the database first, then (outside the transaction) its
PaymentIntent, for the amount the SERVER stored, with idempotency key `top-up:<pk>`. The
organization is credited only when Stripe's `payment_intent.succeeded` event arrives
(payments.stripe_events), never because a browser says it paid.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from payments.ledger import ledger_post, organization_account, platform_account
from payments.models import (
    Account,
    AccountKind,
    Provider,
    TopUp,
    TopUpStatus,
    TransactionKind,
)
from payments.money import DEFAULT_CURRENCY, money_quantize
from payments.stripe_client import StripeUnavailable, stripe_client, stripe_enabled, to_cents

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_KEY_LENGTH = 255
CARD_TOP_UPS_OFF = "Card top-ups are off; ask staff to record a payment."
# The moves a top-up may make. A failed card payment may still succeed later (the payer
# retries on the same PaymentIntent, or Stripe created it although our call timed out):
# money that arrived is always credited.
TOP_UP_TRANSITIONS = {
    TopUpStatus.PENDING: {TopUpStatus.SUCCEEDED, TopUpStatus.FAILED, TopUpStatus.CANCELED},
    TopUpStatus.FAILED: {TopUpStatus.SUCCEEDED, TopUpStatus.CANCELED},
    TopUpStatus.CANCELED: set(),
    TopUpStatus.SUCCEEDED: set(),
}


class CardTopUpsOff(Conflict):
    """No Stripe secret key is configured: the manual provider is in use."""

    code = "card_top_ups_off"
    default_message = CARD_TOP_UPS_OFF


@dataclass(frozen=True)
class TopUpCheckout:
    """What the browser needs to pay a top-up: Stripe.js's publishable key and the
    PaymentIntent's client secret (None once the top-up is no longer payable)."""

    top_up: TopUp
    client_secret: str | None
    publishable_key: str
    created: bool


def currencies() -> list[str]:
    return list(getattr(settings, "PAYMENTS_CURRENCIES", [DEFAULT_CURRENCY]))


def currency_clean(currency, *, field: str = "currency") -> str:
    if not isinstance(currency, str) or currency not in currencies():
        accepted = ", ".join(currencies())
        raise InvalidInput(fields={field: [f"Use one of the accepted currencies: {accepted}."]})
    return currency


def amount_clean(amount, *, field: str = "amount", minimum=None, maximum=None) -> Decimal:
    """A positive amount in whole cents, within [minimum, maximum] when given."""
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(fields={field: ["Give an amount such as 25.00."]}) from None
    if isinstance(amount, float) or not value.is_finite():
        raise InvalidInput(fields={field: ["Give an amount such as 25.00."]})
    if value <= 0:
        raise InvalidInput(fields={field: ["The amount must be positive."]})
    if value != value.quantize(CENT):
        raise InvalidInput(fields={field: ["Use whole cents (at most 2 decimal places)."]})
    if minimum is not None and value < minimum:
        raise InvalidInput(fields={field: [f"The minimum is {minimum}."]})
    if maximum is not None and value > maximum:
        raise InvalidInput(fields={field: [f"The maximum is {maximum}."]})
    return money_quantize(value)


def idempotency_key_clean(idempotency_key, *, required: bool) -> str:
    if idempotency_key in (None, ""):
        if required:
            raise InvalidInput(fields={"idempotency_key": ["This field is required."]})
        return f"auto:{uuid.uuid4()}"
    if not isinstance(idempotency_key, str) or len(idempotency_key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            fields={"idempotency_key": [f"Use a string of at most {MAX_KEY_LENGTH} characters."]}
        )
    return idempotency_key


def _key_reused() -> Conflict:
    return Conflict(
        "This idempotency key was already used with different parameters.",
        fields={"idempotency_key": ["Already used for a different top-up."]},
        code="idempotency_key_reused",
    )


@transaction.atomic
def _top_up_pending_get_or_create(
    *, actor, organization, amount: Decimal, currency: str, idempotency_key: str
) -> tuple[TopUp, bool]:
    existing = TopUp.objects.filter(organization=organization, idempotency_key=idempotency_key)
    top_up = existing.first()
    if top_up is None:
        try:
            with transaction.atomic():
                return (
                    TopUp.objects.create(
                        organization=organization,
                        amount=amount,
                        currency=currency,
                        provider=Provider.STRIPE,
                        idempotency_key=idempotency_key,
                        created_by=actor if getattr(actor, "pk", None) else None,
                    ),
                    True,
                )
        except IntegrityError:
            # The same key committed meanwhile by a concurrent request.
            top_up = existing.get()
    if top_up.amount != amount or top_up.currency != currency or top_up.provider != Provider.STRIPE:
        raise _key_reused()
    return top_up, False


def top_up_create(
    *,
    actor,
    organization,
    amount,
    currency: str = DEFAULT_CURRENCY,
    idempotency_key: str | None = None,
    idempotency_key_required: bool = False,
) -> TopUpCheckout:
    """Start a card top-up of `amount` (whole cents, PAYMENTS_MIN_TOP_UP..MAX_TOP_UP).

    The caller has checked that `actor` belongs to `organization`. A repeated call with
    the same key and parameters returns the same top-up (and its PaymentIntent's client
    secret while it is payable); other parameters under a used key are a Conflict. Stripe
    down: the top-up is marked failed and StripeUnavailable (503) is raised; nothing is
    credited. No Stripe key configured: CardTopUpsOff (409), nothing stored.
    """
    currency = currency_clean(currency)
    amount = amount_clean(
        amount, minimum=settings.PAYMENTS_MIN_TOP_UP, maximum=settings.PAYMENTS_MAX_TOP_UP
    )
    idempotency_key = idempotency_key_clean(idempotency_key, required=idempotency_key_required)
    if not stripe_enabled():
        raise CardTopUpsOff()
    top_up, created = _top_up_pending_get_or_create(
        actor=actor,
        organization=organization,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
    )
    publishable_key = settings.STRIPE_PUBLISHABLE_KEY
    if top_up.status == TopUpStatus.FAILED and not top_up.stripe_payment_intent_id:
        raise Conflict(
            "This top-up failed before a payment was started; use a new idempotency key.",
            fields={"idempotency_key": ["Used by a failed top-up."]},
            code="top_up_failed",
        )
    if top_up.status != TopUpStatus.PENDING:
        return TopUpCheckout(top_up, None, publishable_key, created)
    # Outside any transaction from here: HTTP calls to Stripe.
    try:
        client = stripe_client()
        if top_up.stripe_payment_intent_id:
            intent = client.v1.payment_intents.retrieve(top_up.stripe_payment_intent_id)
        else:
            intent = client.v1.payment_intents.create(
                params={
                    "amount": to_cents(top_up.amount),
                    "currency": top_up.currency.lower(),
                    "payment_method_types": ["card"],
                    "metadata": {
                        "top_up": str(top_up.pk),
                        "organization": str(top_up.organization_id),
                    },
                },
                options={"idempotency_key": f"top-up:{top_up.pk}"},
            )
    except stripe.StripeError as error:
        logger.warning("Stripe refused or missed top-up %s: %s", top_up.pk, error)
        if not top_up.stripe_payment_intent_id:
            top_up_fail(
                top_up_id=top_up.pk,
                message=f"Stripe could not be reached: {type(error).__name__}",
            )
        raise StripeUnavailable() from error
    if not top_up.stripe_payment_intent_id:
        TopUp.objects.filter(pk=top_up.pk, stripe_payment_intent_id__isnull=True).update(
            stripe_payment_intent_id=intent.id
        )
        top_up.refresh_from_db()
    return TopUpCheckout(top_up, intent.client_secret, publishable_key, created)


def _top_up_lock(*, top_up_id) -> TopUp:
    try:
        return TopUp.objects.select_for_update().get(pk=top_up_id)
    except (TopUp.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No top-up {top_up_id}.") from None


def _top_up_post(*, top_up: TopUp, clearing_kind: str, actor=None, reason: str = "") -> None:
    clearing = platform_account(kind=clearing_kind, currency=top_up.currency)
    available = organization_account(
        organization=top_up.organization,
        kind=AccountKind.ORGANIZATION_AVAILABLE,
        currency=top_up.currency,
    )
    ledger_post(
        idempotency_key=f"top-up:{top_up.pk}",
        entries=[(clearing, -top_up.amount), (available, top_up.amount)],
        kind=TransactionKind.TOP_UP,
        reference=f"top_up:{top_up.pk}",
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def top_up_succeed(
    *, top_up_id, payment_intent_id: str, amount_cents: int, currency: str
) -> str | None:
    """Credit a card top-up whose PaymentIntent succeeded (idempotent: once per top-up).

    The amount and currency credited are the top-up's own; Stripe's must match them. A
    mismatch is logged at ERROR and nothing is credited; the returned note says why.
    """
    top_up = _top_up_lock(top_up_id=top_up_id)
    if top_up.status == TopUpStatus.SUCCEEDED:
        return None
    problems = []
    stored_intent = top_up.stripe_payment_intent_id
    if stored_intent and stored_intent != payment_intent_id:
        problems.append(f"PaymentIntent {payment_intent_id} is not {stored_intent}")
    if amount_cents != to_cents(top_up.amount):
        problems.append(f"amount {amount_cents} cents is not {to_cents(top_up.amount)}")
    if (currency or "").upper() != top_up.currency:
        problems.append(f"currency {currency!r} is not {top_up.currency}")
    if TopUpStatus.SUCCEEDED not in TOP_UP_TRANSITIONS[top_up.status]:
        problems.append(f"the top-up is {top_up.status}")
    if problems:
        note = f"Top-up {top_up.pk} not credited: " + "; ".join(problems)
        logger.error(note)
        top_up.failure_message = note[:1000]
        top_up.save(update_fields=["failure_message"])
        return note
    top_up.status = TopUpStatus.SUCCEEDED
    top_up.succeeded_at = timezone.now()
    top_up.failure_message = ""
    top_up.stripe_payment_intent_id = payment_intent_id
    top_up.save(
        update_fields=["status", "succeeded_at", "failure_message", "stripe_payment_intent_id"]
    )
    _top_up_post(top_up=top_up, clearing_kind=AccountKind.STRIPE_CLEARING)
    return None


@transaction.atomic
def top_up_fail(*, top_up_id, message: str, status: str = TopUpStatus.FAILED) -> TopUp:
    """Mark a top-up failed (or canceled); a credited one stays credited."""
    top_up = _top_up_lock(top_up_id=top_up_id)
    if status == top_up.status or status not in TOP_UP_TRANSITIONS[top_up.status]:
        return top_up
    top_up.status = status
    top_up.failure_message = message[:1000]
    top_up.save(update_fields=["status", "failure_message"])
    return top_up


@transaction.atomic
def top_up_record_manual(
    *,
    actor,
    organization,
    amount,
    currency: str = DEFAULT_CURRENCY,
    reason: str,
    idempotency_key: str | None = None,
) -> TopUp:
    """Staff record money received outside Stripe (a bank transfer, the demo): a succeeded
    manual top-up and its `top_up` posting from manual clearing, with the staff user and
    reason on both."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can record a manual top-up.")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(fields={"reason": ["Say what payment this records."]})
    if len(reason) > 1000:
        raise InvalidInput(fields={"reason": ["Use at most 1000 characters."]})
    currency = currency_clean(currency)
    amount = amount_clean(amount, maximum=settings.PAYMENTS_MAX_TOP_UP)
    key = idempotency_key_clean(idempotency_key, required=False)
    existing = TopUp.objects.filter(organization=organization, idempotency_key=key).first()
    if existing is not None:
        if (existing.amount, existing.currency, existing.provider) != (
            amount,
            currency,
            Provider.MANUAL,
        ):
            raise _key_reused()
        return existing
    top_up = TopUp.objects.create(
        organization=organization,
        amount=amount,
        currency=currency,
        provider=Provider.MANUAL,
        status=TopUpStatus.SUCCEEDED,
        idempotency_key=key,
        failure_message="",
        created_by=actor,
        succeeded_at=timezone.now(),
    )
    _top_up_post(
        top_up=top_up, clearing_kind=AccountKind.MANUAL_CLEARING, actor=actor, reason=reason
    )
    return top_up


# Reads.


def top_up_list(*, organization) -> QuerySet[TopUp]:
    # Uses index: top_up_key_once_per_organization (organization first).
    return TopUp.objects.filter(organization=organization).select_related("created_by")


def top_up_access(*, organization, top_up_id) -> TopUp:
    try:
        return top_up_list(organization=organization).get(pk=int(top_up_id))
    except (TopUp.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


@dataclass(frozen=True)
class Balance:
    currency: str
    available: Decimal
    on_hold: Decimal


def organization_balances(*, organization) -> list[Balance]:
    """Per currency: the available balance and what its jobs hold (the sum of its jobs'
    on-hold accounts), from the cached balances, in one query."""
    rows = (
        Account.objects.filter(
            organization=organization,
            kind__in=[AccountKind.ORGANIZATION_AVAILABLE, AccountKind.ORGANIZATION_ON_HOLD],
        )
        .values("currency", "kind")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        totals.setdefault(row["currency"], {})[row["kind"]] = row["total"]
    zero = Decimal("0.0000")
    if not totals:
        totals[DEFAULT_CURRENCY] = {}
    return [
        Balance(
            currency=currency,
            available=money_quantize(kinds.get(AccountKind.ORGANIZATION_AVAILABLE, zero)),
            on_hold=money_quantize(kinds.get(AccountKind.ORGANIZATION_ON_HOLD, zero)),
        )
        for currency, kinds in sorted(totals.items())
    ]
