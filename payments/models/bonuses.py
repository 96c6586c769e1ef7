"""Bonuses: extra pay for an assignment, as Mechanical Turk's SendBonus."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.models.ledger import MONEY_DECIMALS, MONEY_DIGITS


class Bonus(models.Model):
    """Paid from the organization's available balance to the worker's pending balance,
    with the platform's fee on top. `unique_request_token` (per organization) makes a
    repeated request return this bonus; with different parameters it is refused."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.PROTECT, related_name="bonuses"
    )
    worker = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.PROTECT, related_name="bonuses"
    )
    assignment = models.ForeignKey(
        "jobs.Assignment", on_delete=models.PROTECT, related_name="bonuses"
    )
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    fee = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=1024)
    unique_request_token = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, fee__gte=0), name="bonus_amounts"),
            models.UniqueConstraint(
                fields=["organization", "unique_request_token"],
                name="bonus_token_once_per_organization",
            ),
        ]
        verbose_name_plural = "bonuses"

    def __str__(self) -> str:
        return f"bonus {self.pk}: {self.amount} {self.currency} to worker {self.worker_id}"
