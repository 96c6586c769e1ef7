"""Money out: Stripe Connect onboarding, payout requests, Stripe transfers with their failures
and reversals, the manual provider (staff mark a payout paid or failed) and the CSV export."""

import csv
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_post, organization_account, platform_account, worker_account
from payments.models import (
    Account,
    AccountKind,
    Payout,
    PayoutAccount,
    PayoutStatus,
    Provider,
    TransactionKind,
)
from payments.money import DEFAULT_CURRENCY, money_quantize
from payments.stripe_client import StripeUnavailable, stripe_client, stripe_enabled, to_cents

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_CLIENT_KEY_LENGTH = 200
MAX_NOTE_LENGTH = 1000
# Errors that say nothing about the payout itself: the task retries them with the same
# idempotency key, so Stripe makes the transfer at most once.
RETRYABLE_STRIPE_ERRORS = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
)


# Owners: a worker, or a vendor organization.


def _one_owner(worker, organization) -> None:
    if (worker is None) == (organization is None):
        raise ValueError("Give exactly one of worker and organization.")


def _owner_prefix(*, worker=None, organization=None) -> str:
    return f"worker:{worker.pk}" if worker is not None else f"organization:{organization.pk}"


def _available_account(*, worker=None, organization=None, currency: str) -> Account:
    if worker is not None:
        return worker_account(worker=worker, kind=AccountKind.WORKER_AVAILABLE, currency=currency)
    return organization_account(
        organization=organization, kind=AccountKind.VENDOR_AVAILABLE, currency=currency
    )


def _payout_owner_available(payout: Payout) -> Account:
    return _available_account(
        worker=payout.worker, organization=payout.organization, currency=payout.currency
    )


def _require_vendor(organization) -> None:
    if not hasattr(organization, "vendor_profile"):
        raise PermissionDenied(
            "Only a vendor organization is paid out; create its vendor profile first.",
            code="not_a_vendor",
        )


def _require_staff(actor) -> None:
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can settle payouts by hand.")


# Reads.


def payout_account_get(*, worker=None, organization=None) -> PayoutAccount | None:
    _one_owner(worker, organization)
    owner = {"worker": worker} if worker is not None else {"organization": organization}
    return PayoutAccount.objects.filter(**owner).first()


def payout_list(*, worker=None, organization=None) -> QuerySet[Payout]:
    """The owner's payouts, newest first."""
    _one_owner(worker, organization)
    owner = {"worker": worker} if worker is not None else {"organization": organization}
    return Payout.objects.filter(**owner).order_by("-created_at", "-id")


def payout_access(*, payout_id, worker=None, organization=None) -> Payout:
    """The owner's payout `payout_id`; NotFound for anyone else's."""
    try:
        return payout_list(worker=worker, organization=organization).get(pk=int(payout_id))
    except (Payout.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


@dataclass
class PayoutSummary:
    """One currency of an owner's money: what can be paid out and where the rest is."""

    currency: str
    available: Decimal
    payable: Decimal  # available rounded down to the cent: what one payout can take
    pending: Decimal | None  # workers only: earnings still in the hold period
    in_transit: Decimal
    paid: Decimal


def payout_summaries(*, worker=None, organization=None) -> list[PayoutSummary]:
    """Per currency: available (and pending for a worker) from the ledger accounts, in
    transit and paid from the payouts. Three queries."""
    _one_owner(worker, organization)
    if worker is not None:
        kinds = (AccountKind.WORKER_AVAILABLE, AccountKind.WORKER_PENDING)
        accounts = Account.objects.filter(worker=worker, kind__in=kinds)
    else:
        accounts = Account.objects.filter(
            organization=organization, kind=AccountKind.VENDOR_AVAILABLE
        )
    balances = {(a.currency, a.kind): a.balance for a in accounts}
    totals = {
        (row["currency"], row["status"]): row["total"]
        for row in payout_list(worker=worker, organization=organization)
        .filter(status__in=[PayoutStatus.IN_TRANSIT, PayoutStatus.PAID])
        .order_by()
        .values("currency", "status")
        .annotate(total=Sum("amount"), count=Count("id"))
    }
    currencies = sorted({currency for currency, _ in balances} | {c for c, _ in totals})
    zero = Decimal("0.0000")
    summaries = []
    for currency in currencies:
        available_kind = (
            AccountKind.WORKER_AVAILABLE if worker is not None else AccountKind.VENDOR_AVAILABLE
        )
        available = balances.get((currency, available_kind), zero)
        summaries.append(
            PayoutSummary(
                currency=currency,
                available=available,
                payable=available.quantize(CENT, rounding=ROUND_DOWN),
                pending=balances.get((currency, AccountKind.WORKER_PENDING), zero)
                if worker is not None
                else None,
                in_transit=totals.get((currency, PayoutStatus.IN_TRANSIT), zero),
                paid=totals.get((currency, PayoutStatus.PAID), zero),
            )
        )
    return summaries


# Connect onboarding.


def _field(stripe_object, name: str):
    """A field of a Stripe object (StripeObject from the client, dict from an event)."""
    if isinstance(stripe_object, dict):
        return stripe_object.get(name)
    return getattr(stripe_object, name, None)


def _stripe_refused(error: stripe.StripeError, doing: str) -> StripeUnavailable:
    logger.warning("Stripe refused to %s: %s", doing, error)
    return StripeUnavailable(f"Stripe could not {doing} right now; try again later.")


def _payout_account_apply(*, payout_account: PayoutAccount, stripe_account) -> PayoutAccount:
    """Copy the account's onboarding state from a Stripe Account (object or dict)."""
    details_submitted = bool(_field(stripe_account, "details_submitted"))
    payouts_enabled = bool(_field(stripe_account, "payouts_enabled"))
    with transaction.atomic():
        locked = PayoutAccount.objects.select_for_update().get(pk=payout_account.pk)
        if (locked.details_submitted, locked.payouts_enabled) != (
            details_submitted,
            payouts_enabled,
        ):
            locked.details_submitted = details_submitted
            locked.payouts_enabled = payouts_enabled
            locked.save(update_fields=["details_submitted", "payouts_enabled", "updated_at"])
    return locked


def _payout_account_create(*, worker=None, organization=None) -> PayoutAccount:
    """The owner's PayoutAccount, creating its Express account at Stripe if it has none.
    The idempotency key `payout-account:<owner>` makes a repeated or concurrent call create
    one Stripe account; the OneToOne column makes it one row."""
    existing = payout_account_get(worker=worker, organization=organization)
    if existing is not None:
        return existing
    owner = _owner_prefix(worker=worker, organization=organization)
    if worker is not None:
        metadata = {"groundwork_worker_id": worker.worker_id}
    else:
        metadata = {"groundwork_organization_id": str(organization.pk)}
    client = stripe_client()
    try:
        stripe_account = client.v1.accounts.create(
            params={
                "type": "express",
                "capabilities": {"transfers": {"requested": True}},
                "metadata": metadata,
            },
            options={"idempotency_key": f"payout-account:{owner}"},
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error, "create your payout account") from error
    try:
        with transaction.atomic():
            return PayoutAccount.objects.create(
                worker=worker,
                organization=organization,
                stripe_account_id=stripe_account.id,
                details_submitted=bool(_field(stripe_account, "details_submitted")),
                payouts_enabled=bool(_field(stripe_account, "payouts_enabled")),
            )
    except IntegrityError:
        # A concurrent call stored it first (the same Stripe account, by the key).
        return payout_account_get(worker=worker, organization=organization)


@dataclass
class Onboarding:
    payout_account: PayoutAccount
    url: str  # the Stripe-hosted onboarding page to send the user to; valid for minutes


def payout_account_onboard(
    *, actor, worker=None, organization=None, return_url: str, refresh_url: str
) -> Onboarding:
    """Give the worker or vendor organization a Stripe Connect Express account (once) and
    an Account Link to Stripe's onboarding. No database transaction is open during the
    Stripe calls. StripeUnavailable (503) when Stripe is off, unreachable or refuses."""
    _one_owner(worker, organization)
    if organization is not None:
        _require_vendor(organization)
    payout_account = _payout_account_create(worker=worker, organization=organization)
    client = stripe_client()
    try:
        link = client.v1.account_links.create(
            params={
                "account": payout_account.stripe_account_id,
                "type": "account_onboarding",
                "refresh_url": refresh_url,
                "return_url": return_url,
            }
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error, "start onboarding") from error
    logger.info(
        "Onboarding link for %s made by user %s", payout_account, getattr(actor, "pk", None)
    )
    return Onboarding(payout_account=payout_account, url=link.url)


def payout_account_refresh(*, payout_account: PayoutAccount) -> PayoutAccount:
    """Read the account's onboarding state back from Stripe (the return page does this)."""
    client = stripe_client()
    try:
        stripe_account = client.v1.accounts.retrieve(payout_account.stripe_account_id)
    except stripe.StripeError as error:
        raise _stripe_refused(error, "read your payout account") from error
    return _payout_account_apply(payout_account=payout_account, stripe_account=stripe_account)


def stripe_account_updated(event: dict) -> None:
    """Webhook `account.updated`: the Connect account's details_submitted and
    payouts_enabled. An account Groundwork does not know is ignored. Idempotent."""
    stripe_account = event["data"]["object"]
    payout_account = PayoutAccount.objects.filter(stripe_account_id=stripe_account["id"]).first()
    if payout_account is None:
        logger.info("account.updated for unknown account %s ignored", stripe_account["id"])
        return
    _payout_account_apply(payout_account=payout_account, stripe_account=stripe_account)


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

    In one transaction, under the locks of the available and in-transit accounts: the Payout
    row and its `payout` posting (available -> payouts in transit). With Stripe on and the
    owner's Connect account able to receive payouts the provider is Stripe and the transfer
    task is enqueued on commit; otherwise it is the manual provider (staff pay and mark it).

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
        # Both accounts in id order, as ledger_post locks them, so this never deadlocks
        # with another posting; the lock also serialises this owner's requests.
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update()
            .filter(pk__in=[available.pk, in_transit.pk])
            .order_by("pk")
        }
        existing = Payout.objects.filter(idempotency_key=stored_key).first()
        if existing is not None:
            return _replayed(existing, amount=amount, currency=currency)
        balance = locked[available.pk].balance
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


CSV_COLUMNS = (
    "id",
    "owner",
    "worker_id",
    "organization_id",
    "organization",
    "email",
    "amount",
    "currency",
    "status",
    "provider",
    "created_at",
    "settled_at",
    "bank_note",
)


def payout_export_list(
    *,
    status: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Payout]:
    """Payouts for the CSV export, oldest first: by status and a created_at range [from, to).
    Uses index: payments_payout created_at."""
    payouts = Payout.objects.select_related(
        "worker__user", "organization__vendor_profile"
    ).order_by("created_at", "id")
    if status is not None:
        payouts = payouts.filter(status=status)
    if created_from is not None:
        payouts = payouts.filter(created_at__gte=created_from)
    if created_to is not None:
        payouts = payouts.filter(created_at__lt=created_to)
    return payouts


def _cell(value) -> str:
    """A text cell a spreadsheet won't run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(payout: Payout) -> list[str]:
    if payout.worker_id:
        owner, email = "worker", payout.worker.user.email
        worker_id, organization_id, organization = payout.worker.worker_id, "", ""
    else:
        vendor = getattr(payout.organization, "vendor_profile", None)
        owner, email = "organization", vendor.contact_email if vendor else ""
        worker_id = ""
        organization_id, organization = payout.organization_id, payout.organization.name
    return [
        str(payout.pk),
        owner,
        worker_id,
        str(organization_id),
        _cell(organization),
        _cell(email),
        str(payout.amount.quantize(CENT)),
        payout.currency,
        payout.status,
        payout.provider,
        payout.created_at.isoformat(),
        payout.settled_at.isoformat() if payout.settled_at else "",
        f"Groundwork payout {payout.pk}",
    ]


def payout_csv_write(*, payouts, out) -> None:
    """Write `payouts` as CSV to the file-like `out`: a header, then one row each. The bank
    note is the reference to quote on the bank transfer."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for payout in payouts.iterator(chunk_size=1000) if hasattr(payouts, "iterator") else payouts:
        writer.writerow(_csv_row(payout))
