"""Celery tasks of the workforce app: thin wrappers around one service each."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from workforce.system_qualifications import (
    approval_qualifications_refresh_since,
    masters_qualifications_refresh_since,
    top_workers_qualifications_refresh_since,
)

# The beat runs the refresh every minute over the last five: a missed or late run is
# covered by the next ones, and recomputing a worker twice changes nothing.
REFRESH_WINDOW = timedelta(minutes=5)


@shared_task(name="workforce.system_qualifications_refresh", ignore_result=True)
def system_qualifications_refresh() -> int:
    since = timezone.now() - REFRESH_WINDOW
    refreshed = approval_qualifications_refresh_since(since=since)
    masters_qualifications_refresh_since(since=since)
    return refreshed


@shared_task(name="workforce.top_workers_refresh", ignore_result=True)
def top_workers_refresh() -> int:
    return top_workers_qualifications_refresh_since(since=timezone.now() - REFRESH_WINDOW)


@shared_task(name="workforce.workforce_invitation_send_email", ignore_result=True)
def workforce_invitation_send_email(invitation_id: int) -> None:
    """Email the link, unless the invitation was withdrawn, used or expired since."""
    from workforce.emails import workforce_invitation_email_send
    from workforce.models import WorkforceInvitation, WorkforceInvitationStatus

    invitation = (
        WorkforceInvitation.objects.select_related("workforce__organization", "invited_by")
        .filter(
            pk=invitation_id,
            status=WorkforceInvitationStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if invitation is not None:
        workforce_invitation_email_send(invitation=invitation)
