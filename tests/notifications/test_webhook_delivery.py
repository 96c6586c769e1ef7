"""Webhook deliveries to a real HTTP receiver on loopback: the signed body, retries with
exponential backoff logged per attempt, the retry sweep, secret rotation, and the SSRF
guard applied at delivery time."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import tasks
from notifications.models import (
    MAX_DELIVERY_ATTEMPTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
)
from notifications.services import (
    retry_delay,
    webhook_deliveries_retry_due,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_event_record,
)
from notifications.signing import signature_verify
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory()


def record(organization, callbacks, *, event_id="evt_one", event_type="AssignmentSubmitted"):
    """Record an event and run its first attempts (as the on-commit tasks would)."""
    with callbacks(execute=True):
        return webhook_event_record(
            event_id=event_id,
            organization_id=organization.pk,
            event_type=event_type,
            occurred_at="2026-11-25T12:00:00.123456+00:00",
            data={"assignment_id": "A" * 30, "hit_id": "H" * 30, "job_id": 3, "worker_id": "AW1"},
        )


def parse_signature(header: str) -> tuple[int, list[str]]:
    parts = [part.split("=", 1) for part in header.split(",")]
    timestamp = int(next(value for key, value in parts if key == "t"))
    return timestamp, [value for key, value in parts if key == "v1"]


def test_a_delivery_is_signed_with_the_endpoints_secret(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(
        actor=requester_of(organization),
        organization=organization,
        url=receiver.url("/groundwork"),
        event_types=["AssignmentSubmitted"],
    )

    record(organization, django_capture_on_commit_callbacks)

    [request] = receiver.received
    body, headers = request["body"], request["headers"]
    assert request["path"] == "/groundwork"
    assert json.loads(body) == {
        "id": "evt_one",
        "type": "AssignmentSubmitted",
        "created_at": "2026-11-25T12:00:00.123456+00:00",
        "organization_id": organization.pk,
        "data": {"assignment_id": "A" * 30, "hit_id": "H" * 30, "job_id": 3, "worker_id": "AW1"},
    }
    assert headers["Content-Type"] == "application/json"
    assert headers["Groundwork-Event-Id"] == "evt_one"
    assert headers["Groundwork-Event-Type"] == "AssignmentSubmitted"
    assert headers["Groundwork-Delivery-Attempt"] == "1"
    # Verified as a receiver would, by hand: HMAC-SHA256 over "<t>.<raw body>".
    timestamp, [signature] = parse_signature(headers["Groundwork-Signature"])
    expected = hmac.new(
        endpoint.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert abs(time.time() - timestamp) < 60
    assert signature_verify(
        header=headers["Groundwork-Signature"], secret=endpoint.secret, body=body, now=timestamp
    )
    assert not signature_verify(
        header=headers["Groundwork-Signature"], secret="whsec_wrong", body=body, now=timestamp
    )
    assert not signature_verify(
        header=headers["Groundwork-Signature"],
        secret=endpoint.secret,
        body=body + b" ",
        now=timestamp,
    )
    assert not signature_verify(  # replayed too late
        header=headers["Groundwork-Signature"],
        secret=endpoint.secret,
        body=body,
        now=timestamp + 301,
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.SUCCEEDED,
        1,
        None,
    )
    attempt = delivery.attempt_log.get()
    assert (attempt.attempt_number, attempt.status_code, attempt.error, attempt.next_retry_at) == (
        1,
        200,
        "",
        None,
    )


def test_a_500_then_a_200_is_retried_after_the_backoff(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.answer(500, 200)

    record(organization, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    first = delivery.attempt_log.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert (first.status_code, first.error) == (500, "HTTP 500")
    assert first.next_retry_at == first.created_at + timedelta(seconds=60)
    assert delivery.next_attempt_at == first.next_retry_at
    # Not due yet: nothing is sent.
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1

    second = webhook_delivery_attempt(delivery_id=delivery.pk, now=first.next_retry_at)

    delivery.refresh_from_db()
    assert (second.attempt_number, second.status_code, second.next_retry_at) == (2, 200, None)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.SUCCEEDED,
        2,
        None,
    )
    assert [request["headers"]["Groundwork-Delivery-Attempt"] for request in receiver.received] == [
        "1",
        "2",
    ]
    bodies = {request["body"] for request in receiver.received}
    assert len(bodies) == 1  # the same bytes every time; only the signature's t changes
    # Done: another attempt sends nothing.
    assert (
        webhook_delivery_attempt(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=1))
        is None
    )
    assert len(receiver.received) == 2


def test_the_wait_doubles_until_the_attempts_run_out(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.always(500)

    record(organization, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    for _ in range(MAX_DELIVERY_ATTEMPTS - 1):
        delivery.refresh_from_db()
        webhook_delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)

    log = list(delivery.attempt_log.order_by("attempt_number"))
    waits = [
        (attempt.next_retry_at - attempt.created_at).total_seconds()
        for attempt in log
        if attempt.next_retry_at
    ]
    assert [attempt.attempt_number for attempt in log] == list(range(1, 11))
    assert waits == [60 * 2**n for n in range(9)]  # 1, 2, 4, ... 256 minutes
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert log[-1].next_retry_at is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        MAX_DELIVERY_ATTEMPTS,
        None,
    )
    assert len(receiver.received) == MAX_DELIVERY_ATTEMPTS
    assert (
        webhook_delivery_attempt(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=9))
        is None
    )


def test_the_sweep_queues_the_due_deliveries_only(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.answer(500, 500)
    record(organization, django_capture_on_commit_callbacks, event_id="evt_due")
    record(organization, django_capture_on_commit_callbacks, event_id="evt_later")
    due = WebhookDelivery.objects.get(event__event_id="evt_due")
    WebhookDelivery.objects.filter(pk=due.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.webhook_deliveries_retry_due()

    assert queued == 1
    assert webhook_deliveries_retry_due() == 0
    assert [request["headers"]["Groundwork-Event-Id"] for request in receiver.received] == [
        "evt_due",
        "evt_later",
        "evt_due",
    ]
    assert WebhookDelivery.objects.get(pk=due.pk).status == DeliveryStatus.SUCCEEDED


def test_recording_an_event_twice_delivers_it_once(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(organization=organization, url=receiver.url())

    record(organization, django_capture_on_commit_callbacks)
    record(organization, django_capture_on_commit_callbacks)

    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_only_active_endpoints_that_want_the_event_get_it(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    wanted = WebhookEndpointFactory(organization=organization, url=receiver.url("/wanted"))
    WebhookEndpointFactory(
        organization=organization, url=receiver.url("/other"), event_types=["JobCompleted"]
    )
    WebhookEndpointFactory(organization=organization, url=receiver.url("/off"), is_active=False)
    WebhookEndpointFactory(url=receiver.url("/another-organization"))

    record(organization, django_capture_on_commit_callbacks)

    assert [request["path"] for request in receiver.received] == ["/wanted"]
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]


def test_an_endpoint_switched_off_meanwhile_gets_nothing_more(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.answer(500)
    record(organization, django_capture_on_commit_callbacks)
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    delivery = WebhookDelivery.objects.get()

    attempt = webhook_delivery_attempt(
        delivery_id=delivery.pk, now=timezone.now() + timedelta(hours=1)
    )

    delivery.refresh_from_db()
    assert (attempt.status_code, attempt.error) == (None, "The endpoint is switched off.")
    assert delivery.status == DeliveryStatus.FAILED
    assert len(receiver.received) == 1


def test_after_a_rotation_both_secrets_sign_for_a_day(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(organization=organization, url=receiver.url())
    old_secret = endpoint.secret
    endpoint = webhook_endpoint_rotate_secret(actor=requester_of(organization), endpoint=endpoint)
    receiver.answer(500)

    record(organization, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_attempt(delivery_id=delivery.pk, now=timezone.now() + timedelta(hours=25))

    first, late = receiver.received
    for request, valid_secrets in (
        (first, [endpoint.secret, old_secret]),
        (late, [endpoint.secret]),
    ):
        header = request["headers"]["Groundwork-Signature"]
        timestamp, signatures = parse_signature(header)
        assert len(signatures) == len(valid_secrets)
        for secret in valid_secrets:
            assert signature_verify(
                header=header, secret=secret, body=request["body"], now=timestamp
            )
    late_header = late["headers"]["Groundwork-Signature"]
    assert not signature_verify(
        header=late_header,
        secret=old_secret,
        body=late["body"],
        now=parse_signature(late_header)[0],
    )


def test_loopback_is_refused_at_delivery_without_the_allow_list(
    organization, receiver, django_capture_on_commit_callbacks
):
    """Saved while allowed (the factory skips the save check), delivered when not."""
    WebhookEndpointFactory(organization=organization, url=receiver.url())

    record(organization, django_capture_on_commit_callbacks)

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error == "Refused: Webhooks cannot be sent to loopback addresses."
    assert attempt.next_retry_at is not None
    assert receiver.received == []


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    organization, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import outbound

    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["169.254.169.254"])
    WebhookEndpointFactory(organization=organization, url="https://metadata.example.com/")

    record(organization, django_capture_on_commit_callbacks)

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.error == (
        "Refused: metadata.example.com resolves to 169.254.169.254, a link-local address."
    )


def test_a_redirect_to_a_private_address_is_logged_and_not_followed(
    organization, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.answer(307, headers={"Location": "http://10.0.0.5/internal"})

    record(organization, django_capture_on_commit_callbacks)

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert (attempt.status_code, attempt.error) == (
        307,
        "Redirects are not followed (Location: http://10.0.0.5/internal).",
    )
    assert len(receiver.received) == 1
