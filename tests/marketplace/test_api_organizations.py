"""Organizations, members and invitations through the API, including invitation links."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from marketplace.api.pagination import CursorPagination
from marketplace.models import (
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
)
from marketplace.selectors import invitation_token
from tests.marketplace.api_support import (
    NOT_AUTHENTICATED,
    SESSION_ONLY,
    error,
    iso,
    key_client,
    make_world,
    organization_with_owner,
    session_client,
    snapshot,
)
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    VendorProfileFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def organization_body(organization: Organization, role: str, is_vendor: bool = False) -> dict:
    return {
        "id": organization.pk,
        "name": organization.name,
        "slug": organization.slug,
        "role": role,
        "is_vendor": is_vendor,
    }


def member_body(membership: Membership) -> dict:
    return {
        "id": membership.pk,
        "user": {
            "id": membership.user.pk,
            "email": membership.user.email,
            "full_name": membership.user.full_name,
        },
        "role": membership.role,
        "created_at": iso(membership.created_at),
    }


def invitation_body(invitation: Invitation) -> dict:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "invited_by": invitation.invited_by.email,
        "expires_at": iso(invitation.expires_at),
        "created_at": iso(invitation.created_at),
    }


# Organizations.


def test_list_shows_my_organizations_newest_first_with_my_role(world):
    newer, _owner = organization_with_owner()
    MembershipFactory(organization=newer, user=world.admin, role=MembershipRole.MEMBER)

    response = session_client(world.admin).get("/api/v1/organizations/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            organization_body(newer, "member"),
            organization_body(world.organization, "admin", is_vendor=True),
        ],
    }


def test_list_with_an_api_key_shows_only_the_keys_organization(world):
    MembershipFactory(organization=world.other_organization, user=world.owner)

    response = key_client(world.raw_key).get("/api/v1/organizations/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        organization_body(world.organization, "owner", is_vendor=True)
    ]


def test_create_makes_me_the_owner():
    user = UserFactory()

    response = session_client(user).post(
        "/api/v1/organizations/", {"name": " Acme Labeling "}, format="json"
    )

    assert response.status_code == 201
    organization = Organization.objects.get()
    assert response.json() == organization_body(organization, "owner")
    assert organization.name == "Acme Labeling"
    assert organization.slug == "acme-labeling"
    assert Membership.objects.get(organization=organization).user == user


def test_create_needs_a_verified_email():
    client = session_client(UserFactory(verified=False))
    before = snapshot()

    response = client.post("/api/v1/organizations/", {"name": "Acme"}, format="json")

    assert response.status_code == 403
    assert response.json() == error(
        "email_not_verified", "Verify your email address before doing this."
    )
    assert snapshot() == before


def test_create_with_an_api_key_is_refused(world):
    before = snapshot()

    response = key_client(world.raw_key).post(
        "/api/v1/organizations/", {"name": "Acme"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == SESSION_ONLY
    assert snapshot() == before


def test_detail(world):
    response = session_client(world.member).get(f"/api/v1/organizations/{world.organization.pk}/")

    assert response.status_code == 200
    assert response.json() == organization_body(world.organization, "member", is_vendor=True)


def test_an_admin_renames_the_organization(world):
    response = session_client(world.admin).patch(
        f"/api/v1/organizations/{world.organization.pk}/", {"name": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    world.organization.refresh_from_db()
    assert world.organization.name == "Renamed"
    assert response.json() == organization_body(world.organization, "admin", is_vendor=True)
    assert OrganizationEvent.objects.filter(
        organization=world.organization, kind=OrganizationEvent.Kind.UPDATED
    ).exists()


# Members.


def test_members_list(world):
    response = session_client(world.member).get(
        f"/api/v1/organizations/{world.organization.pk}/members/"
    )

    assert response.status_code == 200
    memberships = Membership.objects.filter(organization=world.organization).order_by(
        "-created_at", "-id"
    )
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [member_body(membership) for membership in memberships],
    }


def test_an_admin_changes_a_members_role(world):
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.member_membership.pk}/"

    response = session_client(world.admin).patch(url, {"role": "admin"}, format="json")

    assert response.status_code == 200
    world.member_membership.refresh_from_db()
    assert world.member_membership.role == MembershipRole.ADMIN
    assert response.json() == member_body(world.member_membership)


def test_an_admin_cannot_make_an_owner(world):
    client = session_client(world.admin)
    before = snapshot()
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.member_membership.pk}/"

    response = client.patch(url, {"role": "owner"}, format="json")

    assert response.status_code == 403
    assert response.json() == error(
        "permission_denied", "Only an owner can grant or remove the owner role."
    )
    assert snapshot() == before


def test_the_last_owner_cannot_step_down(world):
    client = session_client(world.owner)
    before = snapshot()
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.owner_membership.pk}/"

    response = client.patch(url, {"role": "member"}, format="json")

    assert response.status_code == 409
    assert response.json() == error(
        "last_owner",
        "An organization needs at least one owner. Make someone else an owner first.",
        {"role": ["The last owner cannot be demoted or removed."]},
    )
    assert snapshot() == before


def test_an_admin_removes_a_member(world):
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.member_membership.pk}/"

    response = session_client(world.admin).delete(url)

    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(pk=world.member_membership.pk).exists()


def test_a_member_leaves(world):
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.member_membership.pk}/"

    response = session_client(world.member).delete(url)

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=world.member_membership.pk).exists()


def test_the_last_owner_cannot_leave(world):
    client = session_client(world.owner)
    before = snapshot()
    url = f"/api/v1/organizations/{world.organization.pk}/members/{world.owner_membership.pk}/"

    response = client.delete(url)

    assert response.status_code == 409
    assert response.json()["code"] == "last_owner"
    assert snapshot() == before


def test_a_membership_of_another_organization_is_not_found(world):
    client = session_client(world.owner)
    other = Membership.objects.get(organization=world.other_organization)
    before = snapshot()
    url = f"/api/v1/organizations/{world.organization.pk}/members/{other.pk}/"

    for response in (client.patch(url, {"role": "admin"}, format="json"), client.delete(url)):
        assert response.status_code == 404
        assert response.json() == error("not_found", "Not found.")
    assert snapshot() == before


# Invitations.


def test_invitations_list(world):
    response = session_client(world.admin).get(
        f"/api/v1/organizations/{world.organization.pk}/invitations/"
    )

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [invitation_body(world.invitation)],
    }


def test_invite_sends_the_link_by_email_only(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = session_client(world.admin).post(
            f"/api/v1/organizations/{world.organization.pk}/invitations/",
            {"email": "New.Person@Example.com", "role": "admin"},
            format="json",
        )

    assert response.status_code == 201
    invitation = Invitation.objects.get(email="new.person@example.com")
    assert response.json() == invitation_body(invitation)
    assert invitation.role == MembershipRole.ADMIN
    assert invitation.status == InvitationStatus.PENDING
    token = invitation_token(invitation)
    assert token not in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert f"/invitations/{token}/" in mail.outbox[0].body


def test_inviting_a_member_is_a_conflict(world, django_capture_on_commit_callbacks):
    client = session_client(world.admin)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/organizations/{world.organization.pk}/invitations/",
            {"email": world.member.email, "role": "member"},
            format="json",
        )

    assert response.status_code == 409
    assert response.json() == error(
        "already_member",
        "This person is already a member.",
        {"email": ["This person is already a member of the organization."]},
    )
    assert snapshot() == before
    assert mail.outbox == []


def test_revoke_an_invitation(world):
    response = session_client(world.admin).delete(
        f"/api/v1/organizations/{world.organization.pk}/invitations/{world.invitation.pk}/"
    )

    assert response.status_code == 200
    world.invitation.refresh_from_db()
    assert world.invitation.status == InvitationStatus.REVOKED
    assert response.json() == invitation_body(world.invitation)


def test_an_accepted_invitation_cannot_be_revoked(world):
    client = session_client(world.admin)
    Invitation.objects.filter(pk=world.invitation.pk).update(status=InvitationStatus.ACCEPTED)
    before = snapshot()

    response = client.delete(
        f"/api/v1/organizations/{world.organization.pk}/invitations/{world.invitation.pk}/"
    )

    assert response.status_code == 409
    assert response.json() == error(
        "invitation_not_pending", "Only a pending invitation can be revoked."
    )
    assert snapshot() == before


# Invitation links.


def test_anyone_with_the_link_sees_what_it_invites_to(world, api_client):
    response = api_client.get(f"/api/v1/invitations/{invitation_token(world.invitation)}/")

    assert response.status_code == 200
    assert response.json() == {
        "organization_name": world.organization.name,
        "role": "member",
        "email": world.invitation.email,
        "status": "pending",
        "expires_at": iso(world.invitation.expires_at),
        "usable": True,
    }


def test_the_preview_of_an_expired_invitation_says_it_is_not_usable(api_client):
    invitation = InvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))

    response = api_client.get(f"/api/v1/invitations/{invitation_token(invitation)}/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["usable"]) == ("pending", False)


def test_a_forged_link_is_not_found(api_client):
    response = api_client.get("/api/v1/invitations/forged:token/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "This invitation link is not valid.")


def test_accept_joins_the_organization(world):
    invitee = UserFactory(email=world.invitation.email)

    response = session_client(invitee).post(
        f"/api/v1/invitations/{invitation_token(world.invitation)}/accept/"
    )

    assert response.status_code == 201
    membership = Membership.objects.get(organization=world.organization, user=invitee)
    assert response.json() == {
        "id": membership.pk,
        "organization": {"id": world.organization.pk, "name": world.organization.name},
        "role": "member",
    }
    world.invitation.refresh_from_db()
    assert world.invitation.status == InvitationStatus.ACCEPTED


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"status": InvitationStatus.ACCEPTED},
            "invitation_used",
            "This invitation has already been used.",
        ),
        (
            {"status": InvitationStatus.REVOKED},
            "invitation_revoked",
            "This invitation has been withdrawn.",
        ),
        (
            {"expires_at": timezone.now() - timedelta(seconds=1)},
            "invitation_expired",
            "This invitation has expired. Ask for a new one.",
        ),
    ],
)
def test_a_used_withdrawn_or_expired_invitation_cannot_be_accepted(world, change, code, message):
    Invitation.objects.filter(pk=world.invitation.pk).update(**change)
    client = session_client(UserFactory(email=world.invitation.email))
    before = snapshot()

    response = client.post(f"/api/v1/invitations/{invitation_token(world.invitation)}/accept/")

    assert response.status_code == 409
    assert response.json() == error(code, message)
    assert snapshot() == before


def test_an_invitation_is_single_use(world):
    client = session_client(UserFactory(email=world.invitation.email))
    url = f"/api/v1/invitations/{invitation_token(world.invitation)}/accept/"
    assert client.post(url).status_code == 201
    before = snapshot()

    response = client.post(url)

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_used"
    assert snapshot() == before


def test_accepting_with_another_account_is_forbidden(world):
    client = session_client(world.outsider)
    before = snapshot()

    response = client.post(f"/api/v1/invitations/{invitation_token(world.invitation)}/accept/")

    assert response.status_code == 403
    assert response.json() == error(
        "invitation_email_mismatch",
        f"This invitation was sent to {world.invitation.email}. "
        "Log in with that address to accept it.",
    )
    assert snapshot() == before


def test_accepting_a_forged_link_is_not_found(world):
    client = session_client(world.outsider)
    before = snapshot()

    response = client.post("/api/v1/invitations/forged:token/accept/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "This invitation link is not valid.")
    assert snapshot() == before


def test_accepting_needs_a_login(world, api_client):
    before = snapshot()

    response = api_client.post(f"/api/v1/invitations/{invitation_token(world.invitation)}/accept/")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert snapshot() == before


# Pagination.


def test_page_size_is_capped_at_the_maximum(monkeypatch):
    monkeypatch.setattr(CursorPagination, "max_page_size", 2)
    user = UserFactory()
    for _ in range(3):
        MembershipFactory(user=user)

    response = session_client(user).get("/api/v1/organizations/?page_size=50")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_cursor_links_walk_every_page():
    user = UserFactory()
    memberships = [MembershipFactory(user=user) for _ in range(5)]
    client = session_client(user)
    seen = []

    url = "/api/v1/organizations/?page_size=2"
    while url:
        body = client.get(url).json()
        seen.extend(each["id"] for each in body["results"])
        url = body["next"]

    assert seen == [membership.organization_id for membership in reversed(memberships)]
    previous = client.get(body["previous"]).json()
    assert [each["id"] for each in previous["results"]] == seen[2:4]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_organization_list_query_count_does_not_grow(rows, django_assert_num_queries):
    user = UserFactory()
    for _ in range(rows):
        VendorProfileFactory(organization=MembershipFactory(user=user).organization)
    client = session_client(user)

    with django_assert_num_queries(2):  # user, organizations; session cached
        response = client.get("/api/v1/organizations/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_the_member_list_query_count_does_not_grow(rows, django_assert_num_queries):
    organization, owner = organization_with_owner()
    for _ in range(rows - 1):
        MembershipFactory(organization=organization)
    client = session_client(owner)

    # user, access, members with users (the session comes from the cache)
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/organizations/{organization.pk}/members/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "null", "2.5"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_400(page_size):
    _organization, user = organization_with_owner()

    response = session_client(user).get(f"/api/v1/organizations/?page_size={page_size}")

    assert response.status_code == 400
    assert response.json() == error(
        "invalid",
        "The request has invalid fields.",
        {"page_size": ["Give one whole number from 1 upwards."]},
    )
