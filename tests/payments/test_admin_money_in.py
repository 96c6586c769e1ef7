"""Money in through admin: staff record a manual top-up and refund through the services
(staff user and reason recorded); top-ups, refunds and Stripe events are read-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import LedgerTransaction, Refund, StripeEvent, TopUp
from payments.topups import top_up_succeed
from tests.marketplace.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_staff_record_a_manual_top_up_in_admin(staff_client, staff):
    organization = OrganizationFactory()
    url = reverse("admin:payments_topup_record_manual")

    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {
            "organization": organization.pk,
            "amount": "15.00",
            "currency": "USD",
            "reason": "Bank transfer 42",
            "idempotency_key": "form-1",
        },
    )

    assert response.status_code == 302
    top_up = TopUp.objects.get()
    assert (top_up.provider, top_up.status, top_up.created_by) == ("manual", "succeeded", staff)
    posted = LedgerTransaction.objects.get()
    assert (posted.reason, posted.created_by) == ("Bank transfer 42", staff)
    listing = staff_client.get(reverse("admin:payments_topup_changelist"))
    assert listing.status_code == 200
    assert b"Record a manual top-up" in listing.content
    assert staff_client.get(reverse("admin:payments_topup_add")).status_code == 403


def test_staff_refund_in_admin_records_the_staff_user_and_reason(
    staff_client, staff, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = ""  # the Stripe call is not under test here
    organization = OrganizationFactory()
    top_up = TopUp.objects.create(
        organization=organization,
        amount=Decimal(10),
        currency="USD",
        provider="stripe",
        idempotency_key="k",
        stripe_payment_intent_id="pi_a",
    )
    top_up_succeed(top_up_id=top_up.pk, payment_intent_id="pi_a", amount_cents=1000, currency="usd")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:payments_refund_staff_refund"),
            {
                "organization": organization.pk,
                "amount": "4.00",
                "currency": "USD",
                "reason": "Customer asked by email",
                "idempotency_key": "form-2",
            },
        )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.created_by, refund.reason) == (
        Decimal("4.0000"),
        staff,
        "Customer asked by email",
    )
    posted = LedgerTransaction.objects.get(idempotency_key=f"refund:{refund.pk}")
    assert posted.created_by == staff
    assert staff_client.get(reverse("admin:payments_refund_changelist")).status_code == 200


def test_an_admin_refund_above_the_balance_shows_the_error_and_changes_nothing(
    staff_client,
):
    organization = OrganizationFactory()

    response = staff_client.post(
        reverse("admin:payments_refund_staff_refund"),
        {
            "organization": organization.pk,
            "amount": "4.00",
            "currency": "USD",
            "reason": "x",
            "idempotency_key": "form-3",
        },
    )

    assert response.status_code == 200
    assert b"more is needed for this refund" in response.content
    assert not Refund.objects.exists()


def test_stripe_events_are_read_only_and_can_be_processed_again(staff_client):
    event = StripeEvent.objects.create(event_id="evt_x", type="customer.created", payload={})

    assert staff_client.get(reverse("admin:payments_stripeevent_changelist")).status_code == 200
    staff_client.post(
        reverse("admin:payments_stripeevent_changelist"),
        {"action": "process_again", "_selected_action": [event.pk]},
    )

    event.refresh_from_db()
    assert event.processed_at is not None
    assert staff_client.get(reverse("admin:payments_stripeevent_add")).status_code == 403
