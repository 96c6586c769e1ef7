"""Helpers shared by the API test modules: a small world of two tenants, clients, snapshots.

It holds no tests itself.
"""

from types import SimpleNamespace

from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from marketplace.models import (
    Membership,
    MembershipRole,
    Organization,
    User,
)
from marketplace.services import api_key_create
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    VendorProfileFactory,
)
from tests.snapshots import database_snapshot


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
    """Every table, to prove a refused request changed nothing; an API-key request still
    records its own use."""
    return database_snapshot(leave_out=("marketplace.ApiKeyUse", "marketplace.ApiKey.last_used_at"))


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
