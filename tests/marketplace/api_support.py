"""Helpers shared by the API test modules: a small world of two tenants, clients, snapshots.

It holds no tests itself.
"""

from types import SimpleNamespace

from allauth.account.models import EmailAddress
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from marketplace.models import (
    ApiKey,
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    User,
    VendorProfile,
)
from marketplace.services import api_key_create
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    VendorProfileFactory,
)
from workforce.models import WorkerProfile

# Every table an API request could change; compared whole before and after a refused request.
# An API key's use is recorded even when the request is then refused, so the key's use
# trail (ApiKeyUse, ApiKey.last_used_at) is left out.
SNAPSHOT_MODELS = (
    User,
    EmailAddress,
    Organization,
    Membership,
    Invitation,
    ApiKey,
    VendorProfile,
    OrganizationEvent,
    WorkerProfile,
)


def iso(value) -> str | None:
    """A datetime as the API renders it."""
    return DateTimeField().to_representation(value) if value is not None else None


def error(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


NOT_FOUND = error("not_found", "Not found.")
NOT_MANAGER = error("permission_denied", "Only owners and admins of this organization can do this.")
SESSION_ONLY = error(
    "permission_denied", "This action needs a logged-in session; an API key cannot do it."
)
NOT_AUTHENTICATED = error("not_authenticated", "Authentication credentials were not provided.")


def snapshot() -> dict:
    """Every row of every table the API writes, to prove a refused request changed nothing."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }
    for row in rows["ApiKey"]:
        del row["last_used_at"]
    return rows


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def organization_with_owner(**kwargs) -> tuple[Organization, User]:
    owner = UserFactory()
    organization = OrganizationFactory(created_by=owner, **kwargs)
    MembershipFactory(organization=organization, user=owner, role=MembershipRole.OWNER)
    return organization, owner


def make_world() -> SimpleNamespace:
    """An organization with an owner, an admin, a member, an invitation, a key and a vendor
    profile; and an outsider who owns another organization."""
    organization, owner = organization_with_owner()
    admin = MembershipFactory(organization=organization, role=MembershipRole.ADMIN).user
    member_membership = MembershipFactory(organization=organization, role=MembershipRole.MEMBER)
    invitation = InvitationFactory(organization=organization, invited_by=owner)
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")
    vendor_profile = VendorProfileFactory(organization=organization)
    other_organization, outsider = organization_with_owner()
    return SimpleNamespace(
        organization=organization,
        owner=owner,
        owner_membership=Membership.objects.get(organization=organization, user=owner),
        admin=admin,
        member=member_membership.user,
        member_membership=member_membership,
        invitation=invitation,
        api_key=api_key,
        raw_key=raw_key,
        vendor_profile=vendor_profile,
        other_organization=other_organization,
        outsider=outsider,
    )
