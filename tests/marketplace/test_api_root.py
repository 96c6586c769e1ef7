"""GET /api/v1/: the first call a new API key makes."""

import pytest

from marketplace.models import ApiKeyUse
from tests.marketplace.api_support import error, key_client, make_world, session_client

pytestmark = pytest.mark.django_db

LINKS = {
    "me": "http://testserver/api/v1/me/",
    "worker_profile": "http://testserver/api/v1/me/worker-profile/",
    "organizations": "http://testserver/api/v1/organizations/",
    "schema": "http://testserver/api/schema/",
    "docs": "http://testserver/api/docs/",
}


def test_the_root_names_the_key_and_its_organization_and_records_the_use():
    world = make_world()
    response = key_client(world.raw_key).get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        "version": "v1",
        "authenticated_as": world.owner.email,
        "api_key": {"prefix": world.api_key.prefix, "organization_id": world.organization.pk},
        "links": LINKS,
    }
    assert ApiKeyUse.objects.filter(api_key=world.api_key, path="/api/v1/").count() == 1


def test_the_root_with_a_session_has_no_key():
    world = make_world()
    response = session_client(world.member).get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["api_key"] is None
    assert response.json()["authenticated_as"] == world.member.email


def test_the_root_refuses_anonymous_callers_in_the_error_format(api_client):
    response = api_client.get("/api/v1/")
    assert response.status_code == 401
    assert response.json() == error(
        "not_authenticated", "Authentication credentials were not provided."
    )
