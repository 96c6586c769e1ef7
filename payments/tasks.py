"""Celery tasks of payments: thin wrappers around one service each."""

from celery import shared_task


@shared_task(name="payments.ledger_reconcile", ignore_result=True)
def ledger_reconcile_task() -> list[dict]:
    """Compare every cached balance with its entries; log and return the mismatches."""
    from payments.balances import ledger_reconcile

    return [mismatch.as_json() for mismatch in ledger_reconcile()]


@shared_task(name="payments.stripe_event_process", ignore_result=True)
def stripe_event_process_task(event_id: str) -> bool:
    """Process one stored Stripe event (idempotent; failures are recorded on the event)."""
    from payments.stripe_events import stripe_event_process

    return stripe_event_process(event_id=event_id)


@shared_task(name="payments.stripe_events_process_due", ignore_result=True)
def stripe_events_process_due_task() -> int:
    """Beat: retry stored Stripe events that are still unprocessed."""
    from payments.stripe_events import stripe_events_process_due

    return stripe_events_process_due()


@shared_task(name="payments.stripe_events_prune", ignore_result=True)
def stripe_events_prune_task() -> int:
    """Beat: delete processed Stripe events older than STRIPE_EVENT_RETENTION_DAYS."""
    from payments.stripe_events import stripe_events_prune

    return stripe_events_prune()


@shared_task(
    name="payments.refund_submit",
    bind=True,
    ignore_result=True,
    max_retries=8,
    default_retry_delay=30,
)
def refund_submit_task(self, refund_id: int) -> None:
    """Send one pending refund to Stripe (key `refund:<pk>`); retried while Stripe is
    unreachable, then left to the `payments.refunds_submit_due` beat."""
    from payments.refunds import RefundRetryLater, refund_submit

    try:
        refund_submit(refund_id=refund_id)
    except RefundRetryLater as error:
        if self.request.is_eager:
            return  # tests and the demo: the beat sweep sends it later
        raise self.retry(exc=error, countdown=min(3600, 30 * 2**self.request.retries)) from error


@shared_task(name="payments.refunds_submit_due", ignore_result=True)
def refunds_submit_due_task() -> int:
    """Beat: send pending refunds that Stripe has not seen yet."""
    from payments.refunds import refunds_submit_due

    return refunds_submit_due()


@shared_task(name="payments.job_holds_settle", ignore_result=True, time_limit=600)
def job_holds_settle_task() -> int:
    """Return to their organizations what ended jobs' holds no longer need; idempotent."""
    from payments.escrow import job_holds_settle

    return job_holds_settle()


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
