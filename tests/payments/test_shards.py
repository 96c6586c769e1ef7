"""Platform accounts spread over shards: postings land on every shard, the kind's balance is
their sum, and concurrent postings through one platform kind all balance."""

from decimal import Decimal

import pytest

from payments.balances import ledger_reconcile
from payments.ledger import ledger_correct, ledger_post, platform_account
from payments.models import Account, AccountKind, LedgerEntry, TransactionKind
from payments.shards import platform_balance, platform_shards_forget
from tests.concurrency import run_at_once
from tests.payments.factories import OrganizationAccountFactory, new_key

pytestmark = pytest.mark.usefixtures("sharded")


def _top_up(account: Account, amount: str):
    return ledger_post(
        idempotency_key=new_key("top-up"),
        entries=[
            (platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD"), -Decimal(amount)),
            (account, Decimal(amount)),
        ],
        kind=TransactionKind.TOP_UP,
        reference="top_up:shards",
    )


@pytest.mark.django_db
def test_platform_legs_spread_over_the_shards_and_the_balance_is_their_sum(
    django_capture_on_commit_callbacks,
):
    organization = OrganizationAccountFactory()

    # The first posting books on shard 0 and creates the other shards once it commits.
    with django_capture_on_commit_callbacks(execute=True):
        _top_up(organization, "1.0000")
    for _ in range(39):
        _top_up(organization, "1.0000")

    shards = Account.objects.filter(kind=AccountKind.STRIPE_CLEARING, currency="USD")
    assert sorted(shards.values_list("shard", flat=True)) == [0, 1, 2, 3]
    used = set(
        LedgerEntry.objects.filter(account__kind=AccountKind.STRIPE_CLEARING).values_list(
            "account__shard", flat=True
        )
    )
    assert len(used) > 1  # 40 draws over 4 shards: all on one has odds of 4 in 4**40
    assert platform_balance(kind=AccountKind.STRIPE_CLEARING, currency="USD") == Decimal("-40.0000")
    organization.refresh_from_db()
    assert organization.balance == Decimal("40.0000")
    assert ledger_reconcile() == []


@pytest.mark.django_db
def test_a_retry_returns_the_first_posting_whichever_shard_it_drew():
    organization = OrganizationAccountFactory()
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD")
    posting = {
        "idempotency_key": "top-up:retry",
        "entries": [(clearing, Decimal("-2.0000")), (organization, Decimal("2.0000"))],
        "kind": TransactionKind.TOP_UP,
        "reference": "top_up:retry",
    }

    first = ledger_post(**posting)
    again = [ledger_post(**posting) for _ in range(10)]

    assert {posted.pk for posted in again} == {first.pk}
    organization.refresh_from_db()
    assert organization.balance == Decimal("2.0000")


@pytest.mark.django_db
def test_a_correction_of_a_sharded_leg_balances_the_kind_back():
    organization = OrganizationAccountFactory()
    posted = _top_up(organization, "3.0000")

    ledger_correct(idempotency_key="undo", corrects=posted, reason="Charged twice")

    assert platform_balance(kind=AccountKind.STRIPE_CLEARING, currency="USD") == 0
    organization.refresh_from_db()
    assert organization.balance == 0
    assert ledger_reconcile() == []


@pytest.mark.django_db
def test_remembered_shards_that_are_gone_are_found_again():
    organization = OrganizationAccountFactory()
    _top_up(organization, "1.0000")
    # What a truncating test database or a rolled-back creation leaves behind: ids this
    # process remembers that no longer exist.
    from payments import shards

    shards._shard_ids[(AccountKind.STRIPE_CLEARING, "USD")] = [10**9 + n for n in range(4)]

    _top_up(organization, "1.0000")

    organization.refresh_from_db()
    assert organization.balance == Decimal("2.0000")
    platform_shards_forget()


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_through_one_platform_kind_all_post_and_balance():
    accounts = [OrganizationAccountFactory() for _ in range(12)]

    outcomes = run_at_once(
        *(lambda account=account: _top_up(account, "1.5000") for account in accounts)
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert platform_balance(kind=AccountKind.STRIPE_CLEARING, currency="USD") == Decimal("-18.0000")
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_a_caller_holding_owned_accounts_never_deadlocks_with_a_plain_posting():
    """The lock order is owned accounts by id, then platform accounts: the fee shards exist
    (lower ids) before the organization's account, so an id-only order would let a posting
    take a shard and then wait for the account that a caller such as escrow has locked
    first to read its balance, while that caller waits for the shard."""
    from django.db import transaction

    from payments.escrow import _lock

    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")
    _top_up(OrganizationAccountFactory(), "1.0000")  # creates the fee kind's shards first
    organization = OrganizationAccountFactory()
    _top_up(organization, "100.0000")
    assert organization.pk > fees.pk

    def charge(locks_first: bool, number: int):
        def run():
            with transaction.atomic():
                if locks_first:
                    _lock(organization, fees)
                return ledger_post(
                    idempotency_key=f"fee:{number}",
                    entries=[(organization, Decimal("-1.0000")), (fees, Decimal("1.0000"))],
                    kind=TransactionKind.ADJUSTMENT,
                    reference=f"test:{number}",
                )

        return run

    outcomes = run_at_once(*(charge(number % 2 == 0, number) for number in range(12)))

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    organization.refresh_from_db()
    assert organization.balance == Decimal("88.0000")
    assert ledger_reconcile() == []
