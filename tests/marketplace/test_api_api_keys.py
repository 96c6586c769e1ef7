"""An API key's whole life: create (secret shown once), use, bounds, revoke."""

import hashlib

import pytest

from marketplace.models import ApiKey, ApiKeyUse, Membership, MembershipRole
from tests.marketplace.api_support import (
    NOT_FOUND,
    SESSION_ONLY,
    error,
    iso,
    key_client,
    make_world,
    session_client,
    snapshot,
)
from tests.marketplace.factories import MembershipFactory

pytestmark = pytest.mark.django_db

REVOKED = error("authentication_failed", "Invalid or revoked API key.")


@pytest.fixture
def world():
    return make_world()


def key_body(api_key: ApiKey) -> dict:
    return {
        "id": api_key.pk,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "created_by": api_key.created_by.email,
        "created_at": iso(api_key.created_at),
        "last_used_at": iso(api_key.last_used_at),
        "revoked_at": iso(api_key.revoked_at),
    }


def test_create_returns_the_secret_once_and_stores_only_its_hash(world):
    url = f"/api/v1/organizations/{world.organization.pk}/api-keys/"
    client = session_client(world.admin)

    response = client.post(url, {"name": "Nightly export"}, format="json")

    assert response.status_code == 201
    api_key = ApiKey.objects.get(name="Nightly export")
    raw_key = response.json()["key"]
    assert response.json() == {**key_body(api_key), "key": raw_key}
    assert raw_key.startswith(f"gwk_{api_key.prefix}_")
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert not [name for name, value in row.items() if raw_key in str(value)]
    listed = client.get(url).json()["results"]
    assert raw_key not in str(listed)
    assert listed[0] == key_body(api_key)


def test_list_shows_prefix_and_last_use_never_the_hash(world):
    key_client(world.raw_key).get("/api/v1/me/")
    world.api_key.refresh_from_db()

    response = session_client(world.owner).get(
        f"/api/v1/organizations/{world.organization.pk}/api-keys/"
    )

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": [key_body(world.api_key)]}
    assert world.api_key.last_used_at is not None


def test_every_use_is_recorded(world):
    client = key_client(world.raw_key)

    response = client.get(
        f"/api/v1/organizations/{world.organization.pk}/",
        HTTP_USER_AGENT="export-script/1.0",
    )

    assert response.status_code == 200
    use = ApiKeyUse.objects.get(api_key=world.api_key)
    assert (use.method, use.path, use.ip_address, use.user_agent) == (
        "GET",
        f"/api/v1/organizations/{world.organization.pk}/",
        "127.0.0.1",
        "export-script/1.0",
    )
    world.api_key.refresh_from_db()
    assert world.api_key.last_used_at == use.used_at


def test_a_key_reaches_only_its_organization(world):
    MembershipFactory(organization=world.other_organization, user=world.owner)
    client = key_client(world.raw_key)
    before = snapshot()

    for url in (
        f"/api/v1/organizations/{world.other_organization.pk}/",
        f"/api/v1/organizations/{world.other_organization.pk}/vendor-profile/",
    ):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    response = client.patch(
        f"/api/v1/organizations/{world.other_organization.pk}/", {"name": "X"}, format="json"
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "api-keys/", None),
        ("post", "api-keys/", {"name": "Another"}),
        ("delete", "api-keys/{key}/", None),
        ("get", "members/", None),
        ("patch", "members/{member}/", {"role": "admin"}),
        ("delete", "members/{member}/", None),
        ("get", "invitations/", None),
        ("post", "invitations/", {"email": "a@example.com", "role": "member"}),
        ("delete", "invitations/{invitation}/", None),
    ],
)
def test_a_key_cannot_manage_keys_members_or_invitations(world, method, path, body):
    client = key_client(world.raw_key)
    path = path.format(
        key=world.api_key.pk, member=world.member_membership.pk, invitation=world.invitation.pk
    )
    before = snapshot()

    response = getattr(client, method)(
        f"/api/v1/organizations/{world.organization.pk}/{path}", body, format="json"
    )

    assert response.status_code == 403
    assert response.json() == SESSION_ONLY
    assert snapshot() == before


def test_a_revoked_key_gets_401(world):
    response = session_client(world.owner).delete(
        f"/api/v1/organizations/{world.organization.pk}/api-keys/{world.api_key.pk}/"
    )
    assert response.status_code == 200
    world.api_key.refresh_from_db()
    assert response.json() == key_body(world.api_key)
    assert world.api_key.revoked_at is not None

    response = key_client(world.raw_key).get(f"/api/v1/organizations/{world.organization.pk}/")

    assert response.status_code == 401
    assert response.json() == REVOKED
    assert response["WWW-Authenticate"] == "Api-Key"
    assert not ApiKeyUse.objects.exists()


def test_revoking_twice_changes_nothing(world):
    client = session_client(world.owner)
    url = f"/api/v1/organizations/{world.organization.pk}/api-keys/{world.api_key.pk}/"
    client.delete(url)
    before = snapshot()

    response = client.delete(url)

    assert response.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("Api-Key ", error("authentication_failed", "Malformed Api-Key header.")),
        ("Api-Key a b", error("authentication_failed", "Malformed Api-Key header.")),
        ("Api-Key gwk_nothing", REVOKED),
        ("Api-Key gwk_000000000000_wrong", REVOKED),
    ],
)
def test_a_malformed_or_unknown_key_gets_401(world, header, body):
    client = session_client(world.owner)  # a header that is present but bad wins over a session
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == body


def test_a_forged_secret_with_a_real_prefix_gets_401(world):
    forged = world.raw_key[:-4] + ("AAAA" if not world.raw_key.endswith("AAAA") else "BBBB")

    response = key_client(forged).get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == REVOKED
    assert not ApiKeyUse.objects.exists()


def test_a_key_whose_creator_was_removed_is_revoked(world):
    Membership.objects.filter(pk=world.owner_membership.pk).update(role=MembershipRole.ADMIN)
    MembershipFactory(organization=world.organization, role=MembershipRole.OWNER)

    response = session_client(world.admin).delete(
        f"/api/v1/organizations/{world.organization.pk}/members/{world.owner_membership.pk}/"
    )

    assert response.status_code == 204
    world.api_key.refresh_from_db()
    assert world.api_key.revoked_at is not None
    assert world.api_key.revoke_reason == "Creator left the organization."
    response = key_client(world.raw_key).get("/api/v1/me/")
    assert (response.status_code, response.json()) == (401, REVOKED)


def test_a_key_acts_for_its_organization(world):
    response = key_client(world.raw_key).patch(
        f"/api/v1/organizations/{world.organization.pk}/", {"name": "Via key"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Via key"
