"""Writes for workers: becoming a worker and editing the profile (which keeps the
Worker_Locale and Worker_Adult qualifications in step with it), requesters' blocks, and
staff's platform-wide suspension."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.exceptions import Conflict, NotFound, PermissionDenied
from marketplace.models import Organization, User
from marketplace.services import (
    fields_require_known,
    instance_validate,
    member_require,
    reason_clean,
    user_require_verified_email,
)
from workforce.models import (
    MAX_BLOCKS_PER_ORGANIZATION,
    WorkerBlock,
    WorkerProfile,
    new_worker_id,
)
from workforce.system_qualifications import profile_qualifications_sync

WORKER_PROFILE_FIELDS = ("display_name", "country", "languages", "skills", "is_adult")


def _skills_clean(fields: dict) -> dict:
    """Skills as tags: surrounding spaces trimmed (the model's rules then apply)."""
    skills = fields.get("skills")
    if isinstance(skills, list):
        fields = {
            **fields,
            "skills": [skill.strip() if isinstance(skill, str) else skill for skill in skills],
        }
    return fields


@transaction.atomic
def worker_profile_create(*, actor: User, **fields) -> WorkerProfile:
    """Make `actor` a worker with a fresh public worker id; a second call is a Conflict."""
    user_require_verified_email(user=actor)
    fields_require_known(fields=fields, allowed=WORKER_PROFILE_FIELDS)
    fields = _skills_clean(fields)
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
            profile_qualifications_sync(worker=profile)
            return profile
        except IntegrityError:  # a worker id clash (about once in 2^67 draws): draw again
            profile.pk = None
    raise Conflict("Could not allocate a worker id; try again.", code="worker_id_clash")


@transaction.atomic
def worker_profile_update(*, actor: User, **fields) -> WorkerProfile:
    fields_require_known(fields=fields, allowed=WORKER_PROFILE_FIELDS)
    fields = _skills_clean(fields)
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
    if {"country", "is_adult"} & set(changed):
        profile_qualifications_sync(worker=profile)
    return profile


# Blocks (Mechanical Turk's CreateWorkerBlock / DeleteWorkerBlock).


@transaction.atomic
def worker_block(
    *, actor: User, organization: Organization, worker: WorkerProfile, reason: str
) -> WorkerBlock:
    """Block a worker from all of the organization's work; blocking again updates the
    reason. At most MAX_BLOCKS_PER_ORGANIZATION per organization (Mechanical Turk's)."""
    member_require(actor=actor, organization_id=organization.pk)
    reason = reason_clean(reason)
    # One organization's blocks change one at a time, so the limit holds under concurrency.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    block = WorkerBlock.objects.filter(organization=organization, worker=worker).first()
    if block is not None:
        if block.reason != reason:
            block.reason = reason
            block.save(update_fields=["reason", "updated_at"])
        return block
    if WorkerBlock.objects.filter(organization=organization).count() >= (
        MAX_BLOCKS_PER_ORGANIZATION
    ):
        raise Conflict(
            f"An organization can block at most {MAX_BLOCKS_PER_ORGANIZATION:,} workers.",
            code="block_limit",
        )
    return WorkerBlock.objects.create(organization=organization, worker=worker, reason=reason)


@transaction.atomic
def worker_unblock(*, actor: User, organization: Organization, worker: WorkerProfile) -> None:
    """Lift a block; a worker who is not blocked stays so (it succeeds and changes nothing)."""
    member_require(actor=actor, organization_id=organization.pk)
    WorkerBlock.objects.filter(organization=organization, worker=worker).delete()


# Staff suspension, platform-wide.


@transaction.atomic
def worker_suspend(*, actor: User, worker: WorkerProfile, reason: str) -> WorkerProfile:
    """Staff stop a worker from getting any new work anywhere; work they already hold can
    still be submitted (nothing a worker did is lost)."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can suspend a worker.")
    reason = reason_clean(reason)
    worker = WorkerProfile.objects.select_for_update().get(pk=worker.pk)
    if worker.suspended_at is None:
        worker.suspended_at = timezone.now()
    worker.suspension_reason = reason
    worker.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    return worker


@transaction.atomic
def worker_reinstate(*, actor: User, worker: WorkerProfile) -> WorkerProfile:
    if not actor.is_staff:
        raise PermissionDenied("Only staff can reinstate a worker.")
    worker = WorkerProfile.objects.select_for_update().get(pk=worker.pk)
    worker.suspended_at, worker.suspension_reason = None, ""
    worker.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    return worker
