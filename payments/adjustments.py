"""Staff corrections of money: an adjustment of one owner's balance against the platform's
adjustments account, and the reversal of a posted transaction; each with a reason and the
staff user who did it, as new transactions (the ledger is never edited)."""

import re
from decimal import Decimal

from django.db import transaction

from marketplace.exceptions import Conflict, InvalidInput, PermissionDenied
from payments.ledger import account_get_or_create, ledger_correct, ledger_post, platform_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    TransactionKind,
)
from payments.money import MONEY_PLACES

REASON_MAX = 1000
# The balances staff may adjust, per owner. Money on hold belongs to a job: correct the
# job's transactions instead (ledger_transaction_reverse).
ORGANIZATION_ADJUSTABLE = (AccountKind.ORGANIZATION_AVAILABLE, AccountKind.VENDOR_AVAILABLE)
WORKER_ADJUSTABLE = (AccountKind.WORKER_PENDING, AccountKind.WORKER_AVAILABLE)


def _require_staff(actor) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_staff):
        raise PermissionDenied("Only staff can correct balances.")


def _reason_errors(reason) -> list[str] | None:
    if not isinstance(reason, str) or not reason.strip():
        return ["Say why: the reason is kept with the transaction."]
    if len(reason) > REASON_MAX:
        return [f"Use at most {REASON_MAX} characters."]
    return None


@transaction.atomic
def ledger_adjust(
    *,
    actor,
    kind: str,
    amount: Decimal,
    currency: str,
    reason: str,
    idempotency_key: str,
    organization=None,
    worker=None,
) -> LedgerTransaction:
    """Add `amount` (signed: negative takes money away) to the owner's `kind` balance,
    against the platform's adjustments account, as an `adjustment` transaction keyed
    `adjustment:<idempotency_key>` with the reason and the staff user. The same key with
    the same fields returns the first; with others, Conflict. Non-staff: PermissionDenied.
    Taking a guarded balance below zero: InsufficientFunds (402), nothing posted."""
    _require_staff(actor)
    fields: dict[str, list[str]] = {}
    if (organization is None) == (worker is None):
        fields["owner"] = ["Adjust either an organization's or a worker's balance."]
    elif organization is not None and kind not in ORGANIZATION_ADJUSTABLE:
        fields["kind"] = [f"Choose one of: {', '.join(ORGANIZATION_ADJUSTABLE)}."]
    elif worker is not None and kind not in WORKER_ADJUSTABLE:
        fields["kind"] = [f"Choose one of: {', '.join(WORKER_ADJUSTABLE)}."]
    if not isinstance(amount, Decimal) or not amount.is_finite():
        fields["amount"] = ["Give a decimal amount (never a float)."]
    elif amount == 0:
        fields["amount"] = ["The amount must not be zero."]
    elif amount != amount.quantize(MONEY_PLACES):
        fields["amount"] = ["Use at most 4 decimal places."]
    elif abs(amount) >= Decimal(10) ** 12:
        fields["amount"] = ["Use at most 12 digits before the point."]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        fields["currency"] = ["Use a three-letter upper-case ISO 4217 code, like USD."]
    if problem := _reason_errors(reason):
        fields["reason"] = problem
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key.strip()) <= 200:
        fields["idempotency_key"] = ["Give a key of 1-200 characters."]
    if fields:
        raise InvalidInput(fields=fields)

    account = account_get_or_create(
        kind=kind, organization=organization, worker=worker, currency=currency
    )
    reference = f"organization:{organization.pk}" if organization else f"worker:{worker.pk}"
    return ledger_post(
        idempotency_key=f"adjustment:{idempotency_key}",
        entries=[
            (account, amount),
            (platform_account(kind=AccountKind.ADJUSTMENTS, currency=currency), -amount),
        ],
        kind=TransactionKind.ADJUSTMENT,
        reference=reference,
        reason=reason,
        actor=actor,
    )


def reversal_key(posted: LedgerTransaction) -> str:
    return f"correct:{posted.pk}"


@transaction.atomic
def ledger_transaction_reverse(
    *, actor, transaction: LedgerTransaction, reason: str
) -> LedgerTransaction:
    """Reverse every entry of `transaction` with a correcting transaction (key
    `correct:<id>`), with the reason and the staff user. Reversing it again with the same
    reason returns the first reversal; Conflict if it was reversed with another reason.
    Refused (InsufficientFunds, 402) when the money has since left a guarded account."""
    _require_staff(actor)
    if problem := _reason_errors(reason):
        raise InvalidInput(fields={"reason": problem})
    existing = LedgerTransaction.objects.filter(idempotency_key=reversal_key(transaction)).first()
    if existing is not None:
        if existing.reason != reason:
            raise Conflict(
                f"Transaction {transaction.pk} was already reversed by transaction "
                f"{existing.pk} ({existing.reason}).",
                code="already_reversed",
            )
        return existing
    return ledger_correct(
        idempotency_key=reversal_key(transaction),
        corrects=transaction,
        reason=reason,
        actor=actor,
    )
