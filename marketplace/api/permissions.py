"""API permissions and the organization a request is bound to."""

from rest_framework.permissions import BasePermission

from marketplace.models import ApiKey, Organization


def request_api_key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def request_bound_organization(request) -> Organization | None:
    """An API-key request sees only the key's organization; a session sees all of its own."""
    api_key = request_api_key(request)
    return api_key.organization if api_key else None


class SessionOnly(BasePermission):
    """Managing people and keys takes a logged-in person, not an API key."""

    message = "This action needs a logged-in session; API keys cannot manage members or keys."

    def has_permission(self, request, view):
        return request.user.is_authenticated and request_api_key(request) is None
