"""The current user's worker profile through the API: /api/v1/me/worker-profile/."""

import re

import pytest

from tests.marketplace.api_support import (
    SESSION_ONLY,
    error,
    iso,
    key_client,
    make_world,
    session_client,
    snapshot,
)
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WORKER_ID_REGEX, WorkerProfile

URL = "/api/v1/me/worker-profile/"

pytestmark = pytest.mark.django_db


def profile_body(profile: WorkerProfile) -> dict:
    return {
        "worker_id": profile.worker_id,
        "display_name": profile.display_name,
        "country": profile.country,
        "languages": profile.languages,
        "skills": profile.skills,
        "is_adult": profile.is_adult,
        "created_at": iso(profile.created_at),
        "suspended": profile.suspended_at is not None,
        "suspension_reason": profile.suspension_reason,
    }


def test_become_a_worker():
    user = UserFactory()

    response = session_client(user).post(
        URL, {"display_name": "Ada", "country": "PT", "languages": ["pt", "en"]}, format="json"
    )

    assert response.status_code == 201
    profile = WorkerProfile.objects.get(user=user)
    assert response.json() == profile_body(profile)
    assert re.match(WORKER_ID_REGEX, profile.worker_id)
    assert (profile.display_name, profile.country, profile.languages) == ("Ada", "PT", ["pt", "en"])


def test_become_a_worker_with_nothing_filled_in():
    user = UserFactory()

    response = session_client(user).post(URL, {}, format="json")

    assert response.status_code == 201
    assert response.json() == profile_body(WorkerProfile.objects.get(user=user))


def test_becoming_a_worker_needs_a_verified_email():
    client = session_client(UserFactory(verified=False))
    before = snapshot()

    response = client.post(URL, {"country": "US"}, format="json")

    assert response.status_code == 403
    assert response.json() == error(
        "email_not_verified", "Verify your email address before doing this."
    )
    assert snapshot() == before


def test_becoming_a_worker_twice_is_a_conflict():
    profile = WorkerProfileFactory()
    client = session_client(profile.user)
    before = snapshot()

    response = client.post(URL, {}, format="json")

    assert response.status_code == 409
    assert response.json() == error("worker_profile_exists", "You are already a worker.")
    assert snapshot() == before


def test_read_my_profile():
    profile = WorkerProfileFactory()

    response = session_client(profile.user).get(URL)

    assert response.status_code == 200
    assert response.json() == profile_body(profile)


def test_a_non_worker_has_no_profile():
    client = session_client(UserFactory())
    before = snapshot()

    for response in (client.get(URL), client.patch(URL, {"country": "US"}, format="json")):
        assert response.status_code == 404
        assert response.json() == error("not_found", "You are not a worker yet.")
    assert snapshot() == before


def test_edit_my_skills_trims_them_and_keeps_the_rest():
    profile = WorkerProfileFactory(country="US", skills=["ocr"])

    response = session_client(profile.user).patch(
        URL, {"skills": ["bounding boxes", "Medical imaging "]}, format="json"
    )

    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.skills, profile.country) == (["bounding boxes", "Medical imaging"], "US")
    assert response.json() == profile_body(profile)


def test_edit_my_profile():
    profile = WorkerProfileFactory(country="US")

    response = session_client(profile.user).patch(URL, {"country": "DE"}, format="json")

    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.country == "DE"
    assert response.json() == profile_body(profile)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"country": "us"}, {"country": ['"us" is not a valid choice.']}),
        ({"country": "XX"}, {"country": ['"XX" is not a valid choice.']}),
        ({"worker_id": "AAAAAAAAAAAAAA"}, {"worker_id": ["Unknown field."]}),
        ({"languages": "en"}, {"languages": ['Expected a list of items but got type "str".']}),
        ({"skills": "ocr"}, {"skills": ['Expected a list of items but got type "str".']}),
        ({"skills": ["OCR", "ocr"]}, {"skills": ["A skill is listed twice."]}),
        ({"skills": ["  "]}, {"skills.0": ["This field may not be blank."]}),
        (
            {"skills": ["x" * 51]},
            {"skills.0": ["Ensure this field has no more than 50 characters."]},
        ),
        (
            {"skills": [f"skill {n}" for n in range(21)]},
            {"skills": ["Ensure this field has no more than 20 elements."]},
        ),
        (
            {"display_name": "x" * 101},
            {"display_name": ["Ensure this field has no more than 100 characters."]},
        ),
    ],
)
def test_bad_profile_input_is_refused(body, fields):
    profile = WorkerProfileFactory()
    client = session_client(profile.user)
    before = snapshot()

    response = client.patch(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)
    assert snapshot() == before


def test_an_api_key_cannot_use_the_worker_profile():
    world = make_world()
    WorkerProfileFactory(user=world.owner)
    client = key_client(world.raw_key)
    before = snapshot()

    for response in (client.get(URL), client.post(URL, {}, format="json")):
        assert response.status_code == 403
        assert response.json() == SESSION_ONLY
    assert snapshot() == before
