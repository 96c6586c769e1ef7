"""Earnings release: rewards and bonuses move from a worker's pending to available balance
once they are older than PAYMENTS_EARNINGS_HOLD_SECONDS."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import CharField, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_post, worker_account
from payments.models import (
    MONEY_DECIMALS,
    MONEY_DIGITS,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)

logger = logging.getLogger(__name__)

EARNING_KINDS = (TransactionKind.REWARD, TransactionKind.BONUS)
BATCH_SIZE = 500
_MONEY = DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)


def release_key(transaction_id: int) -> str:
    return f"earnings-release:{transaction_id}"


@dataclass
class ReleaseOutcome:
    released: int = 0
    skipped: int = 0

    def as_json(self) -> dict:
        return {"released": self.released, "skipped": self.skipped}


def _due_entries(*, cutoff: datetime, since: datetime | None, after: tuple | None):
    """Pending-side entries of unreleased rewards and bonuses posted at or before `cutoff`,
    oldest first, one batch after the keyset `after` = (created_at, transaction id).

    Uses index: the range on ledger_transaction.created_at (its db_index) bounded below by
    `since` (PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS), and for the NOT EXISTS one probe per
    row of the unique index on ledger_transaction.idempotency_key ("earnings-release:<id>").
    """
    released = LedgerTransaction.objects.filter(
        idempotency_key=Concat(
            Value("earnings-release:"), OuterRef("transaction_id"), output_field=CharField()
        )
    )
    entries = LedgerEntry.objects.filter(
        account__kind=AccountKind.WORKER_PENDING,
        amount__gt=0,
        transaction__kind__in=EARNING_KINDS,
        transaction__created_at__lte=cutoff,
    ).filter(~Exists(released))
    if since is not None:
        entries = entries.filter(transaction__created_at__gt=since)
    if after is not None:
        created_at, transaction_id = after
        entries = entries.filter(
            Q(transaction__created_at__gt=created_at)
            | Q(transaction__created_at=created_at, transaction_id__gt=transaction_id)
        )
    # What corrections of the earning took back from the same pending account (corrections
    # are found by the foreign-key index on ledger_transaction.corrects_id).
    corrected = (
        LedgerEntry.objects.filter(
            transaction__corrects_id=OuterRef("transaction_id"), account_id=OuterRef("account_id")
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        entries.annotate(
            corrected=Coalesce(Subquery(corrected), Value(Decimal(0)), output_field=_MONEY)
        )
        .select_related("account", "transaction")
        .order_by("transaction__created_at", "transaction_id")[:BATCH_SIZE]
    )


def earnings_release_one(*, entry: LedgerEntry) -> LedgerTransaction | None:
    """Release one earning (its pending entry, annotated with `corrected` by the due query)
    to the worker's available balance, or None
    when nothing is left of it. Idempotent: the key is `earnings-release:<transaction id>`.
    Raises InsufficientFunds, posting nothing, when the pending balance no longer holds it."""
    amount = entry.amount + entry.corrected  # the corrections' entries are negative
    if amount <= 0:
        return None
    pending = entry.account
    available = worker_account(
        worker=pending.worker, kind=AccountKind.WORKER_AVAILABLE, currency=pending.currency
    )
    return ledger_post(
        idempotency_key=release_key(entry.transaction_id),
        entries=[(pending, -amount), (available, amount)],
        kind=TransactionKind.EARNINGS_RELEASE,
        reference=f"ledger_transaction:{entry.transaction_id}",
    )


def earnings_release_due(
    *, now: datetime | None = None, since: datetime | None = None, full_scan: bool = False
) -> ReleaseOutcome:
    """Release every reward and bonus older than the hold, in batches of BATCH_SIZE, each
    release its own transaction. Safe to run again or concurrently (one key per earning).

    Looks back PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS before the hold's cutoff unless
    `since` is given or `full_scan` is set (to catch up after the sweep was down longer).
    An earning its pending balance no longer covers (money taken back by an adjustment) is
    skipped and logged; an earning corrected in full releases nothing.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PAYMENTS_EARNINGS_HOLD_SECONDS)
    if since is None and not full_scan:
        since = cutoff - timedelta(days=settings.PAYMENTS_EARNINGS_RELEASE_LOOKBACK_DAYS)
    outcome = ReleaseOutcome()
    after = None
    while True:
        batch = list(_due_entries(cutoff=cutoff, since=since, after=after))
        for entry in batch:
            try:
                posted = earnings_release_one(entry=entry)
            except InsufficientFunds as error:
                outcome.skipped += 1
                logger.warning(
                    "Earnings release of ledger transaction %s skipped: %s",
                    entry.transaction_id,
                    error.message,
                )
                continue
            if posted is None:
                outcome.skipped += 1
            else:
                outcome.released += 1
        if len(batch) < BATCH_SIZE:
            return outcome
        last = batch[-1]
        after = (last.transaction.created_at, last.transaction_id)
