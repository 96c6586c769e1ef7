"""Writes of the storefront: organizations, members, invitations, API keys, vendor profiles.

Lock order, to keep concurrent services from deadlocking: the organization row first,
then the row being changed (invitation, API key, vendor profile). Every change to an
organization's memberships holds the organization's row lock, so counts such as "owners
left" read under it cannot go stale before the transaction commits.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import (
    Conflict,
    DomainError,
    EmailNotVerified,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from marketplace.models import (
    INVITATION_TRANSITIONS,
    MANAGER_ROLES,
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
VENDOR_PROFILE_FIELDS = (
    "display_name",
    "description",
    "website",
    "contact_email",
    "languages",
    "certifications",
)


# Shared checks (workforce's services use them too).


def user_require_verified_email(*, user: User) -> None:
    """Money and work actions need a verified email (allauth's EmailAddress)."""
    if not user.has_verified_email:
        raise EmailNotVerified()


def fields_require_known(*, fields: dict, allowed: Iterable[str]) -> None:
    """Refuse field names a service does not accept, rather than silently dropping them."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInput(fields={name: ["Unknown field."] for name in unknown})


def member_require(*, actor: User, organization_id: int | None) -> None:
    """NotFound unless `actor` belongs to the organization: anyone else learns nothing
    (None, the owner of the platform's own rows, has no members)."""
    if (
        organization_id is None
        or not Membership.objects.filter(user=actor, organization_id=organization_id).exists()
    ):
        raise NotFound()


def reason_clean(reason, *, field: str = "reason") -> str:
    """A reason someone will read (a worker, mostly): 1-1024 characters, trimmed."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1024:
        raise InvalidInput(fields={field: ["Give the reason (1-1024 characters)."]})
    return reason.strip()


def instance_validate(*, instance: models.Model, fields: Iterable[str]) -> None:
    """Run the model's field rules (length, blank, choices, validators) on `fields`."""
    names = set(fields)
    exclude = {field.name for field in instance._meta.fields} - names
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        raise InvalidInput(fields=error.message_dict) from None


def _event(organization: Organization, actor: User | None, kind: str, **data) -> None:
    OrganizationEvent.objects.create(organization=organization, actor=actor, kind=kind, data=data)


def _lock_organization(organization: Organization) -> Organization:
    """Row-lock the organization: membership changes on it then run one at a time."""
    try:
        return Organization.objects.select_for_update().get(pk=organization.pk)
    except Organization.DoesNotExist:
        raise NotFound() from None


def _lock(model: type[models.Model], pk: int, **filters):
    try:
        return model.objects.select_for_update().get(pk=pk, **filters)
    except model.DoesNotExist:
        raise NotFound() from None


def _manager_membership(*, actor: User, organization: Organization) -> Membership:
    """The actor's membership if they own or administer `organization`.

    Callers hold the organization's row lock, so the role read here cannot change before
    their transaction commits. A non-member gets NotFound: never reveal the organization.
    """
    membership = membership_get(actor=actor, organization=organization)
    if membership is None:
        raise NotFound()
    if membership.role not in MANAGER_ROLES:
        raise PermissionDenied("Only owners and admins of this organization can do this.")
    return membership


def manager_require(*, actor: User, organization: Organization) -> Membership:
    """The actor's membership if they own or administer `organization`: NotFound for a
    non-member, PermissionDenied for a plain member (listings and engagements use it)."""
    return _manager_membership(actor=actor, organization=organization)


def _require_manager_or_staff(*, actor: User, organization: Organization) -> None:
    """Staff revoke from the admin in any organization; anyone else must manage this one."""
    if not actor.is_staff:
        _manager_membership(actor=actor, organization=organization)


def _require_role_power(*, actor_membership: Membership, role: str) -> None:
    """Admins manage admins and members; only owners grant or take away ownership."""
    if role == MembershipRole.OWNER and actor_membership.role != MembershipRole.OWNER:
        raise PermissionDenied("Only an owner can grant or remove the owner role.")


def _require_valid_role(role: str) -> None:
    if role not in MembershipRole.values:
        choices = ", ".join(MembershipRole.values)
        raise InvalidInput(fields={"role": [f"Choose one of: {choices}."]})


def _require_not_last_owner(
    *, organization: Organization, membership: Membership, fields: dict | None = None
) -> None:
    """Caller holds the organization's row lock."""
    if membership.role != MembershipRole.OWNER:
        return
    owners = Membership.objects.filter(organization=organization, role=MembershipRole.OWNER)
    if owners.count() == 1:
        raise Conflict(
            "An organization needs at least one owner. Make someone else an owner first.",
            fields=fields,
            code="last_owner",
        )


# Organizations.


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def organization_create(*, actor: User, name: str) -> Organization:
    user_require_verified_email(user=actor)
    organization = Organization(name=name.strip(), created_by=actor)
    instance_validate(instance=organization, fields=["name"])
    for _attempt in range(5):
        organization.slug = _unique_slug(organization.name)
        try:
            with transaction.atomic():
                organization.save(force_insert=True)
            break
        except IntegrityError:  # another request took the same slug in between
            organization.pk = None
            continue
    else:
        raise Conflict("Could not pick an address for the organization; try again.")
    Membership.objects.create(organization=organization, user=actor, role=MembershipRole.OWNER)
    _event(organization, actor, OrganizationEvent.Kind.CREATED, name=organization.name)
    return organization


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, name: str) -> Organization:
    organization = _lock_organization(organization)
    _manager_membership(actor=actor, organization=organization)
    old_name = organization.name
    organization.name = name.strip()
    instance_validate(instance=organization, fields=["name"])
    if organization.name != old_name:
        organization.save(update_fields=["name", "updated_at"])
        _event(
            organization,
            actor,
            OrganizationEvent.Kind.UPDATED,
            old_name=old_name,
            name=organization.name,
        )
    return organization


# Invitations.


@transaction.atomic
def invitation_create(
    *, actor: User, organization: Organization, email: str, role: str
) -> Invitation:
    """Invite `email` with `role`; a pending invitation to the same address is replaced.

    The email goes out after commit, so a rolled-back invitation never sends one.
    """
    user_require_verified_email(user=actor)
    _require_valid_role(role)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(fields={"email": error.messages}) from None
    organization = _lock_organization(organization)
    actor_membership = _manager_membership(actor=actor, organization=organization)
    _require_role_power(actor_membership=actor_membership, role=role)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(
            "This person is already a member.",
            fields={"email": ["This person is already a member of the organization."]},
            code="already_member",
        )
    replaced = Invitation.objects.filter(
        organization=organization, email__iexact=email, status=InvitationStatus.PENDING
    ).update(status=InvitationStatus.REVOKED, updated_at=timezone.now())
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        invited_by=actor,
        expires_at=timezone.now() + settings.INVITATION_LIFETIME,
    )
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.MEMBER_INVITED,
        email=email,
        role=role,
        replaced=replaced,
    )
    from marketplace.tasks import invitation_send_email

    enqueue_on_commit(invitation_send_email, invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation; revoking a revoked one again does nothing."""
    organization = _lock_organization(invitation.organization)
    _require_manager_or_staff(actor=actor, organization=organization)
    invitation = _lock(Invitation, invitation.pk, organization=organization)
    if invitation.status == InvitationStatus.REVOKED:
        return invitation
    if InvitationStatus.REVOKED not in INVITATION_TRANSITIONS[invitation.status]:
        raise Conflict("Only a pending invitation can be revoked.", code="invitation_not_pending")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    _event(organization, actor, OrganizationEvent.Kind.INVITATION_REVOKED, email=invitation.email)
    return invitation


def invitation_check_usable(invitation: Invitation) -> None:
    """Raise the reason an invitation can no longer be accepted, if there is one."""
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Conflict("This invitation has already been used.", code="invitation_used")
    if invitation.status == InvitationStatus.REVOKED:
        raise Conflict("This invitation has been withdrawn.", code="invitation_revoked")
    if invitation.is_expired:
        raise Conflict("This invitation has expired. Ask for a new one.", code="invitation_expired")


def invited_address_require(*, actor: User, email: str) -> None:
    """The invitation to `email` may be accepted by `actor`: one of their verified
    addresses (any invitation link, to an organization or a workforce)."""
    from allauth.account.models import EmailAddress

    addresses = EmailAddress.objects.filter(user=actor, email__iexact=email)
    if addresses.filter(verified=True).exists():
        return
    if addresses.exists():
        raise EmailNotVerified(f"Verify {email} before accepting this invitation.")
    raise PermissionDenied(
        f"This invitation was sent to {email}. Log in with that address to accept it.",
        code="invitation_email_mismatch",
    )


@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> Membership:
    """Join the organization named by a link's token; single use, by the invited address."""
    invitation = invitation_from_token(token=token)
    organization = _lock_organization(invitation.organization)
    invitation = _lock(Invitation, invitation.pk)
    invitation_check_usable(invitation)
    invited_address_require(actor=actor, email=invitation.email)
    if membership_get(actor=actor, organization=organization) is not None:
        raise Conflict(f"You are already a member of {organization.name}.", code="already_member")
    membership = Membership.objects.create(
        organization=organization, user=actor, role=invitation.role
    )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = actor
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.MEMBER_JOINED,
        email=actor.email,
        role=invitation.role,
        invitation_id=invitation.pk,
    )
    return membership


# Memberships.


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Change a member's role. Only owners touch ownership; the last owner stays an owner."""
    _require_valid_role(role)
    organization = _lock_organization(membership.organization)
    actor_membership = _manager_membership(actor=actor, organization=organization)
    try:
        membership = Membership.objects.select_related("user").get(
            pk=membership.pk, organization=organization
        )
    except Membership.DoesNotExist:
        raise NotFound() from None
    if membership.role == role:
        return membership
    _require_role_power(actor_membership=actor_membership, role=role)
    _require_role_power(actor_membership=actor_membership, role=membership.role)
    _require_not_last_owner(
        organization=organization,
        membership=membership,
        fields={"role": ["The last owner cannot be demoted or removed."]},
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
    try:
        membership = Membership.objects.select_related("user").get(
            pk=membership.pk, organization=organization
        )
    except Membership.DoesNotExist:
        raise NotFound() from None
    if membership.user_id != actor.pk:
        actor_membership = _manager_membership(actor=actor, organization=organization)
        _require_role_power(actor_membership=actor_membership, role=membership.role)
    _require_not_last_owner(organization=organization, membership=membership)
    keys = ApiKey.objects.filter(
        organization=organization, created_by=membership.user, revoked_at__isnull=True
    )
    revoked_prefixes = sorted(keys.values_list("prefix", flat=True))
    now = timezone.now()
    keys.update(
        revoked_at=now,
        revoked_by=actor,
        revoke_reason="Creator left the organization.",
        updated_at=now,
    )
    membership.delete()
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.MEMBER_REMOVED,
        email=membership.user.email,
        revoked_api_keys=revoked_prefixes,
    )


# API keys.


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor: User, organization: Organization, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns it with its clear secret, which is never stored or shown again."""
    user_require_verified_email(user=actor)
    # The lock keeps a concurrent membership_remove from missing the key this creates.
    organization = _lock_organization(organization)
    _manager_membership(actor=actor, organization=organization)
    api_key = ApiKey(organization=organization, created_by=actor, name=name.strip())
    instance_validate(instance=api_key, fields=["name"])
    for _attempt in range(3):
        api_key.prefix = secrets.token_hex(6)
        raw_key = f"{API_KEY_PREFIX}_{api_key.prefix}_{secrets.token_urlsafe(32)}"
        api_key.key_hash = _hash_key(raw_key)
        try:
            with transaction.atomic():
                api_key.save(force_insert=True)
            break
        except IntegrityError:  # a 48-bit prefix collided; draw again
            api_key.pk = None
            continue
    else:
        raise DomainError("Could not create a key; try again.", code="key_generation_failed")
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.API_KEY_CREATED,
        prefix=api_key.prefix,
        name=api_key.name,
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: User, api_key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a key for good; revoking a revoked key again does nothing."""
    reason = reason.strip()
    max_length = ApiKey._meta.get_field("revoke_reason").max_length
    if len(reason) > max_length:
        raise InvalidInput(fields={"reason": [f"At most {max_length} characters."]})
    organization = _lock_organization(api_key.organization)
    _require_manager_or_staff(actor=actor, organization=organization)
    api_key = _lock(ApiKey, api_key.pk, organization=organization)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor
    api_key.revoke_reason = reason
    api_key.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
    _event(organization, actor, OrganizationEvent.Kind.API_KEY_REVOKED, prefix=api_key.prefix)
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
    # Conditional on still being active: a key revoked since the read above is refused.
    if not ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(last_used_at=now):
        return None
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


# Vendor profiles.


def _certifications_clean(fields: dict) -> None:
    """Trim certification names in place (the model's validator then checks them)."""
    value = fields.get("certifications")
    if isinstance(value, list):
        fields["certifications"] = [
            name.strip() if isinstance(name, str) else name for name in value
        ]


@transaction.atomic
def vendor_profile_create(*, actor: User, organization: Organization, **fields) -> VendorProfile:
    """Make `organization` a vendor; its owners and admins manage the profile.

    The vendor's workforce (the workers who label for it) is created with it.
    """
    from workforce.models import Workforce, WorkforceKind

    user_require_verified_email(user=actor)
    fields_require_known(fields=fields, allowed=VENDOR_PROFILE_FIELDS)
    organization = _lock_organization(organization)
    _manager_membership(actor=actor, organization=organization)
    if VendorProfile.objects.filter(organization=organization).exists():
        raise Conflict(
            "This organization already has a vendor profile.", code="vendor_profile_exists"
        )
    _certifications_clean(fields)
    profile = VendorProfile(organization=organization, **fields)
    instance_validate(instance=profile, fields=VENDOR_PROFILE_FIELDS)
    profile.save(force_insert=True)
    Workforce.objects.get_or_create(
        kind=WorkforceKind.VENDOR,
        organization=organization,
        defaults={"name": f"{profile.display_name} (vendor)"[:100]},
    )
    _event(
        organization,
        actor,
        OrganizationEvent.Kind.VENDOR_PROFILE_CHANGED,
        created=True,
        fields=sorted(fields),
    )
    return profile


@transaction.atomic
def vendor_profile_update(*, actor: User, profile: VendorProfile, **fields) -> VendorProfile:
    fields_require_known(fields=fields, allowed=VENDOR_PROFILE_FIELDS)
    _certifications_clean(fields)
    organization = _lock_organization(profile.organization)
    _manager_membership(actor=actor, organization=organization)
    profile = _lock(VendorProfile, profile.pk, organization=organization)
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, fields[name])
    instance_validate(instance=profile, fields=changed)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
        _event(organization, actor, OrganizationEvent.Kind.VENDOR_PROFILE_CHANGED, fields=changed)
    return profile


# Users.


@transaction.atomic
def user_update(*, actor: User, full_name: str) -> User:
    full_name = full_name.strip()
    instance_validate(instance=User(full_name=full_name), fields=["full_name"])
    if actor.full_name != full_name:
        actor.full_name = full_name
        actor.save(update_fields=["full_name"])
    return actor
