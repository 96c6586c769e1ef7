"""Reads for workers."""

from marketplace.exceptions import NotFound
from marketplace.models import User
from workforce.models import WorkerProfile


def worker_profile_get(*, actor: User) -> WorkerProfile:
    try:
        return WorkerProfile.objects.get(user=actor)
    except WorkerProfile.DoesNotExist:
        raise NotFound("You are not a worker yet.") from None
