"""The quote a job's API and page show: its maximum cost before launch (what launch will
hold, against the organization's available balance) and, once launched, its budget."""

from decimal import Decimal

from django.db.models import Q, Sum

from jobs.models import DataObject, JobStatus, LabelingJob
from payments.escrow import ZERO, job_budget, job_has_gold, money_display, top_up_amount
from payments.ledger import job_hold_account
from payments.models import (
    Account,
    AccountKind,
    JobBudget,
    LedgerEntry,
    TransactionKind,
)
from payments.money import money_quantize
from payments.pricing import Quote, job_quote


def _quote_of_budget(budget: JobBudget) -> Quote:
    return Quote(
        currency=budget.currency,
        data_objects=budget.data_objects,
        assignments_per_object=budget.assignments_per_object,
        gold_assignments=budget.gold_assignments,
        reward=budget.reward,
        fee=budget.fee,
        price_per_object=budget.price_per_object,
        vendor_fee=budget.vendor_fee,
        total=budget.amount_held,
    )


def organization_available_balance(*, organization_id: int, currency: str):
    """The organization's available balance (zero before its first top-up); a read that
    creates no account."""
    balance = (
        Account.objects.filter(
            Q(job__isnull=True),
            kind=AccountKind.ORGANIZATION_AVAILABLE,
            organization_id=organization_id,
            currency=currency,
        )
        .values_list("balance", flat=True)
        .first()
    )
    return ZERO if balance is None else balance


def job_money_summary(*, job: LabelingJob) -> dict:
    """A launched job's budget: held at launch, spent (from the hold and beyond it from the
    available balance), returned, and what is left on hold."""
    budget = job_budget(job=job)
    if budget is None:
        return {}
    hold = job_hold_account(job=job)
    sums = {
        kind: -(total or ZERO)
        for kind, total in LedgerEntry.objects.filter(account=hold, amount__lt=0)
        .values_list("transaction__kind")
        .annotate(total=Sum("amount"))
        .values_list("transaction__kind", "total")
    }
    beyond = -(
        LedgerEntry.objects.filter(
            account__kind=AccountKind.ORGANIZATION_AVAILABLE,
            account__organization_id=job.organization_id,
            transaction__job=job,
            transaction__kind__in=(TransactionKind.REWARD, TransactionKind.VENDOR_SETTLEMENT),
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    spent_from_hold = sums.get(TransactionKind.REWARD, ZERO) + sums.get(
        TransactionKind.VENDOR_SETTLEMENT, ZERO
    )
    # Money held again for re-issued slots (job_hold postings after the launch's) came back
    # from what was returned.
    held_again = (
        LedgerEntry.objects.filter(
            account=hold, amount__gt=0, transaction__kind=TransactionKind.JOB_HOLD
        )
        .exclude(transaction__idempotency_key=f"job-hold:{job.pk}")
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    returned = sums.get(TransactionKind.JOB_RELEASE, ZERO) - held_again
    return {
        "held": budget.amount_held,
        "spent": money_quantize(spent_from_hold + beyond),
        "spent_beyond_hold": money_quantize(beyond),
        "returned": money_quantize(returned),
        "on_hold": hold.balance,
    }


def job_quote_summary(*, job: LabelingJob) -> dict:
    """`Quote.as_json()` plus `available`, `shortfall` (what launching lacks, null once
    launched), `top_up` (the shortfall in whole cents), `launched`, and `budget` (held,
    spent, spent_beyond_hold, returned, on_hold; null before launch or for a job launched
    before payments). A launched job's quote is its budget's, at the prices of its launch."""
    budget = job_budget(job=job)
    if budget is not None:
        quote = _quote_of_budget(budget)
    else:
        data_objects = (
            DataObject.objects.filter(job=job, gold_question__isnull=True).count()
            if job.status == JobStatus.DRAFT
            else job.total_objects
        )
        quote = job_quote(job=job, data_objects=data_objects, has_gold=job_has_gold(job=job))
    available = organization_available_balance(
        organization_id=job.organization_id, currency=quote.currency
    )
    shortfall = None
    if job.status == JobStatus.DRAFT:
        shortfall = max(ZERO, quote.total - available)
    summary = job_money_summary(job=job) if budget is not None else None
    return {
        **quote.as_json(),
        "available": str(available),
        "shortfall": None if shortfall is None else str(shortfall),
        "top_up": None if shortfall is None else str(top_up_amount(shortfall)),
        "launched": job.status != JobStatus.DRAFT,
        "budget": None
        if summary is None
        else {name: str(amount) for name, amount in summary.items()},
    }


MONEY_KEYS = (
    "reward",
    "fee_per_assignment",
    "price_per_object",
    "vendor_fee_per_object",
    "total",
    "available",
    "shortfall",
    "top_up",
)


def job_quote_display(summary: dict) -> dict:
    """The summary with its amounts as people read them (12.34, or 0.0125 below a cent)."""
    shown = dict(summary)
    for key in MONEY_KEYS:
        if shown.get(key) is not None:
            shown[key] = money_display(Decimal(shown[key]))
    if shown.get("budget"):
        shown["budget"] = {
            name: money_display(Decimal(value)) for name, value in shown["budget"].items()
        }
    shown["is_short"] = bool(summary.get("shortfall")) and Decimal(summary["shortfall"]) > 0
    return shown
