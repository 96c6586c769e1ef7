"""Authentication backends: Django's and allauth's, loading a session's user together with
their worker profile (one query instead of two on every worker request)."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


class UserWithWorkerProfile:
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("worker_profile")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(UserWithWorkerProfile, DjangoModelBackend):
    """Email and password (the admin's login form and tests' force_login)."""


class AuthenticationBackend(UserWithWorkerProfile, AllauthBackend):
    """allauth's login (email and password, with its rate limits)."""
