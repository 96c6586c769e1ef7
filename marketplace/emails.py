"""Emails the storefront sends, rendered from templates/emails/."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from marketplace.models import Invitation
from marketplace.selectors import invitation_token


def invitation_url(invitation: Invitation) -> str:
    path = reverse("invitation_detail", kwargs={"token": invitation_token(invitation)})
    return settings.SITE_URL.rstrip("/") + path


def invitation_email_send(*, invitation: Invitation) -> None:
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    body = render_to_string("emails/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
