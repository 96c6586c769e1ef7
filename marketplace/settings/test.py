"""Test settings: real PostgreSQL and Redis named by the environment, fast hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/groundwork")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# One row per platform account, so tests read a platform balance off its account; the
# ledger's own tests (tests/payments/conftest.py `sharded`) and the benchmark use shards.
os.environ.setdefault("PAYMENTS_PLATFORM_ACCOUNT_SHARDS", "1")

from marketplace.settings.base import *  # noqa: E402,F403

CACHES["default"]["KEY_PREFIX"] = f"groundwork-test-{os.getpid()}"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
ACCOUNT_RATE_LIMITS = False
