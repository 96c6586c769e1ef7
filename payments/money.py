"""Money helpers: amounts are Decimals with 4 places and a currency, never floats."""

from decimal import ROUND_HALF_UP, Decimal

MONEY_PLACES = Decimal("0.0001")
DEFAULT_CURRENCY = "USD"


def money_quantize(value: Decimal | int | str) -> Decimal:
    """`value` as a Decimal with exactly 4 places, rounded half up."""
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
