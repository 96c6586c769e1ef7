"""Writes for the workforces organizations own (private ones, and a vendor's one vendor
workforce): create and rename them, invite people by email (new and existing users
alike), accept an invitation, remove a member; and who may change which."""

from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.models import MANAGER_ROLES, Membership, Organization, User
from marketplace.services import (
    invited_address_require,
    member_require,
    user_require_verified_email,
)
from workforce.models import (
    WORKFORCE_INVITATION_DAYS,
    WorkerProfile,
    Workforce,
    WorkforceInvitation,
    WorkforceInvitationStatus,
    WorkforceKind,
    WorkforceMember,
    WorkTeamMember,
)

INVITATION_TOKEN_SALT = "groundwork.workforce-invitation"  # noqa: S105 - a salt, not a secret


def _clean_name(name) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise InvalidInput(fields={"name": ["Give a name of 1 to 100 characters."]})
    return name.strip()


def _save_named(workforce: Workforce) -> Workforce:
    try:
        with transaction.atomic():
            workforce.save()
    except IntegrityError:
        raise InvalidInput(
            fields={"name": ["The organization already has a workforce with this name."]}
        ) from None
    return workforce


def workforce_change_require(*, actor: User, workforce: Workforce) -> None:
    """Who may change a workforce (its name, members, invitations, teams): for a private
    workforce, any member of its organization; for a vendor workforce, only the vendor
    organization's owners and admins (PermissionDenied for a plain member, who may still
    look). Anyone else, and the public crowd, get NotFound."""
    if workforce.kind == WorkforceKind.PRIVATE:
        member_require(actor=actor, organization_id=workforce.organization_id)
        return
    if workforce.kind != WorkforceKind.VENDOR:
        raise NotFound()
    role = (
        Membership.objects.filter(user=actor, organization_id=workforce.organization_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise NotFound()
    if role not in MANAGER_ROLES:
        raise PermissionDenied("Only owners and admins of this organization can do this.")


@transaction.atomic
def workforce_create(*, actor: User, organization: Organization, name: str) -> Workforce:
    """A private workforce of the organization (any member may create one)."""
    member_require(actor=actor, organization_id=organization.pk)
    workforce = Workforce(kind=WorkforceKind.PRIVATE, organization=organization)
    workforce.name = _clean_name(name)
    return _save_named(workforce)


@transaction.atomic
def workforce_rename(*, actor: User, workforce: Workforce, name: str) -> Workforce:
    """A new name, unique among the organization's workforces (its vendor workforce too)."""
    workforce_change_require(actor=actor, workforce=workforce)
    workforce = Workforce.objects.select_for_update().get(pk=workforce.pk)
    workforce.name = _clean_name(name)
    return _save_named(workforce)


@transaction.atomic
def workforce_member_remove(*, actor: User, workforce: Workforce, worker: WorkerProfile) -> None:
    """The worker gets none of the workforce's new work; what they hold they may finish.
    Their places in the workforce's teams go with it. Removing someone who is not a
    member changes nothing."""
    workforce_change_require(actor=actor, workforce=workforce)
    # The membership row first: a concurrent work_team_member_add holds its lock, so this
    # waits for it, and the team rows deleted next include the one it added.
    WorkforceMember.objects.filter(workforce=workforce, worker=worker).delete()
    WorkTeamMember.objects.filter(team__workforce=workforce, worker=worker).delete()


# Invitations.


def invitation_token(invitation: WorkforceInvitation) -> str:
    return signing.dumps(invitation.pk, salt=INVITATION_TOKEN_SALT)


def invitation_from_token(token: str) -> WorkforceInvitation:
    try:
        invitation_id = signing.loads(token, salt=INVITATION_TOKEN_SALT)
    except signing.BadSignature:
        raise NotFound() from None
    found = (
        WorkforceInvitation.objects.select_related("workforce__organization")
        .filter(pk=invitation_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def workforce_invite(*, actor: User, workforce: Workforce, email: str) -> WorkforceInvitation:
    """Invite `email` to the workforce; a pending invitation to the same address is
    replaced. The email goes out after commit."""
    workforce_change_require(actor=actor, workforce=workforce)
    user_require_verified_email(user=actor)
    email = email.strip().lower() if isinstance(email, str) else ""
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(fields={"email": error.messages}) from None
    if WorkforceMember.objects.filter(
        workforce=workforce, worker__user__email__iexact=email
    ).exists():
        raise InvalidInput(fields={"email": ["This person is already in the workforce."]})
    WorkforceInvitation.objects.filter(
        workforce=workforce, email__iexact=email, status=WorkforceInvitationStatus.PENDING
    ).update(status=WorkforceInvitationStatus.REVOKED, updated_at=timezone.now())
    invitation = WorkforceInvitation.objects.create(
        workforce=workforce,
        email=email,
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=WORKFORCE_INVITATION_DAYS),
    )
    from workforce.tasks import workforce_invitation_send_email

    enqueue_on_commit(workforce_invitation_send_email, invitation.pk)
    return invitation


@transaction.atomic
def workforce_invitation_revoke(
    *, actor: User, invitation: WorkforceInvitation
) -> WorkforceInvitation:
    """Withdraw a pending invitation; withdrawing it again changes nothing."""
    workforce_change_require(actor=actor, workforce=invitation.workforce)
    invitation = WorkforceInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == WorkforceInvitationStatus.ACCEPTED:
        raise Conflict("This invitation has already been used.", code="invitation_used")
    if invitation.status == WorkforceInvitationStatus.PENDING:
        invitation.status = WorkforceInvitationStatus.REVOKED
        invitation.save(update_fields=["status", "updated_at"])
    return invitation


def workforce_invitation_check_usable(invitation: WorkforceInvitation) -> None:
    if invitation.status == WorkforceInvitationStatus.ACCEPTED:
        raise Conflict("This invitation has already been used.", code="invitation_used")
    if invitation.status == WorkforceInvitationStatus.REVOKED:
        raise Conflict("This invitation has been withdrawn.", code="invitation_revoked")
    if invitation.expires_at <= timezone.now():
        raise Conflict("This invitation has expired. Ask for a new one.", code="invitation_expired")


@transaction.atomic
def workforce_invitation_accept(*, actor: User, token: str) -> WorkforceMember:
    """Join the workforce named by a link's token: single use, by the invited address. A
    person who is not a worker yet becomes one."""
    from workforce.services import worker_profile_create

    invitation = invitation_from_token(token)
    invitation = (
        WorkforceInvitation.objects.select_for_update()
        .select_related("workforce")
        .get(pk=invitation.pk)
    )
    workforce_invitation_check_usable(invitation)
    invited_address_require(actor=actor, email=invitation.email)
    worker = WorkerProfile.objects.filter(user=actor).first()
    if worker is None:
        worker = worker_profile_create(actor=actor)
    member, _ = WorkforceMember.objects.get_or_create(workforce=invitation.workforce, worker=worker)
    invitation.status = WorkforceInvitationStatus.ACCEPTED
    invitation.accepted_by, invitation.accepted_at = worker, timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    return member
