"""Celery tasks of the workforce app: thin wrappers around one service each."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from workforce.system_qualifications import approval_qualifications_refresh_since

# The beat runs the refresh every minute over the last five: a missed or late run is
# covered by the next ones, and recomputing a worker twice changes nothing.
REFRESH_WINDOW = timedelta(minutes=5)


@shared_task(name="workforce.system_qualifications_refresh", ignore_result=True)
def system_qualifications_refresh() -> int:
    return approval_qualifications_refresh_since(since=timezone.now() - REFRESH_WINDOW)
