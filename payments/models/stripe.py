"""Money in through Stripe (or by hand): top-ups, refunds of unused funds, received events."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.models.ledger import MONEY_DECIMALS, MONEY_DIGITS


def _money(**options):
    return models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, **options)


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    MANUAL = "manual", "Manual (recorded by staff)"


class TopUpStatus(models.TextChoices):
    PENDING = "pending", "Waiting for payment"
    SUCCEEDED = "succeeded", "Credited"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class TopUp(models.Model):
    """A requester's prepayment. With Stripe it is a PaymentIntent, credited to the
    organization's available balance when its `payment_intent.succeeded` event arrives;
    a manual top-up is credited when staff records it."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="top_ups"
    )
    amount = _money()
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(
        max_length=16, choices=TopUpStatus.choices, default=TopUpStatus.PENDING
    )
    # Unique per organization: a repeated request with the same key returns the same top-up.
    idempotency_key = models.CharField(max_length=255)
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    amount_refunded = _money(default=0)
    failure_message = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount")),
                name="top_up_refunded_within_amount",
            ),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="top_up_key_once_per_organization"
            ),
        ]

    def __str__(self) -> str:
        return f"top-up {self.pk}: {self.amount} {self.currency} ({self.status})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Sent to Stripe"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed (money returned to the balance)"


class Refund(models.Model):
    """Unused prepaid money going back to the card it came from: one row per top-up it
    draws on. The ledger moves it out of the available balance when the refund is made."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="refunds"
    )
    top_up = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="refunds")
    amount = _money()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    idempotency_key = models.CharField(max_length=255, unique=True)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    reason = models.CharField(max_length=1000, blank=True)
    failure_message = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk}: {self.amount} {self.currency} ({self.status})"


class StripeEvent(models.Model):
    """A webhook event, stored (raw) before it is processed; the unique event id makes a
    redelivery a no-op. Kept for STRIPE_EVENT_RETENTION_DAYS (at least 3: Stripe retries
    for up to three days)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
