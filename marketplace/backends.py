"""Authentication backends: Django's and allauth's, loading a session's user together with
their worker profile in one query (on PostgreSQL a prepared statement: this runs on every
logged-in request)."""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from marketplace.db import attnames, columns, execute_prepared, from_row


@cache
def _user_with_worker_profile_sql() -> str:
    user_model = get_user_model()
    profile_model = user_model._meta.get_field("worker_profile").related_model
    # Only table and column names are formatted in; the id is a parameter.
    return f"""
        SELECT {columns(user_model, "person")}, {columns(profile_model, "profile")}
        FROM {user_model._meta.db_table} person
        LEFT JOIN {profile_model._meta.db_table} profile ON profile.user_id = person.id
        WHERE person.id = %(user)s
    """  # noqa: S608


def user_with_worker_profile(user_id):
    """The user with `user_id` (or None), their `worker_profile` loaded (or known absent)
    as select_related would leave it. Building that queryset's SQL costs about four times
    the CPU of running this statement."""
    user_model = get_user_model()
    if connection.vendor != "postgresql":
        return (
            user_model._default_manager.select_related("worker_profile").filter(pk=user_id).first()
        )
    try:
        user_id = user_model._meta.pk.to_python(user_id)
    except ValidationError:  # a session holding garbage is no one's session
        return None
    row = execute_prepared(_user_with_worker_profile_sql(), {"user": user_id}, savepoint=False)
    if row is None:
        return None
    user_fields = attnames(user_model)
    user = from_row(user_model, user_fields, row[: len(user_fields)])
    relation = user_model._meta.get_field("worker_profile")
    profile_fields = attnames(relation.related_model)
    profile_values = row[len(user_fields) :]
    profile = None
    if profile_values[0] is not None:
        profile = from_row(relation.related_model, profile_fields, profile_values)
        relation.remote_field.set_cached_value(profile, user)
    relation.set_cached_value(user, profile)
    return user


class UserWithWorkerProfile:
    def get_user(self, user_id):
        user = user_with_worker_profile(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(UserWithWorkerProfile, DjangoModelBackend):
    """Email and password (the admin's login form and tests' force_login)."""


class AuthenticationBackend(UserWithWorkerProfile, AllauthBackend):
    """allauth's login (email and password, with its rate limits)."""
