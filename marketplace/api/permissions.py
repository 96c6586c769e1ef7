"""API permissions and the organization a request is bound to."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from marketplace.models import ApiKey, Organization


def request_api_key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def request_bound_organization(request) -> Organization | None:
    """An API-key request sees only the key's organization; a session sees all of its own."""
    api_key = request_api_key(request)
    return api_key.organization if api_key else None


def request_organization(request, organization_id) -> Organization:
    """The organization `organization_id` if the request's user belongs to it (and, with
    an API key, it is the key's); NotFound otherwise."""
    from marketplace.selectors import organization_access

    organization, _membership = organization_access(
        actor=request.user,
        organization_id=organization_id,
        only=request_bound_organization(request),
    )
    return organization


class SessionOnly(BasePermission):
    """Managing people and keys, or acting as a person, takes a logged-in session.

    An API key belongs to an organization, not to the person who created it.
    """

    message = "This action needs a logged-in session; an API key cannot do it."

    def has_permission(self, request, view):
        return request.user.is_authenticated and request_api_key(request) is None


class SessionOnlyForWrites(SessionOnly):
    """Reads accept an API key or a session; writes need a session."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return request.user.is_authenticated
        return super().has_permission(request, view)
