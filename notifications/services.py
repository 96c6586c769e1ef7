"""Notification writes: emailing workers with Mechanical Turk's NotifyWorkers rules, and
webhook endpoints with their events, deliveries and delivery attempts."""

import json
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import Assignment
from jobs.services.jobs import lock_options
from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import InvalidInput, NotFound
from marketplace.models import Organization, User
from notifications import outbound, signing
from notifications.events import subscriptions_forget
from notifications.models import (
    MAX_DELIVERY_ATTEMPTS,
    MAX_ENDPOINTS_PER_ORGANIZATION,
    MAX_WORKERS_PER_NOTIFICATION,
    MESSAGE_MAX,
    SUBJECT_MAX,
    URL_MAX,
    DeliveryStatus,
    RecipientStatus,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
    WorkerNotification,
    WorkerNotificationRecipient,
    WorkerNotificationStatus,
)
from workforce.models import WORKER_ID_REGEX, WorkerProfile

HARD_FAILURE = "HardFailure"
SOFT_FAILURE = "SoftFailure"

# Retries: the wait after failed attempt n is RETRY_BASE_SECONDS * 2 ** (n - 1), so 1, 2,
# 4, ... 256 minutes: ten attempts over about eight and a half hours.
RETRY_BASE_SECONDS = 60
# An attempt in flight holds its delivery this long, so a second worker does not send it
# again meanwhile; longer than any attempt can take.
ATTEMPT_LEASE = timedelta(seconds=outbound.CONNECT_TIMEOUT_SECONDS + 3 * outbound.TIMEOUT_SECONDS)
SECRET_OVERLAP = timedelta(hours=24)
USER_AGENT = "Groundwork-Webhooks/1.0"


# Emails to workers (NotifyWorkers).


def _failure(code: str, message: str, worker_id: str) -> dict:
    return {
        "NotifyWorkersFailureCode": code,
        "NotifyWorkersFailureMessage": message,
        "WorkerId": worker_id,
    }


def _notification_clean(*, subject: object, message: object, worker_ids: object) -> list[str]:
    """Mechanical Turk's limits, as field errors; the worker ids once each, in order."""
    fields: dict[str, list[str]] = {}
    if not isinstance(subject, str) or not subject.strip():
        fields["subject"] = ["Give a subject."]
    elif len(subject) > SUBJECT_MAX:
        fields["subject"] = [f"At most {SUBJECT_MAX} characters."]
    elif "\n" in subject or "\r" in subject:
        fields["subject"] = ["The subject must be one line."]
    if not isinstance(message, str) or not message.strip():
        fields["message"] = ["Give a message."]
    elif len(message) > MESSAGE_MAX:
        fields["message"] = [f"At most {MESSAGE_MAX} characters."]
    if not isinstance(worker_ids, list | tuple) or not all(
        isinstance(worker_id, str) for worker_id in worker_ids
    ):
        fields["worker_ids"] = ["Give a list of worker ids."]
    elif not worker_ids:
        fields["worker_ids"] = ["Name at least one worker."]
    elif len(set(worker_ids)) > MAX_WORKERS_PER_NOTIFICATION:
        fields["worker_ids"] = [f"At most {MAX_WORKERS_PER_NOTIFICATION} workers per call."]
    if fields:
        raise InvalidInput(fields=fields)
    return list(dict.fromkeys(worker_ids))


@transaction.atomic
def workers_notify(
    *,
    actor: User,
    organization: Organization,
    subject: str,
    message: str,
    worker_ids: list[str],
) -> tuple[WorkerNotification | None, list[dict]]:
    """Email workers who have worked for `organization` (Mechanical Turk's NotifyWorkers):
    at most 100 distinct worker ids, a subject of at most 200 characters and a message of
    at most 4096. Returns the recorded notification (None when nobody can be emailed) and
    a failure status per worker who will not get it: HardFailure for an unknown id or a
    worker who never worked for the organization, SoftFailure for an account that is
    switched off. The emails go out from a task once this commits."""
    worker_ids = _notification_clean(subject=subject, message=message, worker_ids=worker_ids)
    shaped = [worker_id for worker_id in worker_ids if re.match(WORKER_ID_REGEX, worker_id)]
    known = {
        worker.worker_id: worker
        for worker in WorkerProfile.objects.filter(worker_id__in=shaped).select_related("user")
    }
    worked_for_us = set(
        Assignment.objects.filter(
            hit__job__organization=organization, worker__in=list(known.values())
        )
        .values_list("worker_id", flat=True)
        .distinct()
    )
    failures, recipients = [], []
    for worker_id in worker_ids:
        worker = known.get(worker_id)
        if worker is None:
            failures.append(_failure(HARD_FAILURE, "There is no worker with this id.", worker_id))
        elif worker.pk not in worked_for_us:
            failures.append(
                _failure(
                    HARD_FAILURE,
                    "You can only notify workers who have worked for you.",
                    worker_id,
                )
            )
        elif not worker.user.is_active:
            failures.append(
                _failure(SOFT_FAILURE, "The worker's account is not active.", worker_id)
            )
        else:
            recipients.append(worker)
    if not recipients:
        return None, failures
    notification = WorkerNotification.objects.create(
        organization=organization, sent_by=actor, subject=subject.strip(), message=message
    )
    WorkerNotificationRecipient.objects.bulk_create(
        WorkerNotificationRecipient(notification=notification, worker=worker)
        for worker in recipients
    )
    from notifications import tasks

    enqueue_on_commit(tasks.worker_notification_send, notification.pk)
    return notification, failures


def worker_notification_send(*, notification_id: int) -> int:
    """Email every recipient not yet emailed; returns how many were emailed now. Runs
    outside a transaction (mail is sent between the writes); a repeat sends nothing twice
    unless a crash fell between a send and its write (at least once)."""
    try:
        notification = WorkerNotification.objects.select_related("organization").get(
            pk=notification_id
        )
    except WorkerNotification.DoesNotExist:
        raise NotFound() from None
    body = render_to_string("emails/worker_notification_body.txt", {"notification": notification})
    pending = notification.recipients.filter(status=RecipientStatus.PENDING).select_related(
        "worker__user"
    )
    sent = 0
    for recipient in pending.order_by("pk"):
        try:
            send_mail(
                notification.subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [recipient.worker.user.email],
            )
        except Exception as error:  # noqa: BLE001 - one bad address must not stop the rest
            WorkerNotificationRecipient.objects.filter(
                pk=recipient.pk, status=RecipientStatus.PENDING
            ).update(status=RecipientStatus.FAILED, error=str(error)[:500])
            continue
        sent += WorkerNotificationRecipient.objects.filter(
            pk=recipient.pk, status=RecipientStatus.PENDING
        ).update(status=RecipientStatus.SENT, sent_at=timezone.now())
    WorkerNotification.objects.filter(
        pk=notification.pk, status=WorkerNotificationStatus.QUEUED
    ).update(status=WorkerNotificationStatus.SENT, sent_at=timezone.now())
    return sent


# Webhook endpoints.


def _secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _url_clean(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput(fields={"url": ["Give a URL."]})
    url = url.strip()
    if len(url) > URL_MAX:
        raise InvalidInput(fields={"url": [f"At most {URL_MAX} characters."]})
    problem = outbound.url_problem(url)
    if problem:
        raise InvalidInput(fields={"url": [problem]})
    return url


def _event_types_clean(event_types: object) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise InvalidInput(fields={"event_types": ["Name at least one event type."]})
    unknown = [str(name) for name in event_types if name not in WebhookEventType.values]
    if unknown:
        raise InvalidInput(
            fields={
                "event_types": [
                    f"Unknown event type(s): {', '.join(unknown)}. Choose from "
                    f"{', '.join(WebhookEventType.values)}."
                ]
            }
        )
    return sorted(set(event_types))


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: User,
    organization: Organization,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a new secret (read it from the returned object: it is shown
    once). At most MAX_ENDPOINTS_PER_ORGANIZATION per organization."""
    url = _url_clean(url)
    event_types = _event_types_clean(event_types)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if (
        WebhookEndpoint.objects.filter(organization=organization).count()
        >= MAX_ENDPOINTS_PER_ORGANIZATION
    ):
        raise InvalidInput(
            f"An organization has at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints."
        )
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        created_by=actor,
        url=url,
        event_types=event_types,
        description=description,
        is_active=is_active,
        secret=_secret_new(),
    )
    subscriptions_forget(organization_id=organization.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, actor: User, endpoint: WebhookEndpoint, **changes
) -> WebhookEndpoint:
    """Change the URL, event types, description or active flag."""
    if "url" in changes:
        changes["url"] = _url_clean(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _event_types_clean(changes["event_types"])
    unknown = set(changes) - {"url", "event_types", "description", "is_active"}
    if unknown:
        raise InvalidInput(fields={name: ["Unknown field."] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes:
        endpoint.save(update_fields=[*changes, "updated_at"])
        subscriptions_forget(organization_id=endpoint.organization_id)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its deliveries and their log."""
    organization_id = endpoint.organization_id
    endpoint.delete()
    subscriptions_forget(organization_id=organization_id)


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, actor: User, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """A new secret (shown once); the old one also signs for SECRET_OVERLAP more."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + SECRET_OVERLAP
    endpoint.secret = _secret_new()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return endpoint


def endpoint_signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets a delivery is signed with: the current one, and the previous one
    during a rotation's overlap."""
    valid = [endpoint.secret]
    if endpoint.previous_secret and (
        endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now
    ):
        valid.append(endpoint.previous_secret)
    return valid


# Events and deliveries.


def event_body(event: WebhookEvent) -> bytes:
    """The exact bytes sent (and signed) for the event, the same at every attempt."""
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()


@transaction.atomic
def webhook_event_record(
    *, event_id: str, organization_id: int, event_type: str, occurred_at: str, data: dict
) -> list[int]:
    """Store the event and a delivery to each active endpoint of the organization that
    wants it, and queue their first attempts. Idempotent by `event_id`. Returns the ids
    of the deliveries still pending."""
    if event_type not in WebhookEventType.values:
        raise InvalidInput(fields={"event_type": ["Unknown event type."]})
    if not Organization.objects.filter(pk=organization_id).exists():
        return []
    event, _created = WebhookEvent.objects.get_or_create(
        event_id=event_id,
        defaults={
            "organization_id": organization_id,
            "event_type": event_type,
            "occurred_at": parse_datetime(occurred_at),
            "payload": {
                "id": event_id,
                "type": event_type,
                "created_at": occurred_at,
                "organization_id": organization_id,
                "data": data,
            },
        },
    )
    now = timezone.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id=organization_id, is_active=True
        ).order_by("pk")
        if event_type in endpoint.event_types
    ]
    pending = []
    for endpoint in endpoints:
        delivery, _ = WebhookDelivery.objects.get_or_create(
            event=event, endpoint=endpoint, defaults={"next_attempt_at": now}
        )
        if delivery.status == DeliveryStatus.PENDING:
            pending.append(delivery.pk)
    from notifications import tasks

    for delivery_id in pending:
        enqueue_on_commit(tasks.webhook_delivery_attempt, delivery_id)
    return pending


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 minute, doubling each time."""
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def _delivery_claim(*, delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take a due, pending delivery for one attempt (None if it is not due, done, or
    another worker has it), holding it for ATTEMPT_LEASE."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(**lock_options(skip_locked=True))
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
    return (
        WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery.pk).first()
    )


def webhook_delivery_attempt(
    *, delivery_id: int, now: datetime | None = None
) -> WebhookDeliveryAttempt | None:
    """One attempt at a due delivery: POST the signed event, log the attempt, and on a
    failure schedule the next one (retry_delay) until MAX_DELIVERY_ATTEMPTS. Returns the
    log row, or None when there was nothing to do (not due, done, or taken).

    The HTTP request runs outside any transaction."""
    now = now or timezone.now()
    delivery = _delivery_claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_active:
        response = outbound.OutboundResponse(
            status_code=None, error="The endpoint is switched off.", duration_ms=0
        )
        final = True
    else:
        body = event_body(event)
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Groundwork-Event-Id": event.event_id,
            "Groundwork-Event-Type": event.event_type,
            "Groundwork-Delivery-Attempt": str(delivery.attempts + 1),
            signing.SIGNATURE_HEADER: signing.signature_header(
                secrets=endpoint_signing_secrets(endpoint, now=now),
                timestamp=timestamp,
                body=body,
            ),
        }
        response = outbound.post(endpoint.url, body=body, headers=headers)
        final = False
    return _attempt_record(delivery=delivery, response=response, now=now, final=final)


@transaction.atomic
def _attempt_record(
    *,
    delivery: WebhookDelivery,
    response: outbound.OutboundResponse,
    now: datetime,
    final: bool,
) -> WebhookDeliveryAttempt:
    attempts = delivery.attempts + 1
    if response.is_success:
        status, next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif final or attempts >= MAX_DELIVERY_ATTEMPTS:
        status, next_attempt_at = DeliveryStatus.FAILED, None
    else:
        status, next_attempt_at = DeliveryStatus.PENDING, now + retry_delay(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, attempts=attempts, next_attempt_at=next_attempt_at, updated_at=now
    )
    return WebhookDeliveryAttempt.objects.create(
        delivery=delivery,
        attempt_number=attempts,
        status_code=response.status_code,
        error=response.error,
        duration_ms=response.duration_ms,
        next_retry_at=next_attempt_at,
        created_at=now,
    )


def webhook_deliveries_retry_due(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Queue an attempt for each pending delivery whose next attempt is due (beat runs
    this); returns how many were queued. A delivery queued twice is attempted once."""
    now = now or timezone.now()
    # Uses index: webhook_delivery_due (next_attempt_at) WHERE status = 'pending'.
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    from notifications import tasks

    for delivery_id in due:
        enqueue_on_commit(tasks.webhook_delivery_attempt, delivery_id)
    return len(due)
