"""Payouts: requests (whole cents, minimum, available balance, idempotency), Stripe transfers
against the recording stub (paid, refused, dropped connections, reversals), the manual
provider (staff mark paid or failed, the CSV export), concurrency and tenancy."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.celery import app as celery_app
from marketplace.exceptions import Conflict, InvalidInput, PermissionDenied
from payments.balances import ledger_reconcile
from payments.exceptions import InsufficientFunds
from payments.ledger import organization_account, platform_account, worker_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutStatus,
    Provider,
    TransactionKind,
)
from payments.payouts import (
    payout_account_onboard,
    payout_mark_failed,
    payout_mark_paid,
    payout_request,
    payout_transfer_send,
    payout_transfers_due,
    stripe_transfer_reversed,
)
from payments.stripe_client import StripeUnavailable
from tests.concurrency import run_at_once
from tests.marketplace.factories import MembershipFactory, UserFactory, VendorProfileFactory
from tests.payments.factories import top_up
from tests.payments.stripe_stub import stripe_pointed_at_stub
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _manual_by_default(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENTS_MIN_PAYOUT = Decimal("1.00")


@pytest.fixture
def stub(settings):
    with stripe_pointed_at_stub(settings) as stub:
        yield stub
    assert stub.problems == []


@pytest.fixture
def worker():
    return WorkerProfileFactory()


def _available(worker, currency: str = "USD"):
    return worker_account(worker=worker, kind=AccountKind.WORKER_AVAILABLE, currency=currency)


def _fund(worker, amount: str):
    top_up(_available(worker), amount)


def _balance(kind: str, *, worker=None, organization=None) -> Decimal:
    if worker is not None:
        return worker_account(worker=worker, kind=kind, currency="USD").balance
    if organization is not None:
        return organization_account(organization=organization, kind=kind, currency="USD").balance
    return platform_account(kind=kind, currency="USD").balance


def _legs(idempotency_key: str) -> list[tuple[str, Decimal]]:
    posted = LedgerTransaction.objects.get(idempotency_key=idempotency_key)
    return sorted((e.account.kind, e.amount) for e in posted.entries.select_related("account"))


def _connected(stub, worker) -> PayoutAccount:
    onboarding = payout_account_onboard(
        actor=worker.user, worker=worker, return_url="http://t/r", refresh_url="http://t/f"
    )
    stub.enable_payouts(onboarding.payout_account.stripe_account_id)
    PayoutAccount.objects.filter(pk=onboarding.payout_account.pk).update(payouts_enabled=True)
    return PayoutAccount.objects.get(pk=onboarding.payout_account.pk)


def _nothing_moved(worker, available: str) -> None:
    assert not Payout.objects.exists()
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).exists()
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal(available)


# Requests and the manual provider.


def test_a_payout_takes_whole_cents_and_the_sub_cent_rest_stays(worker):
    _fund(worker, "10.0050")

    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k1")

    assert (payout.amount, payout.currency, payout.provider, payout.status) == (
        Decimal("10.0000"),
        "USD",
        Provider.MANUAL,
        PayoutStatus.IN_TRANSIT,
    )
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("0.0050")
    assert _legs(f"payout:{payout.pk}") == [
        (AccountKind.PAYOUTS_IN_TRANSIT, Decimal("10.0000")),
        (AccountKind.WORKER_AVAILABLE, Decimal("-10.0000")),
    ]
    assert LedgerTransaction.objects.get(idempotency_key=f"payout:{payout.pk}").reference == (
        f"payout:{payout.pk}"
    )


def test_a_part_of_the_balance_can_be_paid_out(worker):
    _fund(worker, "2.5075")

    payout = payout_request(
        actor=worker.user, worker=worker, amount=Decimal("2.50"), idempotency_key="k"
    )

    assert payout.amount == Decimal("2.5000")
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("0.0075")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0.99"), "The minimum payout is 1.00."),
        (Decimal("0"), "The minimum payout is 1.00."),
        (Decimal("-5.00"), "The minimum payout is 1.00."),
        (Decimal("2.505"), "Give whole cents (at most 2 decimal places)."),
    ],
)
def test_a_sub_minimum_negative_or_sub_cent_amount_is_refused_and_nothing_moves(
    worker, amount, message
):
    _fund(worker, "10.0000")

    with pytest.raises(InvalidInput) as refused:
        payout_request(actor=worker.user, worker=worker, amount=amount, idempotency_key="k")

    assert refused.value.fields == {"amount": [message]}
    _nothing_moved(worker, "10.0000")


def test_a_bad_currency_or_key_is_refused(worker):
    _fund(worker, "10.0000")

    with pytest.raises(InvalidInput) as refused:
        payout_request(actor=worker.user, worker=worker, currency="usd", idempotency_key=" ")

    assert set(refused.value.fields) == {"currency", "idempotency_key"}
    _nothing_moved(worker, "10.0000")


def test_above_the_available_balance_is_a_402_naming_the_shortfall(worker):
    _fund(worker, "10.0050")

    with pytest.raises(InsufficientFunds) as refused:
        payout_request(
            actor=worker.user, worker=worker, amount=Decimal("20.00"), idempotency_key="k"
        )

    assert refused.value.status_code == 402
    assert "9.9950 USD more is needed" in refused.value.message
    _nothing_moved(worker, "10.0050")


def test_all_that_is_payable_below_the_minimum_is_a_402(worker):
    _fund(worker, "0.5000")

    with pytest.raises(InsufficientFunds) as refused:
        payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    assert "0.5000 USD more is needed" in refused.value.message
    _nothing_moved(worker, "0.5000")


def test_the_same_key_returns_the_same_payout_and_other_parameters_conflict(worker):
    _fund(worker, "10.0000")

    first = payout_request(
        actor=worker.user, worker=worker, amount=Decimal("3"), idempotency_key="k"
    )
    again = payout_request(
        actor=worker.user, worker=worker, amount=Decimal("3"), idempotency_key="k"
    )
    with pytest.raises(Conflict):
        payout_request(actor=worker.user, worker=worker, amount=Decimal("4"), idempotency_key="k")

    assert first.pk == again.pk
    assert Payout.objects.count() == 1
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("7.0000")


def test_two_workers_may_use_the_same_key(worker):
    other = WorkerProfileFactory()
    _fund(worker, "5.0000")
    _fund(other, "5.0000")

    mine = payout_request(actor=worker.user, worker=worker, idempotency_key="same")
    theirs = payout_request(actor=other.user, worker=other, idempotency_key="same")

    assert mine.pk != theirs.pk
    assert (mine.worker, theirs.worker) == (worker, other)


def test_staff_mark_a_manual_payout_paid_once_recording_who_and_the_note(worker, staff):
    _fund(worker, "5.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    paid = payout_mark_paid(actor=staff, payout=payout, note="Bank ref 123")
    again = payout_mark_paid(actor=staff, payout=payout, note="Bank ref 123")

    assert (paid.status, paid.settled_by, again.status) == (PayoutStatus.PAID, staff, "paid")
    assert paid.settled_at is not None
    assert _legs(f"payout-paid:{payout.pk}") == [
        (AccountKind.MANUAL_CLEARING, Decimal("5.0000")),
        (AccountKind.PAYOUTS_IN_TRANSIT, Decimal("-5.0000")),
    ]
    posted = LedgerTransaction.objects.get(idempotency_key=f"payout-paid:{payout.pk}")
    assert (posted.reason, posted.created_by) == ("Bank ref 123", staff)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).count() == 1
    assert _balance(AccountKind.PAYOUTS_IN_TRANSIT) == Decimal("0.0000")
    assert ledger_reconcile() == []


def test_staff_mark_a_payout_failed_and_the_money_comes_back(worker, staff):
    _fund(worker, "5.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    failed = payout_mark_failed(actor=staff, payout=payout, reason="Account closed")

    assert (failed.status, failed.failure_message, failed.settled_by) == (
        PayoutStatus.FAILED,
        "Account closed",
        staff,
    )
    assert _legs(f"payout-return:{payout.pk}") == [
        (AccountKind.PAYOUTS_IN_TRANSIT, Decimal("-5.0000")),
        (AccountKind.WORKER_AVAILABLE, Decimal("5.0000")),
    ]
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("5.0000")
    with pytest.raises(Conflict):
        payout_mark_paid(actor=staff, payout=payout, note="too late")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).exists()


def test_only_staff_settle_and_a_note_is_required(worker, staff):
    _fund(worker, "5.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    with pytest.raises(PermissionDenied):
        payout_mark_paid(actor=worker.user, payout=payout, note="I paid myself")
    with pytest.raises(PermissionDenied):
        payout_mark_failed(actor=worker.user, payout=payout, reason="x")
    with pytest.raises(InvalidInput):
        payout_mark_paid(actor=staff, payout=payout, note="  ")

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.IN_TRANSIT
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 1
    assert LedgerTransaction.objects.count() == 2  # the funding and the payout


# Stripe.


def test_a_stripe_payout_is_transferred_in_cents_with_its_key_and_settles(
    stub, worker, django_capture_on_commit_callbacks
):
    account = _connected(stub, worker)
    _fund(worker, "10.0050")
    clearing_before = _balance(AccountKind.STRIPE_CLEARING)

    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    payout.refresh_from_db()
    [transfer] = stub.recorded("POST", "/v1/transfers")
    assert transfer.idempotency_key == f"payout:{payout.pk}"
    assert transfer.form == {
        "amount": "1000",
        "currency": "usd",
        "destination": account.stripe_account_id,
        "metadata[payout]": str(payout.pk),
    }
    assert (payout.provider, payout.status) == (Provider.STRIPE, PayoutStatus.PAID)
    assert payout.stripe_transfer_id in stub.transfers
    assert _legs(f"payout-paid:{payout.pk}") == [
        (AccountKind.PAYOUTS_IN_TRANSIT, Decimal("-10.0000")),
        (AccountKind.STRIPE_CLEARING, Decimal("10.0000")),
    ]
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("0.0050")
    assert _balance(AccountKind.PAYOUTS_IN_TRANSIT) == Decimal("0.0000")
    assert _balance(AccountKind.STRIPE_CLEARING) - clearing_before == Decimal("10.0000")
    assert ledger_reconcile() == []


def test_a_worker_not_yet_onboarded_is_paid_by_the_manual_provider(stub, worker):
    _fund(worker, "3.0000")

    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    assert payout.provider == Provider.MANUAL
    assert stub.recorded("POST", "/v1/transfers") == []


def test_stripe_refusing_the_transfer_fails_the_payout_and_returns_the_money(
    stub, worker, django_capture_on_commit_callbacks
):
    _connected(stub, worker)
    _fund(worker, "4.0000")
    stub.fail_next_transfer(code="account_invalid", message="The destination account is closed")

    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "The destination account is closed" in payout.failure_message
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("4.0000")
    assert _balance(AccountKind.PAYOUTS_IN_TRANSIT) == Decimal("0.0000")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).exists()
    assert LedgerTransaction.objects.filter(idempotency_key=f"payout-return:{payout.pk}").exists()


def test_a_dropped_connection_is_retried_by_the_task_with_the_same_key_making_one_transfer(
    stub, worker, django_capture_on_commit_callbacks, celery_retries_eagerly
):
    _connected(stub, worker)
    _fund(worker, "4.0000")
    stub.drop_next(3)  # the client's own two retries and its first call: the task retries

    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    payout.refresh_from_db()
    sent = stub.recorded("POST", "/v1/transfers")
    assert len(sent) == 4
    assert {request.idempotency_key for request in sent} == {f"payout:{payout.pk}"}
    assert len({tuple(sorted(request.form.items())) for request in sent}) == 1
    assert len(stub.transfers) == 1
    assert payout.status == PayoutStatus.PAID
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).count() == 1


def test_an_answer_lost_after_the_transfer_was_made_replays_the_same_transfer(stub, worker):
    _connected(stub, worker)
    _fund(worker, "4.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    stub.drop_next(3, after_processing=True)

    with pytest.raises(StripeUnavailable):
        payout_transfer_send(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.IN_TRANSIT
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).exists()

    settled = payout_transfer_send(payout_id=payout.pk)
    payout_transfer_send(payout_id=payout.pk)  # done already: no call

    assert settled.status == PayoutStatus.PAID
    assert len(stub.transfers) == 1
    assert settled.stripe_transfer_id == next(iter(stub.transfers))
    assert {r.idempotency_key for r in stub.recorded("POST", "/v1/transfers")} == {
        f"payout:{payout.pk}"
    }
    assert len(stub.recorded("POST", "/v1/transfers")) == 4


@pytest.fixture
def celery_retries_eagerly():
    """Eager tasks that propagate errors skip Celery's retry; a worker does not propagate."""
    saved = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = saved


def _reversed(transfer_id: str, payout_pk: int, cents: int) -> dict:
    return {
        "id": "evt_rev",
        "type": "transfer.reversed",
        "data": {
            "object": {
                "id": transfer_id,
                "object": "transfer",
                "amount": cents,
                "amount_reversed": cents,
                "metadata": {"payout": str(payout_pk)},
                "reversed": True,
            }
        },
    }


def test_a_reversed_transfer_puts_the_money_back_once(
    stub, worker, django_capture_on_commit_callbacks
):
    _connected(stub, worker)
    _fund(worker, "6.0000")
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    payout.refresh_from_db()

    stripe_transfer_reversed(_reversed(payout.stripe_transfer_id, payout.pk, 600))
    stripe_transfer_reversed(_reversed(payout.stripe_transfer_id, payout.pk, 600))

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVERSED
    assert _legs(f"payout-return:{payout.pk}") == [
        (AccountKind.STRIPE_CLEARING, Decimal("-6.0000")),
        (AccountKind.WORKER_AVAILABLE, Decimal("6.0000")),
    ]
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_RETURN).count() == 1
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("6.0000")
    assert ledger_reconcile() == []


def test_a_reversal_before_the_transfer_answer_returns_from_in_transit(stub, worker):
    _connected(stub, worker)
    _fund(worker, "6.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    stripe_transfer_reversed(_reversed("tr_early", payout.pk, 600))
    payout_transfer_send(payout_id=payout.pk)

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVERSED
    assert stub.recorded("POST", "/v1/transfers") == []
    assert _balance(AccountKind.PAYOUTS_IN_TRANSIT) == Decimal("0.0000")
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("6.0000")


def test_a_reversal_of_an_unknown_transfer_changes_nothing(stub):
    stripe_transfer_reversed(_reversed("tr_unknown", 999999, 100))

    assert not LedgerTransaction.objects.exists()


def test_staff_cannot_mark_a_stripe_payout_paid(stub, worker, staff):
    _connected(stub, worker)
    _fund(worker, "2.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    with pytest.raises(Conflict):
        payout_mark_paid(actor=staff, payout=payout, note="by hand")

    assert not LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).exists()


def test_stripe_payouts_left_in_transit_are_due_again(stub, worker):
    _connected(stub, worker)
    _fund(worker, "4.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    assert payout_transfers_due(now=timezone.now()) == []
    assert payout_transfers_due(now=timezone.now() + timedelta(hours=1)) == [payout.pk]


# Concurrency (real threads on PostgreSQL).


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_parallel_payout_requests_never_overdraw_and_exactly_the_affordable_ones_succeed(round_):
    worker = WorkerProfileFactory()
    _fund(worker, "5.0000")  # affords 3 payouts of 1.50, with 0.50 left

    outcomes = run_at_once(
        *(
            lambda i=i: payout_request(
                actor=worker.user, worker=worker, amount=Decimal("1.50"), idempotency_key=f"r{i}"
            )
            for i in range(12)
        )
    )

    made = [outcome for outcome in outcomes if isinstance(outcome, Payout)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientFunds)]
    assert (len(made), len(refused)) == (3, 9), outcomes
    assert Payout.objects.filter(worker=worker).count() == 3
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("0.5000")
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_one_key_requested_from_many_threads_makes_one_payout():
    worker = WorkerProfileFactory()
    _fund(worker, "5.0000")

    outcomes = run_at_once(
        *(
            lambda: payout_request(actor=worker.user, worker=worker, idempotency_key="same")
            for _ in range(8)
        )
    )

    assert all(isinstance(outcome, Payout) for outcome in outcomes), outcomes
    assert len({outcome.pk for outcome in outcomes}) == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == 1
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("0.0000")


# API.


@pytest.fixture
def worker_api(worker):
    api = APIClient()
    api.force_login(worker.user)
    return api


def _body(payout: Payout) -> dict:
    return {
        "id": payout.pk,
        "amount": f"{payout.amount:.4f}",
        "currency": payout.currency,
        "status": payout.status,
        "provider": payout.provider,
        "failure_message": payout.failure_message,
        "created_at": payout.created_at.isoformat().replace("+00:00", "Z"),
        "settled_at": None,
    }


def test_the_api_requests_a_payout_and_replays_it(worker, worker_api):
    _fund(worker, "3.0050")
    data = {"idempotency_key": "abc"}

    response = worker_api.post(reverse("api-work-payouts"), data, format="json")
    again = worker_api.post(reverse("api-work-payouts"), data, format="json")

    payout = Payout.objects.get()
    assert response.status_code == 201, response.content
    assert response.json() == _body(payout) == again.json()
    assert payout.amount == Decimal("3.0000")


@pytest.mark.parametrize(
    ("data", "status", "fields"),
    [
        (
            {"idempotency_key": "a", "amount": "0.50"},
            400,
            {"amount": ["The minimum payout is 1.00."]},
        ),
        (
            {"idempotency_key": "a", "amount": "1.005"},
            400,
            {"amount": ["Ensure that there are no more than 2 decimal places."]},
        ),
        ({"amount": "2.00"}, 400, {"idempotency_key": ["This field is required."]}),
        ({"idempotency_key": "a", "worker": "x"}, 400, {"worker": ["Unknown field."]}),
        ({"idempotency_key": "a", "amount": "50.00"}, 402, {"amount": ["At most 3.00."]}),
    ],
)
def test_the_api_refuses_bad_requests_and_moves_nothing(worker, worker_api, data, status, fields):
    _fund(worker, "3.0050")

    response = worker_api.post(reverse("api-work-payouts"), data, format="json")

    assert response.status_code == status, response.content
    assert response.json()["fields"] == fields
    _nothing_moved(worker, "3.0050")


def test_the_api_lists_only_ones_own_payouts(worker, worker_api):
    other = WorkerProfileFactory()
    _fund(worker, "2.0000")
    _fund(other, "2.0000")
    mine = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    payout_request(actor=other.user, worker=other, idempotency_key="k")

    response = worker_api.get(reverse("api-work-payouts"))
    balances = worker_api.get(reverse("api-work-payout-balances"))

    assert response.status_code == 200
    assert response.json()["results"] == [_body(mine)]
    assert balances.json() == [
        {
            "currency": "USD",
            "available": "0.0000",
            "payable": "0.0000",
            "pending": "0.0000",
            "in_transit": "2.0000",
            "paid": "0.0000",
        }
    ]


def test_the_worker_api_needs_a_worker(api_client):
    api_client.force_login(UserFactory())

    response = api_client.post(reverse("api-work-payouts"), {"idempotency_key": "k"})

    assert response.status_code == 403
    assert not Payout.objects.exists()


@pytest.fixture
def vendor():
    vendor = VendorProfileFactory()
    top_up(
        organization_account(
            organization=vendor.organization, kind=AccountKind.VENDOR_AVAILABLE, currency="USD"
        ),
        "8.0000",
    )
    return vendor


def test_a_vendor_admin_requests_and_lists_the_organizations_payouts(vendor, api_client):
    admin = MembershipFactory(organization=vendor.organization, role="admin").user
    api_client.force_login(admin)
    url = reverse("api-organization-payouts", args=[vendor.organization.pk])

    response = api_client.post(url, {"idempotency_key": "v1", "amount": "5.00"}, format="json")
    listed = api_client.get(url)

    payout = Payout.objects.get()
    assert response.status_code == 201, response.content
    assert (payout.organization, payout.amount) == (vendor.organization, Decimal("5.0000"))
    assert listed.json()["results"] == [_body(payout)]
    assert _legs(f"payout:{payout.pk}") == [
        (AccountKind.PAYOUTS_IN_TRANSIT, Decimal("5.0000")),
        (AccountKind.VENDOR_AVAILABLE, Decimal("-5.0000")),
    ]


def test_another_organizations_payouts_are_a_404_and_a_member_cannot_request(vendor, api_client):
    url = reverse("api-organization-payouts", args=[vendor.organization.pk])
    member = MembershipFactory(organization=vendor.organization, role="member").user
    outsider = MembershipFactory(role="owner").user

    api_client.force_login(outsider)
    outsider_list = api_client.get(url)
    outsider_post = api_client.post(url, {"idempotency_key": "x"}, format="json")
    api_client.force_login(member)
    member_post = api_client.post(url, {"idempotency_key": "x"}, format="json")
    member_list = api_client.get(url)

    assert (outsider_list.status_code, outsider_post.status_code) == (404, 404)
    assert member_post.status_code == 403
    assert member_list.status_code == 200
    assert not Payout.objects.exists()


# Pages.


def test_the_worker_page_shows_balances_history_and_pays_out(worker, client):
    client.force_login(worker.user)
    _fund(worker, "3.0050")
    page = client.get(reverse("worker_payouts"))
    key = page.context["request_form"].initial["idempotency_key"]

    posted = client.post(
        reverse("worker_payouts_request"), {"idempotency_key": key, "currency": "USD"}
    )
    after = client.get(reverse("worker_payouts"))

    assert page.status_code == 200
    assert b"3.005" in page.content
    assert b'data-onboarding="manual"' in page.content
    assert posted.status_code == 302
    payout = Payout.objects.get()
    assert f'data-payout-id="{payout.pk}"'.encode() in after.content
    assert b'data-status="in_transit"' in after.content


def test_another_organizations_payout_page_is_a_404(vendor, client):
    client.force_login(MembershipFactory(role="owner").user)

    response = client.get(reverse("organization_payouts", args=[vendor.organization.pk]))
    posted = client.post(
        reverse("organization_payouts_request", args=[vendor.organization.pk]),
        {"idempotency_key": "k", "currency": "USD"},
    )

    assert (response.status_code, posted.status_code) == (404, 404)
    assert not Payout.objects.exists()


# The CSV export and the admin.


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_staff_download_payouts_as_csv_by_status_and_date(worker, staff_client):
    vendor = VendorProfileFactory(organization__name="=cmd()")
    top_up(
        organization_account(
            organization=vendor.organization, kind=AccountKind.VENDOR_AVAILABLE, currency="USD"
        ),
        "2.0000",
    )
    _fund(worker, "7.0000")
    first = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    second = payout_request(
        actor=worker.user, organization=vendor.organization, idempotency_key="k"
    )
    today = timezone.now().date()

    in_transit = staff_client.get(reverse("payouts_export"), {"status": "in_transit"})
    tomorrow = staff_client.get(
        reverse("payouts_export"), {"created_from": str(today + timedelta(days=1))}
    )

    assert in_transit.status_code == 200
    assert in_transit["Content-Type"] == "text/csv; charset=utf-8"
    rows = _rows(in_transit)
    assert rows[0] == {
        "id": str(first.pk),
        "owner": "worker",
        "worker_id": worker.worker_id,
        "organization_id": "",
        "organization": "",
        "email": worker.user.email,
        "amount": "7.00",
        "currency": "USD",
        "status": "in_transit",
        "provider": "manual",
        "created_at": first.created_at.isoformat(),
        "settled_at": "",
        "bank_note": f"Groundwork payout {first.pk}",
    }
    assert rows[1]["organization"] == "'=cmd()"  # never a spreadsheet formula
    assert (rows[1]["id"], rows[1]["owner"]) == (str(second.pk), "organization")
    assert _rows(tomorrow) == []


def test_the_csv_download_is_staff_only(worker, client):
    client.force_login(worker.user)

    response = client.get(reverse("payouts_export"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_marks_payouts_paid_with_a_note(worker, staff, staff_client):
    _fund(worker, "2.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    url = reverse("admin:payments_payout_changelist")
    selection = {"action": "mark_paid", "_selected_action": [payout.pk]}

    asked = staff_client.post(url, selection)
    done = staff_client.post(url, {**selection, "apply": "1", "note": "Wire 42"})

    assert asked.status_code == 200
    assert b"Mark payouts paid" in asked.content
    assert done.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.settled_by) == (PayoutStatus.PAID, staff)
    change = staff_client.get(reverse("admin:payments_payout_change", args=[payout.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content


def test_the_admin_exports_selected_payouts(worker, staff_client):
    _fund(worker, "2.0000")
    payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")

    response = staff_client.post(
        reverse("admin:payments_payout_changelist"),
        {"action": "export_csv", "_selected_action": [payout.pk]},
    )

    assert response.status_code == 200
    assert [row["id"] for row in _rows(response)] == [str(payout.pk)]


def test_a_member_sees_the_vendors_payout_page_and_only_managers_get_the_buttons(vendor, client):
    member = MembershipFactory(organization=vendor.organization, role="member").user
    owner = MembershipFactory(organization=vendor.organization, role="owner").user
    url = reverse("organization_payouts", args=[vendor.organization.pk])

    client.force_login(member)
    as_member = client.get(url)
    client.force_login(owner)
    as_owner = client.get(url)

    assert (as_member.status_code, as_owner.status_code) == (200, 200)
    assert b"8.00" in as_member.content
    assert b'id="pay-out"' not in as_member.content
    assert b'id="pay-out"' in as_owner.content


def test_the_payout_list_takes_as_many_queries_for_many_payouts_as_for_one(worker, worker_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fund(worker, "20.0000")
    payout_request(actor=worker.user, worker=worker, amount=Decimal("1"), idempotency_key="0")
    with CaptureQueriesContext(connection) as one:
        assert len(worker_api.get(reverse("api-work-payouts")).json()["results"]) == 1
    for i in range(1, 6):
        payout_request(
            actor=worker.user, worker=worker, amount=Decimal("1"), idempotency_key=str(i)
        )
    with CaptureQueriesContext(connection) as many:
        assert len(worker_api.get(reverse("api-work-payouts")).json()["results"]) == 6

    assert len(many.captured_queries) == len(one.captured_queries)


@pytest.mark.usefixtures("sharded")
def test_payouts_settle_and_return_across_platform_shards(
    stub, worker, django_capture_on_commit_callbacks
):
    from payments.shards import platform_balance

    _connected(stub, worker)
    _fund(worker, "9.0000")
    stub.fail_next_transfer()
    with django_capture_on_commit_callbacks(execute=True):
        failed = payout_request(
            actor=worker.user, worker=worker, amount=Decimal("5.00"), idempotency_key="a"
        )
        paid = payout_request(
            actor=worker.user, worker=worker, amount=Decimal("4.00"), idempotency_key="b"
        )

    failed.refresh_from_db()
    paid.refresh_from_db()
    assert (failed.status, paid.status) == (PayoutStatus.FAILED, PayoutStatus.PAID)
    assert platform_balance(kind=AccountKind.PAYOUTS_IN_TRANSIT, currency="USD") == 0
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("5.0000")
    assert ledger_reconcile() == []


# Through the signed webhook endpoint (payments.stripe_events' registry).


def _deliver(api_client, django_capture_on_commit_callbacks, settings, event: dict):
    import json

    from stripe import WebhookSignature

    settings.STRIPE_WEBHOOK_SECRET = "whsec_payouts_test"
    payload = json.dumps({**event, "object": "event", "created": int(timezone.now().timestamp())})
    signature = WebhookSignature.generate_signature_header(payload, "whsec_payouts_test")
    with django_capture_on_commit_callbacks(execute=True):
        return api_client.generic(
            "POST",
            "/api/v1/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )


def test_signed_account_updated_and_transfer_reversed_events_reach_the_handlers(
    stub, worker, api_client, settings, django_capture_on_commit_callbacks
):
    onboarding = payout_account_onboard(
        actor=worker.user, worker=worker, return_url="http://t/r", refresh_url="http://t/f"
    )
    account_id = onboarding.payout_account.stripe_account_id
    stub.enable_payouts(account_id)
    updated = {
        "id": "evt_account_1",
        "type": "account.updated",
        "data": {"object": {**stub.accounts[account_id]}},
    }

    response = _deliver(api_client, django_capture_on_commit_callbacks, settings, updated)

    assert response.status_code == 200, response.content
    assert PayoutAccount.objects.get(pk=onboarding.payout_account.pk).payouts_enabled is True

    _fund(worker, "3.0000")
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_request(actor=worker.user, worker=worker, idempotency_key="k")
    payout.refresh_from_db()
    reversal = _reversed(payout.stripe_transfer_id, payout.pk, 300)
    reversal["id"] = "evt_reversal_1"

    first = _deliver(api_client, django_capture_on_commit_callbacks, settings, reversal)
    replay = _deliver(api_client, django_capture_on_commit_callbacks, settings, reversal)

    assert (first.status_code, replay.status_code) == (200, 200)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REVERSED
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_RETURN).count() == 1
    assert _balance(AccountKind.WORKER_AVAILABLE, worker=worker) == Decimal("3.0000")
