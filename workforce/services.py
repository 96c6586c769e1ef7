"""Writes for workers: becoming a worker and editing the profile."""

from django.db import IntegrityError, transaction

from marketplace.exceptions import Conflict
from marketplace.models import User
from marketplace.services import user_require_verified_email
from workforce.models import WorkerProfile

WORKER_PROFILE_FIELDS = ("display_name", "country", "languages")


@transaction.atomic
def worker_profile_create(*, actor: User, **fields) -> WorkerProfile:
    """Make `actor` a worker with a fresh public worker id."""
    user_require_verified_email(user=actor)
    if WorkerProfile.objects.filter(user=actor).exists():
        raise Conflict("You are already a worker.", code="worker_profile_exists")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return WorkerProfile.objects.create(user=actor, **fields)
        except IntegrityError:
            # Two requests racing for the same user, or (once in ~10^20) a worker id clash.
            if WorkerProfile.objects.filter(user=actor).exists():
                raise Conflict("You are already a worker.", code="worker_profile_exists") from None
    raise Conflict("Could not allocate a worker id; try again.", code="worker_id_clash")


@transaction.atomic
def worker_profile_update(*, actor: User, **fields) -> WorkerProfile:
    profile = WorkerProfile.objects.select_for_update().get(user=actor)
    changed = [
        name
        for name, value in fields.items()
        if name in WORKER_PROFILE_FIELDS and getattr(profile, name) != value
    ]
    for name in changed:
        setattr(profile, name, fields[name])
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    return profile
