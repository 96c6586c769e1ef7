"""Reads for workers."""

from marketplace.exceptions import NotFound
from marketplace.models import User
from workforce.models import WorkerProfile, Workforce, WorkforceKind


def worker_profile_get(*, actor: User) -> WorkerProfile:
    try:
        return WorkerProfile.objects.get(user=actor)
    except WorkerProfile.DoesNotExist:
        raise NotFound("You are not a worker yet.") from None


def public_crowd_get() -> Workforce:
    """The one public-crowd workforce (a data migration creates it; made again if missing)."""
    return Workforce.objects.get_or_create(
        kind=WorkforceKind.PUBLIC, defaults={"name": "Public crowd"}
    )[0]
