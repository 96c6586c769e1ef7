"""The invitation page: new and existing users join through the emailed link, once."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Invitation, InvitationStatus, Membership, MembershipRole, User
from marketplace.selectors import invitation_token
from tests.marketplace.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a-Sturdy-passphrase-42"


def invitation_path(invitation) -> str:
    return reverse("invitation_detail", kwargs={"token": invitation_token(invitation)})


def logged_in_user_id(client):
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def test_anonymous_visit_explains_and_offers_signup_and_login(client):
    invitation = InvitationFactory(email="new@example.com", role=MembershipRole.ADMIN)
    path = invitation_path(invitation)

    response = client.get(path)

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Join {invitation.organization.name}" in content
    assert "new@example.com" in content
    assert "Admin" in content
    signup = reverse("account_signup") + "?" + urlencode({"next": path, "email": "new@example.com"})
    login = reverse("account_login") + "?" + urlencode({"next": path})
    assert f'href="{signup.replace("&", "&amp;")}"' in content
    assert f'href="{login}"' in content


def test_new_user_signs_up_from_the_link_without_a_second_email_and_joins(client, mailoutbox):
    invitation = InvitationFactory(email="new@example.com", role=MembershipRole.ADMIN)
    path = invitation_path(invitation)
    client.get(path)
    signup_page = client.get(reverse("account_signup"), {"next": path, "email": "new@example.com"})
    assert 'value="new@example.com"' in signup_page.content.decode()

    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "next": path,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == path
    user = User.objects.get(email="new@example.com")
    assert logged_in_user_id(client) == user.pk
    assert EmailAddress.objects.get(user=user).verified
    assert mailoutbox == []
    assert b"Accept invitation" in client.get(path).content

    accepted = client.post(path)

    assert accepted.status_code == 302
    assert accepted["Location"] == reverse(
        "organization_detail", kwargs={"organization_id": invitation.organization_id}
    )
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role) == (invitation.organization, "admin")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, user)


def test_signing_up_from_the_link_with_another_address_still_needs_verification(client, mailoutbox):
    invitation = InvitationFactory(email="invited@example.com")
    path = invitation_path(invitation)
    client.get(path)

    response = client.post(
        reverse("account_signup"),
        {"email": "someone.else@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="someone.else@example.com")
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("someone.else@example.com", False)
    ]
    assert logged_in_user_id(client) is None
    assert not User.objects.filter(email="invited@example.com").exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["someone.else@example.com"]
    assert not Membership.objects.exists()


def test_existing_user_logs_in_from_the_link_and_joins(client):
    user = UserFactory(email="member@example.com")
    invitation = InvitationFactory(email="member@example.com")
    path = invitation_path(invitation)
    client.get(path)

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": path}
    )

    assert response.status_code == 302
    assert response["Location"] == path
    accepted = client.post(path)
    assert accepted.status_code == 302
    assert Membership.objects.filter(user=user, organization=invitation.organization).exists()


def test_anonymous_accept_asks_to_log_in_and_changes_nothing(client):
    invitation = InvitationFactory()
    path = invitation_path(invitation)

    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?" + urlencode({"next": path})
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.exists()


def test_expired_invitation_is_a_410_page_and_is_not_accepted(client):
    user = UserFactory(email="late@example.com")
    invitation = InvitationFactory(
        email="late@example.com", expires_at=timezone.now() - timedelta(minutes=1)
    )
    path = invitation_path(invitation)

    anonymous = client.get(path)
    assert anonymous.status_code == 410
    assert "This invitation has expired. Ask for a new one." in anonymous.content.decode()
    assert client.session.get("account_verified_email") is None
    client.force_login(user)

    response = client.post(path)

    assert response.status_code == 410
    assert "Invitation expired" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.exists()


def test_used_invitation_is_a_409_page(client):
    first = UserFactory(email="once@example.com")
    invitation = InvitationFactory(email="once@example.com")
    path = invitation_path(invitation)
    client.force_login(first)
    assert client.post(path).status_code == 302
    client.logout()

    assert client.get(path).status_code == 409
    client.force_login(first)
    response = client.post(path)

    assert response.status_code == 409
    assert "This invitation has already been used." in response.content.decode()
    assert Membership.objects.count() == 1


def test_revoked_invitation_is_a_410_page(client):
    invitation = InvitationFactory(status=InvitationStatus.REVOKED)

    response = client.get(invitation_path(invitation))

    assert response.status_code == 410
    assert "This invitation has been withdrawn." in response.content.decode()


def test_forged_link_is_a_404_page(client):
    invitation = InvitationFactory()
    token = invitation_token(invitation)

    response = client.get(reverse("invitation_detail", kwargs={"token": token[:-2] + "xx"}))

    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()
    assert invitation.organization.name not in response.content.decode()


def test_invitation_for_another_address_is_a_403_page(client):
    stranger = UserFactory(email="stranger@example.com")
    invitation = InvitationFactory(email="invited@example.com")
    path = invitation_path(invitation)
    client.force_login(stranger)
    page = client.get(path)
    assert "You are logged in as stranger@example.com." in page.content.decode()

    response = client.post(path)

    assert response.status_code == 403
    assert "This invitation was sent to invited@example.com." in response.content.decode()
    assert "Log out and switch account" in response.content.decode()
    assert Invitation.objects.get().status == InvitationStatus.PENDING
    assert not Membership.objects.exists()
