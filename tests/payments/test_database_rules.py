"""The ledger's rules hold in PostgreSQL itself: raw SQL can't unbalance or rewrite it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from payments.ledger import ledger_post
from payments.models import Account, LedgerEntry, LedgerTransaction, TransactionKind
from tests.marketplace.factories import OrganizationFactory
from tests.payments.factories import OrganizationAccountFactory, clearing, new_key, top_up

pytestmark = pytest.mark.django_db(transaction=True)


def _insert_transaction(cursor, key: str) -> int:
    cursor.execute(
        "INSERT INTO payments_ledgertransaction (idempotency_key, kind, reference, reason,"
        " parameters_hash, created_at) VALUES (%s, 'adjustment', 'test:raw', '', '', now())"
        " RETURNING id",
        [key],
    )
    return cursor.fetchone()[0]


def _insert_entry(cursor, transaction_id: int, account, amount: str, currency: str = "USD"):
    cursor.execute(
        "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount, currency)"
        " VALUES (%s, %s, %s, %s)",
        [transaction_id, account.pk, Decimal(amount), currency],
    )


def test_an_unbalanced_transaction_in_raw_sql_is_refused_at_commit():
    account = OrganizationAccountFactory()
    platform = clearing()

    with pytest.raises(IntegrityError, match="does not sum to zero: USD 1.0000"):  # noqa: PT012
        with transaction.atomic():
            with connection.cursor() as cursor:
                posted = _insert_transaction(cursor, "raw:unbalanced")
                _insert_entry(cursor, posted, platform, "-4.0000")
                _insert_entry(cursor, posted, account, "5.0000")
            # Accepted until COMMIT: the trigger is deferred.
            assert LedgerEntry.objects.filter(transaction_id=posted).count() == 2

    assert not LedgerTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_balanced_transaction_in_raw_sql_commits():
    account = OrganizationAccountFactory()

    with transaction.atomic(), connection.cursor() as cursor:
        posted = _insert_transaction(cursor, "raw:balanced")
        _insert_entry(cursor, posted, clearing(), "-5.0000")
        _insert_entry(cursor, posted, account, "5.0000")

    assert LedgerEntry.objects.filter(transaction_id=posted).count() == 2


@pytest.mark.parametrize("entries", [0, 1])
def test_a_transaction_of_fewer_than_two_entries_is_refused(entries):
    account = OrganizationAccountFactory()

    with pytest.raises(IntegrityError, match=f"has {entries} entries"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            posted = _insert_transaction(cursor, "raw:short")
            if entries:
                _insert_entry(cursor, posted, account, "5.0000")

    assert not LedgerTransaction.objects.exists()


def test_balanced_entries_added_later_to_an_old_transaction_must_still_balance():
    account = OrganizationAccountFactory()
    top_up(account, "5.0000")
    posted = LedgerTransaction.objects.get()

    with pytest.raises(IntegrityError, match="does not sum to zero"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            _insert_entry(cursor, posted.pk, OrganizationAccountFactory(), "1.0000")

    assert posted.entries.count() == 2


def test_a_zero_amount_is_refused():
    account = OrganizationAccountFactory()

    with pytest.raises(IntegrityError, match="ledger_entry_amount_not_zero"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            posted = _insert_transaction(cursor, "raw:zero")
            _insert_entry(cursor, posted, account, "0")


def test_an_entry_in_another_currency_than_its_account_is_refused():
    account = OrganizationAccountFactory(currency="USD")
    euro_clearing = clearing("EUR")

    with pytest.raises(IntegrityError, match="ledger_entry_currency_is_account_currency"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            posted = _insert_transaction(cursor, "raw:currency")
            _insert_entry(cursor, posted, euro_clearing, "-5.0000", currency="USD")
            _insert_entry(cursor, posted, account, "5.0000", currency="USD")

    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE payments_ledgerentry SET amount = amount * 2",
        "DELETE FROM payments_ledgerentry",
        "UPDATE payments_ledgertransaction SET reference = 'test:rewritten'",
        "DELETE FROM payments_ledgertransaction",
    ],
)
def test_entries_and_transactions_cannot_be_updated_or_deleted(statement):
    account = OrganizationAccountFactory()
    top_up(account, "5.0000")

    with pytest.raises(IntegrityError, match="the ledger is append-only"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)

    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [
        Decimal("-5.0000"),
        Decimal("5.0000"),
    ]
    assert LedgerTransaction.objects.get().reference == "stripe_event:test"


def test_the_orm_cannot_delete_an_entry_either():
    account = OrganizationAccountFactory()
    top_up(account, "5.0000")

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(account=account).delete()

    assert LedgerEntry.objects.count() == 2


def test_a_guarded_cached_balance_cannot_go_negative_in_sql():
    account = OrganizationAccountFactory()

    with pytest.raises(IntegrityError, match="account_guarded_balance_not_negative"):  # noqa: PT012
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE payments_account SET balance = -1 WHERE id = %s", [account.pk])


def test_a_posting_through_the_service_passes_the_commit_checks():
    account = OrganizationAccountFactory()

    posted = ledger_post(
        idempotency_key=new_key(),
        entries=[(clearing(), Decimal("-2.5000")), (account, Decimal("2.5000"))],
        kind=TransactionKind.TOP_UP,
        reference="stripe_event:evt_1",
    )

    assert posted.entries.count() == 2


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        ("organization_available", None),
        ("worker_available", "organization"),
        ("stripe_clearing", "organization"),
    ],
)
def test_an_account_owner_must_match_its_kind(kind, owner):
    organization = OrganizationAccountFactory().organization

    with pytest.raises(IntegrityError, match="account_owner_matches_kind"), transaction.atomic():
        Account.objects.create(
            kind=kind, organization=organization if owner else None, currency="USD"
        )


def test_a_platform_account_exists_once_per_kind_currency_and_shard():
    clearing()

    with (
        pytest.raises(IntegrityError, match="account_once_per_platform_shard"),
        transaction.atomic(),
    ):
        Account.objects.create(kind="stripe_clearing", currency="USD")


def test_only_platform_accounts_have_shards():
    organization = OrganizationFactory()

    with pytest.raises(IntegrityError, match="account_shard_only_platform"), transaction.atomic():
        Account.objects.create(
            kind="organization_available", organization=organization, currency="USD", shard=1
        )
