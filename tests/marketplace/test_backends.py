"""Authentication backends: a session's user comes with their worker profile, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist

from marketplace.backends import ModelBackend, user_with_worker_profile
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


def test_a_worker_comes_with_their_profile_in_one_query(django_assert_num_queries):
    profile = WorkerProfileFactory(display_name="Ada")

    with django_assert_num_queries(1):
        user = user_with_worker_profile(profile.user_id)
        assert user.worker_profile.worker_id == profile.worker_id
        assert user.worker_profile.display_name == "Ada"
        assert user.worker_profile.languages == ["en"]
        assert user.worker_profile.user is user

    assert user == profile.user
    assert user.email == profile.user.email
    assert user.check_password("correct horse battery staple")


def test_a_user_without_a_profile_is_known_to_have_none_without_another_query(
    django_assert_num_queries,
):
    person = UserFactory()

    with django_assert_num_queries(1):
        user = user_with_worker_profile(person.pk)
        with pytest.raises(ObjectDoesNotExist):
            user.worker_profile  # noqa: B018 - the access is what is tested

    assert user == person


@pytest.mark.parametrize("user_id", [987654321, "987654321", "not a number", None])
def test_an_unknown_or_garbled_id_is_no_one(user_id):
    UserFactory()

    assert user_with_worker_profile(user_id) is None


def test_the_backend_refuses_an_inactive_user():
    person = UserFactory()
    get_user_model().objects.filter(pk=person.pk).update(is_active=False)

    assert ModelBackend().get_user(person.pk) is None
    assert ModelBackend().get_user(str(person.pk)) is None
    get_user_model().objects.filter(pk=person.pk).update(is_active=True)
    assert ModelBackend().get_user(str(person.pk)) == person
