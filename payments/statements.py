"""Statements read from the ledger: a requester's spend per job over a period, and a
worker's earnings lines (each reward traceable to its assignment, each bonus to its bonus)
with their status, plus balances. Aggregated in SQL: a statement is a fixed number of
queries however many transactions it covers."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from jobs.models import LabelingJob
from marketplace.exceptions import InvalidInput
from payments.models import (
    AccountKind,
    Bonus,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutStatus,
    TransactionKind,
)
from payments.money import money_quantize

ZERO = money_quantize(0)
ORGANIZATION_LINE = "Organization"
OWN_KINDS = (AccountKind.ORGANIZATION_AVAILABLE, AccountKind.ORGANIZATION_ON_HOLD)
# The columns of a requester's statement, in order, with what each one is.
COLUMNS = {
    "held": "Budget held at launch",
    "rewards": "Rewards paid to workers",
    "fees": "Platform fees on rewards",
    "bonuses": "Bonuses paid to workers",
    "bonus_fees": "Platform fees on bonuses",
    "vendor_charges": "Vendor charges (price per object)",
    "returned": "Unused budget returned to the available balance",
    "top_ups": "Top-ups",
    "refunds": "Refunds of unused funds",
    "adjustments": "Staff adjustments and other corrections",
}
SPENT_COLUMNS = ("rewards", "fees", "bonuses", "bonus_fees", "vendor_charges")
# (effective kind, account kind, on the organization's own account) -> (column, sign).
# A correction counts as the kind it corrects (a reversed reward lowers "rewards").
_ANY = None
_CELLS = {
    (TransactionKind.JOB_HOLD, AccountKind.ORGANIZATION_ON_HOLD, True): ("held", 1),
    (TransactionKind.REWARD, AccountKind.WORKER_PENDING, _ANY): ("rewards", 1),
    (TransactionKind.REWARD, AccountKind.PLATFORM_FEE_REVENUE, _ANY): ("fees", 1),
    (TransactionKind.BONUS, AccountKind.WORKER_PENDING, _ANY): ("bonuses", 1),
    (TransactionKind.BONUS, AccountKind.PLATFORM_FEE_REVENUE, _ANY): ("bonus_fees", 1),
    (TransactionKind.VENDOR_SETTLEMENT, AccountKind.VENDOR_AVAILABLE, _ANY): (
        "vendor_charges",
        1,
    ),
    (TransactionKind.VENDOR_SETTLEMENT, AccountKind.PLATFORM_FEE_REVENUE, _ANY): (
        "vendor_charges",
        1,
    ),
    (TransactionKind.JOB_RELEASE, AccountKind.ORGANIZATION_AVAILABLE, True): ("returned", 1),
    (TransactionKind.TOP_UP, AccountKind.ORGANIZATION_AVAILABLE, True): ("top_ups", 1),
    (TransactionKind.REFUND, AccountKind.ORGANIZATION_AVAILABLE, True): ("refunds", -1),
    (TransactionKind.ADJUSTMENT, AccountKind.ORGANIZATION_AVAILABLE, True): ("adjustments", 1),
    (TransactionKind.ADJUSTMENT, AccountKind.ORGANIZATION_ON_HOLD, True): ("adjustments", 1),
    (TransactionKind.CORRECTION, AccountKind.ORGANIZATION_AVAILABLE, True): ("adjustments", 1),
    (TransactionKind.CORRECTION, AccountKind.ORGANIZATION_ON_HOLD, True): ("adjustments", 1),
}


def _cell(kind: str, account_kind: str, own: bool):
    return _CELLS.get((kind, account_kind, own)) or _CELLS.get((kind, account_kind, _ANY))


def _effective_kind():
    """A transaction's kind, or for a correction the kind of what it corrects."""
    return Case(
        When(
            transaction__kind=TransactionKind.CORRECTION,
            then=Coalesce(
                F("transaction__corrects__kind"), Value(TransactionKind.CORRECTION.value)
            ),
        ),
        default=F("transaction__kind"),
        output_field=CharField(),
    )


# The period.


@dataclass(frozen=True)
class Period:
    """From the start of `start` to the end of `end` (dates in settings.TIME_ZONE), either
    side open when None."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self):
        if self.start and self.end and self.start > self.end:
            raise InvalidInput(fields={"to": ["Give a date on or after from."]})

    @property
    def starts_at(self) -> datetime | None:
        return timezone.make_aware(datetime.combine(self.start, time.min)) if self.start else None

    @property
    def ends_before(self) -> datetime | None:
        if self.end is None:
            return None
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def filename_part(self) -> str:
        start = self.start.isoformat() if self.start else "start"
        end = self.end.isoformat() if self.end else "now"
        return f"{start}_{end}"

    def filter(self, queryset: QuerySet, field_name: str) -> QuerySet:
        if self.starts_at:
            queryset = queryset.filter(**{f"{field_name}__gte": self.starts_at})
        if self.ends_before:
            queryset = queryset.filter(**{f"{field_name}__lt": self.ends_before})
        return queryset


# A requester's statement.


@dataclass
class StatementLine:
    job_id: int | None
    name: str
    title: str
    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COLUMNS, ZERO))

    @property
    def spent(self) -> Decimal:
        return sum((self.amounts[name] for name in SPENT_COLUMNS), ZERO)

    def add(self, other: "StatementLine") -> None:
        for name in COLUMNS:
            self.amounts[name] += other.amounts[name]

    def as_json(self) -> dict:
        return {
            "job": self.job_id,
            "name": self.name,
            "title": self.title,
            "currency": self.currency,
            **{name: str(amount) for name, amount in self.amounts.items()},
            "spent": str(self.spent),
        }


@dataclass
class OrganizationStatement:
    organization_id: int
    period: Period
    lines: list[StatementLine]
    totals: list[StatementLine]
    # At the end of the period, per currency: {"currency", "available", "on_hold"}.
    balances: list[dict]

    def as_json(self) -> dict:
        return {
            "organization": self.organization_id,
            "from": self.period.start.isoformat() if self.period.start else None,
            "to": self.period.end.isoformat() if self.period.end else None,
            "lines": [line.as_json() for line in self.lines],
            "totals": [
                {
                    key: value
                    for key, value in total.as_json().items()
                    if key not in ("job", "name", "title")
                }
                for total in self.totals
            ],
            "balances": [
                {
                    "currency": balance["currency"],
                    "available": str(balance["available"]),
                    "on_hold": str(balance["on_hold"]),
                }
                for balance in self.balances
            ],
        }


def organization_statement(*, organization, period: Period) -> OrganizationStatement:
    """The organization's money per job over `period` (and one line for what belongs to no
    job: top-ups, refunds, adjustments), totals per currency, and its balances at the end
    of the period. Three queries."""
    touching = LedgerEntry.objects.filter(
        account__organization=organization, account__kind__in=OWN_KINDS
    ).values("transaction_id")
    rows = (
        period.filter(
            LedgerEntry.objects.filter(transaction_id__in=touching), "transaction__created_at"
        )
        .annotate(effective_kind=_effective_kind())
        .values(
            "transaction__job_id",
            "currency",
            "effective_kind",
            "account__kind",
            "account__organization_id",
        )
        .annotate(total=Sum("amount"))
        .order_by()
    )
    lines: dict[tuple, StatementLine] = {}
    for row in rows:
        cell = _cell(
            row["effective_kind"],
            row["account__kind"],
            row["account__organization_id"] == organization.pk,
        )
        if cell is None:
            continue
        column, sign = cell
        key = (row["transaction__job_id"], row["currency"])
        if key not in lines:
            lines[key] = StatementLine(
                job_id=key[0], name=ORGANIZATION_LINE, title="", currency=key[1]
            )
        lines[key].amounts[column] += sign * row["total"]

    job_ids = {job_id for job_id, _ in lines if job_id is not None}
    jobs = {
        job["pk"]: job
        for job in LabelingJob.objects.filter(pk__in=job_ids).values("pk", "name", "title")
    }
    for (job_id, _), line in lines.items():
        if job_id is not None:
            line.name, line.title = jobs[job_id]["name"], jobs[job_id]["title"]
    ordered = sorted(
        lines.values(), key=lambda line: (line.job_id is None, -(line.job_id or 0), line.currency)
    )

    totals: dict[str, StatementLine] = {}
    for line in ordered:
        total = totals.setdefault(
            line.currency,
            StatementLine(job_id=None, name="Total", title="", currency=line.currency),
        )
        total.add(line)

    return OrganizationStatement(
        organization_id=organization.pk,
        period=period,
        lines=ordered,
        totals=[totals[currency] for currency in sorted(totals)],
        balances=_organization_balances(organization=organization, period=period),
    )


def _organization_balances(*, organization, period: Period) -> list[dict]:
    entries = LedgerEntry.objects.filter(
        account__organization=organization, account__kind__in=OWN_KINDS
    )
    if period.ends_before:
        entries = entries.filter(transaction__created_at__lt=period.ends_before)
    rows = (
        entries.values("currency")
        .annotate(
            available=Coalesce(
                Sum("amount", filter=Q(account__kind=AccountKind.ORGANIZATION_AVAILABLE)), ZERO
            ),
            on_hold=Coalesce(
                Sum("amount", filter=Q(account__kind=AccountKind.ORGANIZATION_ON_HOLD)), ZERO
            ),
        )
        .order_by("currency")
    )
    return [
        {
            "currency": row["currency"],
            "available": money_quantize(row["available"]),
            "on_hold": money_quantize(row["on_hold"]),
        }
        for row in rows
    ]


ORGANIZATION_CSV_HEADER = ["job", "name", "title", "currency", *COLUMNS, "spent"]


def organization_statement_csv(statement: OrganizationStatement) -> str:
    """The statement as CSV: one row per line, then one "Total" row per currency."""
    rows = [line.as_json() for line in statement.lines]
    rows += [{**total.as_json(), "job": "", "name": "Total"} for total in statement.totals]
    return _csv(ORGANIZATION_CSV_HEADER, rows)


# Free text that people write (job names and titles, reasons): a leading =, +, -, @ would
# run as a formula in a spreadsheet, so it is quoted (OWASP's CSV injection advice).
TEXT_COLUMNS = frozenset({"name", "title", "job_title", "reason", "reference"})


def _csv_safe(key: str, value):
    if (
        key in TEXT_COLUMNS
        and isinstance(value, str)
        and value[:1] in ("=", "+", "-", "@", "\t", "\r")
    ):
        return "'" + value
    return value


def _csv(header: list[str], rows: Iterable[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_safe(key, value) for key, value in row.items()})
    return buffer.getvalue()


# A worker's statement.

EARNING_KINDS = (
    TransactionKind.REWARD,
    TransactionKind.BONUS,
    TransactionKind.ADJUSTMENT,
    TransactionKind.CORRECTION,
)
WORKER_KINDS = (AccountKind.WORKER_PENDING, AccountKind.WORKER_AVAILABLE)


class EarningStatus:
    PENDING = "pending"
    AVAILABLE = "available"


def worker_statement_lines(*, worker, period: Period | None = None) -> QuerySet[LedgerEntry]:
    """The worker's earnings lines, newest first: one ledger entry on their pending or
    available balance per reward, bonus, adjustment or correction, with the transaction
    and its job joined and `released_at` (when its earnings release made it available;
    None while pending). Bonus details come from `with_bonus_details` per page."""
    released = LedgerTransaction.objects.filter(
        idempotency_key=Concat(
            Value("earnings-release:"), Cast(OuterRef("transaction_id"), CharField())
        )
    )
    queryset = (
        LedgerEntry.objects.filter(
            account__worker=worker,
            account__kind__in=WORKER_KINDS,
            transaction__kind__in=EARNING_KINDS,
        )
        .select_related("transaction", "transaction__job", "account")
        .annotate(released_at=Subquery(released.values("created_at")[:1]))
        .order_by("-id")
    )
    if period is not None:
        queryset = period.filter(queryset, "transaction__created_at")
    return queryset


def with_bonus_details(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """The entries with `status`, `available_at`, `assignment_id`, `bonus` and `job` set
    for showing; bonuses fetched in one query for all of them."""
    entries = list(entries)
    bonus_ids = [
        int(entry.transaction.reference.removeprefix("bonus:"))
        for entry in entries
        if entry.transaction.kind == TransactionKind.BONUS
        and entry.transaction.reference.removeprefix("bonus:").isdigit()
    ]
    bonuses = Bonus.objects.select_related("assignment").in_bulk(bonus_ids) if bonus_ids else {}
    hold = timedelta(seconds=settings.PAYMENTS_EARNINGS_HOLD_SECONDS)
    for entry in entries:
        transaction = entry.transaction
        entry.job = transaction.job
        entry.bonus = None
        entry.assignment_id = None
        entry.reason = transaction.reason
        if transaction.kind == TransactionKind.REWARD:
            entry.assignment_id = transaction.reference.removeprefix("assignment:")
        elif transaction.kind == TransactionKind.BONUS:
            entry.bonus = bonuses.get(int(transaction.reference.removeprefix("bonus:") or 0))
            if entry.bonus is not None:
                entry.assignment_id = entry.bonus.assignment.assignment_id
                entry.reason = entry.bonus.reason
        is_available = (
            entry.account.kind == AccountKind.WORKER_AVAILABLE or entry.released_at is not None
        )
        entry.status = EarningStatus.AVAILABLE if is_available else EarningStatus.PENDING
        if entry.account.kind == AccountKind.WORKER_AVAILABLE:
            entry.available_at = transaction.created_at
        elif entry.released_at is not None:
            entry.available_at = entry.released_at
        elif transaction.kind in (TransactionKind.REWARD, TransactionKind.BONUS):
            entry.available_at = transaction.created_at + hold  # expected
        else:
            entry.available_at = None
    return entries


def worker_line_json(entry: LedgerEntry) -> dict:
    transaction = entry.transaction
    return {
        "id": entry.pk,
        "created_at": transaction.created_at,
        "kind": transaction.kind,
        "amount": entry.amount,
        "currency": entry.currency,
        "status": entry.status,
        "available_at": entry.available_at,
        "job": entry.job.pk if entry.job else None,
        "job_title": entry.job.title if entry.job else "",
        "assignment_id": entry.assignment_id,
        "bonus": entry.bonus.pk if entry.bonus else None,
        "reason": entry.reason,
        "reference": transaction.reference,
    }


@dataclass
class WorkerBalance:
    currency: str
    pending: Decimal = ZERO
    available: Decimal = ZERO
    in_transit: Decimal = ZERO
    paid: Decimal = ZERO

    def as_json(self) -> dict:
        return {
            "currency": self.currency,
            "pending": str(self.pending),
            "available": str(self.available),
            "in_transit": str(self.in_transit),
            "paid": str(self.paid),
        }


def worker_balances(*, worker) -> list[WorkerBalance]:
    """Per currency: pending (in the hold period) and available (can be paid out) from the
    ledger's balances, in transit and paid from the worker's payouts. One query."""
    balances: dict[str, WorkerBalance] = {}

    def of(currency: str) -> WorkerBalance:
        return balances.setdefault(currency, WorkerBalance(currency=currency))

    accounts = (
        worker.ledger_accounts.filter(kind__in=WORKER_KINDS)
        .annotate(total=F("balance"))
        .values("kind", "currency", "total")
    )
    payouts = (
        Payout.objects.filter(
            worker=worker, status__in=[PayoutStatus.IN_TRANSIT, PayoutStatus.PAID]
        )
        .annotate(kind=F("status"))
        .values("kind", "currency")
        .annotate(total=Sum("amount"))
        .values("kind", "currency", "total")
        .order_by()
    )
    names = {
        AccountKind.WORKER_PENDING: "pending",
        AccountKind.WORKER_AVAILABLE: "available",
        PayoutStatus.IN_TRANSIT: "in_transit",
        PayoutStatus.PAID: "paid",
    }
    for row in accounts.union(payouts, all=True):
        setattr(of(row["currency"]), names[row["kind"]], money_quantize(row["total"]))
    return [balances[currency] for currency in sorted(balances)]


WORKER_CSV_HEADER = [
    "id",
    "created_at",
    "kind",
    "amount",
    "currency",
    "status",
    "available_at",
    "job",
    "job_title",
    "assignment_id",
    "bonus",
    "reason",
    "reference",
]
CSV_BATCH = 1000


def worker_statement_csv_rows(*, worker, period: Period | None = None) -> Iterator[str]:
    """The worker's lines as CSV text, header first, fetched in batches (one query for
    the lines and one for their bonuses per batch)."""
    yield _csv(WORKER_CSV_HEADER, [])
    queryset = worker_statement_lines(worker=worker, period=period)
    last_id = None
    while True:
        batch_queryset = queryset if last_id is None else queryset.filter(id__lt=last_id)
        batch = with_bonus_details(batch_queryset[:CSV_BATCH])
        if not batch:
            return
        rows = []
        for entry in batch:
            row = worker_line_json(entry)
            for name in ("created_at", "available_at"):
                row[name] = row[name].isoformat() if row[name] else ""
            rows.append(row)
        yield _csv(WORKER_CSV_HEADER, rows).split("\n", 1)[1]
        last_id = batch[-1].pk
