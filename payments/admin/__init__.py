"""Django admin of payments: the ledger (read-only, corrected through services), money in,
payouts. Importing the modules registers their admins."""

from payments.admin import ledger, money_in, payouts

__all__ = ["ledger", "money_in", "payouts"]
