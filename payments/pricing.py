"""Prices and fees: Mechanical Turk's fee schedule as settings, and a job's quote (its
maximum cost), which launch holds and the quote endpoint and page show."""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from payments.money import money_quantize

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Gold questions are paid like any task, but how many a worker sees depends on the worker
# (jobs.services.dispatch draws a higher share during a worker's first tasks). The hold
# allows for gold at twice the job's rate, capped at half of all tasks; an approval beyond
# the hold is paid from the organization's available balance (payments.escrow).
GOLD_ALLOWANCE_FACTOR = Decimal(2)
GOLD_SHARE_CAP = Decimal("0.5")


def round_cent(amount: Decimal) -> Decimal:
    """Half up to the cent ($0.104 -> $0.10, $0.105 -> $0.11), kept with 4 places."""
    return money_quantize(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def fee_percent(*, assignments_per_hit: int) -> Decimal:
    percent = settings.PAYMENTS_FEE_PERCENT
    if assignments_per_hit >= settings.PAYMENTS_LARGE_HIT_ASSIGNMENTS:
        percent += settings.PAYMENTS_LARGE_HIT_FEE_PERCENT
    return percent


def _fee(amount: Decimal, percent: Decimal) -> Decimal:
    if amount <= 0:
        return money_quantize(0)
    return max(money_quantize(settings.PAYMENTS_MIN_FEE), round_cent(amount * percent / HUNDRED))


def assignment_fee(*, reward: Decimal, assignments_per_hit: int) -> Decimal:
    """The platform's fee on one approved assignment (none on a zero reward)."""
    return _fee(reward, fee_percent(assignments_per_hit=assignments_per_hit))


def bonus_fee(*, amount: Decimal) -> Decimal:
    return _fee(amount, settings.PAYMENTS_FEE_PERCENT)


def vendor_fee(*, price: Decimal) -> Decimal:
    """The platform's commission, kept from a vendor's price per object (no minimum)."""
    if price <= 0:
        return money_quantize(0)
    return round_cent(price * settings.PAYMENTS_VENDOR_FEE_PERCENT / HUNDRED)


@dataclass(frozen=True)
class Quote:
    """A job's prices and maximum cost. Crowd jobs: `assignments` (objects × workers per
    object, the maximum with dynamic overlap, plus the gold allowance) × (reward + fee).
    Vendor jobs: objects × the engagement's price per object."""

    currency: str
    data_objects: int
    assignments_per_object: int
    gold_assignments: int
    reward: Decimal
    fee: Decimal
    price_per_object: Decimal | None
    vendor_fee: Decimal | None
    total: Decimal

    @property
    def assignments(self) -> int:
        return self.data_objects * self.assignments_per_object + self.gold_assignments

    @property
    def is_vendor(self) -> bool:
        return self.price_per_object is not None

    def as_json(self) -> dict:
        return {
            "currency": self.currency,
            "data_objects": self.data_objects,
            "assignments_per_object": self.assignments_per_object,
            "gold_assignments": self.gold_assignments,
            "assignments": self.assignments,
            "reward": str(self.reward),
            "fee_per_assignment": str(self.fee),
            "fee_percent": None
            if self.is_vendor
            else str(fee_percent(assignments_per_hit=self.assignments_per_object)),
            "price_per_object": None
            if self.price_per_object is None
            else str(self.price_per_object),
            "vendor_fee_per_object": None if self.vendor_fee is None else str(self.vendor_fee),
            "total": str(self.total),
        }


def gold_allowance(*, real_assignments: int, gold_rate: Decimal, has_gold: bool) -> int:
    if not has_gold or gold_rate <= 0:
        return 0
    share = min(GOLD_SHARE_CAP, Decimal(gold_rate) * GOLD_ALLOWANCE_FACTOR)
    return math.ceil(real_assignments * share / (1 - share))


def job_quote(*, job, data_objects: int, has_gold: bool) -> Quote:
    """The job's maximum cost at today's prices, for `data_objects` objects (not gold)."""
    if job.engagement_id is not None:
        engagement = job.engagement
        price = money_quantize(engagement.price_per_object)
        return Quote(
            currency=engagement.currency,
            data_objects=data_objects,
            assignments_per_object=job.workers_per_object,
            gold_assignments=0,
            reward=money_quantize(0),
            fee=money_quantize(0),
            price_per_object=price,
            vendor_fee=vendor_fee(price=price),
            total=money_quantize(price * data_objects),
        )
    per_object = max(job.workers_per_object, job.max_workers_per_object or 0)
    reward = money_quantize(job.reward)
    fee = assignment_fee(reward=reward, assignments_per_hit=per_object)
    gold = gold_allowance(
        real_assignments=data_objects * per_object, gold_rate=job.gold_rate, has_gold=has_gold
    )
    return Quote(
        currency=job.currency,
        data_objects=data_objects,
        assignments_per_object=per_object,
        gold_assignments=gold,
        reward=reward,
        fee=fee,
        price_per_object=None,
        vendor_fee=None,
        total=money_quantize((reward + fee) * (data_objects * per_object + gold)),
    )
