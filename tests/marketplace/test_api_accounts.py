"""The current-user API: GET and PATCH /api/v1/me/."""

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from marketplace.models import MembershipRole
from tests.marketplace.api_support import (
    NOT_AUTHENTICATED,
    SESSION_ONLY,
    error,
    key_client,
    make_world,
    organization_with_owner,
    session_client,
    snapshot,
)
from tests.marketplace.factories import UserFactory, VendorProfileFactory
from tests.workforce.factories import WorkerProfileFactory

URL = "/api/v1/me/"

pytestmark = pytest.mark.django_db


def test_me_of_a_new_user_has_no_roles(api_client):
    user = UserFactory(full_name="Ada Lovelace")

    response = session_client(user).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "full_name": "Ada Lovelace",
        "email_verified": True,
        "is_staff": False,
        "two_factor_enabled": False,
        "roles": {"requester": False, "worker": False, "vendor": False, "staff": False},
        "organizations": [],
        "worker_id": None,
    }


def test_me_lists_every_role_a_user_holds():
    vendor, user = organization_with_owner(name="B vendor")
    VendorProfileFactory(organization=vendor)
    requester, _owner = organization_with_owner(name="A requester")
    requester.memberships.create(user=user, role=MembershipRole.MEMBER)
    worker = WorkerProfileFactory(user=user)

    response = session_client(user).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == {"requester": True, "worker": True, "vendor": True, "staff": False}
    assert body["worker_id"] == worker.worker_id
    assert body["organizations"] == [
        {
            "id": requester.pk,
            "name": "A requester",
            "slug": requester.slug,
            "role": "member",
            "is_vendor": False,
        },
        {
            "id": vendor.pk,
            "name": "B vendor",
            "slug": vendor.slug,
            "role": "owner",
            "is_vendor": True,
        },
    ]


def test_me_of_staff_with_two_factor():
    user = UserFactory(is_staff=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})

    response = session_client(user).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["is_staff"], body["two_factor_enabled"], body["roles"]["staff"]) == (
        True,
        True,
        True,
    )


def test_me_of_staff_without_two_factor_is_refused():
    user = UserFactory(is_staff=True)

    response = session_client(user).get(URL)

    assert response.status_code == 403
    assert response.json() == error(
        "two_factor_required", "Staff accounts must turn on two-factor authentication first."
    )


def test_me_shows_an_unverified_email():
    user = UserFactory(verified=False)

    response = session_client(user).get(URL)

    assert response.status_code == 200
    assert response.json()["email_verified"] is False


def test_me_with_an_api_key_shows_only_the_keys_organization():
    world = make_world()
    organization_with_owner()[0].memberships.create(user=world.owner, role=MembershipRole.MEMBER)

    response = key_client(world.raw_key).get(URL)

    assert response.status_code == 200
    assert [each["id"] for each in response.json()["organizations"]] == [world.organization.pk]


def test_me_needs_authentication(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == "Api-Key"


def test_patch_me_changes_the_name():
    user = UserFactory(full_name="Old")

    response = session_client(user).patch(URL, {"full_name": "  New Name "}, format="json")

    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"
    user.refresh_from_db()
    assert user.full_name == "New Name"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"full_name": "x" * 151},
            {"full_name": ["Ensure this field has no more than 150 characters."]},
        ),
        ({"full_name": ["a"]}, {"full_name": ["Not a valid string."]}),
        ({"full_name": "A", "email": "x@example.com"}, {"email": ["Unknown field."]}),
        ({"full_name": "A", "is_staff": True}, {"is_staff": ["Unknown field."]}),
    ],
)
def test_patch_me_refuses_bad_input(body, fields):
    client = session_client(UserFactory(full_name="Old"))
    before = snapshot()

    response = client.patch(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)
    assert snapshot() == before


def test_patch_me_with_an_api_key_is_refused():
    world = make_world()
    before = snapshot()

    response = key_client(world.raw_key).patch(URL, {"full_name": "Bot"}, format="json")

    assert response.status_code == 403
    assert response.json() == SESSION_ONLY
    assert snapshot() == before
    assert mail.outbox == []
