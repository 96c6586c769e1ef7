"""Celery tasks of the storefront: thin wrappers that fetch by id and call one function."""

from celery import shared_task
from django.utils import timezone

from marketplace.models import Invitation, InvitationStatus


@shared_task(
    name="marketplace.invitation_send_email",
    ignore_result=True,
    # A mail server that is down or refusing for a moment (SMTPException is an OSError).
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def invitation_send_email(invitation_id: int) -> None:
    """Email the invitation link, unless it was revoked, used or expired since it was queued."""
    from marketplace.emails import invitation_email_send

    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is not None:
        invitation_email_send(invitation=invitation)
