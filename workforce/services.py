"""Writes for workers: becoming a worker and editing the profile (which keeps the
Worker_Locale qualification in step with the profile's country)."""

from django.db import IntegrityError, transaction

from marketplace.exceptions import Conflict, NotFound
from marketplace.models import User
from marketplace.services import (
    fields_require_known,
    instance_validate,
    user_require_verified_email,
)
from workforce.models import WorkerProfile, new_worker_id
from workforce.qualifications import worker_locale_sync

WORKER_PROFILE_FIELDS = ("display_name", "country", "languages")


@transaction.atomic
def worker_profile_create(*, actor: User, **fields) -> WorkerProfile:
    """Make `actor` a worker with a fresh public worker id; a second call is a Conflict."""
    user_require_verified_email(user=actor)
    fields_require_known(fields=fields, allowed=WORKER_PROFILE_FIELDS)
    # Locking the user row makes two simultaneous requests for one user run one at a time.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if WorkerProfile.objects.filter(user=actor).exists():
        raise Conflict("You are already a worker.", code="worker_profile_exists")
    profile = WorkerProfile(user=actor, **fields)
    instance_validate(instance=profile, fields=WORKER_PROFILE_FIELDS)
    for _attempt in range(3):
        profile.worker_id = new_worker_id()
        try:
            with transaction.atomic():
                profile.save(force_insert=True)
            worker_locale_sync(worker=profile)
            return profile
        except IntegrityError:  # a worker id clash (about once in 2^67 draws): draw again
            profile.pk = None
    raise Conflict("Could not allocate a worker id; try again.", code="worker_id_clash")


@transaction.atomic
def worker_profile_update(*, actor: User, **fields) -> WorkerProfile:
    fields_require_known(fields=fields, allowed=WORKER_PROFILE_FIELDS)
    try:
        profile = WorkerProfile.objects.select_for_update().get(user=actor)
    except WorkerProfile.DoesNotExist:
        raise NotFound("You are not a worker yet.") from None
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, fields[name])
    instance_validate(instance=profile, fields=changed)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    if "country" in changed:
        worker_locale_sync(worker=profile)
    return profile
