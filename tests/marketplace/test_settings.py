"""Settings: services own their transactions, the demo needs nothing, production passes --deploy."""

import json
import os
import secrets
import string
import subprocess
import sys

from django.conf import settings

PRINT_LOCAL_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "engine": database["ENGINE"],
    "options": database.get("OPTIONS", {}),
    "atomic_requests": database["ATOMIC_REQUESTS"],
    "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


def _run(*arguments: str, environment: dict) -> subprocess.CompletedProcess:
    """Run Python in a clean environment (no DATABASE_URL etc. leaking in from this run)."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}  # noqa: S108
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, *arguments],
        cwd=settings.BASE_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_requests_are_not_wrapped_in_a_transaction():
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False


def test_local_settings_use_sqlite_with_immediate_transactions_and_eager_celery():
    result = _run(
        *("-c", PRINT_LOCAL_SETTINGS),
        environment={"DJANGO_SETTINGS_MODULE": "marketplace.settings.local"},
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "options": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "atomic_requests": False,
        "celery_eager": True,
        "broker": "memory://",
    }


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    database = settings.DATABASES["default"]
    result = _run(
        *("manage.py", "check", "--deploy", "--fail-level", "WARNING"),
        environment={
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
            "ALLOWED_HOSTS": "groundwork.example.com",
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
                f"{database['NAME']}"
            ),
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""
