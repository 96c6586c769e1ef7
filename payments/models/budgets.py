"""A launched job's budget: the prices it was launched at, so settlement never re-prices."""

from django.db import models
from django.db.models import Q

from payments.models.ledger import MONEY_DECIMALS, MONEY_DIGITS


def _money(**options):
    return models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, **options)


class JobBudget(models.Model):
    """Written once at launch (payments.escrow.job_budget_hold), never edited.

    A crowd job pays `reward` + `fee` per approved assignment; a vendor job pays
    `price_per_object` per consolidated object, of which the platform keeps `vendor_fee`.
    `amount_held` is what launch moved from the organization's available balance to the
    job's on-hold account: its maximum cost.
    """

    job = models.OneToOneField("jobs.LabelingJob", on_delete=models.PROTECT, related_name="budget")
    currency = models.CharField(max_length=3)
    reward = _money()
    fee = _money(help_text="The platform's fee on each approved assignment.")
    assignments_per_object = models.PositiveSmallIntegerField()
    gold_assignments = models.PositiveIntegerField(
        default=0, help_text="The allowance held for gold questions, which are paid like any task."
    )
    data_objects = models.PositiveIntegerField(help_text="The objects (not gold) at launch.")
    price_per_object = _money(null=True, blank=True)
    vendor_fee = _money(null=True, blank=True)
    amount_held = _money()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reward__gte=0, fee__gte=0, amount_held__gte=0),
                name="job_budget_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(price_per_object__isnull=True, vendor_fee__isnull=True)
                | Q(price_per_object__gte=0, vendor_fee__gte=0),
                name="job_budget_vendor_prices_together",
            ),
        ]

    def __str__(self) -> str:
        return f"budget of job {self.job_id}: {self.amount_held} {self.currency}"

    @property
    def is_vendor(self) -> bool:
        return self.price_per_object is not None

    @property
    def per_assignment(self):
        return self.reward + self.fee
