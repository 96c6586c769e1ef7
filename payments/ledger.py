"""The posting service: balanced, idempotent ledger transactions and their corrections."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.exceptions import Conflict, InvalidInput
from payments.exceptions import InsufficientFunds
from payments.models import (
    GUARDED_KINDS,
    ORGANIZATION_KINDS,
    PLATFORM_KINDS,
    WORKER_KINDS,
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from payments.money import MONEY_PLACES
from payments.shards import platform_shard_id, platform_shards_forget

MAX_KEY_LENGTH = 255


def _amount_errors(amount) -> str | None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return "must be a Decimal (never a float)"
    if amount != amount.quantize(MONEY_PLACES):
        return "must have at most 4 decimal places"
    if amount == 0:
        return "must not be zero"
    return None


def _validate(*, idempotency_key, entries, kind, reference, reason, corrects) -> dict:
    fields: dict[str, list[str]] = {}
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        fields["idempotency_key"] = ["This field is required."]
    elif len(idempotency_key) > MAX_KEY_LENGTH:
        fields["idempotency_key"] = [f"Use at most {MAX_KEY_LENGTH} characters."]
    if kind not in TransactionKind.values:
        fields["kind"] = [f"Unknown transaction kind {kind!r}."]
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        fields["reference"] = ['Name what caused it, like "assignment:<id>" (200 characters).']
    if corrects is not None and not (isinstance(reason, str) and reason.strip()):
        fields["reason"] = ["A correction needs a reason."]
    if len(reason or "") > 1000:
        fields["reason"] = ["Use at most 1000 characters."]
    entry_errors = []
    if len(entries) < 2:
        entry_errors.append("A transaction needs at least two entries.")
    seen = set()
    for position, entry in enumerate(entries):
        try:
            account, amount = entry
        except (TypeError, ValueError):
            entry_errors.append(f"Entry {position}: give (account, amount).")
            continue
        if not isinstance(account, Account) or account.pk is None:
            entry_errors.append(f"Entry {position}: the account must be a saved Account.")
        elif account.pk in seen:
            entry_errors.append(f"Entry {position}: account {account.pk} appears twice.")
        else:
            seen.add(account.pk)
        problem = _amount_errors(amount)
        if problem:
            entry_errors.append(f"Entry {position}: the amount {problem}.")
    if entry_errors:
        fields["entries"] = entry_errors
    return fields


def _parameters_hash(*, kind, reference, reason, corrects_id, job_id, legs) -> str:
    canonical = json.dumps(
        {
            "kind": kind,
            "job": job_id,
            "reference": reference,
            "reason": reason,
            "corrects": corrects_id,
            "entries": sorted((account_id, str(amount)) for account_id, amount in legs),
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(*, idempotency_key: str, parameters_hash: str) -> LedgerTransaction | None:
    """The transaction already posted under this key, or None; Conflict if its parameters
    differ (Stripe's rule for a reused idempotency key)."""
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.parameters_hash != parameters_hash:
        raise Conflict(
            "This idempotency key was already used with different parameters.",
            fields={"idempotency_key": ["Already used for a different posting."]},
            code="idempotency_key_reused",
        )
    return existing


@transaction.atomic
def ledger_post(
    *,
    idempotency_key: str,
    entries: Sequence[tuple[Account, Decimal]],
    kind: str,
    reference: str,
    reason: str = "",
    actor=None,
    corrects: LedgerTransaction | None = None,
    job=None,
) -> LedgerTransaction:
    """Post one balanced transaction, or return the one already posted under this key.

    Locks the accounts' rows in one global order, owned accounts by id then platform
    accounts by id (so concurrent postings never deadlock), moves
    their cached balances, and refuses with InsufficientFunds, changing nothing, an entry
    that would take a must-not-go-negative account below zero. Raises InvalidInput for a
    malformed posting and Conflict for a key reused with different parameters.

    Lock order: a caller that locks its own rows (HIT, assignment, job, JobWorker) does so
    first; ledger accounts are always locked last.
    """
    entries = list(entries)
    fields = _validate(
        idempotency_key=idempotency_key,
        entries=entries,
        kind=kind,
        reference=reference,
        reason=reason,
        corrects=corrects,
    )
    if fields:
        raise InvalidInput(fields=fields)
    legs = [(account.pk, amount) for account, amount in entries]
    parameters_hash = _parameters_hash(
        kind=kind,
        reference=reference,
        reason=reason,
        corrects_id=corrects.pk if corrects else None,
        job_id=job.pk if job is not None else None,
        legs=legs,
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount in entries:
        totals[account.currency] += amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        sums = ", ".join(f"{total} {currency}" for currency, total in sorted(unbalanced.items()))
        raise InvalidInput(
            fields={"entries": [f"The entries must sum to zero per currency; they sum to {sums}."]}
        )

    accounts, physical = _lock_accounts(entries)
    # Inserted before the funds check: a concurrent posting of the same key waits here for
    # it to commit, and a retry finds its transaction instead of being refused for funds
    # its first attempt spent.
    columns = {
        "idempotency_key": idempotency_key,
        "kind": kind,
        "reference": reference,
        "reason": reason,
        "corrects_id": corrects.pk if corrects else None,
        "job_id": job.pk if job is not None else None,
        "parameters_hash": parameters_hash,
        "created_by_id": actor.pk if getattr(actor, "pk", None) else None,
        "created_at": timezone.now(),
    }
    posted_id = _transaction_insert(columns)
    if posted_id is None:
        existing = _existing(idempotency_key=idempotency_key, parameters_hash=parameters_hash)
        if existing is None:  # the conflicting posting rolled back after all: post again
            raise Conflict("A posting with this key is in flight; retry.", code="retry")
        return existing
    for account_id, amount in physical.items():
        account = accounts[account_id]
        if account.must_not_go_negative and account.balance + amount < 0:
            shortfall = -(account.balance + amount)
            raise InsufficientFunds(
                f"{account.get_kind_display()} (account {account.pk}) holds "
                f"{account.balance} {account.currency}; {shortfall} {account.currency} "
                "more is needed.",
                fields={"entries": [f"Account {account.pk} is short by {shortfall}."]},
            )
    _entries_insert(transaction_id=posted_id, physical=physical, accounts=accounts)
    posted = LedgerTransaction(id=posted_id, **columns)
    posted._state.adding = False
    return posted


def _lock_accounts(entries) -> tuple[dict[int, Account], dict[int, Decimal]]:
    """Lock the posting's accounts in id order; platform accounts are spread over their
    shards first (payments.shards). Returns the locked accounts and the amount per locked
    account (two legs landing on one shard are added up; a zero sum drops the leg)."""
    for attempt in (1, 2):
        physical: dict[int, Decimal] = defaultdict(Decimal)
        for account, amount in entries:
            physical[platform_shard_id(account)] += amount
        physical = {account_id: amount for account_id, amount in physical.items() if amount}
        accounts = _accounts_lock(sorted(physical))
        if len(accounts) == len(physical):
            return accounts, physical
        if attempt == 1:
            platform_shards_forget()  # a remembered shard is gone (a test truncated it)
    raise InvalidInput(fields={"entries": ["An account does not exist."]})


def _transaction_insert(columns: dict) -> int | None:
    """INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id: the new row's id,
    or None when the key is taken. One round trip, no savepoint."""
    table = LedgerTransaction._meta.db_table
    names = list(columns)
    # Table and column names are ours; every value is a parameter.
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders}) "  # noqa: S608
    sql += "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [columns[name] for name in names])
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class _LockedAccount:
    """What the posting needs of a locked account row."""

    pk: int
    kind: str
    currency: str
    balance: Decimal

    @property
    def must_not_go_negative(self) -> bool:
        return self.kind in GUARDED_KINDS

    def get_kind_display(self) -> str:
        return AccountKind(self.kind).label


def _accounts_lock(ids: list[int]) -> dict[int, _LockedAccount]:
    """SELECT ... FOR UPDATE of the accounts in the one lock order: owned (guarded) accounts
    by id, then platform accounts by id. A caller that locks owned accounts first, to read
    their balances (payments.escrow), stays in that order; the platform shard a leg draws
    is always locked last. Plain rows, no model instances, on PostgreSQL (where rows are
    locked in the ORDER BY's order); through the ORM elsewhere."""
    if connection.vendor != "postgresql":
        rows = sorted(
            Account.objects.select_for_update()
            .filter(pk__in=ids)
            .values_list("pk", "kind", "currency", "balance"),
            key=lambda row: (row[1] in PLATFORM_KINDS, row[0]),
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, kind, currency, balance FROM {Account._meta.db_table} "  # noqa: S608
                "WHERE id = ANY(%s) ORDER BY kind = ANY(%s), id FOR UPDATE",
                [ids, sorted(PLATFORM_KINDS)],
            )
            rows = cursor.fetchall()
    return {row[0]: _LockedAccount(*row) for row in rows}


def _entries_insert(*, transaction_id: int, physical: dict[int, Decimal], accounts) -> None:
    """Insert the entries and add each amount to its locked account's cached balance: one
    statement on PostgreSQL (a data-modifying CTE), two steps elsewhere."""
    if connection.vendor != "postgresql":
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                transaction_id=transaction_id,
                account_id=account_id,
                amount=amount,
                currency=accounts[account_id].currency,
            )
            for account_id, amount in physical.items()
        )
        for account_id, amount in physical.items():
            Account.objects.filter(pk=account_id).update(balance=F("balance") + amount)
        return
    values = ", ".join(["(%s::bigint, %s::numeric, %s::varchar)"] * len(physical))
    parameters = []
    for account_id, amount in physical.items():
        parameters += [account_id, amount, accounts[account_id].currency]
    account_table, entry_table = Account._meta.db_table, LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved (account_id, amount, currency) AS (VALUES {values}), "  # noqa: S608
            f"inserted AS (INSERT INTO {entry_table} (transaction_id, account_id, amount, "
            "currency) SELECT %s, account_id, amount, currency FROM moved) "
            f"UPDATE {account_table} AS account SET balance = account.balance + moved.amount "
            "FROM moved WHERE account.id = moved.account_id",
            [*parameters, transaction_id],
        )


@transaction.atomic
def ledger_correct(
    *,
    idempotency_key: str,
    corrects: LedgerTransaction,
    reason: str,
    actor=None,
    entries: Sequence[tuple[Account, Decimal]] | None = None,
) -> LedgerTransaction:
    """Post a correcting transaction with a reason; the corrected one is never edited.

    Without `entries` it reverses `corrects` in full (every entry negated); with them it
    posts those (a partial correction). Refused like any posting, e.g. when the money was
    already moved on from a must-not-go-negative account.
    """
    if entries is None:
        entries = [
            (entry.account, -entry.amount)
            for entry in corrects.entries.select_related("account").order_by("pk")
        ]
    return ledger_post(
        idempotency_key=idempotency_key,
        entries=entries,
        kind=TransactionKind.CORRECTION,
        reference=f"ledger_transaction:{corrects.pk}",
        reason=reason,
        actor=actor,
        corrects=corrects,
        job=corrects.job,
    )


def account_get_or_create(
    *, kind: str, organization=None, worker=None, job=None, currency: str
) -> Account:
    """The (kind, owner, currency) account, created with a zero balance if missing."""
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii()):
        raise InvalidInput(fields={"currency": ["Use a three-letter ISO 4217 code."]})
    if not currency.isupper():
        raise InvalidInput(fields={"currency": ["Use upper-case letters, like USD."]})
    account, _ = Account.objects.get_or_create(
        kind=kind, organization=organization, worker=worker, job=job, currency=currency, shard=0
    )
    return account


def organization_account(*, organization, kind: str, currency: str) -> Account:
    if kind not in ORGANIZATION_KINDS or kind == AccountKind.ORGANIZATION_ON_HOLD:
        raise ValueError(f"{kind} is not an organization-wide account (see job_hold_account)")
    return account_get_or_create(kind=kind, organization=organization, currency=currency)


def job_hold_account(*, job) -> Account:
    """The job's on-hold account: its organization's money held for this job's budget."""
    account, _ = Account.objects.get_or_create(
        kind=AccountKind.ORGANIZATION_ON_HOLD,
        organization_id=job.organization_id,
        job=job,
        currency=job.currency,
    )
    return account


def worker_account(*, worker, kind: str, currency: str) -> Account:
    if kind not in WORKER_KINDS:
        raise ValueError(f"{kind} is not a worker's account")
    return account_get_or_create(kind=kind, worker=worker, currency=currency)


def platform_account(*, kind: str, currency: str) -> Account:
    if kind not in PLATFORM_KINDS:
        raise ValueError(f"{kind} is not a platform account")
    return account_get_or_create(kind=kind, currency=currency)
