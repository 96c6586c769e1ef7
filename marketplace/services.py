"""Writes of the storefront: organizations, members, invitations, API keys, vendor profiles."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, DomainError, EmailNotVerified, PermissionDenied
from marketplace.models import (
    ApiKey,
    ApiKeyUse,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    User,
    VendorProfile,
)
from marketplace.selectors import invitation_from_token, membership_get

API_KEY_PREFIX = "gwk"


def user_require_verified_email(*, user: User) -> None:
    """Money and work actions need a verified email (allauth's EmailAddress)."""
    if not user.has_verified_email:
        raise EmailNotVerified()


def _event(organization: Organization, actor: User | None, kind: str, **data) -> None:
    OrganizationEvent.objects.create(organization=organization, actor=actor, kind=kind, data=data)


def _lock_organization(organization: Organization) -> Organization:
    """Row-lock the organization: membership changes on it then run one at a time."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def organization_create(*, actor: User, name: str) -> Organization:
    user_require_verified_email(user=actor)
    organization = Organization.objects.create(
        name=name.strip(), slug=_unique_slug(name), created_by=actor
    )
    Membership.objects.create(organization=organization, user=actor, role=MembershipRole.OWNER)
    _event(organization, actor, OrganizationEvent.Kind.CREATED, name=organization.name)
    return organization


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, name: str) -> Organization:
    organization = _lock_organization(organization)
    if organization.name != name.strip():
        old = organization.name
        organization.name = name.strip()
        organization.save(update_fields=["name", "updated_at"])
        _event(
            organization,
            actor,
            OrganizationEvent.Kind.UPDATED,
            old_name=old,
            name=organization.name,
        )
    return organization


def _require_role_power(*, actor_membership: Membership, role: str) -> None:
    """Admins manage admins and members; only owners grant or take away ownership."""
    if role == MembershipRole.OWNER and actor_membership.role != MembershipRole.OWNER:
        raise PermissionDenied("Only an owner can grant or remove the owner role.")


def _manager_membership(*, actor: User, organization: Organization) -> Membership:
    membership = membership_get(actor=actor, organization=organization)
    if membership is None or membership.role not in (MembershipRole.OWNER, MembershipRole.ADMIN):
        raise PermissionDenied("Only owners and admins of this organization can do this.")
    return membership


@transaction.atomic
def invitation_create(
    *, actor: User, organization: Organization, email: str, role: str
) -> Invitation:
    """Invite `email` with `role`; a pending invitation to the same address is replaced."""
    user_require_verified_email(user=actor)
    organization = _lock_organization(organization)
    actor_membership = _manager_membership(actor=actor, organization=organization)
    _require_role_power(actor_membership=actor_membership, role=role)
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(
            "This person is already a member.",
            fields={"email": ["This person is already a member of the organization."]},
            code="already_member",
        )
    Invitation.objects.filter(
        organization=organization, email__iexact=email, status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.REVOKED, updated_at=timezone.now())
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        invited_by=actor,
        expires_at=timezone.now() + settings.INVITATION_LIFETIME,
    )
    _event(organization, actor, OrganizationEvent.Kind.MEMBER_INVITED, email=email, role=role)
    from marketplace.tasks import invitation_send_email

    enqueue_on_commit(invitation_send_email, invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _manager_membership(actor=actor, organization=invitation.organization)
    if invitation.status == InvitationStatus.REVOKED:
        return invitation
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict("Only a pending invitation can be revoked.", code="invitation_not_pending")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    _event(
        invitation.organization,
        actor,
        OrganizationEvent.Kind.INVITATION_REVOKED,
        email=invitation.email,
    )
    return invitation


def invitation_check_usable(invitation: Invitation) -> None:
    """Raise the reason an invitation can no longer be accepted, if there is one."""
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Conflict("This invitation has already been used.", code="invitation_used")
    if invitation.status == InvitationStatus.REVOKED:
        raise Conflict("This invitation has been withdrawn.", code="invitation_revoked")
    if invitation.is_expired:
        raise Conflict("This invitation has expired. Ask for a new one.", code="invitation_expired")


@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> Membership:
    """Join the organization named by a link's token; single use, by the invited address."""
    invitation = invitation_from_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation_check_usable(invitation)
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(
        user=actor, email__iexact=invitation.email, verified=True
    ).exists():
        raise PermissionDenied(
            f"This invitation was sent to {invitation.email}. Log in with that address "
            "(verified) to accept it.",
            code="invitation_email_mismatch",
        )
    organization = _lock_organization(invitation.organization)
    membership = membership_get(actor=actor, organization=organization)
    if membership is None:
        membership = Membership.objects.create(
            organization=organization, user=actor, role=invitation.role
        )
        _event(
            organization,
            actor,
            OrganizationEvent.Kind.MEMBER_JOINED,
            email=actor.email,
            role=invitation.role,
        )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = actor
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    return membership


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=MembershipRole.OWNER).count()


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    organization = _lock_organization(membership.organization)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    actor_membership = _manager_membership(actor=actor, organization=organization)
    if membership.role == role:
        return membership
    _require_role_power(actor_membership=actor_membership, role=role)
    _require_role_power(actor_membership=actor_membership, role=membership.role)
    if membership.role == MembershipRole.OWNER and _owner_count(organization) == 1:
        raise Conflict(
            "An organization needs at least one owner. Make someone else an owner first.",
            fields={"role": ["The last owner cannot be demoted."]},
            code="last_owner",
        )
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.ROLE_CHANGED,
        email=membership.user.email,
        old_role=old_role,
        role=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Remove a member (or leave, when actor is the member). Their API keys are revoked."""
    organization = _lock_organization(membership.organization)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    if membership.user_id != actor.pk:
        actor_membership = _manager_membership(actor=actor, organization=organization)
        _require_role_power(actor_membership=actor_membership, role=membership.role)
    if membership.role == MembershipRole.OWNER and _owner_count(organization) == 1:
        raise Conflict(
            "An organization needs at least one owner. Make someone else an owner first.",
            code="last_owner",
        )
    now = timezone.now()
    ApiKey.objects.filter(
        organization=organization, created_by=membership.user, revoked_at__isnull=True
    ).update(
        revoked_at=now,
        revoked_by=actor,
        revoke_reason="Creator left the organization.",
        updated_at=now,
    )
    membership.delete()
    _event(organization, actor, OrganizationEvent.Kind.MEMBER_REMOVED, email=membership.user.email)


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor: User, organization: Organization, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns it with its clear secret, which is never stored or shown again."""
    user_require_verified_email(user=actor)
    _manager_membership(actor=actor, organization=organization)
    for _attempt in range(3):
        prefix = secrets.token_hex(6)
        raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    organization=organization,
                    created_by=actor,
                    name=name.strip(),
                    prefix=prefix,
                    key_hash=_hash_key(raw_key),
                )
            break
        except IntegrityError:  # a 48-bit prefix collided; draw again
            continue
    else:
        raise DomainError("Could not create a key; try again.", code="key_generation_failed")
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.API_KEY_CREATED,
        prefix=prefix,
        name=api_key.name,
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: User, api_key: ApiKey, reason: str = "") -> ApiKey:
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    _manager_membership(actor=actor, organization=api_key.organization)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor
    api_key.revoke_reason = reason
    api_key.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    _event(
        api_key.organization, actor, OrganizationEvent.Kind.API_KEY_REVOKED, prefix=api_key.prefix
    )
    return api_key


@transaction.atomic
def api_key_authenticate(
    *, raw_key: str, method: str, path: str, ip_address: str | None, user_agent: str
) -> ApiKey | None:
    """The active key matching `raw_key`, with this use recorded; None for anything else."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = (
        ApiKey.objects.select_related("organization", "created_by")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(raw_key)):
        return None
    if not api_key.created_by.is_active:
        return None
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
    ApiKeyUse.objects.create(
        api_key=api_key,
        used_at=now,
        method=method[:10],
        path=path[:500],
        ip_address=ip_address,
        user_agent=user_agent[:300],
    )
    return api_key


@transaction.atomic
def vendor_profile_create(*, actor: User, organization: Organization, **fields) -> VendorProfile:
    user_require_verified_email(user=actor)
    _manager_membership(actor=actor, organization=organization)
    organization = _lock_organization(organization)
    if VendorProfile.objects.filter(organization=organization).exists():
        raise Conflict(
            "This organization already has a vendor profile.", code="vendor_profile_exists"
        )
    profile = VendorProfile.objects.create(organization=organization, **fields)
    _event(organization, actor, OrganizationEvent.Kind.VENDOR_PROFILE_CHANGED, created=True)
    return profile


VENDOR_PROFILE_FIELDS = ("display_name", "description", "website", "contact_email", "languages")


@transaction.atomic
def vendor_profile_update(*, actor: User, profile: VendorProfile, **fields) -> VendorProfile:
    _manager_membership(actor=actor, organization=profile.organization)
    profile = VendorProfile.objects.select_for_update().get(pk=profile.pk)
    changed = [
        name
        for name, value in fields.items()
        if name in VENDOR_PROFILE_FIELDS and getattr(profile, name) != value
    ]
    for name in changed:
        setattr(profile, name, fields[name])
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
        _event(
            profile.organization,
            actor,
            OrganizationEvent.Kind.VENDOR_PROFILE_CHANGED,
            fields=changed,
        )
    return profile


@transaction.atomic
def user_update(*, actor: User, full_name: str) -> User:
    if actor.full_name != full_name:
        actor.full_name = full_name
        actor.save(update_fields=["full_name"])
    return actor
