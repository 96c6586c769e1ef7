"""Fixtures of the payments tests: localstripe on loopback (tests/payments/localstripe.py)."""

from tests.payments.localstripe import localstripe_server, stripe_api, stripe_down, stripe_live

__all__ = ["localstripe_server", "stripe_api", "stripe_down", "stripe_live"]
