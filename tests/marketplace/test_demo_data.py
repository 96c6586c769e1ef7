"""`manage.py demo_data`: what it creates, that a second run changes nothing, and its output."""

import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.test import override_settings

from marketplace.models import (
    ApiKey,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    User,
    VendorProfile,
)
from workforce.models import WorkerProfile

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    EmailAddress,
    Organization,
    Membership,
    Invitation,
    VendorProfile,
    WorkerProfile,
    OrganizationEvent,
    ApiKey,
]


def run_demo_data() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_creates_the_promised_accounts_and_organizations():
    run_demo_data()

    assert counts() == {
        "User": 10,
        "EmailAddress": 10,
        "Organization": 2,
        "Membership": 4,
        "Invitation": 1,
        "VendorProfile": 1,
        "WorkerProfile": 5,
        # created x2, vendor profile, invitation
        "OrganizationEvent": 4,
        "ApiKey": 0,
    }
    admin = User.objects.get(email="admin@demo.groundwork.test")
    assert list(User.objects.filter(is_staff=True)) == [admin]
    assert admin.is_superuser
    assert admin.check_password("groundwork-demo")
    assert set(EmailAddress.objects.values_list("verified", "primary")) == {(True, True)}
    assert all(user.has_verified_email for user in User.objects.all())


def test_organizations_have_their_members_vendor_profile_and_invitation():
    run_demo_data()

    acme = Organization.objects.get(name="Acme Vision")
    labelworks = Organization.objects.get(name="LabelWorks")
    assert set(acme.memberships.values_list("user__email", "role")) == {
        ("owner@demo.groundwork.test", MembershipRole.OWNER),
        ("member@demo.groundwork.test", MembershipRole.MEMBER),
    }
    assert labelworks.memberships.count() == 2
    assert labelworks.memberships.filter(role=MembershipRole.OWNER).count() == 1
    assert labelworks.vendor_profile.display_name == "LabelWorks"
    assert not hasattr(acme, "vendor_profile")
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.email, invitation.status) == (
        acme,
        "invitee@demo.groundwork.test",
        InvitationStatus.PENDING,
    )
    assert not invitation.is_expired


def test_workers_have_well_formed_ids_countries_and_languages():
    run_demo_data()

    profiles = list(WorkerProfile.objects.select_related("user"))
    assert len(profiles) == 5
    assert all(re.fullmatch(r"A[A-Z0-9]{12,20}", profile.worker_id) for profile in profiles)
    assert len({profile.country for profile in profiles}) == 5
    assert all(re.fullmatch(r"[A-Z]{2}", profile.country) for profile in profiles)
    assert all(profile.languages for profile in profiles)
    assert not Membership.objects.filter(user__worker_profile__isnull=False).exists()


def test_running_twice_changes_nothing():
    run_demo_data()
    before = counts()
    worker_ids = set(WorkerProfile.objects.values_list("worker_id", flat=True))
    password_hashes = set(User.objects.values_list("password", flat=True))

    run_demo_data()

    assert counts() == before
    assert set(WorkerProfile.objects.values_list("worker_id", flat=True)) == worker_ids
    assert set(User.objects.values_list("password", flat=True)) == password_hashes
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_prints_urls_logins_and_what_to_expect():
    output = run_demo_data()

    for url in [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/api/v1/",
        "http://127.0.0.1:8000/api/docs/",
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:8000/healthz",
    ]:
        assert url in output
    for user in User.objects.all():
        assert user.email in output
    assert "groundwork-demo" in output
    assert "two-factor" in output
    assert "printed on this console" in output
    assert "http://127.0.0.1:8000/invitations/" in output


@override_settings(SETTINGS_MODULE="marketplace.settings.production")
def test_refuses_to_run_with_production_settings():
    with pytest.raises(CommandError, match="known password"):
        run_demo_data()

    assert set(counts().values()) == {0}
