"""Posting: balanced entries move cached balances, guarded accounts never go negative,
idempotency keys post once, corrections are new transactions."""

from decimal import Decimal

import pytest

from marketplace.exceptions import Conflict, InvalidInput
from payments.balances import account_balance_from_entries
from payments.exceptions import InsufficientFunds
from payments.ledger import (
    ledger_correct,
    ledger_post,
    organization_account,
    platform_account,
    worker_account,
)
from payments.models import (
    PLATFORM_KINDS,
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from payments.shards import platform_balance
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.payments.factories import (
    OrganizationAccountFactory,
    WorkerAccountFactory,
    clearing,
    new_key,
    top_up,
)
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sharded")]


def _balances(*accounts) -> list[Decimal]:
    """Cached balances; a platform account's is its kind's, over all its shards."""
    return [
        platform_balance(kind=account.kind, currency=account.currency)
        if account.kind in PLATFORM_KINDS
        else Account.objects.get(pk=account.pk).balance
        for account in accounts
    ]


def _pay(source, target, amount: str, *, key: str | None = None, **extra):
    return ledger_post(
        idempotency_key=key or new_key(),
        entries=[(source, -Decimal(amount)), (target, Decimal(amount))],
        kind=extra.pop("kind", TransactionKind.REWARD),
        reference=extra.pop("reference", "assignment:A1"),
        **extra,
    )


def test_a_balanced_posting_moves_the_cached_balances():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory(kind=AccountKind.WORKER_PENDING)
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")
    top_up(organization, "10.0000")
    actor = UserFactory()

    posted = ledger_post(
        idempotency_key="approve:A1",
        entries=[
            (organization, Decimal("-1.2000")),
            (worker, Decimal("1.0000")),
            (fees, Decimal("0.2000")),
        ],
        kind=TransactionKind.REWARD,
        reference="assignment:A1",
        actor=actor,
    )

    assert _balances(organization, worker, fees, clearing()) == [
        Decimal("8.8000"),
        Decimal("1.0000"),
        Decimal("0.2000"),
        Decimal("-10.0000"),
    ]
    assert posted.created_by == actor
    assert sorted(posted.entries.values_list("amount", "currency")) == [
        (Decimal("-1.2000"), "USD"),
        (Decimal("0.2000"), "USD"),
        (Decimal("1.0000"), "USD"),
    ]
    for account in Account.objects.all():
        assert account.balance == account_balance_from_entries(account=account)


def test_sub_cent_amounts_are_kept_to_four_places():
    organization = OrganizationAccountFactory()
    top_up(organization, "0.0001")

    assert _balances(organization) == [Decimal("0.0001")]


def test_a_guarded_account_is_never_taken_below_zero_and_nothing_changes():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "1.0000")
    before = database_snapshot()

    with pytest.raises(InsufficientFunds) as refused:
        _pay(organization, worker, "1.5000", key="approve:too-much")

    assert database_snapshot() == before
    assert refused.value.code == "insufficient_funds"
    assert f"account {organization.pk}" in refused.value.message
    assert "holds 1.0000 USD; 0.5000 USD more is needed" in refused.value.message
    assert _balances(organization, worker) == [Decimal("1.0000"), Decimal("0.0000")]
    assert not LedgerTransaction.objects.filter(idempotency_key="approve:too-much").exists()
    assert LedgerEntry.objects.count() == 2


def test_an_account_can_be_spent_to_exactly_zero():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "1.5000")

    _pay(organization, worker, "1.5000")

    assert _balances(organization, worker) == [Decimal("0.0000"), Decimal("1.5000")]


def test_a_clearing_account_may_go_negative():
    organization = OrganizationAccountFactory()

    top_up(organization, "3.0000")

    assert _balances(clearing()) == [Decimal("-3.0000")]


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        (["-1.0000"], "at least two entries"),
        (["-1.0000", "2.0000"], "sum to zero per currency; they sum to 1.0000 USD"),
        (["-1.0000", "0"], "must not be zero"),
        (["-1.00001", "1.00001"], "at most 4 decimal places"),
        ([-1.0, 1.0], "must be a Decimal (never a float)"),
        (["-NaN", "NaN"], "must be a Decimal"),
    ],
)
def test_malformed_postings_are_refused_with_field_messages(amounts, message):
    accounts = [clearing(), OrganizationAccountFactory()]
    entries = [
        (account, Decimal(amount) if isinstance(amount, str) else amount)
        for account, amount in zip(accounts, amounts, strict=False)
    ]
    before = database_snapshot()

    with pytest.raises(InvalidInput) as refused:
        ledger_post(
            idempotency_key=new_key(),
            entries=entries,
            kind=TransactionKind.ADJUSTMENT,
            reference="test:bad",
        )

    assert message in " ".join(refused.value.fields["entries"])
    assert database_snapshot() == before
    assert not LedgerTransaction.objects.exists()
    assert _balances(*accounts) == [Decimal("0.0000"), Decimal("0.0000")]


def test_the_same_account_twice_and_an_unsaved_account_are_refused():
    account = OrganizationAccountFactory()

    with pytest.raises(InvalidInput) as refused:
        ledger_post(
            idempotency_key=new_key(),
            entries=[
                (account, Decimal("1.0000")),
                (account, Decimal("-1.0000")),
                (Account(kind=AccountKind.STRIPE_CLEARING), Decimal("1.0000")),
            ],
            kind=TransactionKind.ADJUSTMENT,
            reference="test:bad",
        )

    assert refused.value.fields["entries"] == [
        f"Entry 1: account {account.pk} appears twice.",
        "Entry 2: the account must be a saved Account.",
    ]


def test_a_currency_mismatch_between_two_accounts_is_refused():
    dollars = OrganizationAccountFactory(currency="USD")

    with pytest.raises(InvalidInput) as refused:
        _pay(clearing("EUR"), dollars, "1.0000")

    assert "sum to" in refused.value.fields["entries"][0]
    assert not LedgerTransaction.objects.exists()


def test_two_currencies_balance_each_on_their_own():
    organization = OrganizationFactory()
    dollars = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    euros = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="EUR"
    )

    ledger_post(
        idempotency_key=new_key(),
        entries=[
            (clearing("USD"), Decimal("-2.0000")),
            (dollars, Decimal("2.0000")),
            (clearing("EUR"), Decimal("-3.0000")),
            (euros, Decimal("3.0000")),
        ],
        kind=TransactionKind.TOP_UP,
        reference="stripe_event:evt_2",
    )

    assert _balances(dollars, euros) == [Decimal("2.0000"), Decimal("3.0000")]


@pytest.mark.parametrize(
    ("field", "arguments"),
    [
        ("idempotency_key", {"idempotency_key": " "}),
        ("idempotency_key", {"idempotency_key": "k" * 256}),
        ("kind", {"kind": "gift"}),
        ("reference", {"reference": ""}),
    ],
)
def test_bad_keys_kinds_and_references_are_refused(field, arguments):
    account = OrganizationAccountFactory()
    posting = {
        "idempotency_key": new_key(),
        "entries": [(clearing(), Decimal("-1.0000")), (account, Decimal("1.0000"))],
        "kind": TransactionKind.TOP_UP,
        "reference": "stripe_event:evt_3",
        **arguments,
    }

    with pytest.raises(InvalidInput) as refused:
        ledger_post(**posting)

    assert field in refused.value.fields
    assert not LedgerTransaction.objects.exists()


def test_the_same_key_with_the_same_parameters_returns_the_first_transaction():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "5.0000")

    first = _pay(organization, worker, "2.0000", key="approve:A2")
    again = _pay(organization, worker, "2.0000", key="approve:A2")

    assert again.pk == first.pk
    assert LedgerEntry.objects.filter(transaction__idempotency_key="approve:A2").count() == 2
    assert _balances(organization, worker) == [Decimal("3.0000"), Decimal("2.0000")]


@pytest.mark.parametrize(
    "changed",
    [{"amount": "2.5000"}, {"reference": "assignment:OTHER"}, {"kind": TransactionKind.BONUS}],
)
def test_the_same_key_with_other_parameters_is_a_conflict_and_changes_nothing(changed):
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "5.0000")
    _pay(organization, worker, "2.0000", key="approve:A3")
    before = database_snapshot()

    with pytest.raises(Conflict) as refused:
        _pay(organization, worker, changed.pop("amount", "2.0000"), key="approve:A3", **changed)

    assert database_snapshot() == before
    assert refused.value.status_code == 409
    assert refused.value.code == "idempotency_key_reused"
    assert "idempotency_key" in refused.value.fields
    assert _balances(organization, worker) == [Decimal("3.0000"), Decimal("2.0000")]
    assert LedgerTransaction.objects.count() == 2


def test_the_same_key_on_other_accounts_is_a_conflict():
    organization = OrganizationAccountFactory()
    top_up(organization, "5.0000")
    _pay(organization, WorkerAccountFactory(), "1.0000", key="approve:A4")

    with pytest.raises(Conflict):
        _pay(organization, WorkerAccountFactory(), "1.0000", key="approve:A4")


def test_a_full_correction_reverses_every_entry_and_keeps_the_original():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "5.0000")
    original = _pay(organization, worker, "2.0000")
    staff = UserFactory()

    correction = ledger_correct(
        idempotency_key=f"correct:{original.pk}",
        corrects=original,
        reason="Approved by mistake",
        actor=staff,
    )

    assert correction.kind == TransactionKind.CORRECTION
    assert correction.corrects == original
    assert correction.reason == "Approved by mistake"
    assert correction.created_by == staff
    assert correction.reference == f"ledger_transaction:{original.pk}"
    assert _balances(organization, worker) == [Decimal("5.0000"), Decimal("0.0000")]
    assert original.entries.count() == 2  # the original stays as it was
    assert sorted(correction.entries.values_list("amount", flat=True)) == [
        Decimal("-2.0000"),
        Decimal("2.0000"),
    ]
    again = ledger_correct(
        idempotency_key=f"correct:{original.pk}", corrects=original, reason="Approved by mistake"
    )
    assert again.pk == correction.pk


def test_a_partial_correction_posts_the_given_entries():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "5.0000")
    original = _pay(organization, worker, "2.0000")

    ledger_correct(
        idempotency_key=new_key(),
        corrects=original,
        reason="Reward was 1.5000, not 2.0000",
        entries=[(worker, Decimal("-0.5000")), (organization, Decimal("0.5000"))],
    )

    assert _balances(organization, worker) == [Decimal("3.5000"), Decimal("1.5000")]


def test_a_correction_needs_a_reason():
    organization = OrganizationAccountFactory()
    original = top_up(organization, "1.0000") or LedgerTransaction.objects.get()

    with pytest.raises(InvalidInput) as refused:
        ledger_correct(idempotency_key=new_key(), corrects=original, reason="  ")

    assert refused.value.fields == {"reason": ["A correction needs a reason."]}
    assert LedgerTransaction.objects.count() == 1


def test_a_correction_cannot_take_back_money_already_spent():
    organization = OrganizationAccountFactory()
    worker = WorkerAccountFactory()
    top_up(organization, "2.0000")
    reward = _pay(organization, worker, "2.0000")
    _pay(worker, WorkerAccountFactory(), "1.5000")

    with pytest.raises(InsufficientFunds):
        ledger_correct(idempotency_key=new_key(), corrects=reward, reason="Fraud")

    assert _balances(organization, worker) == [Decimal("0.0000"), Decimal("0.5000")]


def test_account_helpers_get_or_create_one_account_per_kind_owner_and_currency():
    organization = OrganizationFactory()
    worker = WorkerProfileFactory()

    first = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    again = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    pending = worker_account(worker=worker, kind=AccountKind.WORKER_PENDING, currency="USD")
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")

    assert first.pk == again.pk
    assert first.must_not_go_negative
    assert pending.worker == worker
    assert pending.must_not_go_negative
    assert fees.organization is None
    assert fees.worker is None
    assert not fees.must_not_go_negative
    assert platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD").pk == fees.pk
    with pytest.raises(ValueError, match="not a worker's account"):
        worker_account(worker=worker, kind=AccountKind.STRIPE_CLEARING, currency="USD")
    with pytest.raises(InvalidInput):
        platform_account(kind=AccountKind.STRIPE_CLEARING, currency="usd")
