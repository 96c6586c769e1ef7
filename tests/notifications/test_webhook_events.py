"""Webhook events emitted by the real services (claim, accept, submit, return, lease
expiry, approve, reject, auto-approve, job completion) reach a subscribed endpoint with
the right payloads; nothing is queued for an organization without a subscribed endpoint,
and nothing is sent for a rolled-back transaction."""

import json
from datetime import timedelta
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from jobs.models import Assignment, JobStatus
from jobs.services import dispatch
from jobs.services.dispatch import (
    assignment_accept,
    assignment_claim_next,
    assignment_return,
    assignment_submit,
)
from jobs.services.review import assignment_approve, assignment_reject
from jobs.services.sweeps import assignments_auto_approve, assignments_expire_leases
from notifications.models import WebhookEvent
from notifications.services import webhook_endpoint_delete, webhook_endpoint_update
from tests.jobs.lifecycle import fresh, launched_job, workers
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

RECORD_TASK = "notifications.webhook_event_record"


@pytest.fixture(autouse=True, params=["one statement", "queryset path"])
def dispatch_path(request, monkeypatch):
    """Claim and submit are emitted from PostgreSQL's one-statement path and from the
    queryset path alike."""
    if request.param == "queryset path":
        monkeypatch.setattr(dispatch, "_claim_in_one_statement", lambda **_kwargs: None)
        monkeypatch.setattr(dispatch, "_submit_in_one_statement", lambda **_kwargs: None)
    return request.param


@pytest.fixture
def job_and_requester():
    return launched_job(objects=2, workers_per_object=2)


@pytest.fixture
def hooked(job_and_requester, receiver, loopback_allowed):
    """An endpoint of the job's organization on the loopback receiver, wanting all."""
    job, _ = job_and_requester
    return WebhookEndpointFactory(organization=job.organization, url=receiver.url())


def delivered(receiver) -> list[tuple[str, dict]]:
    events = [json.loads(request["body"]) for request in receiver.received]
    return [(event["type"], event["data"]) for event in events]


def queued(callbacks) -> list[str]:
    """The names of the tasks the captured on-commit callbacks would send."""
    return [
        callback.func.__self__.name
        for callback in callbacks
        if isinstance(callback, partial) and hasattr(callback.func, "__self__")
    ]


def ids(assignment: Assignment) -> dict:
    return {
        "assignment_id": assignment.assignment_id,
        "hit_id": assignment.hit.hit_id,
        "job_id": assignment.hit.job_id,
        "worker_id": assignment.worker.worker_id,
    }


def test_claim_submit_and_approve_are_delivered(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    worker = workers(1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_claim_next(worker=worker, job=job)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_submit(
            worker=worker, assignment=assignment, answer={"label": "cat"}
        )
    with django_capture_on_commit_callbacks(execute=True):
        assignment_approve(actor=requester, assignment=assignment)

    assignment = Assignment.objects.select_related("hit", "worker").get(pk=assignment.pk)
    assert delivered(receiver) == [
        ("AssignmentAccepted", ids(assignment)),
        ("AssignmentSubmitted", ids(assignment)),
        ("AssignmentApproved", ids(assignment)),
    ]
    event = json.loads(receiver.received[0]["body"])
    assert event["organization_id"] == job.organization_id
    assert event["id"].startswith("evt_")
    assert len({json.loads(request["body"])["id"] for request in receiver.received}) == 3


def test_the_last_submit_makes_the_hit_reviewable_and_the_job_completed(
    receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    job, _ = launched_job(objects=1, workers_per_object=1)
    WebhookEndpointFactory(organization=job.organization, url=receiver.url())
    worker = workers(1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_claim_next(worker=worker, job=job)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    assert fresh(job).status == JobStatus.COMPLETED
    assignment = Assignment.objects.select_related("hit", "worker").get(pk=assignment.pk)
    assert delivered(receiver) == [
        ("AssignmentAccepted", ids(assignment)),
        ("AssignmentSubmitted", ids(assignment)),
        ("HITReviewable", {"hit_id": assignment.hit.hit_id, "job_id": job.pk}),
        ("JobCompleted", {"job_id": job.pk}),
    ]


def test_accept_return_and_reject_are_delivered(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    first, second = workers(2)
    hit = job.hits.order_by("pk").first()

    with django_capture_on_commit_callbacks(execute=True):
        accepted = assignment_accept(worker=first, hit=hit)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_return(worker=first, assignment=accepted)
    with django_capture_on_commit_callbacks(execute=True):
        other = assignment_claim_next(worker=second, job=job)
    with django_capture_on_commit_callbacks(execute=True):
        other = assignment_submit(worker=second, assignment=other, answer={"label": "cat"})
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=requester, assignment=other, feedback="Not a cat.")

    accepted = Assignment.objects.select_related("hit", "worker").get(pk=accepted.pk)
    other = Assignment.objects.select_related("hit", "worker").get(pk=other.pk)
    assert delivered(receiver) == [("AssignmentRejected", ids(other))]
    events = list(WebhookEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert events[:2] == ["AssignmentAccepted", "AssignmentReturned"]
    returned = WebhookEvent.objects.get(event_type="AssignmentReturned")
    assert returned.payload["data"] == ids(accepted)


def test_an_expired_lease_is_delivered_as_abandoned(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, _ = job_and_requester
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    Assignment.objects.filter(pk=assignment.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assignments_expire_leases()

    assignment = Assignment.objects.select_related("hit", "worker").get(pk=assignment.pk)
    assert delivered(receiver)[-1] == ("AssignmentAbandoned", ids(assignment))


def test_auto_approval_is_delivered_as_approved(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, _ = job_and_requester
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    with django_capture_on_commit_callbacks(execute=True):
        assignments_auto_approve(now=timezone.now() + timedelta(days=31))

    assignment = Assignment.objects.select_related("hit", "worker").get(pk=assignment.pk)
    assert delivered(receiver) == [("AssignmentApproved", ids(assignment))]


def test_an_idempotent_repeat_emits_nothing_more(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment = assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assignment_approve(actor=requester, assignment=assignment)

    with django_capture_on_commit_callbacks() as callbacks:
        assignment_approve(actor=requester, assignment=assignment)

    assert RECORD_TASK not in queued(callbacks)


def test_nothing_is_queued_for_an_organization_without_a_subscribed_endpoint(
    job_and_requester, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    # Endpoints that do not count: another event, switched off, another organization.
    WebhookEndpointFactory(organization=job.organization, event_types=["JobCompleted"])
    WebhookEndpointFactory(organization=job.organization, is_active=False)
    WebhookEndpointFactory()
    worker = workers(1)[0]

    with django_capture_on_commit_callbacks() as callbacks:
        assignment = assignment_claim_next(worker=worker, job=job)
        assignment = assignment_submit(
            worker=worker, assignment=assignment, answer={"label": "cat"}
        )
        assignment_approve(actor=requester, assignment=assignment)

    assert RECORD_TASK not in queued(callbacks)
    assert not WebhookEvent.objects.exists()


def test_subscriptions_are_read_again_when_an_endpoint_changes(
    job_and_requester, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    first, second, third = workers(3)
    endpoint = WebhookEndpointFactory(organization=job.organization, event_types=["JobCompleted"])
    with django_capture_on_commit_callbacks() as before:
        assignment_claim_next(worker=first, job=job)  # caches "JobCompleted only"

    webhook_endpoint_update(actor=requester, endpoint=endpoint, event_types=["AssignmentAccepted"])
    with django_capture_on_commit_callbacks() as after_change:
        assignment_claim_next(worker=second, job=job)

    webhook_endpoint_delete(actor=requester, endpoint=endpoint)
    with django_capture_on_commit_callbacks() as after_delete:
        assignment_claim_next(worker=third, job=job)

    assert RECORD_TASK not in queued(before)
    assert queued(after_change).count(RECORD_TASK) == 1
    assert RECORD_TASK not in queued(after_delete)


def test_a_rolled_back_transaction_sends_nothing(
    job_and_requester, hooked, receiver, django_capture_on_commit_callbacks
):
    job, requester = job_and_requester
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    assignment = assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    def approve_then_fail():
        with transaction.atomic():
            assignment_approve(actor=requester, assignment=assignment)
            raise RuntimeError("the caller's transaction fails after the approval")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError, match="fails after the approval"):
            approve_then_fail()

    assert callbacks == []
    assert receiver.received == []
    assert not WebhookEvent.objects.exists()
    assert fresh(assignment).status == "Submitted"


def test_a_process_trusts_its_copy_of_the_subscriptions_for_a_few_seconds(monkeypatch):
    """Another process's new endpoint (its row and the shared cache cleared, as that
    process's service does) reaches this one once LOCAL_SECONDS have passed."""
    from django.core.cache import cache

    from notifications import events
    from tests.marketplace.factories import OrganizationFactory

    clock = [1000.0]
    monkeypatch.setattr(events.time, "monotonic", lambda: clock[0])
    organization = OrganizationFactory()
    assert events.subscribed_event_types(organization_id=organization.pk) == frozenset()

    WebhookEndpointFactory(organization=organization, event_types=["AssignmentSubmitted"])
    cache.delete(events._subscriptions_key(organization.pk))

    assert events.subscribed_event_types(organization_id=organization.pk) == frozenset()
    clock[0] += events.LOCAL_SECONDS + 0.1
    assert events.subscribed_event_types(organization_id=organization.pk) == {"AssignmentSubmitted"}
