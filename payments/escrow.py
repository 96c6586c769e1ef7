"""Escrow: a job's budget through its life. Launch holds the maximum cost, approval pays
from the hold, rejections and savings release what can no longer be spent, vendor objects
settle, and the end returns the rest (docs/payments.md, "Job budgets (escrow)").

Every function here runs inside the jobs service's transaction, after the jobs rows are
locked: ledger accounts are always locked last, all of one posting at once and in id order
(the order ledger_post locks them in), so two postings never wait for each other in a
cycle. A job without a JobBudget (launched before payments existed) moves no money.
"""

import logging
from decimal import ROUND_UP, Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum

from jobs.models import (
    Assignment,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    GoldQuestion,
    JobStatus,
    LabelingJob,
)
from marketplace.exceptions import Conflict
from payments.exceptions import InsufficientFunds
from payments.ledger import (
    job_hold_account,
    ledger_post,
    organization_account,
    platform_account,
    worker_account,
)
from payments.models import (
    Account,
    AccountKind,
    JobBudget,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from payments.money import money_quantize
from payments.pricing import Quote, job_quote

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = money_quantize(0)
# Assignments that are paid or may still be paid (a rejection is released when it happens).
PAYABLE_STATUSES = (
    AssignmentStatus.APPROVED,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.ACCEPTED,
)
# Work that may still cost money once its job has ended: live leases and unreviewed answers.
OUTSTANDING_STATUSES = (AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED)
LABELED_STATUSES = frozenset({DataObjectStatus.HUMAN_LABELED, DataObjectStatus.MACHINE_LABELED})
FINISHED_STATUSES = LABELED_STATUSES | {DataObjectStatus.FAILED}
LIVE_JOB_STATUSES = frozenset({JobStatus.RUNNING, JobStatus.PAUSED})


def money_display(amount: Decimal) -> str:
    """2 places when the amount is whole cents (12.34), else its 4 (0.0125)."""
    return str(amount.quantize(CENT)) if amount == amount.quantize(CENT) else str(amount)


def top_up_amount(shortfall: Decimal) -> Decimal:
    """What to top up to cover `shortfall`: whole cents, rounded up."""
    return shortfall.quantize(CENT, rounding=ROUND_UP)


def job_has_gold(*, job: LabelingJob) -> bool:
    """The job has active gold (its own or its gold set's), as launch will place it."""
    questions = Q(job=job)
    if job.gold_set_id is not None:
        questions |= Q(gold_set_id=job.gold_set_id)
    return GoldQuestion.objects.filter(questions, active=True).exists()


def job_budget(*, job: LabelingJob) -> JobBudget | None:
    return JobBudget.objects.filter(job_id=job.pk).first()


def organization_available(*, organization, currency: str) -> Account:
    return organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=currency
    )


def _lock(*accounts: Account) -> dict[int, Account]:
    """Lock the owned accounts' rows in id order and return them fresh, to decide a
    posting's split under the lock. Platform accounts are left to ledger_post, which locks
    them after every owned account (its lock order); locking one here would break it."""
    owned = [account.pk for account in accounts if account.must_not_go_negative]
    locked = {
        account.pk: account
        for account in Account.objects.select_for_update().filter(pk__in=owned).order_by("pk")
    }
    return {account.pk: locked.get(account.pk, account) for account in accounts}


def _posted(key: str) -> LedgerTransaction | None:
    return LedgerTransaction.objects.filter(idempotency_key=key).first()


# Launch.


def job_budget_hold_locked(*, job: LabelingJob, actor, now=None) -> JobBudget:
    """Write the job's budget (prices as of launch) and hold its maximum cost: the
    organization's available balance -> the job's on-hold account (`job-hold:<job>`).

    Caller holds the draft job's row lock, with total_objects counted. InsufficientFunds
    (402, nothing changed once the caller's transaction rolls back) names the maximum cost,
    the available balance and the shortfall. A zero total holds nothing but still writes
    the budget. Idempotent: a job with a budget returns it.
    """
    existing = job_budget(job=job)
    if existing is not None:
        return existing
    quote = job_quote(job=job, data_objects=job.total_objects, has_gold=job_has_gold(job=job))
    if quote.currency != job.currency:
        raise Conflict(
            f"The vendor's price is in {quote.currency} but the job pays in {job.currency}.",
            code="currency_mismatch",
        )
    budget = JobBudget.objects.create(
        job=job,
        currency=quote.currency,
        reward=quote.reward,
        fee=quote.fee,
        assignments_per_object=quote.assignments_per_object,
        gold_assignments=quote.gold_assignments,
        data_objects=quote.data_objects,
        price_per_object=quote.price_per_object,
        vendor_fee=quote.vendor_fee,
        amount_held=quote.total,
    )
    if quote.total <= 0:
        return budget
    available = organization_available(organization=job.organization, currency=quote.currency)
    hold = job_hold_account(job=job)
    locked = _lock(available, hold)
    balance = locked[available.pk].balance
    if balance < quote.total:
        raise launch_refusal(quote=quote, available=balance)
    ledger_post(
        idempotency_key=f"job-hold:{job.pk}",
        entries=[(available, -quote.total), (hold, quote.total)],
        kind=TransactionKind.JOB_HOLD,
        reference=f"job:{job.pk}",
        actor=actor,
        job=job,
    )
    return budget


def launch_refusal(*, quote: Quote, available: Decimal) -> InsufficientFunds:
    shortfall = quote.total - available
    currency = quote.currency
    message = (
        f"Launching holds the job's maximum cost, {money_display(quote.total)} {currency}, "
        f"but the organization's available balance is {money_display(available)} {currency}: "
        f"top up {money_display(top_up_amount(shortfall))} {currency}."
    )
    return InsufficientFunds(message, fields={"balance": [message]})


# Approval and rejection.


def assignment_pay_locked(*, assignment: Assignment, job: LabelingJob) -> LedgerTransaction | None:
    """Pay the approved assignment: its reward to the worker's pending balance and the fee
    to the platform (`reward:<assignment>`), from the job's hold and, for what the hold
    lacks, from the organization's available balance. Both short: InsufficientFunds
    naming the shortfall, nothing posted. Caller holds the assignment's row lock.

    Nothing moves for a job without a budget, a vendor job (the vendor pays its people;
    it is paid per object) or a zero reward. Idempotent: the key posts once.
    """
    budget = job_budget(job=job)
    if budget is None or budget.is_vendor or budget.reward <= 0:
        return None
    key = f"reward:{assignment.pk}"
    existing = _posted(key)
    if existing is not None:
        return existing
    currency = budget.currency
    hold = job_hold_account(job=job)
    available = organization_available(organization=job.organization, currency=currency)
    pending = worker_account(
        worker=assignment.worker, kind=AccountKind.WORKER_PENDING, currency=currency
    )
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency=currency)
    locked = _lock(hold, available, pending, fees)
    total = budget.reward + budget.fee
    from_hold = min(locked[hold.pk].balance, total)
    from_available = total - from_hold
    if from_available > locked[available.pk].balance:
        shortfall = from_available - locked[available.pk].balance
        message = (
            f"Approving assignment {assignment.assignment_id} pays "
            f"{money_display(total)} {currency} (reward {money_display(budget.reward)} + fee "
            f"{money_display(budget.fee)}); the job's budget holds "
            f"{money_display(locked[hold.pk].balance)} {currency} and the organization's "
            f"available balance is {money_display(locked[available.pk].balance)} {currency}: "
            f"top up {money_display(top_up_amount(shortfall))} {currency}."
        )
        raise InsufficientFunds(message, fields={"balance": [message]})
    entries = [(pending, budget.reward)]
    if from_hold > 0:
        entries.append((hold, -from_hold))
    if from_available > 0:
        entries.append((available, -from_available))
    if budget.fee > 0:
        entries.append((fees, budget.fee))
    return ledger_post(
        idempotency_key=key,
        entries=entries,
        kind=TransactionKind.REWARD,
        reference=f"assignment:{assignment.assignment_id}",
        job=job,
    )


def _release(
    *, job: LabelingJob, key: str, reference: str, amount: Decimal, hold: Account
) -> LedgerTransaction | None:
    """Release up to `amount` of the job's hold (never more than it holds) to the
    organization's available balance. Caller has not locked the accounts yet."""
    if amount <= 0:
        return None
    available = organization_available(organization=job.organization, currency=hold.currency)
    locked = _lock(hold, available)
    amount = min(amount, locked[hold.pk].balance)
    if amount <= 0:
        return None
    return ledger_post(
        idempotency_key=key,
        entries=[(hold, -amount), (available, amount)],
        kind=TransactionKind.JOB_RELEASE,
        reference=reference,
        job=job,
    )


def assignment_release_locked(
    *, assignment: Assignment, job: LabelingJob
) -> LedgerTransaction | None:
    """A plain rejection: the assignment's reward + fee goes back from the hold to the
    available balance (`job-release:<job>:assignment:<assignment>`), never more than the
    hold holds. Not for rework (the re-issued slot keeps the money). Idempotent."""
    budget = job_budget(job=job)
    if budget is None or budget.is_vendor:
        return None
    key = f"job-release:{job.pk}:assignment:{assignment.pk}"
    existing = _posted(key)
    if existing is not None:
        return existing
    return _release(
        job=job,
        key=key,
        reference=f"assignment:{assignment.assignment_id}",
        amount=budget.per_assignment,
        hold=job_hold_account(job=job),
    )


def assignment_rehold_locked(
    *, assignment: Assignment, job: LabelingJob
) -> LedgerTransaction | None:
    """A plainly rejected assignment's slot was re-issued after all (rework sent later, a
    quality rule): what its rejection released is held again for the replacement, from the
    available balance (`job-hold:<job>:assignment:<assignment>`). Skipped, with nothing
    posted, when the available balance no longer has it: the replacement is then paid from
    the hold or available like any approval beyond the hold. Idempotent."""
    released = _posted(f"job-release:{job.pk}:assignment:{assignment.pk}")
    if released is None:
        return None
    key = f"job-hold:{job.pk}:assignment:{assignment.pk}"
    existing = _posted(key)
    if existing is not None:
        return existing
    hold = job_hold_account(job=job)
    amount = -released.entries.get(account=hold).amount
    available = organization_available(organization=job.organization, currency=hold.currency)
    locked = _lock(hold, available)
    if locked[available.pk].balance < amount:
        return None
    return ledger_post(
        idempotency_key=key,
        entries=[(available, -amount), (hold, amount)],
        kind=TransactionKind.JOB_HOLD,
        reference=f"assignment:{assignment.assignment_id}",
        job=job,
    )


# Objects.


def _released_from_hold(*, hold: Account, keys: list[str], prefix: str) -> tuple[Decimal, int]:
    """What the releases (less the re-holds) under `keys`, or keys starting with `prefix`,
    took from the hold, and how many of them start with `prefix`."""
    rows = LedgerEntry.objects.filter(
        Q(transaction__idempotency_key__in=keys)
        | Q(transaction__idempotency_key=prefix)
        | Q(transaction__idempotency_key__startswith=f"{prefix}:"),
        account=hold,
        transaction__kind__in=(TransactionKind.JOB_RELEASE, TransactionKind.JOB_HOLD),
    )
    total = rows.aggregate(total=Sum("amount"))["total"] or ZERO
    count = (
        rows.filter(
            Q(transaction__idempotency_key=prefix)
            | Q(transaction__idempotency_key__startswith=f"{prefix}:")
        )
        .values("transaction_id")
        .distinct()
        .count()
    )
    return -total, count


def data_object_settle_locked(
    *, data_object: DataObject, job: LabelingJob
) -> LedgerTransaction | None:
    """The object just became finished (labeled by people or a model, or failed). Caller
    holds its HIT's, its own and its job's row locks (consolidation's order).

    Vendor job: a labeled object is charged its price (`vendor-settlement:<object>`); a
    failed one is not, and its price goes back. Crowd job, while it runs: the part of the
    object's reservation (assignments_per_object × (reward + fee)) that can no longer be
    spent goes back (`job-release:<job>:data_object:<object>`, then `...:<n>` if the object
    is reopened and finishes again with less paid work). After the job ended the rest is
    settled against its outstanding work (job_hold_settle_locked) instead.
    """
    budget = job_budget(job=job)
    if budget is None or data_object.status not in FINISHED_STATUSES:
        return None
    posted = None
    if budget.is_vendor and data_object.status in LABELED_STATUSES:
        posted = _vendor_settle(data_object=data_object, job=job, budget=budget)
    if job.status not in LIVE_JOB_STATUSES:
        return job_hold_settle_locked(job=job) or posted
    if budget.is_vendor:
        if data_object.status == DataObjectStatus.FAILED:
            charged = _posted(f"vendor-settlement:{data_object.pk}") is not None
            return _object_release(
                data_object=data_object,
                job=job,
                target=ZERO if charged else budget.price_per_object,
                rejected_keys=[],
            )
        return posted
    rows = list(Assignment.objects.filter(hit__data_object=data_object).values_list("pk", "status"))
    paid_or_payable = sum(1 for _, status in rows if status in PAYABLE_STATUSES)
    unspent = max(0, budget.assignments_per_object - paid_or_payable)
    return _object_release(
        data_object=data_object,
        job=job,
        target=budget.per_assignment * unspent,
        rejected_keys=[
            key
            for pk, status in rows
            if status == AssignmentStatus.REJECTED
            for key in (
                f"job-release:{job.pk}:assignment:{pk}",
                f"job-hold:{job.pk}:assignment:{pk}",
            )
        ],
    )


def _object_release(
    *, data_object: DataObject, job: LabelingJob, target: Decimal, rejected_keys: list[str]
) -> LedgerTransaction | None:
    """Release what makes the object's releases (its own, and its rejections' less their
    re-holds) add up to `target`; nothing if they already do (or more)."""
    hold = job_hold_account(job=job)
    prefix = f"job-release:{job.pk}:data_object:{data_object.pk}"
    released, count = _released_from_hold(hold=hold, keys=rejected_keys, prefix=prefix)
    return _release(
        job=job,
        key=prefix if count == 0 else f"{prefix}:{count}",
        reference=f"data_object:{data_object.pk}",
        amount=target - released,
        hold=hold,
    )


def _vendor_settle(
    *, data_object: DataObject, job: LabelingJob, budget: JobBudget
) -> LedgerTransaction | None:
    """The vendor is paid its price for the labeled object, less the platform's fee; the
    price comes from the hold, and what the hold lacks from the available balance."""
    key = f"vendor-settlement:{data_object.pk}"
    existing = _posted(key)
    price = budget.price_per_object
    if existing is not None or price <= 0:
        return existing
    currency = budget.currency
    vendor_organization = job.engagement.vendor.organization
    hold = job_hold_account(job=job)
    available = organization_available(organization=job.organization, currency=currency)
    vendor = organization_account(
        organization=vendor_organization, kind=AccountKind.VENDOR_AVAILABLE, currency=currency
    )
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency=currency)
    locked = _lock(hold, available, vendor, fees)
    from_hold = min(locked[hold.pk].balance, price)
    from_available = price - from_hold
    if from_available > locked[available.pk].balance:
        # Only a reopened object whose price was released can get here; its label stands,
        # and staff settle it by hand (an adjustment).
        logger.warning(
            "Vendor settlement of data object %s (job %s) is short by %s %s; not posted.",
            data_object.pk,
            job.pk,
            from_available - locked[available.pk].balance,
            currency,
        )
        return None
    fee = min(budget.vendor_fee, price)
    entries = []
    if from_hold > 0:
        entries.append((hold, -from_hold))
    if from_available > 0:
        entries.append((available, -from_available))
    if price - fee > 0:
        entries.append((vendor, price - fee))
    if fee > 0:
        entries.append((fees, fee))
    return ledger_post(
        idempotency_key=key,
        entries=entries,
        kind=TransactionKind.VENDOR_SETTLEMENT,
        reference=f"data_object:{data_object.pk}",
        job=job,
    )


# The end.


def job_outstanding_cost(*, job: LabelingJob, budget: JobBudget) -> Decimal:
    """What the ended job's outstanding work may still cost: live and unreviewed
    assignments × (reward + fee); for a vendor job, the objects still awaiting
    consolidation (unlabeled, with work done or under way) × the price."""
    if budget.is_vendor:
        worked = Assignment.objects.filter(
            hit__data_object=OuterRef("pk"), status__in=PAYABLE_STATUSES
        )
        awaiting = (
            DataObject.objects.filter(
                job=job, status=DataObjectStatus.UNLABELED, gold_question__isnull=True
            )
            .filter(Exists(worked))
            .count()
        )
        return budget.price_per_object * awaiting
    outstanding = Assignment.objects.filter(hit__job=job, status__in=OUTSTANDING_STATUSES).count()
    return budget.per_assignment * outstanding


def job_hold_settle_locked(*, job: LabelingJob) -> LedgerTransaction | None:
    """Return the ended job's hold, less what its outstanding work may still cost, to the
    organization's available balance (`job-release:<job>:end:<n>`, n counting the job's
    earlier end releases). Caller holds the job's row lock, so settlements of one job run
    one at a time. Idempotent: with nothing more to return it posts nothing."""
    budget = job_budget(job=job)
    if budget is None:
        return None
    hold = job_hold_account(job=job)
    available = organization_available(organization=job.organization, currency=hold.currency)
    locked = _lock(hold, available)
    # Counted under the hold's lock: an approval in flight either has paid already or is
    # still counted as unreviewed.
    amount = locked[hold.pk].balance - job_outstanding_cost(job=job, budget=budget)
    if amount <= 0:
        return None
    prefix = f"job-release:{job.pk}:end:"
    earlier = LedgerTransaction.objects.filter(idempotency_key__startswith=prefix).count()
    return ledger_post(
        idempotency_key=f"{prefix}{earlier}",
        entries=[(hold, -amount), (available, amount)],
        kind=TransactionKind.JOB_RELEASE,
        reference=f"job:{job.pk}",
        job=job,
    )


def job_holds_settle(*, batch_size: int = 200) -> int:
    """Settle ended jobs whose hold still holds money (after their last approvals,
    rejections and lease expiries), each job in its own transaction under its row lock.
    Returns how many released money; idempotent (the beat task payments.job_holds_settle)."""
    from jobs.services.jobs import ENDED_JOB_STATUSES, job_lock

    job_ids = (
        Account.objects.filter(
            kind=AccountKind.ORGANIZATION_ON_HOLD,
            balance__gt=0,
            job__status__in=ENDED_JOB_STATUSES,
        )
        .order_by("job_id")
        .values_list("job_id", flat=True)
    )
    released = 0
    last = 0
    while True:
        batch = list(job_ids.filter(job_id__gt=last)[:batch_size])
        for job_id in batch:
            with transaction.atomic():
                job = job_lock(job_id=job_id)
                if job.status in ENDED_JOB_STATUSES and job_hold_settle_locked(job=job):
                    released += 1
        if len(batch) < batch_size:
            return released
        last = batch[-1]
