"""Refunds of unused prepaid money to the cards it came from, split across Stripe top-ups.

In one transaction a refund request reserves the money: one Refund row per top-up it draws
on (newest first) and, for each, a `refund` posting (organization available -> Stripe
clearing), so the money cannot be spent twice. Stripe is called afterwards, by a Celery task
(`payments.refund_submit`, idempotency key `refund:<pk>`); if Stripe refuses, the refund is
marked failed and a correcting transaction returns the money.
"""

import hashlib
import logging

import stripe
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_correct, ledger_post, organization_account, platform_account
from payments.models import (
    Account,
    AccountKind,
    LedgerTransaction,
    Provider,
    Refund,
    RefundStatus,
    TopUp,
    TopUpStatus,
    TransactionKind,
)
from payments.money import DEFAULT_CURRENCY
from payments.stripe_client import StripeUnavailable, stripe_client, to_cents
from payments.topups import amount_clean, currency_clean, idempotency_key_clean

logger = logging.getLogger(__name__)

# Stripe errors worth retrying with the same idempotency key; any other StripeError is
# Stripe refusing the refund.
RETRYABLE_STRIPE_ERRORS = (
    stripe.APIConnectionError,
    stripe.RateLimitError,
    stripe.APIError,
    stripe.IdempotencyError,
)


class RefundRetryLater(Exception):
    """Stripe could not be reached; the task retries with the same idempotency key."""


def _row_key_prefix(*, organization, idempotency_key: str) -> str:
    # Hashed so that no caller's key can be a prefix of another's.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"{organization.pk}:{digest}:"


def _existing_request(*, organization, prefix: str, amount, currency, reason) -> list[Refund]:
    rows = list(
        Refund.objects.filter(organization=organization, idempotency_key__startswith=prefix)
        .select_related("top_up")
        .order_by("pk")
    )
    if rows:
        same = (
            sum(row.amount for row in rows) == amount
            and {row.currency for row in rows} == {currency}
            and {row.reason for row in rows} == {reason}
        )
        if not same:
            raise Conflict(
                "This idempotency key was already used with different parameters.",
                fields={"idempotency_key": ["Already used for a different refund."]},
                code="idempotency_key_reused",
            )
    return rows


@transaction.atomic
def refund_create(
    *,
    actor,
    organization,
    amount,
    currency: str = DEFAULT_CURRENCY,
    reason: str = "",
    idempotency_key: str,
) -> tuple[list[Refund], bool]:
    """Refund `amount` of the organization's available balance to its cards.

    The caller has checked that `actor` may (an owner or admin, or staff). Refused with
    InsufficientFunds (402, the shortfall named) above the available balance, and with
    InvalidInput above what its succeeded Stripe top-ups in `currency` can still refund.
    A repeated call with the same key returns the same refunds; other parameters under it
    are a Conflict. Returns (one Refund per top-up drawn on, newest top-up first, and
    whether they are new).
    """
    currency = currency_clean(currency)
    amount = amount_clean(amount)
    if not isinstance(reason, str) or len(reason) > 1000:
        raise InvalidInput(fields={"reason": ["Use at most 1000 characters."]})
    idempotency_key = idempotency_key_clean(idempotency_key, required=True)
    prefix = _row_key_prefix(organization=organization, idempotency_key=idempotency_key)
    existing = _existing_request(
        organization=organization, prefix=prefix, amount=amount, currency=currency, reason=reason
    )
    if existing:
        return existing, False

    # Lock order: the top-ups (our rows) first, ledger accounts last.
    top_ups = list(
        TopUp.objects.select_for_update()
        .filter(
            organization=organization,
            provider=Provider.STRIPE,
            status=TopUpStatus.SUCCEEDED,
            currency=currency,
            amount_refunded__lt=F("amount"),
        )
        .order_by("-succeeded_at", "-pk")
    )
    available = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=currency
    )
    available = Account.objects.select_for_update().get(pk=available.pk)
    if available.balance < amount:
        shortfall = amount - available.balance
        raise InsufficientFunds(
            f"The available balance is {available.balance} {currency}; {shortfall} {currency} "
            "more is needed for this refund.",
            fields={"amount": [f"Short by {shortfall} {currency}."]},
        )
    refundable = sum((top_up.amount - top_up.amount_refunded for top_up in top_ups), start=0)
    if refundable < amount:
        raise InvalidInput(
            f"At most {refundable} {currency} can go back to the cards it came from.",
            fields={"amount": [f"At most {refundable} {currency} can be refunded to cards."]},
            code="refund_above_refundable",
        )
    # The Stripe clearing account is locked by ledger_post, after the organization's.
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=currency)
    refunds = []
    remaining = amount
    for index, top_up in enumerate(top_ups):
        if remaining <= 0:
            break
        part = min(remaining, top_up.amount - top_up.amount_refunded)
        remaining -= part
        refund = Refund.objects.create(
            organization=organization,
            top_up=top_up,
            amount=part,
            currency=currency,
            idempotency_key=f"{prefix}{index}",
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        TopUp.objects.filter(pk=top_up.pk).update(amount_refunded=F("amount_refunded") + part)
        ledger_post(
            idempotency_key=f"refund:{refund.pk}",
            entries=[(available, -part), (clearing, part)],
            kind=TransactionKind.REFUND,
            reference=f"refund:{refund.pk}",
            reason=reason,
            actor=actor,
        )
        refunds.append(refund)
    from payments.tasks import refund_submit_task

    for refund in refunds:
        enqueue_on_commit(refund_submit_task, refund.pk)
    return refunds, True


def refund_submit(*, refund_id: int) -> Refund:
    """Send a pending refund to Stripe (never inside a transaction); idempotent.

    Raises RefundRetryLater when Stripe could not be reached (the task retries with the
    same key `refund:<pk>`, so Stripe refunds once); Stripe refusing marks it failed and
    returns the money.
    """
    refund = Refund.objects.select_related("top_up").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING or refund.stripe_refund_id:
        return refund
    try:
        stripe_refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": refund.top_up.stripe_payment_intent_id,
                "amount": to_cents(refund.amount),
                "metadata": {"refund": str(refund.pk), "top_up": str(refund.top_up_id)},
            },
            options={"idempotency_key": f"refund:{refund.pk}"},
        )
    except (*RETRYABLE_STRIPE_ERRORS, StripeUnavailable) as error:
        logger.warning("Refund %s: Stripe unavailable (%s); retrying", refund.pk, error)
        raise RefundRetryLater(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("Refund %s refused by Stripe: %s", refund.pk, error)
        return refund_fail(refund_id=refund.pk, message=f"Stripe refused: {error}")
    return refund_update_from_stripe(
        refund_id=refund.pk, stripe_refund_id=stripe_refund.id, status=stripe_refund.status
    )


@transaction.atomic
def refund_update_from_stripe(
    *, refund_id: int, stripe_refund_id: str, status: str, message: str = ""
) -> Refund:
    """Record what Stripe says of a refund: succeeded settles it, failed or canceled
    returns the money; pending (or requires_action) waits for the `refund.updated` event."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.stripe_refund_id != stripe_refund_id:
        refund.stripe_refund_id = stripe_refund_id
        refund.save(update_fields=["stripe_refund_id"])
    if status in ("failed", "canceled"):
        return refund_fail(refund_id=refund.pk, message=message or f"Stripe: refund {status}")
    if status == "succeeded" and refund.status == RefundStatus.PENDING:
        refund.status = RefundStatus.SUCCEEDED
        refund.settled_at = timezone.now()
        refund.save(update_fields=["status", "settled_at"])
    return refund


@transaction.atomic
def refund_fail(*, refund_id: int, message: str, actor=None) -> Refund:
    """A refund that will not happen: failed, the top-up's refundable amount restored and
    a correcting transaction (with the reason) returning the money. Idempotent."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    refund.status = RefundStatus.FAILED
    refund.failure_message = message[:1000]
    refund.settled_at = timezone.now()
    refund.save(update_fields=["status", "failure_message", "settled_at"])
    TopUp.objects.filter(pk=refund.top_up_id).update(
        amount_refunded=F("amount_refunded") - refund.amount
    )
    posted = LedgerTransaction.objects.get(idempotency_key=f"refund:{refund.pk}")
    ledger_correct(
        idempotency_key=f"refund-failed:{refund.pk}",
        corrects=posted,
        reason=f"Refund {refund.pk} failed: {message}"[:1000],
        actor=actor,
    )
    return refund


def refunds_submit_due(*, limit: int = 100) -> int:
    """Send the pending refunds Stripe has not seen (their task gave up); returns how many
    went out."""
    sent = 0
    for refund_id in Refund.objects.filter(
        status=RefundStatus.PENDING, stripe_refund_id__isnull=True
    ).values_list("pk", flat=True)[:limit]:
        try:
            refund_submit(refund_id=refund_id)
            sent += 1
        except RefundRetryLater:
            break
    return sent


# Reads.


def refund_list(*, organization) -> QuerySet[Refund]:
    return Refund.objects.filter(organization=organization).select_related("top_up", "created_by")


def refund_access(*, organization, refund_id) -> Refund:
    try:
        return refund_list(organization=organization).get(pk=int(refund_id))
    except (Refund.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def refundable_amount(*, organization, currency: str):
    """What the organization's succeeded Stripe top-ups in `currency` can still refund."""
    return sum(
        (
            top_up.amount - top_up.amount_refunded
            for top_up in TopUp.objects.filter(
                organization=organization,
                provider=Provider.STRIPE,
                status=TopUpStatus.SUCCEEDED,
                currency=currency,
            ).only("amount", "amount_refunded")
        ),
        start=0,
    )
