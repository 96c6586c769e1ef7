"""Top-ups: a card top-up from the API through localstripe's PaymentIntent and its real signed
webhook to the ledger credit; manual top-ups; bad input, other tenants, Stripe down or off."""

from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.exceptions import InvalidInput, PermissionDenied
from marketplace.models import MembershipRole
from marketplace.services import api_key_create
from payments.ledger import organization_account, platform_account
from payments.models import (
    AccountKind,
    LedgerTransaction,
    Provider,
    StripeEvent,
    TopUp,
    TopUpStatus,
    TransactionKind,
)
from payments.topups import top_up_record_manual
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import key_client, session_client, snapshot
from tests.marketplace.factories import OrganizationFactory
from tests.payments.localstripe import wait_until


def _url(organization, name="api-top-ups", **kwargs):
    return reverse(name, kwargs={"organization_id": organization.pk, **kwargs})


def _available(organization, currency="USD") -> Decimal:
    account = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=currency
    )
    return account.balance


@pytest.fixture
def member_world(db):
    organization = OrganizationFactory()
    member = requester_of(organization)
    return organization, member, session_client(member)


def _credited(top_up_id):
    def check():
        top_up = TopUp.objects.get(pk=top_up_id)
        return top_up if top_up.status == TopUpStatus.SUCCEEDED else None

    return check


@pytest.mark.django_db(transaction=True)
def test_card_top_up_from_payment_intent_to_signed_webhook_to_ledger_credit(stripe_live):
    organization = OrganizationFactory()
    client = session_client(requester_of(organization))

    response = client.post(
        _url(organization), {"amount": "25.00", "idempotency_key": "first"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    top_up = TopUp.objects.get()
    assert body == {
        "top_up": {
            "id": top_up.pk,
            "amount": "25.0000",
            "currency": "USD",
            "provider": "stripe",
            "status": "pending",
            "amount_refunded": "0.0000",
            "failure_message": "",
            "created_at": body["top_up"]["created_at"],
            "succeeded_at": None,
        },
        "client_secret": body["client_secret"],
        "publishable_key": "pk_test_groundwork",
    }
    assert body["client_secret"].startswith(f"{top_up.stripe_payment_intent_id}_secret_")
    intent = stripe_live.client().v1.payment_intents.retrieve(top_up.stripe_payment_intent_id)
    assert (intent.amount, intent.currency) == (2500, "usd")
    assert intent.metadata.to_dict() == {
        "top_up": str(top_up.pk),
        "organization": str(organization.pk),
    }
    assert _available(organization) == 0  # nothing before Stripe says so

    stripe_live.pay(top_up.stripe_payment_intent_id)

    top_up = wait_until(_credited(top_up.pk))
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.processed_at is not None
    assert event.last_error == ""
    posted = LedgerTransaction.objects.get(kind=TransactionKind.TOP_UP)
    assert (posted.idempotency_key, posted.reference) == (
        f"top-up:{top_up.pk}",
        f"top_up:{top_up.pk}",
    )
    assert _available(organization) == Decimal("25.0000")
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD")
    assert clearing.balance == Decimal("-25.0000")
    balance = client.get(_url(organization, "api-balance"))
    assert balance.json() == [{"currency": "USD", "available": "25.0000", "on_hold": "0.0000"}]
    status = client.get(_url(organization, "api-top-up", top_up_id=top_up.pk))
    assert status.json()["status"] == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_the_same_key_returns_the_same_top_up_and_other_parameters_conflict(stripe_live):
    organization = OrganizationFactory()
    client = session_client(requester_of(organization))
    first = client.post(
        _url(organization), {"amount": "10.00", "idempotency_key": "k"}, format="json"
    )
    again = client.post(
        _url(organization), {"amount": "10.00", "idempotency_key": "k"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["top_up"]["id"] == first.json()["top_up"]["id"]
    assert again.json()["client_secret"] == first.json()["client_secret"]
    before = snapshot()
    other = client.post(
        _url(organization), {"amount": "11.00", "idempotency_key": "k"}, format="json"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert snapshot() == before
    assert TopUp.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "0.50"}, "amount"),  # below PAYMENTS_MIN_TOP_UP (1.00)
        ({"amount": "100000.01"}, "amount"),
        ({"amount": "25.001"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({}, "amount"),
        ({"amount": "25.00", "currency": "EUR"}, "currency"),
        ({"amount": "25.00", "currency": "usd"}, "currency"),
        ({"amount": "25.00", "organization": 3}, "organization"),
    ],
)
def test_bad_top_up_input_is_a_400_and_changes_nothing(member_world, stripe_down, payload, field):
    organization, _member, client = member_world
    before = snapshot()

    response = client.post(_url(organization), payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert snapshot() == before


def test_another_organizations_top_ups_and_balance_are_404(member_world, stripe_down):
    _organization, _member, client = member_world
    other = OrganizationFactory()
    before = snapshot()

    assert client.post(_url(other), {"amount": "5.00"}, format="json").status_code == 404
    assert client.get(_url(other)).status_code == 404
    assert client.get(_url(other, "api-balance")).status_code == 404
    top_up = TopUp.objects.create(
        organization=other, amount=5, currency="USD", provider="stripe", idempotency_key="x"
    )
    assert client.get(_url(other, "api-top-up", top_up_id=top_up.pk)).status_code == 404
    top_up.delete()
    assert snapshot() == before


def test_stripe_down_is_a_503_the_top_up_failed_and_nothing_credited(member_world, stripe_down):
    organization, _member, client = member_world

    response = client.post(_url(organization), {"amount": "25.00"}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    top_up = TopUp.objects.get()
    assert top_up.status == TopUpStatus.FAILED
    assert top_up.stripe_payment_intent_id is None
    assert not LedgerTransaction.objects.exists()


def test_without_stripe_card_top_ups_are_off_and_nothing_is_stored(member_world, settings):
    organization, _member, client = member_world
    settings.STRIPE_SECRET_KEY = ""
    before = snapshot()

    response = client.post(_url(organization), {"amount": "25.00"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "card_top_ups_off",
        "message": "Card top-ups are off; ask staff to record a payment.",
        "fields": {},
    }
    assert snapshot() == before


def test_an_api_key_must_send_an_idempotency_key(db, stripe_down):
    organization = OrganizationFactory()
    owner = requester_of(organization, role=MembershipRole.OWNER)
    _key, raw_key = api_key_create(actor=owner, organization=organization, name="script")
    client = key_client(raw_key)
    before = TopUp.objects.count()

    response = client.post(_url(organization), {"amount": "5.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"idempotency_key": ["This field is required."]}
    assert TopUp.objects.count() == before


def test_top_up_list_is_the_organizations_own_newest_first(member_world, django_assert_num_queries):
    organization, _member, client = member_world
    for index in range(3):
        TopUp.objects.create(
            organization=organization,
            amount=Decimal(index + 1),
            currency="USD",
            provider=Provider.STRIPE,
            idempotency_key=f"k{index}",
        )
    TopUp.objects.create(
        organization=OrganizationFactory(),
        amount=9,
        currency="USD",
        provider=Provider.STRIPE,
        idempotency_key="other",
    )

    with django_assert_num_queries(3):  # session and user, membership, the page
        response = client.get(_url(organization))

    assert [row["amount"] for row in response.json()["results"]] == [
        "3.0000",
        "2.0000",
        "1.0000",
    ]


def test_staff_record_a_manual_top_up_from_manual_clearing(db, staff):
    organization = OrganizationFactory()

    top_up = top_up_record_manual(
        actor=staff, organization=organization, amount="40.00", reason="Wire 2026-12-01"
    )

    assert (top_up.provider, top_up.status, top_up.created_by) == (
        Provider.MANUAL,
        TopUpStatus.SUCCEEDED,
        staff,
    )
    posted = LedgerTransaction.objects.get(idempotency_key=f"top-up:{top_up.pk}")
    assert (posted.created_by, posted.reason) == (staff, "Wire 2026-12-01")
    assert _available(organization) == Decimal("40.0000")
    manual = platform_account(kind=AccountKind.MANUAL_CLEARING, currency="USD")
    assert manual.balance == Decimal("-40.0000")


def test_a_manual_top_up_needs_staff_and_a_reason_and_changes_nothing_otherwise(db, staff):
    organization = OrganizationFactory()
    member = requester_of(organization, role=MembershipRole.OWNER)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        top_up_record_manual(actor=member, organization=organization, amount="5", reason="x")
    with pytest.raises(InvalidInput):
        top_up_record_manual(actor=staff, organization=organization, amount="5", reason=" ")
    with pytest.raises(InvalidInput):
        top_up_record_manual(actor=staff, organization=organization, amount="-5", reason="x")
    assert snapshot() == before
