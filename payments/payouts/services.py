"""Payout requests and their settlement: Stripe transfers, failures and reversals, and the
manual provider (staff mark a payout paid or failed)."""

import logging
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput
from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_post, platform_account
from payments.models import (
    Account,
    AccountKind,
    Payout,
    PayoutStatus,
    Provider,
    TransactionKind,
)
from payments.money import DEFAULT_CURRENCY, money_quantize
from payments.payouts.selectors import (
    CENT,
    MAX_NOTE_LENGTH,
    _available_account,
    _one_owner,
    _owner_prefix,
    _payout_owner_available,
    _require_staff,
    _require_vendor,
    payout_account_get,
)
from payments.stripe_client import StripeUnavailable, stripe_client, stripe_enabled, to_cents

logger = logging.getLogger(__name__)

MAX_CLIENT_KEY_LENGTH = 200
# Errors that say nothing about the payout itself: the task retries them with the same
# idempotency key, so Stripe makes the transfer at most once.
RETRYABLE_STRIPE_ERRORS = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
)


# Requesting a payout.


def _validate_request(*, amount, currency, idempotency_key) -> dict:
    fields: dict[str, list[str]] = {}
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        fields["idempotency_key"] = ["This field is required."]
    elif len(idempotency_key) > MAX_CLIENT_KEY_LENGTH:
        fields["idempotency_key"] = [f"Use at most {MAX_CLIENT_KEY_LENGTH} characters."]
    if not (
        isinstance(currency, str)
        and len(currency) == 3
        and currency.isascii()
        and currency.isupper()
    ):
        fields["currency"] = ["Use a three-letter upper-case ISO 4217 code, like USD."]
    if amount is not None:
        minimum = settings.PAYMENTS_MIN_PAYOUT
        if not isinstance(amount, Decimal) or not amount.is_finite():
            fields["amount"] = ["Give a decimal amount, like 12.50."]
        elif amount != amount.quantize(CENT):
            fields["amount"] = ["Give whole cents (at most 2 decimal places)."]
        elif amount < minimum:
            fields["amount"] = [f"The minimum payout is {minimum}."]
    return fields


def _replayed(existing: Payout, *, amount, currency) -> Payout:
    if (amount is not None and existing.amount != amount) or existing.currency != currency:
        raise Conflict(
            "This idempotency key was already used for a different payout.",
            fields={"idempotency_key": ["Already used for a different payout."]},
            code="idempotency_key_reused",
        )
    return existing


def _provider_for(*, worker=None, organization=None) -> str:
    if not stripe_enabled():
        return Provider.MANUAL
    payout_account = payout_account_get(worker=worker, organization=organization)
    if payout_account is not None and payout_account.payouts_enabled:
        return Provider.STRIPE
    return Provider.MANUAL


def payout_request(
    *,
    actor,
    worker=None,
    organization=None,
    amount: Decimal | None = None,
    currency: str = DEFAULT_CURRENCY,
    idempotency_key: str,
) -> Payout:
    """Pay out `amount` (whole cents, at least PAYMENTS_MIN_PAYOUT; None: all that is
    payable, the available balance rounded down to the cent, the sub-cent rest staying) of
    the worker's or vendor organization's available balance.

    In one transaction, under the row lock of the owner (its WorkerProfile or Organization,
    taken before ledger_post locks the accounts): the Payout row and its `payout` posting
    (available -> payouts in transit). With Stripe on and the owner's Connect account able
    to receive payouts the provider is Stripe and the transfer task is enqueued on commit;
    otherwise it is the manual provider (staff pay and mark it).

    The same idempotency key (per owner) returns the same payout; with a different amount
    or currency it is a Conflict. InvalidInput for bad input, InsufficientFunds (402, naming
    the shortfall) above the available balance; a refusal changes nothing.
    """
    _one_owner(worker, organization)
    if organization is not None:
        _require_vendor(organization)
    fields = _validate_request(amount=amount, currency=currency, idempotency_key=idempotency_key)
    if fields:
        raise InvalidInput(fields=fields)
    stored_key = f"{_owner_prefix(worker=worker, organization=organization)}:{idempotency_key}"
    existing = Payout.objects.filter(idempotency_key=stored_key).first()
    if existing is not None:
        return _replayed(existing, amount=amount, currency=currency)
    provider = _provider_for(worker=worker, organization=organization)
    available = _available_account(worker=worker, organization=organization, currency=currency)
    in_transit = platform_account(kind=AccountKind.PAYOUTS_IN_TRANSIT, currency=currency)

    with transaction.atomic():
        # The owner's row, never a ledger account (ledger_post locks those, last, in its
        # own order): it serialises this owner's requests, so a repeated key finds its
        # payout here. The balance read after it can only have grown meanwhile (other
        # payouts wait on this lock); ledger_post checks it again under the account lock.
        owner_model = type(worker) if worker is not None else type(organization)
        owner_model.objects.select_for_update().filter(pk=(worker or organization).pk).values_list(
            "pk", flat=True
        ).get()
        existing = Payout.objects.filter(idempotency_key=stored_key).first()
        if existing is not None:
            return _replayed(existing, amount=amount, currency=currency)
        balance = Account.objects.values_list("balance", flat=True).get(pk=available.pk)
        minimum = settings.PAYMENTS_MIN_PAYOUT
        if amount is None:
            amount_paid = balance.quantize(CENT, rounding=ROUND_DOWN)
            if amount_paid < minimum:
                shortfall = money_quantize(minimum - balance)
                raise InsufficientFunds(
                    f"The available balance is {balance} {currency}, below the minimum payout "
                    f"of {minimum} {currency}; {shortfall} {currency} more is needed.",
                    fields={"amount": [f"The minimum payout is {minimum}."]},
                )
        else:
            amount_paid = money_quantize(amount)
            if amount_paid > balance:
                shortfall = amount_paid - balance
                raise InsufficientFunds(
                    f"The available balance is {balance} {currency}; {shortfall} {currency} "
                    "more is needed for this payout.",
                    fields={"amount": [f"At most {balance.quantize(CENT, ROUND_DOWN)}."]},
                )
        payout = Payout.objects.create(
            worker=worker,
            organization=organization,
            amount=amount_paid,
            currency=currency,
            provider=provider,
            idempotency_key=stored_key,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        ledger_post(
            idempotency_key=f"payout:{payout.pk}",
            entries=[(available, -amount_paid), (in_transit, amount_paid)],
            kind=TransactionKind.PAYOUT,
            reference=f"payout:{payout.pk}",
            actor=actor,
        )
        if provider == Provider.STRIPE:
            from payments import tasks

            enqueue_on_commit(tasks.payout_transfer, payout.pk)
    return payout


# Settling: Stripe transfers, failures, reversals.


def _settle_paid(
    *, payout_id: int, clearing_kind: str, actor=None, note: str = "", transfer_id=None
):
    """In transit -> paid with the `payout_paid` posting (payouts in transit -> clearing).
    The caller has checked the payout may be settled; returns it locked and saved."""
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.IN_TRANSIT:
        return payout
    in_transit = platform_account(kind=AccountKind.PAYOUTS_IN_TRANSIT, currency=payout.currency)
    clearing = platform_account(kind=clearing_kind, currency=payout.currency)
    ledger_post(
        idempotency_key=f"payout-paid:{payout.pk}",
        entries=[(in_transit, -payout.amount), (clearing, payout.amount)],
        kind=TransactionKind.PAYOUT_PAID,
        reference=f"payout:{payout.pk}",
        reason=note,
        actor=actor,
    )
    payout.status = PayoutStatus.PAID
    payout.settled_at = timezone.now()
    payout.settled_by = actor if getattr(actor, "pk", None) else None
    update_fields = ["status", "settled_at", "settled_by"]
    if transfer_id:
        payout.stripe_transfer_id = transfer_id
        update_fields.append("stripe_transfer_id")
    payout.save(update_fields=update_fields)
    return payout


def _return(*, payout: Payout, status: str, message: str, amount: Decimal, actor=None) -> Payout:
    """Put `amount` of a locked payout back on its owner's available balance
    (`payout_return`, from payouts in transit, or from Stripe clearing once it was paid)."""
    source_kind = (
        AccountKind.STRIPE_CLEARING
        if payout.status == PayoutStatus.PAID
        else AccountKind.PAYOUTS_IN_TRANSIT
    )
    source = platform_account(kind=source_kind, currency=payout.currency)
    ledger_post(
        idempotency_key=f"payout-return:{payout.pk}",
        entries=[(source, -amount), (_payout_owner_available(payout), amount)],
        kind=TransactionKind.PAYOUT_RETURN,
        reference=f"payout:{payout.pk}",
        reason=message[:MAX_NOTE_LENGTH],
        actor=actor,
    )
    payout.status = status
    payout.failure_message = message[:MAX_NOTE_LENGTH]
    payout.settled_at = timezone.now()
    payout.settled_by = actor if getattr(actor, "pk", None) else None
    payout.save(update_fields=["status", "failure_message", "settled_at", "settled_by"])
    return payout


@transaction.atomic
def _fail(*, payout_id: int, message: str, actor=None) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status == PayoutStatus.FAILED:
        return payout
    if payout.status != PayoutStatus.IN_TRANSIT:
        raise Conflict(f"This payout is {payout.get_status_display().lower()}; it can't fail now.")
    return _return(
        payout=payout,
        status=PayoutStatus.FAILED,
        message=message,
        amount=payout.amount,
        actor=actor,
    )


def payout_transfer_send(*, payout_id: int) -> Payout:
    """Send a Stripe payout's Transfer (idempotency key `payout:<id>`) and settle it: paid
    (`payout_paid` to Stripe clearing) or, if Stripe refuses it, failed with the money back.
    Raises StripeUnavailable for errors worth retrying (connection, rate limit, Stripe's
    side); retrying is safe, the key makes Stripe create one transfer. Idempotent."""
    payout = Payout.objects.get(pk=payout_id)
    if payout.status != PayoutStatus.IN_TRANSIT or payout.provider != Provider.STRIPE:
        return payout
    payout_account = payout_account_get(worker=payout.worker, organization=payout.organization)
    if payout_account is None:
        return _fail(payout_id=payout.pk, message="No Stripe account to pay to.")
    client = stripe_client()
    try:
        transfer = client.v1.transfers.create(
            params={
                "amount": to_cents(payout.amount),
                "currency": payout.currency.lower(),
                "destination": payout_account.stripe_account_id,
                "metadata": {"payout": str(payout.pk)},
            },
            options={"idempotency_key": f"payout:{payout.pk}"},
        )
    except RETRYABLE_STRIPE_ERRORS as error:
        logger.warning("Transfer of payout %s to retry: %s", payout.pk, error)
        raise StripeUnavailable() from error
    except stripe.IdempotencyError:
        # The key was used with other parameters: a transfer may exist. Left in transit
        # for staff to look into, never returned blindly.
        logger.exception("Transfer of payout %s hit an idempotency error", payout.pk)
        return payout
    except stripe.StripeError as error:
        message = getattr(error, "user_message", None) or str(error) or type(error).__name__
        logger.info("Stripe refused the transfer of payout %s: %s", payout.pk, message)
        return _fail(payout_id=payout.pk, message=f"Stripe refused the transfer: {message}")
    with transaction.atomic():
        settled = _settle_paid(
            payout_id=payout.pk, clearing_kind=AccountKind.STRIPE_CLEARING, transfer_id=transfer.id
        )
    if settled.status != PayoutStatus.PAID or settled.stripe_transfer_id != transfer.id:
        logger.error(
            "Transfer %s of payout %s went through but the payout is %s: recover it by hand",
            transfer.id,
            payout.pk,
            settled.status,
        )
    return settled


def payout_transfers_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Stripe payouts still in transit after PAYMENTS_PAYOUT_TRANSFER_RETRY_SECONDS (their
    task was lost or gave up): the ids to send again. Uses index: payments_payout created_at."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PAYMENTS_PAYOUT_TRANSFER_RETRY_SECONDS)
    return list(
        Payout.objects.filter(
            provider=Provider.STRIPE, status=PayoutStatus.IN_TRANSIT, created_at__lte=cutoff
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def stripe_transfer_reversed(event: dict) -> None:
    """Webhook `transfer.reversed`: the payout is reversed and the reversed amount goes back
    to its owner's available balance (from Stripe clearing, or from payouts in transit if
    the transfer's answer has not been recorded yet). Idempotent; an unknown transfer is
    ignored."""
    transfer = event["data"]["object"]
    payout = Payout.objects.filter(stripe_transfer_id=transfer["id"]).first()
    if payout is None:
        payout_id = str((transfer.get("metadata") or {}).get("payout", ""))
        if payout_id.isdigit():
            payout = Payout.objects.filter(pk=int(payout_id), provider=Provider.STRIPE).first()
    if payout is None:
        logger.info("transfer.reversed for unknown transfer %s ignored", transfer["id"])
        return
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status in (PayoutStatus.REVERSED, PayoutStatus.FAILED):
            return
        reversed_cents = transfer.get("amount_reversed") or transfer.get("amount") or 0
        amount = min(money_quantize(Decimal(int(reversed_cents)) / 100), payout.amount)
        if amount <= 0:
            return
        message = f"Stripe reversed transfer {transfer['id']}"
        if amount != payout.amount:
            message += f" in part: {amount} of {payout.amount} {payout.currency} came back"
        if not payout.stripe_transfer_id:
            payout.stripe_transfer_id = transfer["id"]
            payout.save(update_fields=["stripe_transfer_id"])
        _return(payout=payout, status=PayoutStatus.REVERSED, message=message, amount=amount)


# The manual provider: staff pay by bank and record it.


def _note(value, *, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(fields={name: ["This field is required."]})
    if len(value) > MAX_NOTE_LENGTH:
        raise InvalidInput(fields={name: [f"Use at most {MAX_NOTE_LENGTH} characters."]})
    return value.strip()


@transaction.atomic
def payout_mark_paid(*, actor, payout: Payout, note: str) -> Payout:
    """Staff record that a manual payout was paid (the bank reference in `note`):
    `payout_paid` from payouts in transit to manual clearing, settled_by the staff user.
    Marking it paid again changes nothing."""
    _require_staff(actor)
    note = _note(note, name="note")
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status == PayoutStatus.PAID:
        return locked
    if locked.status != PayoutStatus.IN_TRANSIT:
        raise Conflict(f"This payout is {locked.get_status_display().lower()}; it can't be paid.")
    if locked.provider != Provider.MANUAL:
        raise Conflict("A Stripe payout is settled by its transfer, not by hand.")
    return _settle_paid(
        payout_id=locked.pk, clearing_kind=AccountKind.MANUAL_CLEARING, actor=actor, note=note
    )


def payout_mark_failed(*, actor, payout: Payout, reason: str) -> Payout:
    """Staff record that a payout could not be made: failed, and the money goes back to
    the owner's available balance (`payout_return`). Failing it again changes nothing.
    For a Stripe payout, check in Stripe's dashboard first that no transfer was made."""
    _require_staff(actor)
    reason = _note(reason, name="reason")
    return _fail(payout_id=payout.pk, message=reason, actor=actor)
