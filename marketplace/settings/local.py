"""Demo and development settings: SQLite, Celery eager, console email; needs nothing running.
When localstripe listens on 127.0.0.1:8420 (`make demo` starts it), Stripe points at it."""

import os
import socket


def _localstripe_listening(port: int = 8420) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


if not os.environ.get("STRIPE_SECRET_KEY") and _localstripe_listening():
    os.environ["STRIPE_SECRET_KEY"] = "sk_test_localstripe"  # noqa: S105 - a fake for a fake
    os.environ["STRIPE_PUBLISHABLE_KEY"] = "pk_test_localstripe"
    os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_groundwork_demo"  # noqa: S105 - demo only
    os.environ["STRIPE_API_BASE"] = "http://127.0.0.1:8420"
    os.environ["STRIPE_JS_URL"] = "http://127.0.0.1:8420/js.stripe.com/v3/"

os.environ.setdefault("DATABASE_URL", "sqlite:///db.sqlite3")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://")

from marketplace.settings.base import *  # noqa: E402,F403

TASK_DATA_SHARED_PREFIXES = ["demo/"]  # the demo data's images
