"""The storefront's Django admin: pages render, search, read-only audit rows, revoke actions."""

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import (
    ApiKey,
    ApiKeyUse,
    Invitation,
    InvitationStatus,
    OrganizationEvent,
    User,
)
from marketplace.selectors import invitation_token
from marketplace.services import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    invitation_accept,
    invitation_create,
    organization_create,
)
from tests.marketplace.factories import UserFactory, VendorProfileFactory

pytestmark = pytest.mark.django_db


def admin_url(model: str, view: str, *args) -> str:
    return reverse(f"admin:marketplace_{model}_{view}", args=args)


def make_world(name: str) -> SimpleNamespace:
    """One row of every storefront model, all belonging to the organization `name`."""
    slug = name.lower().replace(" ", "")
    owner = UserFactory(email=f"owner@{slug}.test")
    organization = organization_create(actor=owner, name=name)
    invitation = invitation_create(
        actor=owner, organization=organization, email=f"invitee@{slug}.test", role="member"
    )
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name=f"{name} CI")
    api_key_authenticate(
        raw_key=raw_key,
        method="GET",
        path=f"/api/v1/organizations/{organization.pk}/",
        ip_address="10.0.0.1",
        user_agent="pytest",
    )
    return SimpleNamespace(
        user=owner,
        organization=organization,
        membership=organization.memberships.get(),
        invitation=invitation,
        apikey=api_key,
        apikeyuse=api_key.uses.get(),
        vendorprofile=VendorProfileFactory(organization=organization, display_name=name),
        organizationevent=organization.events.get(kind=OrganizationEvent.Kind.CREATED),
    )


@pytest.fixture
def acme() -> SimpleNamespace:
    return make_world("Acme Vision")


@pytest.fixture
def other() -> SimpleNamespace:
    return make_world("Other Labs")


MODELS = [
    "user",
    "organization",
    "membership",
    "invitation",
    "apikey",
    "apikeyuse",
    "vendorprofile",
    "organizationevent",
]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_change_page_render_for_staff(staff_client, acme, other, model):
    changelist = staff_client.get(admin_url(model, "changelist"))
    change = staff_client.get(admin_url(model, "change", getattr(acme, model).pk))

    assert changelist.status_code == 200
    assert getattr(acme, model) in changelist.context["cl"].result_list
    assert getattr(other, model) in changelist.context["cl"].result_list
    assert change.status_code == 200
    assert change.context["original"] == getattr(acme, model)


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("user", "owner@acmevision"),
        ("organization", "Acme"),
        ("membership", "owner@acmevision"),
        ("invitation", "invitee@acmevision"),
        ("apikey", "Acme Vision CI"),
        ("apikeyuse", "Acme"),
        ("vendorprofile", "Acme"),
        ("organizationevent", "Acme"),
    ],
)
def test_search_finds_only_matching_rows(staff_client, acme, other, model, query):
    response = staff_client.get(admin_url(model, "changelist"), {"q": query})

    expected = (
        set(acme.organization.events.all())
        if model == "organizationevent"
        else {getattr(acme, model)}
    )
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == expected


def test_api_key_search_by_prefix(staff_client, acme, other):
    response = staff_client.get(admin_url("apikey", "changelist"), {"q": acme.apikey.prefix})

    assert list(response.context["cl"].result_list) == [acme.apikey]


@pytest.mark.parametrize("model", ["apikey", "apikeyuse", "organizationevent", "invitation"])
def test_add_page_is_forbidden_for_rows_only_services_create(staff_client, model):
    assert staff_client.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", ["apikeyuse", "organizationevent"])
def test_audit_rows_cannot_be_changed_or_deleted(staff_client, acme, model):
    row = getattr(acme, model)
    before = {field.name: getattr(row, field.name) for field in row._meta.fields}

    change = staff_client.post(admin_url(model, "change", row.pk), {"path": "/x", "kind": "x"})
    delete = staff_client.post(admin_url(model, "delete", row.pk), {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    row.refresh_from_db()
    assert {field.name: getattr(row, field.name) for field in row._meta.fields} == before


def test_api_key_change_page_shows_hash_and_prefix_read_only(staff_client, acme):
    response = staff_client.get(admin_url("apikey", "change", acme.apikey.pk))

    form_fields = response.context["adminform"].form.fields
    assert "key_hash" not in form_fields
    assert "prefix" not in form_fields
    assert list(form_fields) == ["name"]
    assert acme.apikey.key_hash in response.content.decode()


def test_api_key_cannot_be_deleted(staff_client, acme):
    response = staff_client.post(admin_url("apikey", "delete", acme.apikey.pk), {"post": "yes"})

    assert response.status_code == 403
    assert ApiKey.objects.filter(pk=acme.apikey.pk).exists()


def test_revoke_keys_action_revokes_through_the_service(staff_client, staff, acme, other):
    api_key_revoke(actor=other.user, api_key=other.apikey)
    events_before = OrganizationEvent.objects.count()

    response = staff_client.post(
        admin_url("apikey", "changelist"),
        {"action": "revoke", "_selected_action": [acme.apikey.pk, other.apikey.pk]},
        follow=True,
    )

    assert response.status_code == 200
    acme.apikey.refresh_from_db()
    assert acme.apikey.revoked_at is not None
    assert acme.apikey.revoked_by == staff
    assert acme.apikey.revoke_reason == "Revoked by staff in the admin."
    revoked_events = OrganizationEvent.objects.filter(kind=OrganizationEvent.Kind.API_KEY_REVOKED)
    assert OrganizationEvent.objects.count() == events_before + 1
    event = revoked_events.get(organization=acme.organization)
    assert (event.actor, event.data) == (staff, {"prefix": acme.apikey.prefix})
    # The already revoked key keeps who revoked it and when.
    assert ApiKey.objects.get(pk=other.apikey.pk).revoked_by == other.user
    assert [str(m) for m in response.context["messages"]] == ["Revoked 1 of 1."]


def test_revoked_key_no_longer_authenticates(staff_client, acme):
    api_key, raw_key = api_key_create(actor=acme.user, organization=acme.organization, name="x")

    staff_client.post(
        admin_url("apikey", "changelist"), {"action": "revoke", "_selected_action": [api_key.pk]}
    )

    uses_before = ApiKeyUse.objects.count()
    found = api_key_authenticate(
        raw_key=raw_key, method="GET", path="/", ip_address=None, user_agent=""
    )
    assert found is None
    assert ApiKeyUse.objects.count() == uses_before


def test_revoke_invitations_action_revokes_pending_only(staff_client, staff, acme, other):
    invitee = UserFactory(email="invitee@otherlabs.test")
    invitation_accept(actor=invitee, token=invitation_token(other.invitation))
    events_before = OrganizationEvent.objects.count()

    staff_client.post(
        admin_url("invitation", "changelist"),
        {"action": "revoke", "_selected_action": [acme.invitation.pk, other.invitation.pk]},
    )

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        acme.invitation.pk: InvitationStatus.REVOKED,
        other.invitation.pk: InvitationStatus.ACCEPTED,
    }
    assert OrganizationEvent.objects.count() == events_before + 1
    event = OrganizationEvent.objects.get(kind=OrganizationEvent.Kind.INVITATION_REVOKED)
    assert (event.organization, event.actor) == (acme.organization, staff)
    assert event.data == {"email": acme.invitation.email}


def test_staff_adds_a_user_who_logs_in_with_email(staff_client):
    response = staff_client.post(
        admin_url("user", "add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )

    user = User.objects.get(email="new.person@example.com")
    assert response.status_code == 302
    assert response.url == admin_url("user", "change", user.pk)
    assert user.full_name == "New Person"
    assert user.check_password("a long enough passphrase 42")
    assert not user.is_staff


def test_adding_a_user_with_a_taken_email_in_other_case_fails(staff_client, acme):
    users_before = User.objects.count()

    response = staff_client.post(
        admin_url("user", "add"),
        {
            "email": "OWNER@acmevision.test",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.count() == users_before


def test_organization_changelist_counts_members_and_marks_vendors(staff_client, acme):
    UserFactory()  # not a member
    response = staff_client.get(admin_url("organization", "changelist"))

    row = next(o for o in response.context["cl"].result_list if o == acme.organization)
    assert row.member_count == 1
    assert response.context["cl"].model_admin.is_vendor(row) is True


def test_non_staff_user_is_kept_out_of_the_admin(user):
    client = Client()
    client.force_login(user)

    response = client.get("/admin/")
    followed = client.get("/admin/", follow=True)

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"
    assert followed.status_code == 403


def test_anonymous_visitor_is_sent_to_the_allauth_login(db):
    response = Client().get("/admin/", follow=True)

    assert response.redirect_chain[-1] == ("/accounts/login/?next=%2Fadmin%2F", 302)
    assert response.status_code == 200


def test_staff_without_two_factor_is_sent_to_set_it_up(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url.split("?")[0] == reverse("mfa_activate_totp")
