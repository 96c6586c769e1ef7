"""Worker profile invariants the database enforces, and the worker id's shape."""

import re

import pytest
from django.db import IntegrityError, transaction

from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WORKER_ID_REGEX, WorkerProfile, new_worker_id


def test_new_worker_ids_have_the_mechanical_turk_shape():
    for _ in range(1000):
        assert re.fullmatch(r"A[A-Z0-9]{12,20}", new_worker_id())


def test_new_worker_ids_do_not_repeat():
    ids = {new_worker_id() for _ in range(20000)}

    assert len(ids) == 20000


@pytest.mark.django_db
def test_a_profile_gets_a_worker_id_on_creation():
    profile = WorkerProfileFactory()

    assert re.fullmatch(WORKER_ID_REGEX, profile.worker_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "worker_id", ["B1234567890AB", "A1234567890a", "A12345678901", "A123456789-12"]
)
def test_a_worker_id_of_another_shape_is_refused(worker_id):
    profile = WorkerProfileFactory()

    with pytest.raises(IntegrityError, match="worker_id_shape"), transaction.atomic():
        WorkerProfile.objects.filter(pk=profile.pk).update(worker_id=worker_id)


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["us", "U1", "U"])
def test_a_country_that_is_not_an_iso_code_is_refused(country):
    with pytest.raises(IntegrityError, match="worker_country_iso3166"), transaction.atomic():
        WorkerProfileFactory(country=country)

    assert not WorkerProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["", "DE"])
def test_a_blank_or_iso_country_is_accepted(country):
    assert WorkerProfileFactory(country=country).country == country


@pytest.mark.django_db
def test_a_user_has_one_worker_profile_and_a_worker_id_is_unique():
    profile = WorkerProfileFactory()

    with pytest.raises(IntegrityError, match="user_id"), transaction.atomic():
        WorkerProfileFactory(user=profile.user)
    with pytest.raises(IntegrityError, match="worker_id"), transaction.atomic():
        WorkerProfileFactory(worker_id=profile.worker_id)
    assert WorkerProfile.objects.get() == profile


@pytest.mark.django_db
def test_json_list_validators_keep_their_own_messages():
    """A JSONField replaces a validator's message when its code is "invalid" (with "Value
    must be valid JSON."); the list validators use codes of their own."""
    from django.core.exceptions import ValidationError

    worker = WorkerProfileFactory.build(skills=[""], languages=["not a tag!"])

    with pytest.raises(ValidationError) as error:
        worker.full_clean(exclude=["user"])

    assert error.value.message_dict == {
        "skills": ["A skill is 1 to 50 characters."],
        "languages": ["'not a tag!' is not a BCP 47 language tag."],
    }
