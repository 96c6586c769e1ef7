"""Fixtures of the payments tests: localstripe on loopback (tests/payments/localstripe.py)
and platform accounts over shards."""

import pytest

from payments.shards import platform_shards_forget
from tests.payments.localstripe import localstripe_server, stripe_api, stripe_down, stripe_live

__all__ = ["localstripe_server", "sharded", "stripe_api", "stripe_down", "stripe_live"]


@pytest.fixture
def sharded(settings):
    """Platform accounts spread over 4 shards, as in production (the test settings use 1)."""
    settings.PAYMENTS_PLATFORM_ACCOUNT_SHARDS = 4
    platform_shards_forget()
    yield
    platform_shards_forget()
