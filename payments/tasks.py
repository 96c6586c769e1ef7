"""Celery tasks of payments: thin wrappers around one service each."""

from celery import shared_task


@shared_task(name="payments.ledger_reconcile", ignore_result=True)
def ledger_reconcile_task() -> list[dict]:
    """Compare every cached balance with its entries; log and return the mismatches."""
    from payments.balances import ledger_reconcile

    return [mismatch.as_json() for mismatch in ledger_reconcile()]


@shared_task(name="payments.job_holds_settle", ignore_result=True, time_limit=600)
def job_holds_settle_task() -> int:
    """Return to their organizations what ended jobs' holds no longer need; idempotent."""
    from payments.escrow import job_holds_settle

    return job_holds_settle()
