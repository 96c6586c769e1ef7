"""Stripe Connect onboarding against the recording stub: an Express account once per worker
or vendor, an account link back to the payouts page, and account.updated / the return page
flipping payouts_enabled."""

import pytest
from django.urls import reverse

from payments.models import PayoutAccount
from payments.payouts import payout_account_onboard, stripe_account_updated
from tests.marketplace.factories import MembershipFactory, VendorProfileFactory
from tests.payments.stripe_stub import stripe_pointed_at_stub
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub(settings):
    with stripe_pointed_at_stub(settings) as stub:
        yield stub
    assert stub.problems == []


@pytest.fixture
def worker():
    return WorkerProfileFactory()


@pytest.fixture
def worker_client(client, worker):
    client.force_login(worker.user)
    return client


def _api(client, worker):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(worker.user)
    return api


def _account_updated(account_id: str, *, details_submitted=True, payouts_enabled=True) -> dict:
    return {
        "id": "evt_1",
        "type": "account.updated",
        "data": {
            "object": {
                "id": account_id,
                "object": "account",
                "details_submitted": details_submitted,
                "payouts_enabled": payouts_enabled,
            }
        },
    }


def test_onboarding_creates_an_express_account_and_a_link_back_to_the_page(stub, worker):
    api = _api(None, worker)

    response = api.post(reverse("api-work-payout-account"), {}, format="json")

    assert response.status_code == 201, response.content
    account = PayoutAccount.objects.get(worker=worker)
    assert response.json() == {
        "stripe_enabled": True,
        "has_account": True,
        "details_submitted": False,
        "payouts_enabled": False,
        "provider": "manual",
        "onboarding_url": f"https://connect.stripe.test/setup/e/{account.stripe_account_id}/2",
    }
    [create] = stub.recorded("POST", "/v1/accounts")
    assert create.idempotency_key == f"payout-account:worker:{worker.pk}"
    assert create.form == {
        "type": "express",
        "capabilities[transfers][requested]": "true",
        "metadata[groundwork_worker_id]": worker.worker_id,
    }
    [link] = stub.recorded("POST", "/v1/account_links")
    assert link.form == {
        "account": account.stripe_account_id,
        "type": "account_onboarding",
        "refresh_url": "http://testserver/worker/payouts/?onboarding=refresh",
        "return_url": "http://testserver/worker/payouts/?onboarding=return",
    }


def test_onboarding_again_reuses_the_account_and_makes_a_new_link(stub, worker):
    urls = {"return_url": "http://testserver/r", "refresh_url": "http://testserver/f"}
    first = payout_account_onboard(actor=worker.user, worker=worker, **urls)
    second = payout_account_onboard(actor=worker.user, worker=worker, **urls)

    assert first.payout_account.pk == second.payout_account.pk
    assert first.url != second.url
    assert len(stub.recorded("POST", "/v1/accounts")) == 1
    assert len(stub.recorded("POST", "/v1/account_links")) == 2
    assert PayoutAccount.objects.count() == 1


def test_account_updated_flips_payouts_enabled_and_is_idempotent(stub, worker):
    onboarding = payout_account_onboard(
        actor=worker.user, worker=worker, return_url="http://t/r", refresh_url="http://t/f"
    )
    account_id = onboarding.payout_account.stripe_account_id

    stripe_account_updated(_account_updated(account_id))
    stripe_account_updated(_account_updated(account_id))

    account = PayoutAccount.objects.get(pk=onboarding.payout_account.pk)
    assert (account.details_submitted, account.payouts_enabled) == (True, True)

    stripe_account_updated(_account_updated(account_id, payouts_enabled=False))
    account.refresh_from_db()
    assert account.payouts_enabled is False


def test_account_updated_for_an_unknown_account_changes_nothing(stub):
    stripe_account_updated(_account_updated("acct_nobody"))

    assert not PayoutAccount.objects.exists()


def test_the_return_page_reads_the_account_back_from_stripe(stub, worker, worker_client):
    onboarding = payout_account_onboard(
        actor=worker.user, worker=worker, return_url="http://t/r", refresh_url="http://t/f"
    )
    stub.enable_payouts(onboarding.payout_account.stripe_account_id)

    response = worker_client.get(reverse("worker_payouts") + "?onboarding=return")

    assert response.status_code == 200
    assert b'data-onboarding="done"' in response.content
    onboarding.payout_account.refresh_from_db()
    assert onboarding.payout_account.payouts_enabled is True
    assert stub.recorded("GET", f"/v1/accounts/{onboarding.payout_account.stripe_account_id}")


def test_the_onboard_button_redirects_to_stripe(stub, worker, worker_client):
    response = worker_client.post(reverse("worker_payouts_onboard"))

    assert response.status_code == 302
    assert response["Location"].startswith("https://connect.stripe.test/setup/e/acct_stub")


def test_stripe_down_is_a_503_and_stores_no_account(stub, worker):
    stub.drop_next(3)

    response = _api(None, worker).post(reverse("api-work-payout-account"), {}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert not PayoutAccount.objects.exists()


def test_without_stripe_onboarding_is_a_503_and_the_page_says_staff_pay(settings, worker):
    settings.STRIPE_SECRET_KEY = ""
    api = _api(None, worker)

    response = api.post(reverse("api-work-payout-account"), {}, format="json")
    state = api.get(reverse("api-work-payout-account"))

    assert response.status_code == 503
    assert state.json() == {
        "stripe_enabled": False,
        "has_account": False,
        "details_submitted": False,
        "payouts_enabled": False,
        "provider": "manual",
    }
    assert not PayoutAccount.objects.exists()


def test_unknown_fields_are_refused(stub, worker):
    response = _api(None, worker).post(
        reverse("api-work-payout-account"), {"type": "standard"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"type": ["Unknown field."]}
    assert stub.requests == []


def test_a_vendor_admin_onboards_the_organization(stub, api_client):
    vendor = VendorProfileFactory()
    admin = MembershipFactory(organization=vendor.organization, role="admin").user
    api_client.force_login(admin)
    url = reverse("api-organization-payout-account", args=[vendor.organization.pk])

    response = api_client.post(url, {}, format="json")

    assert response.status_code == 201, response.content
    account = PayoutAccount.objects.get(organization=vendor.organization)
    [create] = stub.recorded("POST", "/v1/accounts")
    assert create.idempotency_key == f"payout-account:organization:{vendor.organization.pk}"
    [link] = stub.recorded("POST", "/v1/account_links")
    assert link.form["account"] == account.stripe_account_id
    assert link.form["return_url"].endswith(
        f"/organizations/{vendor.organization.pk}/payouts/?onboarding=return"
    )


def test_a_plain_member_cannot_onboard_and_another_organization_is_a_404(stub, api_client):
    vendor = VendorProfileFactory()
    member = MembershipFactory(organization=vendor.organization, role="member").user
    outsider = MembershipFactory(role="owner").user
    url = reverse("api-organization-payout-account", args=[vendor.organization.pk])

    api_client.force_login(member)
    as_member = api_client.post(url, {}, format="json")
    api_client.force_login(outsider)
    as_outsider = api_client.post(url, {}, format="json")
    outsider_read = api_client.get(url)

    assert as_member.status_code == 403
    assert as_outsider.status_code == 404
    assert outsider_read.status_code == 404
    assert stub.requests == []
    assert not PayoutAccount.objects.exists()


def test_an_organization_that_is_not_a_vendor_is_not_onboarded(stub, api_client):
    owner = MembershipFactory(role="owner")
    api_client.force_login(owner.user)
    url = reverse("api-organization-payout-account", args=[owner.organization.pk])

    response = api_client.post(url, {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_vendor"
    assert stub.requests == []
