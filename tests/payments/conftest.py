"""Fixtures of the payments tests."""

import pytest

from payments.shards import platform_shards_forget


@pytest.fixture
def sharded(settings):
    """Platform accounts spread over 4 shards, as in production (the test settings use 1)."""
    settings.PAYMENTS_PLATFORM_ACCOUNT_SHARDS = 4
    platform_shards_forget()
    yield
    platform_shards_forget()
