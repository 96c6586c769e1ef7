"""Celery tasks of the storefront: thin wrappers that fetch by id and call one function."""

from celery import shared_task

from marketplace.models import Invitation, InvitationStatus


@shared_task(name="marketplace.invitation_send_email", ignore_result=True)
def invitation_send_email(invitation_id: int) -> None:
    from marketplace.emails import invitation_email_send

    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, status=InvitationStatus.PENDING)
        .first()
    )
    if invitation is not None:  # revoked or used since it was queued: nothing to send
        invitation_email_send(invitation=invitation)
