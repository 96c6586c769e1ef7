"""Storefront invariants the database itself enforces, and the models' small helpers."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.models import (
    InvitationStatus,
    Membership,
    MembershipRole,
    OrganizationEvent,
    User,
    validate_language_tags,
)
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)


def _violates(constraint: str, create) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        create()


@pytest.mark.django_db
def test_a_membership_role_outside_the_choices_is_refused():
    membership = MembershipFactory.build(
        organization=OrganizationFactory(), user=UserFactory(), role="superuser"
    )

    _violates("membership_role_valid", membership.save)
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_a_user_is_a_member_of_an_organization_at_most_once():
    membership = MembershipFactory()

    _violates(
        "membership_one_per_user_per_org",
        lambda: Membership.objects.create(
            organization=membership.organization, user=membership.user, role=MembershipRole.ADMIN
        ),
    )
    assert Membership.objects.get() == membership


@pytest.mark.django_db
def test_an_address_has_one_pending_invitation_per_organization_whatever_its_case():
    invitation = InvitationFactory(email="ann@example.com")

    _violates(
        "invitation_one_pending_per_email",
        lambda: InvitationFactory(organization=invitation.organization, email="ANN@example.com"),
    )


@pytest.mark.django_db
def test_closed_invitations_do_not_block_a_new_pending_one():
    invitation = InvitationFactory(email="ann@example.com", status=InvitationStatus.REVOKED)

    again = InvitationFactory(organization=invitation.organization, email="ann@example.com")

    assert again.status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_an_invitation_role_or_status_outside_the_choices_is_refused():
    _violates("invitation_role_valid", lambda: InvitationFactory(role="king"))
    _violates("invitation_status_valid", lambda: InvitationFactory(status="lost"))


@pytest.mark.django_db
def test_an_organization_event_kind_outside_the_choices_is_refused():
    organization = OrganizationFactory()

    _violates(
        "orgevent_kind_valid",
        lambda: OrganizationEvent.objects.create(organization=organization, kind="hacked"),
    )
    assert not OrganizationEvent.objects.exists()


@pytest.mark.django_db
def test_two_users_cannot_share_an_email_in_different_case():
    UserFactory(email="ann@example.com")

    _violates(
        "user_email_ci_unique",
        lambda: User.objects.bulk_create([User(email="Ann@Example.com", password="!")]),
    )


@pytest.mark.django_db
def test_create_user_lower_cases_the_email_and_needs_one():
    user = User.objects.create_user("Ann@Example.COM", "a long enough password")

    assert user.email == "ann@example.com"
    assert user.check_password("a long enough password")
    assert (user.is_staff, user.is_superuser) == (False, False)
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", "password")


@pytest.mark.django_db
def test_create_superuser_makes_staff():
    user = User.objects.create_superuser("root@example.com", "a long enough password")

    assert (user.is_staff, user.is_superuser) == (True, True)


@pytest.mark.django_db
def test_has_verified_email_follows_allauth_verification():
    assert UserFactory().has_verified_email is True
    assert UserFactory(verified=False).has_verified_email is False


@pytest.mark.django_db
def test_an_invitation_is_expired_from_its_expiry_time():
    assert InvitationFactory(expires_at=timezone.now() - timedelta(seconds=1)).is_expired
    assert not InvitationFactory(expires_at=timezone.now() + timedelta(minutes=1)).is_expired


@pytest.mark.parametrize("tags", [[], ["en"], ["pt-BR", "zh-Hant-TW", "fil"]])
def test_language_tags_accepts_bcp47_lists(tags):
    validate_language_tags(tags)


@pytest.mark.parametrize(
    "tags",
    [
        "en",
        ["english"],
        ["e"],
        ["en_US"],
        [1],
        ["en", "EN"],
        ["en-" + "x" * 40],
        ["en"] + [f"x{i:02d}" for i in range(30)],
    ],
)
def test_language_tags_refuses_anything_else(tags):
    with pytest.raises(ValidationError):
        validate_language_tags(tags)
