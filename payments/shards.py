"""Platform accounts spread over shards, so concurrent postings do not queue on one hot row.

Every approval anywhere pays the platform's fee revenue; with one row, every posting would
wait for the one before it to commit. A platform kind (which may go negative, so no
posting needs its balance) is instead PAYMENTS_PLATFORM_ACCOUNT_SHARDS accounts, shard 0
the one `platform_account` returns; ledger_post books each platform leg on a shard picked
at random. The kind's balance is the sum over its shards (`platform_balance`).
"""

import random
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from payments.models import PLATFORM_KINDS, Account

# (kind, currency) -> the shards' account ids, remembered per process.
_shard_ids: dict[tuple[str, str], list[int]] = {}


def platform_shards_forget() -> None:
    _shard_ids.clear()


def platform_shard_id(account: Account) -> int:
    """The id of the account a leg on `account` is booked on: a shard of its kind for a
    platform account, the account itself otherwise."""
    count = settings.PAYMENTS_PLATFORM_ACCOUNT_SHARDS
    if account.kind not in PLATFORM_KINDS or count <= 1:
        return account.pk
    key = (account.kind, account.currency)
    ids = _shard_ids.get(key)
    if ids is None or len(ids) != count:
        ids = [
            Account.objects.get_or_create(
                kind=account.kind, currency=account.currency, shard=shard
            )[0].pk
            for shard in range(count)
        ]
        _shard_ids[key] = ids
    return random.choice(ids)  # noqa: S311 - spreads load; nothing secret rides on it


def platform_balance(*, kind: str, currency: str) -> Decimal:
    """A platform kind's balance: the sum of its shards' cached balances."""
    if kind not in PLATFORM_KINDS:
        raise ValueError(f"{kind} is not a platform account")
    total = Account.objects.filter(kind=kind, currency=currency).aggregate(total=Sum("balance"))
    return total["total"] if total["total"] is not None else Decimal("0.0000")
