"""Two-factor authentication: TOTP for every user, required for staff before anything else."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


def totp_code(secret: str, *, offset: int = 0) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def wrong_code(secret: str) -> str:
    """A six-digit code valid in no nearby time window."""
    nearby = {totp_code(secret, offset=offset) for offset in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in nearby)


def log_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def open_activation_page(client):
    """allauth asks for the password again before adding an authenticator."""
    activate_url = reverse("mfa_activate_totp")
    response = client.get(activate_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD, "next": activate_url})
    assert response.status_code == 302
    assert response["Location"] == activate_url
    page = client.get(activate_url)
    assert page.status_code == 200
    return page


def logged_in_user_id(client):
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def test_user_activates_totp_and_then_login_asks_for_a_code(client):
    user = UserFactory()
    log_in(client, user)
    page = open_activation_page(client)
    assert b"Activate Authenticator App" in page.content
    secret = client.session[SECRET_SESSION_KEY]
    assert secret.encode() in page.content  # shown for manual entry beside the QR code

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client.post(reverse("account_logout"))
    response = log_in(client, user)
    assert response["Location"] == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None

    refused = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
    assert refused.status_code == 200
    assert b"Incorrect code." in refused.content
    assert logged_in_user_id(client) is None

    accepted = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert accepted.status_code == 302
    assert logged_in_user_id(client) == user.pk


def test_activation_with_a_wrong_code_activates_nothing(client):
    user = UserFactory()
    log_in(client, user)
    open_activation_page(client)
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})

    assert response.status_code == 200
    assert b"Incorrect code." in response.content
    assert not Authenticator.objects.filter(user=user).exists()


def test_two_factor_index_renders_in_the_account_layout(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("mfa_index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="side-nav"' in content
    assert "An authenticator app is not active." in content
    assert f'href="{reverse("mfa_activate_totp")}"' in content


@pytest.mark.parametrize("path", ["/", "/admin/", "/organizations/", "/worker/"])
def test_staff_without_totp_are_sent_to_activation(client, path):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_totp_get_a_json_403_from_the_api(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get("/api/v1/me/")

    assert response.status_code == 403
    assert response.json() == {
        "code": "two_factor_required",
        "message": "Staff accounts must turn on two-factor authentication first.",
        "fields": {},
    }


def test_staff_without_totp_can_still_set_it_up(client):
    staff = UserFactory(is_staff=True)
    log_in(client, staff)

    open_activation_page(client)
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_with_totp_reach_the_admin(client):
    staff = UserFactory(is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"Groundwork administration" in response.content


def test_non_staff_without_totp_are_not_redirected(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get("/").status_code == 200
