"""Every API error leaves in one format: {"code", "message", "fields"}, and changes nothing."""

import json
import re

import pytest
from django.core import mail
from rest_framework.throttling import SimpleRateThrottle

from marketplace.api import organizations
from tests.marketplace.api_support import (
    error,
    make_world,
    session_client,
    snapshot,
)
from tests.marketplace.factories import UserFactory
from workforce.models import WorkerProfile

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."
REQUIRED = ["This field is required."]


def too_long(limit: int) -> list[str]:
    return [f"Ensure this field has no more than {limit} characters."]


# name: (method, path, acting user, a valid body, wrong types, oversized values, missing fields)
# where each bad case is (body, expected fields) and "missing" is None when nothing is required.
BODY_ENDPOINTS = {
    "me": (
        "patch",
        "/api/v1/me/",
        "member",
        {"full_name": "Ada"},
        ({"full_name": ["Ada"]}, {"full_name": ["Not a valid string."]}),
        ({"full_name": "x" * 151}, {"full_name": too_long(150)}),
        None,
    ),
    "worker profile create": (
        "post",
        "/api/v1/me/worker-profile/",
        "member",
        {"country": "FR"},
        ({"languages": "en"}, {"languages": ['Expected a list of items but got type "str".']}),
        ({"display_name": "x" * 101}, {"display_name": too_long(100)}),
        None,
    ),
    "worker profile update": (
        "patch",
        "/api/v1/me/worker-profile/",
        "worker",
        {"country": "FR"},
        ({"country": 33}, {"country": ['"33" is not a valid choice.']}),
        (
            {"languages": ["en"] * 31},
            {"languages": ["At most 30 languages."]},
        ),
        None,
    ),
    "organization create": (
        "post",
        "/api/v1/organizations/",
        "member",
        {"name": "Acme"},
        ({"name": {"en": "Acme"}}, {"name": ["Not a valid string."]}),
        ({"name": "x" * 101}, {"name": too_long(100)}),
        {"name": REQUIRED},
    ),
    "organization update": (
        "patch",
        "/api/v1/organizations/{organization}/",
        "owner",
        {"name": "Acme"},
        ({"name": True}, {"name": ["Not a valid string."]}),
        ({"name": "x" * 101}, {"name": too_long(100)}),
        None,
    ),
    "member role": (
        "patch",
        "/api/v1/organizations/{organization}/members/{membership}/",
        "owner",
        {"role": "admin"},
        ({"role": ["admin"]}, {"role": ["\"['admin']\" is not a valid choice."]}),
        ({"role": "a" * 11}, {"role": [f'"{"a" * 11}" is not a valid choice.']}),
        None,
    ),
    "invitation create": (
        "post",
        "/api/v1/organizations/{organization}/invitations/",
        "owner",
        {"email": "new@example.com", "role": "member"},
        (
            {"email": 42, "role": "member"},
            {"email": ["Enter a valid email address."]},
        ),
        ({"email": "a" * 250 + "@example.com", "role": "member"}, {"email": too_long(254)}),
        {"email": REQUIRED, "role": REQUIRED},
    ),
    "api key create": (
        "post",
        "/api/v1/organizations/{organization}/api-keys/",
        "owner",
        {"name": "CI"},
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": "x" * 101}, {"name": too_long(100)}),
        {"name": REQUIRED},
    ),
    "vendor profile create": (
        "post",
        "/api/v1/organizations/{organization}/vendor-profile/",
        "owner",
        {"display_name": "V", "contact_email": "v@example.com"},
        (
            {"display_name": "V", "contact_email": "v@example.com", "website": 7},
            {"website": ["Enter a valid URL."]},
        ),
        (
            {"display_name": "V", "contact_email": "v@example.com", "description": "x" * 5001},
            {"description": too_long(5000)},
        ),
        {"display_name": REQUIRED, "contact_email": REQUIRED},
    ),
    "vendor profile update": (
        "patch",
        "/api/v1/organizations/{organization}/vendor-profile/",
        "owner",
        {"display_name": "V"},
        (
            {"languages": {"en": True}},
            {"languages": ['Expected a list of items but got type "dict".']},
        ),
        ({"display_name": "x" * 101}, {"display_name": too_long(100)}),
        None,
    ),
}


def bad_inputs():
    """(endpoint, case, raw body, expected error body) for every endpoint with a body."""
    for name, (_m, _p, _u, valid, wrong, oversized, missing) in BODY_ENDPOINTS.items():
        yield name, "malformed JSON", '{"name": ', None
        yield (
            name,
            "not an object",
            json.dumps([valid]),
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
        )
        yield (
            name,
            "unknown field",
            json.dumps({**valid, "is_staff": True}),
            {"is_staff": ["Unknown field."]},
        )
        yield name, "wrong type", json.dumps(wrong[0]), wrong[1]
        yield name, "oversized", json.dumps(oversized[0]), oversized[1]
        if missing is not None:
            yield name, "missing fields", "{}", missing


@pytest.fixture
def world():
    world = make_world()
    world.worker = WorkerProfile.objects.create(user=UserFactory()).user
    return world


@pytest.mark.parametrize(
    ("endpoint", "case", "raw_body", "fields"),
    list(bad_inputs()),
    ids=[f"{endpoint}: {case}" for endpoint, case, _b, _f in bad_inputs()],
)
def test_bad_input_gets_400_with_field_messages_and_changes_nothing(
    world, endpoint, case, raw_body, fields, django_capture_on_commit_callbacks
):
    method, path, actor, *_cases = BODY_ENDPOINTS[endpoint]
    client = session_client(getattr(world, actor))
    path = path.format(organization=world.organization.pk, membership=world.member_membership.pk)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(path, raw_body, content_type="application/json")

    assert response.status_code == 400
    if fields is None:
        assert response.json() == error(
            "parse_error",
            "The request body is not valid JSON. "
            "JSON parse error - Expecting value: line 1 column 10 (char 9)",
        )
    else:
        assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize("endpoint", list(BODY_ENDPOINTS))
def test_the_valid_body_of_each_bad_input_case_is_accepted(world, endpoint):
    """The bad cases above differ from a body that works, so they fail for their own reason."""
    method, path, actor, valid, *_cases = BODY_ENDPOINTS[endpoint]
    if endpoint == "vendor profile create":
        world.vendor_profile.delete()
    client = session_client(getattr(world, actor))
    path = path.format(organization=world.organization.pk, membership=world.member_membership.pk)

    response = getattr(client, method)(path, valid, format="json")

    assert response.status_code == (201 if method == "post" else 200), response.json()


@pytest.mark.parametrize(
    "endpoint",
    [name for name, (method, *_rest) in BODY_ENDPOINTS.items() if method == "patch"],
)
def test_an_empty_patch_is_200_and_changes_nothing(world, endpoint):
    """PATCH is partial: no field means nothing to change (as the schema says)."""
    method, path, actor, *_cases = BODY_ENDPOINTS[endpoint]
    client = session_client(getattr(world, actor))
    path = path.format(organization=world.organization.pk, membership=world.member_membership.pk)
    before = snapshot()

    response = client.patch(path, {}, format="json")

    assert response.status_code == 200, response.json()
    assert snapshot() == before


def test_an_unknown_api_url_is_404_in_the_error_format(api_client):
    for url in ("/api/v1/nothing-here/", "/api/v1/organizations/abc/", "/api/v2/"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json() == error("not_found", "Not found.")


def test_a_wrong_method_is_405(world):
    response = session_client(world.member).delete("/api/v1/me/")

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", 'Method "DELETE" not allowed.')


def test_an_unsupported_accept_header_is_406(world):
    response = session_client(world.member).get("/api/v1/me/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json() == error(
        "not_acceptable", "Could not satisfy the request Accept header."
    )


def test_a_body_that_is_not_json_is_415(world):
    client = session_client(world.member)
    before = snapshot()

    response = client.post("/api/v1/organizations/", "name=Acme", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == error(
        "unsupported_media_type", 'Unsupported media type "text/plain" in request.'
    )
    assert snapshot() == before


def test_a_body_that_is_too_large_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = session_client(world.member)
    before = snapshot()

    response = client.post("/api/v1/organizations/", {"name": "x" * 2000}, format="json")

    assert response.status_code == 413
    assert response.json() == error("request_too_large", "The request body is too large.")
    assert snapshot() == before


def test_an_unhandled_error_is_500_in_the_error_format(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(organizations, "organization_create", broken)

    response = session_client(world.member).post(
        "/api/v1/organizations/", {"name": "Acme"}, format="json"
    )

    assert response.status_code == 500
    assert response.json() == error(
        "server_error", "Something went wrong on our side. Try again later."
    )
    assert "boom" not in response.content.decode()


def assert_throttled(response) -> None:
    assert response.status_code == 429
    body = response.json()
    match = re.fullmatch(
        r"Request was throttled\. Expected available in (\d+) seconds?\.", body["message"]
    )
    assert match is not None, body["message"]
    assert 0 < int(match.group(1)) <= 60
    assert body == error("throttled", body["message"])
    assert response["Retry-After"] == match.group(1)


def test_each_user_is_throttled(world, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/min", "ip": "100/min"})
    client = session_client(world.member)
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]

    assert_throttled(client.get("/api/v1/me/"))
    assert session_client(world.admin).get("/api/v1/me/").status_code == 200


def test_each_address_is_throttled(world, api_client, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "100/min", "ip": "2/min"})
    assert session_client(world.member).get("/api/v1/me/").status_code == 200
    assert session_client(world.admin).get("/api/v1/me/").status_code == 200

    assert_throttled(session_client(world.owner).get("/api/v1/me/"))
    other_address = session_client(world.owner).get("/api/v1/me/", REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200
