"""Fees and quotes: Mechanical Turk's schedule (20%, +20% at 10 or more assignments, $0.01
minimum, half-up to the cent), vendor commissions, and a job's maximum cost."""

from decimal import Decimal

import pytest

from payments.pricing import (
    assignment_fee,
    bonus_fee,
    fee_percent,
    gold_allowance,
    job_quote,
    round_cent,
    vendor_fee,
)
from tests.jobs.factories import LabelingJobFactory

D = Decimal


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.104", "0.10"), ("0.105", "0.11"), ("0.1049", "0.10"), ("2.995", "3.00"), ("0", "0")],
)
def test_amounts_round_half_up_to_the_cent(amount, rounded):
    assert round_cent(D(amount)) == D(rounded)
    assert round_cent(D(amount)).as_tuple().exponent == -4  # kept with 4 places


@pytest.mark.parametrize(
    ("reward", "assignments", "fee"),
    [
        ("0.52", 3, "0.10"),  # 0.104 -> 0.10
        ("0.525", 3, "0.11"),  # 0.105 -> 0.11
        ("0.52", 9, "0.10"),
        ("0.52", 10, "0.21"),  # 40%: 0.208 -> 0.21
        ("1.00", 12, "0.40"),
        ("0.01", 1, "0.01"),  # 0.002 -> the $0.01 minimum
        ("0.04", 10, "0.02"),  # 0.016 -> 0.02, above the minimum
        ("0.00", 3, "0.00"),  # nothing paid, nothing charged
    ],
)
def test_the_assignment_fee_follows_mechanical_turks_schedule(reward, assignments, fee):
    assert assignment_fee(reward=D(reward), assignments_per_hit=assignments) == D(fee)


def test_fee_percentages_and_minimum_are_settings(settings):
    settings.PAYMENTS_FEE_PERCENT = D("10")
    settings.PAYMENTS_LARGE_HIT_FEE_PERCENT = D("5")
    settings.PAYMENTS_LARGE_HIT_ASSIGNMENTS = 5
    settings.PAYMENTS_MIN_FEE = D("0.05")

    assert fee_percent(assignments_per_hit=4) == D("10")
    assert fee_percent(assignments_per_hit=5) == D("15")
    assert assignment_fee(reward=D("1.00"), assignments_per_hit=5) == D("0.15")
    assert assignment_fee(reward=D("0.10"), assignments_per_hit=1) == D("0.05")


def test_a_bonus_pays_the_base_fee_with_the_minimum():
    assert bonus_fee(amount=D("5.00")) == D("1.00")
    assert bonus_fee(amount=D("0.02")) == D("0.01")
    assert bonus_fee(amount=D("101.42")) == D("20.28")  # 20.284


def test_a_vendor_keeps_its_price_less_the_commission_without_a_minimum(settings):
    assert vendor_fee(price=D("0.50")) == D("0.10")
    assert vendor_fee(price=D("0.02")) == D("0.00")  # 0.004 rounds to nothing
    settings.PAYMENTS_VENDOR_FEE_PERCENT = D("0")
    assert vendor_fee(price=D("0.50")) == D("0")


@pytest.mark.parametrize(
    ("real", "rate", "has_gold", "allowance"),
    [
        (300, D("0.10"), True, 75),  # 20% of all tasks: 300 * 0.2 / 0.8
        (300, D("0.30"), True, 300),  # capped at half of all tasks
        (300, D("0.10"), False, 0),
        (300, D("0"), True, 0),
        (7, D("0.05"), True, 1),  # rounded up
    ],
)
def test_the_gold_allowance(real, rate, has_gold, allowance):
    assert gold_allowance(real_assignments=real, gold_rate=rate, has_gold=has_gold) == allowance


@pytest.mark.django_db
def test_a_crowd_quote_is_objects_times_workers_times_reward_plus_fee():
    job = LabelingJobFactory(reward=D("0.0500"), workers_per_object=3)

    quote = job_quote(job=job, data_objects=100, has_gold=False)

    assert quote.fee == D("0.0100")
    assert quote.assignments == 300
    assert quote.total == D("18.0000")  # 300 * 0.06
    assert quote.as_json()["total"] == "18.0000"


@pytest.mark.django_db
def test_a_quote_with_dynamic_overlap_holds_the_maximum_workers():
    job = LabelingJobFactory(
        reward=D("0.5200"),
        workers_per_object=3,
        max_workers_per_object=9,
        target_confidence=D("0.95"),
    )

    quote = job_quote(job=job, data_objects=10, has_gold=False)

    assert quote.assignments_per_object == 9
    # Nine is the most workers per object (Ground Truth's limit), under the 10-assignment
    # surcharge: the base 20% applies.
    assert quote.fee == D("0.1000")
    assert quote.total == D("55.8000")  # 90 * 0.62


@pytest.mark.django_db
def test_a_quote_with_gold_adds_the_allowance():
    job = LabelingJobFactory(reward=D("0.1000"), workers_per_object=2, gold_rate=D("0.10"))

    quote = job_quote(job=job, data_objects=40, has_gold=True)

    assert quote.gold_assignments == 20  # 80 real tasks, 20% of all gold
    assert quote.total == D("12.0000")  # 100 * (0.10 + 0.02)
