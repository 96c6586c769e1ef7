"""The README's promise, in a real browser: sign up, verify, log in, turn on two-factor,
create an organization, invite a member, create an API key, and call /api/v1/ with it."""

import json
import re
import time
import urllib.request

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from marketplace.models import ApiKey, Invitation, Membership

PASSWORD = "a long demo passphrase 42"
SUBMIT = "main form button[type=submit]"  # the header holds a log-out form too


def totp_code(secret: str, *, offset: int = 0) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


@pytest.mark.django_db(transaction=True)
def test_a_newcomer_gets_from_sign_up_to_an_api_call(page, live_server, settings):
    settings.SITE_URL = live_server.url
    # A code is good once; the log-in at the end uses the next window's code.
    settings.MFA_TOTP_TOLERANCE = 1
    email = "newcomer@example.com"

    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click(SUBMIT)
    page.wait_for_url("**/accounts/confirm-email/")
    assert len(mail.outbox) == 1

    page.goto(link_in(mail.outbox[0]).replace("http://testserver", live_server.url))
    page.click(SUBMIT)
    page.wait_for_url(f"{live_server.url}/")
    assert email in page.content()

    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.click(SUBMIT)
    page.wait_for_selector("#authenticator_secret", state="attached")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click(SUBMIT)
    page.wait_for_url("**/2fa/**")
    assert "/activate/" not in page.url

    page.goto(f"{live_server.url}/organizations/new/")
    page.fill("input[name=name]", "Walkthrough Labs")
    page.click(SUBMIT)
    page.wait_for_url(re.compile(r".*/organizations/\d+/$"))
    assert "Walkthrough Labs" in page.inner_text("h1")

    page.fill("input[name=email]", "colleague@example.com")
    page.click("text=Send invitation")
    page.wait_for_load_state()
    invitation = Invitation.objects.get(email="colleague@example.com")
    assert invitation.organization.name == "Walkthrough Labs"
    assert mail.outbox[-1].to == ["colleague@example.com"]

    page.fill("#api-keys input[name=name], form[action*=api-keys] input[name=name]", "CI")
    page.click("text=Create key")
    page.wait_for_selector("#new-api-key")
    raw_key = page.inner_text("#new-api-key").strip()
    assert ApiKey.objects.get(name="CI").prefix in raw_key
    page.reload()
    assert raw_key not in page.content()  # shown once

    api_url = f"{live_server.url}/api/v1/"
    request = urllib.request.Request(api_url, headers={"Authorization": f"Api-Key {raw_key}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        body = json.load(response)
    assert body["authenticated_as"] == email
    assert body["api_key"]["organization_id"] == invitation.organization_id
    assert Membership.objects.get(user__email=email).role == "owner"

    page.click("header button:has-text('Log out')")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click(SUBMIT)
    page.wait_for_url("**/2fa/authenticate/")
    page.fill("input[name=code]", totp_code(secret, offset=1))
    page.click(SUBMIT)
    page.wait_for_url(f"{live_server.url}/")
    assert "Walkthrough Labs" in page.content()
