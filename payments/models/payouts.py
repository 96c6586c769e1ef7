"""Money out: where a worker or vendor is paid (a Stripe Connect account) and each payout."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.models.ledger import MONEY_DECIMALS, MONEY_DIGITS
from payments.models.stripe import Provider

_ONE_OWNER = Q(worker__isnull=False, organization__isnull=True) | Q(
    worker__isnull=True, organization__isnull=False
)


class PayoutAccount(models.Model):
    """A worker's or vendor organization's Stripe Connect Express account."""

    worker = models.OneToOneField(
        "workforce.WorkerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_account",
    )
    organization = models.OneToOneField(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_account",
    )
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_OWNER, name="payout_account_one_owner")
        ]

    def __str__(self) -> str:
        return self.stripe_account_id


class PayoutStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", "In transit"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed (money returned to the balance)"
    REVERSED = "reversed", "Reversed (money returned to the balance)"


class Payout(models.Model):
    """Money leaving a worker's or vendor's available balance. Requesting it moves the
    amount to payouts in transit; a Stripe Transfer (idempotency key `payout:<id>`) or
    staff marking it paid settles it; a failure or reversal puts it back."""

    worker = models.ForeignKey(
        "workforce.WorkerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )
    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(
        max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.IN_TRANSIT
    )
    # The requester's token: the same token returns the same payout (per owner).
    idempotency_key = models.CharField(max_length=255, unique=True)
    stripe_transfer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    failure_message = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_OWNER, name="payout_one_owner"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk}: {self.amount} {self.currency} ({self.status})"
