"""Emails of the workforce app, rendered from templates/emails/."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from workforce.models import WorkforceInvitation
from workforce.private_workforces import invitation_token


def workforce_invitation_url(invitation: WorkforceInvitation) -> str:
    path = reverse("workforce_invitation_detail", kwargs={"token": invitation_token(invitation)})
    return settings.SITE_URL.rstrip("/") + path


def workforce_invitation_email_send(*, invitation: WorkforceInvitation) -> None:
    context = {"invitation": invitation, "url": workforce_invitation_url(invitation)}
    subject = render_to_string("emails/workforce_invitation_subject.txt", context).strip()
    body = render_to_string("emails/workforce_invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
