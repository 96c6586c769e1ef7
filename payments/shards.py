"""Platform accounts spread over shards, so concurrent postings do not queue on one hot row.

Every approval anywhere pays the platform's fee revenue; with one row, every posting would
wait for the one before it to commit. A platform kind (which may go negative, so no
posting needs its balance) is instead PAYMENTS_PLATFORM_ACCOUNT_SHARDS accounts, shard 0
the one `platform_account` returns; ledger_post books each platform leg on a shard picked
at random. The kind's balance is the sum over its shards (`platform_balance`).
"""

import random
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from payments.models import PLATFORM_KINDS, Account

# (kind, currency) -> the shards' account ids, remembered per process.
_shard_ids: dict[tuple[str, str], list[int]] = {}


def platform_shards_forget() -> None:
    _shard_ids.clear()


def platform_shard_id(account: Account) -> int:
    """The id of the account a leg on `account` is booked on: a shard of its kind for a
    platform account, the account itself otherwise.

    Missing shards are never created inside the posting (concurrent first postings would
    each insert them while holding other rows' locks, and deadlock): until they exist, a
    leg lands on a shard that does, and they are created after the posting commits."""
    count = settings.PAYMENTS_PLATFORM_ACCOUNT_SHARDS
    if account.kind not in PLATFORM_KINDS or count <= 1:
        return account.pk
    key = (account.kind, account.currency)
    ids = _shard_ids.get(key)
    if ids is None:
        ids = list(
            Account.objects.filter(
                kind=account.kind,
                currency=account.currency,
                organization__isnull=True,
                worker__isnull=True,
                shard__lt=count,
            )
            .order_by("shard")
            .values_list("pk", flat=True)
        )
        if len(ids) < count:
            transaction.on_commit(partial(_shards_create, *key, count))
            return random.choice(ids or [account.pk])  # noqa: S311 - load spreading only
        _shard_ids[key] = ids
    return random.choice(ids)  # noqa: S311 - spreads load; nothing secret rides on it


def _shards_create(kind: str, currency: str, count: int) -> None:
    """Create a platform kind's missing shards, in autocommit, outside any posting."""
    Account.objects.bulk_create(
        [Account(kind=kind, currency=currency, shard=shard) for shard in range(count)],
        ignore_conflicts=True,
    )


def platform_balance(*, kind: str, currency: str) -> Decimal:
    """A platform kind's balance: the sum of its shards' cached balances."""
    if kind not in PLATFORM_KINDS:
        raise ValueError(f"{kind} is not a platform account")
    total = Account.objects.filter(kind=kind, currency=currency).aggregate(total=Sum("balance"))
    return total["total"] if total["total"] is not None else Decimal("0.0000")
