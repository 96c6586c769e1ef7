"""Webhook events, emitted by the services where things happen: one call per event site,
queued on commit (so a rolled-back transaction sends nothing), and skipped at the cost
of one cache read when the organization has no active endpoint for the event.

The subscriptions of each organization (the event types its active endpoints want) are
cached; services.py forgets them whenever an endpoint changes.
"""

import secrets
import time

from django.core.cache import cache
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from notifications.models import WebhookEndpoint, WebhookEventType

SUBSCRIPTIONS_CACHE_SECONDS = 300
# How long a process trusts its own copy of an organization's subscriptions: a new or
# changed endpoint reaches every process within this many seconds (at once in the one
# that changed it).
LOCAL_SECONDS = 5.0
_local_subscriptions: dict[int, tuple[float, frozenset[str]]] = {}
# Bounded, per process: a job never changes organization.
_organization_of_job: dict[int, int] = {}
ORGANIZATION_MEMO_MAX = 10_000

ASSIGNMENT_EVENTS = {
    "Accepted": WebhookEventType.ASSIGNMENT_ACCEPTED,
    "Submitted": WebhookEventType.ASSIGNMENT_SUBMITTED,
    "Approved": WebhookEventType.ASSIGNMENT_APPROVED,
    "Rejected": WebhookEventType.ASSIGNMENT_REJECTED,
    "Returned": WebhookEventType.ASSIGNMENT_RETURNED,
    "Abandoned": WebhookEventType.ASSIGNMENT_ABANDONED,
}


def _subscriptions_key(organization_id: int) -> str:
    return f"webhooks:subscribed:{organization_id}"


def subscribed_event_types(*, organization_id: int) -> frozenset[str]:
    """The event types some active endpoint of the organization wants: remembered in this
    process for LOCAL_SECONDS (claims and submits ask on every call; a Redis read each
    time was a tenth of a claim's cost), then read from the shared cache."""
    now = time.monotonic()
    remembered = _local_subscriptions.get(organization_id)
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    found = _shared_subscriptions(organization_id)
    if len(_local_subscriptions) >= ORGANIZATION_MEMO_MAX:
        _local_subscriptions.clear()
    _local_subscriptions[organization_id] = (now + LOCAL_SECONDS, found)
    return found


def _shared_subscriptions(organization_id: int) -> frozenset[str]:
    key = _subscriptions_key(organization_id)
    cached = cache.get(key)
    if cached is None:
        wanted = WebhookEndpoint.objects.filter(
            organization_id=organization_id, is_active=True
        ).values_list("event_types", flat=True)
        cached = sorted({event_type for event_types in wanted for event_type in event_types})
        cache.set(key, cached, SUBSCRIPTIONS_CACHE_SECONDS)
    return frozenset(cached)


def subscriptions_forget(*, organization_id: int) -> None:
    """Drop the cached subscriptions now and again on commit (a reader between the two
    may cache the old set; the second delete clears it)."""
    from django.db import transaction

    key = _subscriptions_key(organization_id)
    cache.delete(key)
    _local_subscriptions.pop(organization_id, None)
    transaction.on_commit(lambda: cache.delete(key))
    transaction.on_commit(lambda: _local_subscriptions.pop(organization_id, None))


def memos_clear() -> None:
    """Forget what this process remembers (the tests start each test with nothing)."""
    _local_subscriptions.clear()
    _organization_of_job.clear()


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def _organization_id_of(job=None, hit=None) -> int:
    if job is not None:
        return job.organization_id
    if hit._meta.get_field("job").is_cached(hit):
        return hit.job.organization_id
    organization_id = _organization_of_job.get(hit.job_id)
    if organization_id is None:
        from jobs.models import LabelingJob

        organization_id = LabelingJob.objects.values_list("organization_id", flat=True).get(
            pk=hit.job_id
        )
        if len(_organization_of_job) >= ORGANIZATION_MEMO_MAX:
            _organization_of_job.clear()
        _organization_of_job[hit.job_id] = organization_id
    return organization_id


def event_emit(*, event_type: str, organization_id: int, data: dict) -> None:
    """Queue `event_type` with `data` (object ids) for the organization's endpoints, on
    commit. Callers check subscribed_event_types first when building `data` costs."""
    from notifications import tasks

    enqueue_on_commit(
        tasks.webhook_event_record,
        event_id=new_event_id(),
        organization_id=organization_id,
        event_type=str(event_type),
        occurred_at=timezone.now().isoformat(),
        data=data,
    )


def assignment_event_emit(*, assignment, hit=None, worker=None) -> None:
    """The assignment's new status as an event (AssignmentAccepted, ...Submitted,
    ...Approved, ...Rejected, ...Returned, ...Abandoned); other statuses send nothing.
    `hit` and `worker` save queries when the caller holds them."""
    event_type = ASSIGNMENT_EVENTS.get(assignment.status)
    if event_type is None:
        return
    hit = hit if hit is not None else assignment.hit
    organization_id = _organization_id_of(hit=hit)
    if event_type not in subscribed_event_types(organization_id=organization_id):
        return
    worker = worker if worker is not None else assignment.worker
    event_emit(
        event_type=event_type,
        organization_id=organization_id,
        data={
            "assignment_id": assignment.assignment_id,
            "hit_id": hit.hit_id,
            "job_id": hit.job_id,
            "worker_id": worker.worker_id,
        },
    )


def hit_reviewable_emit(*, hit) -> None:
    """The HIT has all its answers (HITReviewable)."""
    organization_id = _organization_id_of(hit=hit)
    if WebhookEventType.HIT_REVIEWABLE not in subscribed_event_types(
        organization_id=organization_id
    ):
        return
    event_emit(
        event_type=WebhookEventType.HIT_REVIEWABLE,
        organization_id=organization_id,
        data={"hit_id": hit.hit_id, "job_id": hit.job_id},
    )


def job_completed_emit(*, job) -> None:
    """The job completed (JobCompleted)."""
    if WebhookEventType.JOB_COMPLETED not in subscribed_event_types(
        organization_id=job.organization_id
    ):
        return
    event_emit(
        event_type=WebhookEventType.JOB_COMPLETED,
        organization_id=job.organization_id,
        data={"job_id": job.pk},
    )
