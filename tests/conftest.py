"""Suite-wide fixtures, and a clear stop when PostgreSQL or Redis is not running."""

import socket
from urllib.parse import urlparse

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.marketplace.factories import UserFactory

START_COMMANDS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
}


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    database = settings.DATABASES["default"]
    redis = urlparse(settings.REDIS_URL)
    wanted = {
        "PostgreSQL": (database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432)),
        "Redis": (redis.hostname or "127.0.0.1", redis.port or 6379),
    }
    missing = [
        f"{name} is not answering at {host}:{port}. Start it, e.g.: {START_COMMANDS[name]}"
        for name, (host, port) in wanted.items()
        if not _answers(host, port)
    ]
    if missing:
        pytest.exit("\n".join(["The test suite needs running services:", *missing]), returncode=3)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and webhook subscriptions live in Redis (and the latter in a
    per-process memo); each test starts with none."""
    from notifications.events import memos_clear

    cache.clear()
    memos_clear()
    yield
    cache.clear()
    memos_clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def logged_in_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def staff(db):
    """A staff superuser with two-factor on, as the admin requires."""
    user = UserFactory(email="staff@groundwork.test", is_staff=True, is_superuser=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client
