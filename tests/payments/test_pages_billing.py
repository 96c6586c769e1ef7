"""The billing page: balance and history for members, the card form after a top-up is
created by the server, its Content-Security-Policy, refunds for owners and admins only."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import MembershipRole
from payments.models import TopUp
from payments.pages.billing import billing_content_security_policy
from payments.topups import top_up_record_manual
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import snapshot
from tests.marketplace.factories import OrganizationFactory


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db):
    organization = OrganizationFactory()
    member = requester_of(organization)
    return organization, member, _client(member)


def test_members_see_the_balance_and_history(world, staff):
    organization, _member, client = world
    top_up_record_manual(actor=staff, organization=organization, amount="12.50", reason="Wire")

    response = client.get(reverse("org_billing", args=[organization.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-balance-available="USD">12.5' in html
    assert "Manual (recorded by staff)" in html
    assert "Card top-ups are off; ask staff to record a payment." in html
    assert f'action="/organizations/{organization.pk}/billing/refund/"' not in html


def test_other_organizations_billing_is_404(world):
    _organization, _member, client = world
    other = OrganizationFactory()

    assert client.get(reverse("org_billing", args=[other.pk])).status_code == 404
    response = client.post(reverse("org_billing_top_up", args=[other.pk]), {"amount": "5"})
    assert response.status_code == 404


def test_submitting_an_amount_creates_the_top_up_and_shows_the_card_form(world, stripe_api):
    organization, _member, client = world

    response = client.post(
        reverse("org_billing_top_up", args=[organization.pk]),
        {"amount": "20.00", "currency": "USD", "idempotency_key": "page-1"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    top_up = TopUp.objects.get()
    assert top_up.amount == Decimal("20.0000")
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    assert secret.startswith(f"{top_up.stripe_payment_intent_id}_secret_")
    assert f'<script src="{stripe_api.url}/js.stripe.com/v3/"></script>' in html
    assert "js/checkout.js" in html
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_api.url};" in policy
    assert f"connect-src 'self' {stripe_api.url};" in policy
    # The same rendered form submitted again: the same top-up.
    client.post(
        reverse("org_billing_top_up", args=[organization.pk]),
        {"amount": "20.00", "currency": "USD", "idempotency_key": "page-1"},
    )
    assert TopUp.objects.count() == 1


def test_a_bad_amount_re_renders_the_form_and_changes_nothing(world, stripe_down):
    organization, _member, client = world
    before = snapshot()

    response = client.post(
        reverse("org_billing_top_up", args=[organization.pk]),
        {"amount": "0.10", "currency": "USD", "idempotency_key": "k"},
    )

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1.00." in response.content.decode()
    assert snapshot() == before


def test_production_policy_allows_only_stripes_origins(settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"

    policy = billing_content_security_policy()

    assert "script-src 'self' https://js.stripe.com;" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com;" in policy
    assert "connect-src 'self' https://api.stripe.com;" in policy
    assert "unsafe-inline" not in policy


def test_only_owners_and_admins_get_the_refund_form_and_may_post_it(world):
    organization, _member, client = world
    admin = _client(requester_of(organization, role=MembershipRole.ADMIN))
    before = snapshot()

    response = client.post(
        reverse("org_billing_refund", args=[organization.pk]),
        {"amount": "1.00", "currency": "USD", "idempotency_key": "k"},
    )
    assert response.status_code == 403
    assert snapshot() == before
    page = admin.get(reverse("org_billing", args=[organization.pk])).content.decode()
    assert f'action="/organizations/{organization.pk}/billing/refund/"' in page
    refused = admin.post(
        reverse("org_billing_refund", args=[organization.pk]),
        {"amount": "1.00", "currency": "USD", "idempotency_key": "k"},
    )
    assert refused.status_code == 402
    assert "Short by 1.0000 USD." in refused.content.decode()
