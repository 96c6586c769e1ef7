"""Celery tasks of payments: thin wrappers around one service each."""

from celery import shared_task


@shared_task(name="payments.ledger_reconcile", ignore_result=True)
def ledger_reconcile_task() -> list[dict]:
    """Compare every cached balance with its entries; log and return the mismatches."""
    from payments.balances import ledger_reconcile

    return [mismatch.as_json() for mismatch in ledger_reconcile()]


@shared_task(name="payments.earnings_release_due", ignore_result=True)
def earnings_release_due_task() -> dict:
    """Move rewards and bonuses past the hold from pending to available (beat, idempotent)."""
    from payments.earnings import earnings_release_due

    return earnings_release_due().as_json()


def _stripe_unavailable():
    from payments.stripe_client import StripeUnavailable

    return StripeUnavailable


@shared_task(
    name="payments.payout_transfer",
    bind=True,
    ignore_result=True,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def payout_transfer(self, payout_id: int) -> None:
    """Send one Stripe payout's Transfer and settle it; connection-type errors are retried
    with backoff under the same idempotency key (`payout:<id>`), so Stripe makes one."""
    from payments.payouts import payout_transfer_send

    try:
        payout_transfer_send(payout_id=payout_id)
    except _stripe_unavailable() as error:
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task(name="payments.payout_transfers_due", ignore_result=True)
def payout_transfers_due_task() -> list[int]:
    """Send again the Stripe payouts whose transfer task was lost or gave up (beat)."""
    from payments.payouts import payout_transfers_due

    payout_ids = payout_transfers_due()
    for payout_id in payout_ids:
        payout_transfer.delay(payout_id)
    return payout_ids
