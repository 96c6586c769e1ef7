"""Emailing workers with Mechanical Turk's NotifyWorkers rules: only workers who have
worked for the organization, at most 100 per call, subject <= 200 and message <= 4096
characters, a failure status per worker not emailed, the mail sent by a task on commit."""

import pytest
from django.core import mail
from django.urls import reverse

from jobs.services.dispatch import assignment_claim_next
from notifications import tasks
from notifications.models import (
    RecipientStatus,
    WorkerNotification,
    WorkerNotificationRecipient,
    WorkerNotificationStatus,
)
from notifications.services import workers_notify
from tests.jobs.lifecycle import launched_job, requester_of, workers
from tests.marketplace.api_support import NOT_FOUND, error, session_client, snapshot
from tests.marketplace.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

UNKNOWN_WORKER = "AUNKNOWN0WORKER1"


@pytest.fixture
def world():
    """An organization whose job two workers worked on; a third worked only for another
    organization."""
    job, requester = launched_job(objects=3, workers_per_object=3)
    first, second, stranger = workers(3)
    for worker in (first, second):
        assignment_claim_next(worker=worker, job=job)
    other_job, _ = launched_job(objects=1)
    assignment_claim_next(worker=stranger, job=other_job)
    return job.organization, requester, first, second, stranger


def url(organization) -> str:
    return reverse("api-notify-workers", args=[organization.pk])


def notify(client, organization, callbacks, **body):
    body = {"subject": "More work", "message": "New images tomorrow.", **body}
    with callbacks(execute=True):
        return client.post(url(organization), body, format="json")


def test_workers_who_worked_for_you_are_emailed_and_the_rest_are_failures(
    world, django_capture_on_commit_callbacks
):
    organization, requester, first, second, stranger = world

    response = notify(
        session_client(requester),
        organization,
        django_capture_on_commit_callbacks,
        subject="More work",
        message="Hello,\n\nnew images tomorrow.",
        worker_ids=[first.worker_id, stranger.worker_id, UNKNOWN_WORKER, first.worker_id],
    )

    assert response.status_code == 200
    notification = WorkerNotification.objects.get()
    assert response.json() == {
        "NotifyWorkersFailureStatuses": [
            {
                "NotifyWorkersFailureCode": "HardFailure",
                "NotifyWorkersFailureMessage": "You can only notify workers who have worked "
                "for you.",
                "WorkerId": stranger.worker_id,
            },
            {
                "NotifyWorkersFailureCode": "HardFailure",
                "NotifyWorkersFailureMessage": "There is no worker with this id.",
                "WorkerId": UNKNOWN_WORKER,
            },
        ],
        "notification_id": notification.pk,
    }
    [email] = mail.outbox  # the duplicate id is counted once
    assert email.to == [first.user.email]
    assert email.subject == "More work"
    assert email.body.startswith("Hello,\n\nnew images tomorrow.")
    assert organization.name in email.body
    assert requester.email not in email.body
    assert (notification.organization, notification.sent_by) == (organization, requester)
    assert notification.status == WorkerNotificationStatus.SENT
    assert list(notification.recipients.values_list("worker", "status")) == [
        (first.pk, RecipientStatus.SENT)
    ]


def test_many_workers_get_one_email_each(world, django_capture_on_commit_callbacks):
    organization, requester, first, second, _ = world

    response = notify(
        session_client(requester),
        organization,
        django_capture_on_commit_callbacks,
        worker_ids=[second.worker_id, first.worker_id],
    )

    assert response.json()["NotifyWorkersFailureStatuses"] == []
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        [first.user.email, second.user.email]
    )


def test_an_inactive_worker_is_a_soft_failure(world, django_capture_on_commit_callbacks):
    organization, requester, first, second, _ = world
    second.user.is_active = False
    second.user.save(update_fields=["is_active"])

    response = notify(
        session_client(requester),
        organization,
        django_capture_on_commit_callbacks,
        worker_ids=[first.worker_id, second.worker_id],
    )

    assert response.json()["NotifyWorkersFailureStatuses"] == [
        {
            "NotifyWorkersFailureCode": "SoftFailure",
            "NotifyWorkersFailureMessage": "The worker's account is not active.",
            "WorkerId": second.worker_id,
        }
    ]
    assert [email.to for email in mail.outbox] == [[first.user.email]]


def test_nobody_to_email_records_nothing_and_sends_nothing(
    world, django_capture_on_commit_callbacks
):
    organization, requester, _, _, stranger = world

    response = notify(
        session_client(requester),
        organization,
        django_capture_on_commit_callbacks,
        worker_ids=[stranger.worker_id, "not-a-worker-id"],
    )

    assert response.status_code == 200
    assert response.json() == {
        "NotifyWorkersFailureStatuses": [
            {
                "NotifyWorkersFailureCode": "HardFailure",
                "NotifyWorkersFailureMessage": "You can only notify workers who have worked "
                "for you.",
                "WorkerId": stranger.worker_id,
            },
            {
                "NotifyWorkersFailureCode": "HardFailure",
                "NotifyWorkersFailureMessage": "There is no worker with this id.",
                "WorkerId": "not-a-worker-id",
            },
        ],
        "notification_id": None,
    }
    assert mail.outbox == []
    assert not WorkerNotification.objects.exists()


def test_one_hundred_workers_is_the_limit(world, django_capture_on_commit_callbacks):
    organization, requester, first, _, _ = world
    many = [first.worker_id] + [f"A{index:013d}" for index in range(99)]

    response = notify(
        session_client(requester),
        organization,
        django_capture_on_commit_callbacks,
        worker_ids=many + [first.worker_id],  # 100 distinct ids, one twice
    )

    assert response.status_code == 200
    assert len(response.json()["NotifyWorkersFailureStatuses"]) == 99
    assert [email.to for email in mail.outbox] == [[first.user.email]]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"worker_ids": [f"A{index:013d}" for index in range(101)]},
            {"worker_ids": ["At most 100 workers per call."]},
        ),
        (
            {"subject": "s" * 201},
            {"subject": ["Ensure this field has no more than 200 characters."]},
        ),
        (
            {"message": "m" * 4097},
            {"message": ["Ensure this field has no more than 4096 characters."]},
        ),
        (
            {"subject": "Hi\nBcc: everyone@example.com"},
            {"subject": ["The subject must be one line."]},
        ),
        ({"message": "   "}, {"message": ["This field may not be blank."]}),
        ({"worker_ids": []}, {"worker_ids": ["Ensure this field has at least 1 elements."]}),
        ({"reply_to": "me@example.com"}, {"reply_to": ["Unknown field."]}),
        (
            {"subject": "", "cc": ["x"]},
            {"cc": ["Unknown field."]},
        ),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_nothing_is_sent_or_stored(
    world, body, fields, django_capture_on_commit_callbacks
):
    organization, requester, first, _, _ = world
    client = session_client(requester)
    before = snapshot()
    body = {"worker_ids": [first.worker_id], **body}

    response = notify(client, organization, django_capture_on_commit_callbacks, **body)

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)
    assert snapshot() == before
    assert mail.outbox == []


def test_another_organization_is_not_found_and_nothing_is_sent(
    world, django_capture_on_commit_callbacks
):
    organization, _, first, _, _ = world
    client = session_client(requester_of(OrganizationFactory()))
    before = snapshot()

    response = notify(
        client,
        organization,
        django_capture_on_commit_callbacks,
        worker_ids=[first.worker_id],
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before
    assert mail.outbox == []


def test_a_worker_of_another_organization_cannot_be_reached_through_your_own(
    world, django_capture_on_commit_callbacks
):
    """The outsider's own organization has no work from `first`: a HardFailure."""
    _, _, first, _, _ = world
    other = OrganizationFactory()
    outsider = requester_of(other)

    response = notify(
        session_client(outsider),
        other,
        django_capture_on_commit_callbacks,
        worker_ids=[first.worker_id],
    )

    assert response.json()["NotifyWorkersFailureStatuses"][0]["NotifyWorkersFailureCode"] == (
        "HardFailure"
    )
    assert mail.outbox == []


def test_not_logged_in_is_a_401(world, api_client):
    organization, _, first, _, _ = world

    response = api_client.post(
        url(organization), {"subject": "s", "message": "m", "worker_ids": [first.worker_id]}
    )

    assert response.status_code == 401
    assert mail.outbox == []


def test_the_mail_goes_out_only_after_commit(world, django_capture_on_commit_callbacks):
    organization, requester, first, _, _ = world

    with django_capture_on_commit_callbacks() as callbacks:
        workers_notify(
            actor=requester,
            organization=organization,
            subject="Later",
            message="After commit.",
            worker_ids=[first.worker_id],
        )
        assert mail.outbox == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert [email.to for email in mail.outbox] == [[first.user.email]]


def test_the_send_task_is_idempotent(world, django_capture_on_commit_callbacks):
    organization, requester, first, second, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        notification, _ = workers_notify(
            actor=requester,
            organization=organization,
            subject="Once",
            message="Only once.",
            worker_ids=[first.worker_id, second.worker_id],
        )

    assert tasks.worker_notification_send(notification.pk) == 0
    assert len(mail.outbox) == 2


def test_a_failed_send_is_recorded_and_the_others_still_go_out(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    organization, requester, first, second, _ = world
    from notifications import services

    real_send = services.send_mail

    def flaky_send(subject, body, sender, recipients):
        if recipients == [first.user.email]:
            raise OSError("mailbox unavailable")
        return real_send(subject, body, sender, recipients)

    monkeypatch.setattr(services, "send_mail", flaky_send)
    with django_capture_on_commit_callbacks(execute=True):
        notification, _ = workers_notify(
            actor=requester,
            organization=organization,
            subject="Hi",
            message="Hello.",
            worker_ids=[first.worker_id, second.worker_id],
        )

    assert [email.to for email in mail.outbox] == [[second.user.email]]
    assert dict(
        WorkerNotificationRecipient.objects.filter(notification=notification).values_list(
            "worker", "error"
        )
    ) == {first.pk: "mailbox unavailable", second.pk: ""}
