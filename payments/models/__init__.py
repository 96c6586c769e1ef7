"""Payments' tables: the ledger, job budgets, top-ups and refunds, payouts, bonuses."""

from payments.models.bonuses import Bonus
from payments.models.budgets import JobBudget
from payments.models.ledger import (
    GUARDED_KINDS,
    MONEY_DECIMALS,
    MONEY_DIGITS,
    ORGANIZATION_KINDS,
    PLATFORM_KINDS,
    WORKER_KINDS,
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from payments.models.payouts import Payout, PayoutAccount, PayoutStatus
from payments.models.stripe import (
    Provider,
    Refund,
    RefundStatus,
    StripeEvent,
    TopUp,
    TopUpStatus,
)

__all__ = [
    "GUARDED_KINDS",
    "MONEY_DECIMALS",
    "MONEY_DIGITS",
    "ORGANIZATION_KINDS",
    "PLATFORM_KINDS",
    "WORKER_KINDS",
    "Account",
    "AccountKind",
    "Bonus",
    "JobBudget",
    "LedgerEntry",
    "LedgerTransaction",
    "Payout",
    "PayoutAccount",
    "PayoutStatus",
    "Provider",
    "Refund",
    "RefundStatus",
    "StripeEvent",
    "TopUp",
    "TopUpStatus",
    "TransactionKind",
]
