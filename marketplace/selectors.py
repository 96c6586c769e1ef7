"""Reads of the storefront, each scoped to what the acting user may see."""

from django.core import signing
from django.db.models import OuterRef, QuerySet, Subquery

from marketplace.exceptions import NotFound, PermissionDenied
from marketplace.models import (
    MANAGER_ROLES,
    ApiKey,
    Invitation,
    Membership,
    Organization,
    User,
    VendorProfile,
)

INVITATION_TOKEN_SALT = "groundwork.invitation"  # noqa: S105 - a salt, not a secret


def organization_list(*, actor: User, only: Organization | None = None) -> QuerySet[Organization]:
    """The organizations `actor` belongs to (only `only` when a request is bound to one),
    each annotated with the actor's `role` in it, in one query."""
    role = Membership.objects.filter(organization=OuterRef("pk"), user=actor).values("role")[:1]
    queryset = (
        Organization.objects.filter(memberships__user=actor)
        .select_related("vendor_profile")
        .annotate(role=Subquery(role))
    )
    if only is not None:
        queryset = queryset.filter(pk=only.pk)
    return queryset


def membership_get(*, actor: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=actor, organization=organization).first()


def organization_access(
    *, actor: User, organization_id, manage: bool = False, only: Organization | None = None
) -> tuple[Organization, Membership]:
    """Fetch an organization `actor` belongs to, or raise NotFound.

    With `manage`, the actor must also be an owner or admin (PermissionDenied otherwise:
    a member already knows the organization exists).
    """
    try:
        organization_id = int(organization_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if only is not None and only.pk != organization_id:
        raise NotFound()
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=actor, organization_id=organization_id)
        .first()
    )
    if membership is None:
        raise NotFound()
    if manage and membership.role not in MANAGER_ROLES:
        raise PermissionDenied("Only owners and admins of this organization can do this.")
    return membership.organization, membership


def member_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def member_access(*, organization: Organization, membership_id) -> Membership:
    try:
        return member_list(organization=organization).get(pk=int(membership_id))
    except (Membership.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def invitation_list(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=organization).select_related("invited_by")


def invitation_access(*, organization: Organization, invitation_id) -> Invitation:
    try:
        return invitation_list(organization=organization).get(pk=int(invitation_id))
    except (Invitation.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def invitation_token(invitation: Invitation) -> str:
    """The token in an invitation link: the invitation id signed with SECRET_KEY."""
    return signing.dumps(invitation.pk, salt=INVITATION_TOKEN_SALT)


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a link's token names, whatever its state; NotFound if forged."""
    try:
        invitation_id = signing.loads(token, salt=INVITATION_TOKEN_SALT)
    except signing.BadSignature:
        raise NotFound("This invitation link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    return invitation


def api_key_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("created_by")


def api_key_access(*, organization: Organization, api_key_id) -> ApiKey:
    try:
        return api_key_list(organization=organization).get(pk=int(api_key_id))
    except (ApiKey.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def vendor_profile_get(*, organization: Organization) -> VendorProfile:
    try:
        return organization.vendor_profile
    except VendorProfile.DoesNotExist:
        raise NotFound("This organization has no vendor profile.") from None
