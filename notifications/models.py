"""Emails to workers (Mechanical Turk's NotifyWorkers) and requesters' webhook endpoints,
the events sent to them, and a log row per delivery attempt."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from marketplace.models import BaseModel

# Mechanical Turk's NotifyWorkers limits (reference/mturk-api.md).
SUBJECT_MAX = 200
MESSAGE_MAX = 4096
MAX_WORKERS_PER_NOTIFICATION = 100


class WorkerNotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"


class WorkerNotification(BaseModel):
    """One NotifyWorkers call: an email from a requester organization to workers who have
    worked for it. The recipients are the workers it was sent to (failures are only in
    the call's answer)."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="worker_notifications"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(max_length=SUBJECT_MAX)
    message = models.TextField()
    status = models.CharField(
        max_length=10,
        choices=WorkerNotificationStatus.choices,
        default=WorkerNotificationStatus.QUEUED,
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WorkerNotificationStatus.values),
                name="worker_notification_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(subject=""), name="worker_notification_subject_not_empty"
            ),
            models.CheckConstraint(
                condition=~Q(message=""), name="worker_notification_message_not_empty"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), MESSAGE_MAX),
                name="worker_notification_message_max_length",
            ),
        ]
        indexes = [
            # Uses index: worker_notification_by_org serves an organization's history.
            models.Index(fields=["organization", "-created_at"], name="worker_notification_by_org"),
        ]

    def __str__(self) -> str:
        return self.subject


class RecipientStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class WorkerNotificationRecipient(BaseModel):
    """A worker one notification is emailed to, and whether the email went out."""

    notification = models.ForeignKey(
        WorkerNotification, on_delete=models.CASCADE, related_name="recipients"
    )
    worker = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.CASCADE, related_name="notifications"
    )
    status = models.CharField(
        max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "worker"], name="worker_notification_recipient_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RecipientStatus.values),
                name="worker_notification_recipient_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} of {self.notification_id}"


class WebhookEventType(models.TextChoices):
    """What a webhook endpoint can subscribe to; names follow Mechanical Turk's events."""

    ASSIGNMENT_ACCEPTED = "AssignmentAccepted", "Assignment accepted"
    ASSIGNMENT_SUBMITTED = "AssignmentSubmitted", "Assignment submitted"
    ASSIGNMENT_APPROVED = "AssignmentApproved", "Assignment approved"
    ASSIGNMENT_REJECTED = "AssignmentRejected", "Assignment rejected"
    ASSIGNMENT_RETURNED = "AssignmentReturned", "Assignment returned"
    ASSIGNMENT_ABANDONED = "AssignmentAbandoned", "Assignment abandoned"
    HIT_REVIEWABLE = "HITReviewable", "HIT reviewable"
    JOB_COMPLETED = "JobCompleted", "Job completed"


MAX_ENDPOINTS_PER_ORGANIZATION = 20
URL_MAX = 2000


class WebhookEndpoint(BaseModel):
    """Where an organization wants its events POSTed, signed with `secret`.

    The secret is generated here and shown once; it is stored as is because every
    delivery is signed with it. After a rotation the previous secret also signs until
    `previous_secret_expires_at`, so a receiver can switch without missing events.
    """

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    url = models.URLField(max_length=URL_MAX)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="WebhookEventType values.")
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(url__regex=r"^https?://"), name="webhook_endpoint_url_http"
            ),
            models.CheckConstraint(
                condition=~Q(secret=""), name="webhook_endpoint_secret_not_empty"
            ),
        ]
        indexes = [
            # Uses index: webhook_endpoint_org_active serves the subscription lookup and
            # the endpoints an event goes to.
            models.Index(fields=["organization", "is_active"], name="webhook_endpoint_org_active"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event as it is sent: `payload` is the JSON body (its `id` is `event_id`)."""

    event_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="webhook_events"
    )
    event_type = models.CharField(max_length=32, choices=WebhookEventType.choices)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(event_type__in=WebhookEventType.values),
                name="webhook_event_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.event_id


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Attempts per delivery; the waits between them double (see services.retry_delay).
MAX_DELIVERY_ATTEMPTS = 10


class WebhookDelivery(BaseModel):
    """One event to one endpoint: pending until a 2xx answer, or failed after
    MAX_DELIVERY_ATTEMPTS attempts (or when the endpoint is switched off or deleted)."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(attempts__lte=MAX_DELIVERY_ATTEMPTS),
                name="webhook_delivery_attempts_bounded",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_next_attempt",
            ),
        ]
        indexes = [
            # Uses index: webhook_delivery_due serves the retry sweep.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            # Uses index: webhook_delivery_by_endpoint serves an endpoint's log.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_by_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}"


class WebhookDeliveryAttempt(models.Model):
    """The log: one row per attempt, with the answer's status code or the error."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempt_number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()
    next_retry_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next attempt is due; empty after the last."
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "attempt_number"], name="webhook_attempt_number_once"
            ),
            models.CheckConstraint(
                condition=Q(attempt_number__gte=1, attempt_number__lte=MAX_DELIVERY_ATTEMPTS),
                name="webhook_attempt_number_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.attempt_number}"
