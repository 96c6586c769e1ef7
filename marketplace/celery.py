"""The Celery app (Redis broker, JSON only) and the one helper that enqueues tasks on commit."""

import os
from functools import partial

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")

app = Celery("groundwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task, *args, using: str | None = None, **kwargs) -> None:
    """Send `task` with JSON arguments once the current transaction commits.

    Outside a transaction it is sent at once; if the transaction rolls back it is never
    sent, so a worker never sees a row that does not exist.
    """
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs), using=using)
