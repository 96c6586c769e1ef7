"""Money out: Stripe Connect onboarding, payout requests, Stripe transfers with their failures
and reversals, the manual provider (staff mark a payout paid or failed) and the CSV export.

The webhook registry calls `payments.payouts.stripe_account_updated` and
`payments.payouts.stripe_transfer_reversed`."""

from payments.payouts.connect import (
    Onboarding,
    payout_account_onboard,
    payout_account_refresh,
    stripe_account_updated,
)
from payments.payouts.export import CSV_COLUMNS, payout_csv_write, payout_export_list
from payments.payouts.selectors import (
    PayoutSummary,
    payout_access,
    payout_account_get,
    payout_list,
    payout_summaries,
)
from payments.payouts.services import (
    payout_mark_failed,
    payout_mark_paid,
    payout_request,
    payout_transfer_send,
    payout_transfers_due,
    stripe_transfer_reversed,
)

__all__ = [
    "CSV_COLUMNS",
    "Onboarding",
    "PayoutSummary",
    "payout_access",
    "payout_account_get",
    "payout_account_onboard",
    "payout_account_refresh",
    "payout_csv_write",
    "payout_export_list",
    "payout_list",
    "payout_mark_failed",
    "payout_mark_paid",
    "payout_request",
    "payout_summaries",
    "payout_transfer_send",
    "payout_transfers_due",
    "stripe_account_updated",
    "stripe_transfer_reversed",
]
