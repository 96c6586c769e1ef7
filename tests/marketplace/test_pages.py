"""The web pages: dashboard, organizations, members, invitations, API keys, profiles."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.sessions.models import Session
from django.urls import reverse

from marketplace.models import (
    ApiKey,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    VendorProfile,
)
from marketplace.selectors import invitation_token
from marketplace.services import api_key_create
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    VendorProfileFactory,
)
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(email="owner@example.com")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory(name="Acme Labeling", created_by=owner)
    MembershipFactory(organization=organization, user=owner, role=MembershipRole.OWNER)
    return organization


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def other_organization():
    """An organization the owner does not belong to, with a member, an invitation and a key."""
    outsider = UserFactory(email="outsider@example.com")
    organization = OrganizationFactory(name="Other Org", created_by=outsider)
    MembershipFactory(organization=organization, user=outsider, role=MembershipRole.OWNER)
    InvitationFactory(organization=organization, invited_by=outsider, email="x@example.com")
    api_key_create(actor=outsider, organization=organization, name="theirs")
    return organization


def detail_url(organization) -> str:
    return reverse("organization_detail", kwargs={"organization_id": organization.pk})


def snapshot() -> dict:
    """Everything a page could change, to compare before and after a refused request."""
    return database_snapshot()


# Home


def test_anonymous_home_is_the_landing_page(client):
    response = client.get("/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Labeled data, from your own marketplace" in content
    assert f'href="{reverse("account_signup")}"' in content
    assert f'href="{reverse("account_login")}"' in content


def test_dashboard_lists_my_organizations_with_my_role_and_vendor_status(
    owner_client, owner, organization, other_organization
):
    vendor = OrganizationFactory(name="Vendor Co")
    MembershipFactory(organization=vendor, user=owner, role=MembershipRole.MEMBER)
    MembershipFactory(organization=vendor, role=MembershipRole.OWNER)  # someone else owns it
    VendorProfileFactory(organization=vendor)

    response = owner_client.get("/")

    assert response.status_code == 200
    rows = [
        (o.name, o.role, hasattr(o, "vendor_profile")) for o in response.context["organizations"]
    ]
    assert rows == [("Acme Labeling", "owner", False), ("Vendor Co", "member", True)]
    content = response.content.decode()
    assert "Other Org" not in content
    assert "Become a worker" in content
    assert reverse("admin:index") not in content


def test_dashboard_shows_the_worker_id(owner_client, owner):
    worker = WorkerProfileFactory(user=owner)

    response = owner_client.get("/")

    assert worker.worker_id in response.content.decode()


def test_staff_dashboard_links_to_the_admin(client):
    staff = UserFactory(is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    response = client.get("/")

    assert response.status_code == 200
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/organizations/", "/organizations/new/", "/organizations/1/", "/worker/"],
)
def test_pages_require_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


# Organizations


def test_create_organization(owner_client, owner):
    response = owner_client.post(reverse("organization_create"), {"name": "  New Team  "})

    organization = Organization.objects.get(name="New Team")
    assert response.status_code == 302
    assert response["Location"] == detail_url(organization)
    assert Membership.objects.get(organization=organization).user == owner
    assert Membership.objects.get(organization=organization).role == MembershipRole.OWNER
    page = owner_client.get(response["Location"])
    assert "New Team is ready. Invite your team." in page.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_create_organization_with_bad_input_changes_nothing(owner_client, data, error):
    before = snapshot()

    response = owner_client.post(reverse("organization_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": [error]}
    assert error in response.content.decode()
    assert snapshot() == before


def test_unverified_user_cannot_create_an_organization(client):
    user = UserFactory(verified=False)
    client.force_login(user)
    page = client.get(reverse("organization_create"))
    assert "Verify your email address first." in page.content.decode()

    response = client.post(reverse("organization_create"), {"name": "Sneaky"})

    assert response.status_code == 403
    assert response.context["form"].non_field_errors() == [
        "Verify your email address before doing this."
    ]
    assert not Organization.objects.exists()


def test_organization_detail_shows_members_invitations_keys_and_events(
    owner_client, owner, organization
):
    MembershipFactory(organization=organization, user=UserFactory(email="ann@example.com"))
    InvitationFactory(organization=organization, invited_by=owner, email="bob@example.com")
    api_key_create(actor=owner, organization=organization, name="uploader")

    response = owner_client.get(detail_url(organization))

    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Acme Labeling", "ann@example.com", "bob@example.com", "uploader"):
        assert text in content
    assert "API key created" in content
    assert response.context["can_manage"] is True


def test_member_sees_the_organization_without_management_forms(client, organization):
    member = MembershipFactory(organization=organization).user
    client.force_login(member)

    response = client.get(detail_url(organization))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("organization_invite", args=[organization.pk]) not in content
    assert reverse("api_key_create", args=[organization.pk]) not in content


def test_another_organizations_page_is_a_404(owner_client, other_organization):
    response = owner_client.get(detail_url(other_organization))

    assert response.status_code == 404
    assert "Other Org" not in response.content.decode()


def _other_org_posts(organization):
    membership = organization.memberships.get()
    invitation = organization.invitations.get()
    api_key = organization.api_keys.get()
    return [
        (
            reverse("organization_invite", args=[organization.pk]),
            {"email": "a@b.com", "role": "member"},
        ),
        (reverse("invitation_revoke", args=[organization.pk, invitation.pk]), {}),
        (reverse("member_role", args=[organization.pk, membership.pk]), {"role": "member"}),
        (reverse("member_remove", args=[organization.pk, membership.pk]), {}),
        (reverse("api_key_create", args=[organization.pk]), {"name": "mine now"}),
        (reverse("api_key_revoke", args=[organization.pk, api_key.pk]), {}),
        (
            reverse("vendor_profile", args=[organization.pk]),
            {"display_name": "x", "contact_email": "a@b.com"},
        ),
    ]


def test_every_action_on_another_organization_is_a_404_and_changes_nothing(
    owner_client, organization, other_organization, mailoutbox
):
    before = snapshot()

    for url, data in _other_org_posts(other_organization):
        response = owner_client.post(url, data)
        assert response.status_code == 404, url
        assert "Other Org" not in response.content.decode()
    assert (
        owner_client.get(reverse("vendor_profile", args=[other_organization.pk])).status_code == 404
    )

    assert snapshot() == before
    assert mailoutbox == []


def test_ids_of_another_organization_through_my_organization_are_a_404(
    owner_client, organization, other_organization
):
    before = snapshot()
    membership = other_organization.memberships.get()
    invitation = other_organization.invitations.get()
    api_key = other_organization.api_keys.get()

    for url, data in [
        (reverse("invitation_revoke", args=[organization.pk, invitation.pk]), {}),
        (reverse("member_role", args=[organization.pk, membership.pk]), {"role": "member"}),
        (reverse("member_remove", args=[organization.pk, membership.pk]), {}),
        (reverse("api_key_revoke", args=[organization.pk, api_key.pk]), {}),
    ]:
        assert owner_client.post(url, data).status_code == 404, url

    assert snapshot() == before


# Invitations


def test_invite_a_member_sends_the_email(
    owner_client, organization, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("organization_invite", args=[organization.pk]),
            {"email": "New@Example.com", "role": "admin"},
        )

    assert response.status_code == 302
    assert response["Location"] == detail_url(organization)
    invitation = Invitation.objects.get(organization=organization)
    assert (invitation.email, invitation.role, invitation.status) == (
        "new@example.com",
        "admin",
        "pending",
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]
    assert "/invitations/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"email": "not-an-email", "role": "member"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "a@example.com", "role": "emperor"},
            {"role": ["Select a valid choice. emperor is not one of the available choices."]},
        ),
        ({}, {"email": ["This field is required."], "role": ["This field is required."]}),
        (
            {"email": "a" * 250 + "@example.com", "role": "member"},
            {"email": ["Ensure this value has at most 254 characters (it has 262)."]},
        ),
    ],
)
def test_invite_with_bad_input_changes_nothing(
    owner_client, organization, mailoutbox, data, errors, django_capture_on_commit_callbacks
):
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("organization_invite", args=[organization.pk]), data)

    assert response.status_code == 200
    assert response.context["invite_form"].errors == errors
    assert snapshot() == before
    assert mailoutbox == []


def test_inviting_an_existing_member_is_a_field_error(owner_client, owner, organization):
    before = snapshot()

    response = owner_client.post(
        reverse("organization_invite", args=[organization.pk]),
        {"email": owner.email, "role": "member"},
    )

    assert response.status_code == 409
    assert response.context["invite_form"].errors == {
        "email": ["This person is already a member of the organization."]
    }
    assert snapshot() == before


def test_a_plain_member_cannot_invite(client, organization, mailoutbox):
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    before = snapshot()

    response = client.post(
        reverse("organization_invite", args=[organization.pk]),
        {"email": "friend@example.com", "role": "member"},
    )

    assert response.status_code == 403
    assert response.context["invite_form"].non_field_errors() == [
        "Only owners and admins of this organization can do this."
    ]
    assert snapshot() == before


def test_revoke_an_invitation(owner_client, owner, organization):
    invitation = InvitationFactory(organization=organization, invited_by=owner)

    response = owner_client.post(
        reverse("invitation_revoke", args=[organization.pk, invitation.pk])
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    page = owner_client.get(detail_url(organization))
    assert f"The invitation to {invitation.email} was withdrawn." in page.content.decode()
    assert list(page.context["invitations"]) == []


def test_revoke_is_post_only(owner_client, owner, organization):
    invitation = InvitationFactory(organization=organization, invited_by=owner)

    response = owner_client.get(reverse("invitation_revoke", args=[organization.pk, invitation.pk]))

    assert response.status_code == 405
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# Members


def test_change_a_members_role(owner_client, organization):
    membership = MembershipFactory(organization=organization, role=MembershipRole.MEMBER)

    response = owner_client.post(
        reverse("member_role", args=[organization.pk, membership.pk]), {"role": "admin"}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == MembershipRole.ADMIN


def test_change_role_to_a_bad_value_changes_nothing(owner_client, organization):
    membership = MembershipFactory(organization=organization, role=MembershipRole.MEMBER)
    before = snapshot()

    response = owner_client.post(
        reverse("member_role", args=[organization.pk, membership.pk]), {"role": "god"}
    )

    assert response.status_code == 200
    assert response.context["action_errors"] == [
        "Select a valid choice. god is not one of the available choices."
    ]
    assert snapshot() == before


def test_the_last_owner_cannot_be_demoted(owner_client, owner, organization):
    own = Membership.objects.get(organization=organization, user=owner)
    before = snapshot()

    response = owner_client.post(
        reverse("member_role", args=[organization.pk, own.pk]), {"role": "admin"}
    )

    assert response.status_code == 409
    [error] = response.context["action_errors"]
    assert error.startswith("The last owner cannot be demoted")
    assert snapshot() == before


def test_an_admin_cannot_touch_an_owner(client, owner, organization):
    admin = MembershipFactory(organization=organization, role=MembershipRole.ADMIN).user
    client.force_login(admin)
    own = Membership.objects.get(organization=organization, user=owner)
    before = snapshot()

    response = client.post(
        reverse("member_role", args=[organization.pk, own.pk]), {"role": "member"}
    )

    assert response.status_code == 403
    assert response.context["action_errors"] == [
        "Only an owner can grant or remove the owner role."
    ]
    assert snapshot() == before


def test_remove_a_member(owner_client, organization):
    membership = MembershipFactory(organization=organization)

    response = owner_client.post(reverse("member_remove", args=[organization.pk, membership.pk]))

    assert response.status_code == 302
    assert response["Location"] == detail_url(organization)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_owner_cannot_leave(owner_client, owner, organization):
    own = Membership.objects.get(organization=organization, user=owner)
    before = snapshot()

    response = owner_client.post(reverse("member_remove", args=[organization.pk, own.pk]))

    assert response.status_code == 409
    assert "An organization needs at least one owner." in response.content.decode()
    assert snapshot() == before


def test_a_member_can_leave(client, organization):
    membership = MembershipFactory(organization=organization)
    client.force_login(membership.user)

    response = client.post(reverse("member_remove", args=[organization.pk, membership.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_plain_member_cannot_remove_others(client, owner, organization):
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    own = Membership.objects.get(organization=organization, user=owner)
    before = snapshot()

    response = client.post(reverse("member_remove", args=[organization.pk, own.pk]))

    assert response.status_code == 403
    assert snapshot() == before


# API keys


def test_api_key_secret_is_shown_once_and_never_stored(owner_client, owner, organization):
    response = owner_client.post(
        reverse("api_key_create", args=[organization.pk]), {"name": "nightly upload"}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(organization) + "#api-keys"
    api_key = ApiKey.objects.get(organization=organization)
    assert (api_key.name, api_key.created_by) == ("nightly upload", owner)
    first = owner_client.get(detail_url(organization))
    secret = first.context["new_api_key"]["secret"]
    assert secret.startswith(f"gwk_{api_key.prefix}_")
    assert secret in first.content.decode()
    assert "it will not be shown again" in first.content.decode()
    assert all(secret not in session.session_data for session in Session.objects.all())
    assert all(secret not in str(value) for value in ApiKey.objects.values_list())

    second = owner_client.get(detail_url(organization))

    assert second.context["new_api_key"] is None
    assert secret not in second.content.decode()
    assert f"gwk_{api_key.prefix}_" in second.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "This field is required."),
        ({"name": "k" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_api_key_with_bad_input_changes_nothing(owner_client, organization, data, error):
    before = snapshot()

    response = owner_client.post(reverse("api_key_create", args=[organization.pk]), data)

    assert response.status_code == 200
    assert response.context["api_key_form"].errors == {"name": [error]}
    assert response.context["new_api_key"] is None
    assert snapshot() == before


def test_revoke_an_api_key(owner_client, owner, organization):
    api_key, _secret = api_key_create(actor=owner, organization=organization, name="old")

    response = owner_client.post(reverse("api_key_revoke", args=[organization.pk, api_key.pk]))

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert api_key.revoked_by == owner
    page = owner_client.get(detail_url(organization)).content.decode()
    assert "Revoked" in page


# Vendor profile


def test_create_then_edit_the_vendor_profile(owner_client, organization):
    url = reverse("vendor_profile", args=[organization.pk])
    assert owner_client.get(url).status_code == 200

    response = owner_client.post(
        url,
        {
            "display_name": "Acme Vendors",
            "description": "We label.",
            "website": "acme.example.com",
            "contact_email": "sales@acme.example.com",
            "languages": "en, de, pt-BR, en",
        },
    )

    assert response.status_code == 302
    profile = VendorProfile.objects.get(organization=organization)
    assert (profile.display_name, profile.website, profile.languages) == (
        "Acme Vendors",
        "https://acme.example.com",
        ["en", "de", "pt-BR"],
    )
    edit_page = owner_client.get(url)
    assert "en, de, pt-BR" in edit_page.content.decode()

    owner_client.post(
        url,
        {"display_name": "Acme Labs", "contact_email": "sales@acme.example.com", "languages": ""},
    )

    profile.refresh_from_db()
    assert (profile.display_name, profile.languages, profile.website) == ("Acme Labs", [], "")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"display_name": "V", "contact_email": "nope", "languages": "en"},
            {"contact_email": ["Enter a valid email address."]},
        ),
        (
            {"display_name": "V", "contact_email": "a@b.com", "languages": "english!"},
            {"languages": ["“english!” is not a language tag such as en or pt-BR."]},
        ),
        (
            {"display_name": "", "contact_email": "a@b.com", "website": "not a url"},
            {"display_name": ["This field is required."], "website": ["Enter a valid URL."]},
        ),
        (
            {"display_name": "V", "contact_email": "a@b.com", "description": "d" * 5001},
            {"description": ["Ensure this value has at most 5000 characters (it has 5001)."]},
        ),
    ],
)
def test_vendor_profile_with_bad_input_changes_nothing(owner_client, organization, data, errors):
    before = snapshot()

    response = owner_client.post(reverse("vendor_profile", args=[organization.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert snapshot() == before


def test_a_plain_member_cannot_open_the_vendor_profile(client, organization):
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    before = snapshot()

    url = reverse("vendor_profile", args=[organization.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"display_name": "V", "contact_email": "a@b.com"})

    assert response.status_code == 403
    assert snapshot() == before


# Escaping


XSS_NAME = "</script><script>alert(1)</script>"
ESCAPED = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_an_organization_name_is_escaped_on_every_page(owner_client, owner, client):
    organization = OrganizationFactory(name=XSS_NAME, created_by=owner)
    MembershipFactory(organization=organization, user=owner, role=MembershipRole.OWNER)
    VendorProfileFactory(organization=organization, display_name=XSS_NAME)
    OrganizationEvent.objects.create(
        organization=organization, actor=owner, kind="created", data={"name": XSS_NAME}
    )
    invitation = InvitationFactory(organization=organization, invited_by=owner)

    pages = [
        "/",
        reverse("organization_list"),
        detail_url(organization),
        reverse("vendor_profile", args=[organization.pk]),
        reverse("invitation_detail", args=[invitation_token(invitation)]),
    ]
    for url in pages:
        content = owner_client.get(url).content.decode()
        assert XSS_NAME not in content, url
        assert ESCAPED in content, url
    owner_client.logout()
    anonymous = owner_client.get(pages[-1]).content.decode()
    assert XSS_NAME not in anonymous
    assert ESCAPED in anonymous
