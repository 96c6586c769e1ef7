"""The checkout page in a real browser against localstripe's Stripe.js stand-in: an amount
submitted, the card form from Stripe.js, confirmCardPayment, "Payment received", then the
page polls until localstripe's signed webhook has credited the balance.

localstripe's stand-in can only complete the 3D Secure step of a payment (its
confirmCardPayment does not attach the typed card), so the test attaches a 3D Secure test
card to the PaymentIntent server-side before pressing Pay, as Stripe's own card Element
would; the browser then completes authentication in the stand-in's dialog.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from payments.ledger import organization_account
from payments.models import AccountKind, TopUp, TopUpStatus
from tests.browser.test_labeling import log_in
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory
from tests.payments.localstripe import (  # noqa: F401 - fixtures used by name below
    CARD_3DS,
    localstripe_server,
    stripe_api,
    stripe_live,
    wait_until,
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stripe_live")
def test_a_requester_tops_up_by_card_on_the_billing_page(page, live_server, request):
    localstripe = request.getfixturevalue("stripe_live")
    organization = OrganizationFactory(name="Acme Labs", funded=False)
    log_in(page, live_server, requester_of(organization))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/organizations/{organization.pk}/billing/")
    page.get_by_label("Amount").fill("20.00")
    page.get_by_role("button", name="Continue to payment").click()

    pay = page.get_by_role("button", name="Pay 20.00 USD")
    expect(pay).to_be_enabled()  # checkout.js mounted Stripe.js's card element
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()
    top_up = TopUp.objects.get()
    assert top_up.amount == Decimal("20.0000")
    client = localstripe.client()
    method = client.v1.payment_methods.create(params={"type": "card", "card": CARD_3DS})
    client.v1.payment_intents.update(
        top_up.stripe_payment_intent_id, params={"payment_method": method.id}
    )
    client.v1.payment_intents.confirm(top_up.stripe_payment_intent_id)  # needs 3D Secure
    page.locator("#card-element input[placeholder=number]").fill(CARD_3DS["number"])

    pay.click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.locator("#checkout-message")).to_have_text(
        "Payment received; your balance is credited when Stripe confirms it."
    )
    expect(page.locator("#checkout-message")).to_have_text(
        "Your balance is credited.", timeout=20_000
    )
    top_up.refresh_from_db()
    assert top_up.status == TopUpStatus.SUCCEEDED
    available = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    assert available.balance == Decimal("20.0000")
    expect(page.locator('[data-balance-available="USD"]')).to_have_text("20", timeout=10_000)
    assert errors == []
