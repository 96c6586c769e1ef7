"""Demo and development settings: SQLite, Celery eager, console email; needs nothing running."""

import os

os.environ.setdefault("DATABASE_URL", "sqlite:///db.sqlite3")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CACHE_URL", "locmemcache://")

from marketplace.settings.base import *  # noqa: E402,F403

TASK_DATA_SHARED_PREFIXES = ["demo/"]  # the demo data's images
