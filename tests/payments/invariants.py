"""The ledger's invariants as one check, for the property tests to run after every step."""

from django.db import connection
from django.db.models import Sum

from payments.balances import ledger_reconcile
from payments.models import GUARDED_KINDS, Account, LedgerEntry


def assert_ledger_invariants() -> None:
    """Each transaction sums to zero per currency, all balances sum to zero per currency,
    cached balances equal their entries, no guarded account is negative, and the database's
    deferred checks pass now (inside a test, the COMMIT that runs them never comes)."""
    unbalanced = (
        LedgerEntry.objects.values("transaction", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []
    totals = Account.objects.values("currency").annotate(total=Sum("balance"))
    assert all(row["total"] == 0 for row in totals)
    assert ledger_reconcile() == []
    assert not Account.objects.filter(kind__in=GUARDED_KINDS, balance__lt=0).exists()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
