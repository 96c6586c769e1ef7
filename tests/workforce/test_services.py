"""Worker services against PostgreSQL: becoming a worker and editing the profile."""

import re

import pytest

from marketplace.exceptions import Conflict, DomainError, EmailNotVerified, InvalidInput, NotFound
from tests.concurrency import run_at_once
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WORKER_ID_REGEX, WorkerProfile
from workforce.services import worker_profile_create, worker_profile_update


def profiles() -> list[dict]:
    return list(WorkerProfile.objects.order_by("pk").values())


@pytest.mark.django_db
def test_worker_profile_create_makes_the_user_a_worker():
    user = UserFactory()

    profile = worker_profile_create(
        actor=user, display_name="Ann", country="DE", languages=["de", "en"]
    )

    assert re.fullmatch(WORKER_ID_REGEX, profile.worker_id)
    assert WorkerProfile.objects.filter(user=user).values(
        "worker_id", "display_name", "country", "languages"
    ).get() == {
        "worker_id": profile.worker_id,
        "display_name": "Ann",
        "country": "DE",
        "languages": ["de", "en"],
    }


@pytest.mark.django_db
def test_worker_profile_create_needs_no_fields():
    profile = worker_profile_create(actor=UserFactory())

    assert (profile.display_name, profile.country, profile.languages) == ("", "", [])


@pytest.mark.django_db
def test_a_user_becomes_a_worker_once():
    existing = WorkerProfileFactory()
    before = profiles()

    with pytest.raises(Conflict) as raised:
        worker_profile_create(actor=existing.user, display_name="Again")

    assert raised.value.code == "worker_profile_exists"
    assert profiles() == before


@pytest.mark.django_db
def test_worker_profile_create_needs_a_verified_email():
    with pytest.raises(EmailNotVerified):
        worker_profile_create(actor=UserFactory(verified=False))

    assert profiles() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"country": "de"}, ["country"]),
        ({"languages": "en"}, ["languages"]),
        ({"display_name": "x" * 101}, ["display_name"]),
        ({"worker_id": "A1234567890123"}, ["worker_id"]),
        ({"user": 1, "country": "XYZ"}, ["user"]),
    ],
)
def test_worker_profile_create_refuses_bad_or_unknown_fields(fields, errors):
    with pytest.raises(InvalidInput) as raised:
        worker_profile_create(actor=UserFactory(), **fields)

    assert sorted(raised.value.fields) == errors
    assert profiles() == []


@pytest.mark.django_db(transaction=True)
def test_two_requests_to_become_a_worker_at_once_make_one_profile():
    user = UserFactory()

    outcomes = run_at_once(
        lambda: worker_profile_create(actor=user, display_name="first"),
        lambda: worker_profile_create(actor=user, display_name="second"),
    )

    created = [item for item in outcomes if isinstance(item, WorkerProfile)]
    assert len(created) == 1
    assert [(type(item), item.code) for item in outcomes if isinstance(item, DomainError)] == [
        (Conflict, "worker_profile_exists")
    ]
    assert list(WorkerProfile.objects.values_list("user", "worker_id")) == [
        (user.pk, created[0].worker_id)
    ]


@pytest.mark.django_db
def test_worker_profile_update_changes_only_what_is_given():
    profile = WorkerProfileFactory(display_name="Ann", country="US", languages=["en"])

    updated = worker_profile_update(actor=profile.user, country="FR", languages=["fr", "en"])

    profile.refresh_from_db()
    assert (profile.display_name, profile.country, profile.languages) == (
        "Ann",
        "FR",
        ["fr", "en"],
    )
    assert updated.worker_id == profile.worker_id


@pytest.mark.django_db
def test_worker_profile_update_with_nothing_new_writes_nothing():
    profile = WorkerProfileFactory(country="US")
    before = profiles()

    worker_profile_update(actor=profile.user, country="US")

    assert profiles() == before


@pytest.mark.django_db
@pytest.mark.parametrize("fields", [{"country": "usa"}, {"worker_id": "A0000000000000"}])
def test_worker_profile_update_refuses_bad_or_unknown_fields(fields):
    profile = WorkerProfileFactory()
    before = profiles()

    with pytest.raises(InvalidInput):
        worker_profile_update(actor=profile.user, **fields)

    assert profiles() == before


@pytest.mark.django_db
def test_worker_profile_update_of_a_non_worker_is_not_found():
    with pytest.raises(NotFound):
        worker_profile_update(actor=UserFactory(), country="US")

    assert profiles() == []
