"""Who reaches what: every organization route for an outsider, a plain member and no one."""

import pytest
from django.core import mail

from tests.marketplace.api_support import (
    NOT_AUTHENTICATED,
    NOT_FOUND,
    NOT_MANAGER,
    make_world,
    session_client,
    snapshot,
)

pytestmark = pytest.mark.django_db

# (method, path under /api/v1/organizations/{id}/, body, managers only)
ORGANIZATION_ROUTES = [
    ("get", "", None, False),
    ("patch", "", {"name": "Taken over"}, True),
    ("get", "members/", None, False),
    ("patch", "members/{admin}/", {"role": "member"}, True),
    ("delete", "members/{admin}/", None, True),
    ("get", "invitations/", None, True),
    ("post", "invitations/", {"email": "new@example.com", "role": "member"}, True),
    ("delete", "invitations/{invitation}/", None, True),
    ("get", "api-keys/", None, True),
    ("post", "api-keys/", {"name": "Stolen"}, True),
    ("delete", "api-keys/{key}/", None, True),
    ("get", "vendor-profile/", None, False),
    ("post", "vendor-profile/", {"display_name": "V", "contact_email": "v@example.com"}, True),
    ("patch", "vendor-profile/", {"display_name": "Renamed"}, True),
]
MANAGER_ONLY = [route[:3] for route in ORGANIZATION_ROUTES if route[3]]
ROUTE_IDS = [f"{method} {path or '.'}" for method, path, _body, _manager in ORGANIZATION_ROUTES]


@pytest.fixture
def world():
    return make_world()


def request(client, world, method: str, path: str, body):
    admin_membership = world.organization.memberships.get(user=world.admin)
    path = path.format(
        admin=admin_membership.pk, invitation=world.invitation.pk, key=world.api_key.pk
    )
    return getattr(client, method)(
        f"/api/v1/organizations/{world.organization.pk}/{path}", body, format="json"
    )


@pytest.mark.parametrize(("method", "path", "body", "_manager"), ORGANIZATION_ROUTES, ids=ROUTE_IDS)
def test_a_member_of_another_organization_gets_404(
    world, method, path, body, _manager, django_capture_on_commit_callbacks
):
    client = session_client(world.outsider)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = request(client, world, method, path, body)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("method", "path", "body"), MANAGER_ONLY, ids=[f"{m} {p or '.'}" for m, p, _ in MANAGER_ONLY]
)
def test_a_plain_member_cannot_manage(
    world, method, path, body, django_capture_on_commit_callbacks
):
    client = session_client(world.member)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = request(client, world, method, path, body)

    assert response.status_code == 403
    assert response.json() == NOT_MANAGER
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize(("method", "path", "body", "_manager"), ORGANIZATION_ROUTES, ids=ROUTE_IDS)
def test_no_one_reaches_an_organization_without_logging_in(
    world, api_client, method, path, body, _manager
):
    before = snapshot()

    response = request(api_client, world, method, path, body)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert snapshot() == before
