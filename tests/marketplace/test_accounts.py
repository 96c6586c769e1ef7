"""Account flows end to end through allauth: sign up, verify, log in and out, passwords."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from marketplace.models import User
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a-Sturdy-passphrase-42"


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in `message` that starts with `path_prefix`."""
    match = re.search(rf"https?://testserver({re.escape(path_prefix)}\S*)", message.body)
    assert match, message.body
    return match.group(1)


def logged_in_user_id(client):
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def test_signup_sends_a_verification_link_that_confirms_and_logs_in(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_verified_email
    assert logged_in_user_id(client) is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.com"]
    confirm_path = link_in(mailoutbox[0], "/accounts/confirm-email/")

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert b"Confirm Email Address" in page.content
    assert b"new.person@example.com" in page.content
    assert not user.has_verified_email  # a GET alone does not confirm

    response = client.post(confirm_path)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert user.has_verified_email
    assert logged_in_user_id(client) == user.pk
    dashboard = client.get(reverse("home"))
    assert b"Your organizations" in dashboard.content


def test_signup_page_renders_inside_the_site_layout(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/groundwork.css">' in content
    assert 'class="site-header"' in content
    assert 'class="entrance"' in content
    assert 'name="password1"' in content


def test_login_before_verification_is_refused_and_resends_the_link(client, mailoutbox):
    user = UserFactory(verified=False)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None
    assert len(mailoutbox) == 1
    assert link_in(mailoutbox[0], "/accounts/confirm-email/")


def test_login_with_a_verified_email_logs_in(client):
    user = UserFactory()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) == user.pk


def test_login_with_a_wrong_password_shows_an_error(client):
    user = UserFactory()

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "not the password"}
    )

    assert response.status_code == 200
    assert b"The email address and/or password you specified are not correct." in response.content
    assert b'class="form-errors"' in response.content
    assert logged_in_user_id(client) is None


def test_logout_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    assert client.get(reverse("organization_list"))["Location"].startswith(reverse("account_login"))


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_with_a_wrong_current_password_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert b"Please type your current password." in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_by_email_link_then_login_with_the_new_password(client, mailoutbox):
    user = UserFactory()

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    key_path = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    # allauth moves the key into the session and redirects to a key-free URL.
    set_password_page = client.get(key_path, follow=True)
    assert set_password_page.status_code == 200
    assert b"Change Password" in set_password_page.content
    form_path = set_password_page.redirect_chain[-1][0]

    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == user.pk


def test_password_reset_link_works_once(client, mailoutbox):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    key_path = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    form_path = client.get(key_path, follow=True).redirect_chain[-1][0]
    client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    response = client.get(key_path, follow=True)

    assert response.status_code == 200
    assert b"Bad Token" in response.content


def test_signup_with_an_existing_email_creates_no_account(client, mailoutbox):
    """allauth prevents account enumeration: the page looks the same, the owner is told."""
    existing = UserFactory(email="taken@example.com")

    response = client.post(
        reverse("account_signup"),
        {"email": "TAKEN@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert list(User.objects.values_list("email", flat=True)) == [existing.email]
    assert EmailAddress.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert logged_in_user_id(client) is None
    assert len(mailoutbox) == 1
    assert "/accounts/confirm-email/" not in mailoutbox[0].body
    assert mailoutbox[0].to == ["taken@example.com"]
    assert mailoutbox[0].subject == "[Groundwork] Account Already Exists"


def test_signup_with_mismatched_passwords_shows_the_error_and_creates_nothing(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {"email": "someone@example.com", "password1": NEW_PASSWORD, "password2": "other-Pass-99"},
    )

    assert response.status_code == 200
    assert b"You must type the same password each time." in response.content
    assert b'class="field-errors"' in response.content
    assert not User.objects.exists()
    assert mailoutbox == []
