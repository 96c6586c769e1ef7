"""Reading balances from the entries, and reconciling the cached balances with them."""

import logging
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from payments.models import MONEY_DECIMALS, MONEY_DIGITS, Account, LedgerEntry

logger = logging.getLogger(__name__)
RECONCILE_BATCH = 1_000


def account_balance_from_entries(*, account: Account) -> Decimal:
    """The account's balance as its entries say (the truth the cached balance must equal)."""
    # Uses index: ledger_entry_account_amount.
    total = LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.0000")


@dataclass(frozen=True)
class BalanceMismatch:
    account_id: int
    kind: str
    currency: str
    cached: Decimal
    from_entries: Decimal

    def as_json(self) -> dict:
        return {key: str(value) for key, value in asdict(self).items()}


def ledger_reconcile(*, batch_size: int = RECONCILE_BATCH) -> list[BalanceMismatch]:
    """Every account whose cached balance differs from its entries' sum, logged as errors.

    Reports and fixes nothing: a mismatch means a bug or a hand edit, and who looks at it
    decides, then corrects through a service. Each batch is one statement, so the cached
    balance and the entries it compares come from one snapshot and a posting in flight
    never shows as a mismatch.
    """
    money = DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    # Uses index: ledger_entry_account_amount.
    entries_sum = (
        LedgerEntry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    mismatches: list[BalanceMismatch] = []
    last_id = 0
    while True:
        batch = list(
            Account.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .annotate(
                from_entries=Coalesce(
                    Subquery(entries_sum, output_field=money), Value(Decimal(0)), output_field=money
                )
            )
            .values("pk", "kind", "currency", "balance", "from_entries")[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1]["pk"]
        for row in batch:
            if row["balance"] != row["from_entries"]:
                mismatch = BalanceMismatch(
                    account_id=row["pk"],
                    kind=row["kind"],
                    currency=row["currency"],
                    cached=row["balance"],
                    from_entries=row["from_entries"],
                )
                logger.error("Ledger balance mismatch: %s", mismatch.as_json())
                mismatches.append(mismatch)
    return mismatches
