"""The webhook endpoints API: members list, create (the secret shown once), change,
delete and rotate their organization's endpoints and read the delivery log; strict input
with field errors; anything of another organization is a 404."""

import pytest
from django.urls import reverse

from notifications.models import WebhookEndpoint
from notifications.services import webhook_delivery_attempt, webhook_event_record
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import NOT_FOUND, error, iso, session_client, snapshot
from tests.marketplace.factories import OrganizationFactory
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def member(organization):
    return requester_of(organization)


@pytest.fixture
def client(member):
    return session_client(member)


def list_url(organization) -> str:
    return reverse("api-webhooks", args=[organization.pk])


def detail_url(endpoint, organization=None) -> str:
    return reverse("api-webhook", args=[(organization or endpoint.organization).pk, endpoint.pk])


def shown(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
        "created_at": iso(endpoint.created_at),
        "updated_at": iso(endpoint.updated_at),
    }


def test_a_member_creates_an_endpoint_and_sees_its_secret_once(organization, member, client):
    response = client.post(
        list_url(organization),
        {
            "url": "https://hooks.example.com/groundwork",
            "event_types": ["JobCompleted", "AssignmentSubmitted", "JobCompleted"],
            "description": "CI",
        },
    )

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert response.json() == {**shown(endpoint), "secret": endpoint.secret}
    assert endpoint.event_types == ["AssignmentSubmitted", "JobCompleted"]
    assert endpoint.secret.startswith("whsec_")
    assert len(endpoint.secret) > 40
    assert (endpoint.organization, endpoint.created_by) == (organization, member)
    listed = client.get(list_url(organization)).json()
    assert listed["results"] == [shown(endpoint)]
    assert client.get(detail_url(endpoint)).json() == shown(endpoint)


def test_each_endpoint_gets_its_own_secret(organization, client):
    body = {"url": "https://hooks.example.com/", "event_types": ["JobCompleted"]}

    secrets = {client.post(list_url(organization), body).json()["secret"] for _ in range(3)}

    assert len(secrets) == 3


def test_a_member_changes_and_deletes_an_endpoint(organization, client):
    endpoint = WebhookEndpointFactory(organization=organization)

    response = client.patch(
        detail_url(endpoint),
        {
            "url": "https://other.example.com/in",
            "is_active": False,
            "event_types": ["HITReviewable"],
        },
    )

    endpoint.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == shown(endpoint)
    assert (endpoint.url, endpoint.is_active, endpoint.event_types) == (
        "https://other.example.com/in",
        False,
        ["HITReviewable"],
    )
    assert client.delete(detail_url(endpoint)).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotating_gives_a_new_secret_and_keeps_the_old_one_for_a_day(organization, client):
    endpoint = WebhookEndpointFactory(organization=organization)
    old_secret = endpoint.secret

    response = client.post(
        reverse("api-webhook-rotate-secret", args=[organization.pk, endpoint.pk])
    )

    endpoint.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {**shown(endpoint), "secret": endpoint.secret}
    assert endpoint.secret != old_secret
    assert endpoint.previous_secret == old_secret
    assert endpoint.previous_secret_expires_at is not None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"url": "ftp://hooks.example.com/"},
            {"url": ["Use an http:// or https:// URL."]},
        ),
        (
            {"url": "https://me:pw@hooks.example.com/"},
            {"url": ["The URL may not carry a user name or password."]},
        ),
        (
            {"url": "http://169.254.169.254/latest/meta-data/"},
            {"url": ["Webhooks cannot be sent to link-local addresses."]},
        ),
        ({"url": "http://10.1.2.3/"}, {"url": ["Webhooks cannot be sent to private addresses."]}),
        ({"url": "http://[::1]/"}, {"url": ["Webhooks cannot be sent to loopback addresses."]}),
        (
            {"event_types": ["AssignmentExploded"]},
            {"event_types.0": ['"AssignmentExploded" is not a valid choice.']},
        ),
        ({"event_types": []}, {"event_types": ["Ensure this field has at least 1 elements."]}),
        ({"secret": "mine"}, {"secret": ["Unknown field."]}),
        ({"organization": 1}, {"organization": ["Unknown field."]}),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_stores_nothing(organization, client, body, fields):
    before = snapshot()

    response = client.post(
        list_url(organization),
        {"url": "https://hooks.example.com/", "event_types": ["JobCompleted"], **body},
    )

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_a_private_url_is_refused_on_change_too(organization, client):
    endpoint = WebhookEndpointFactory(organization=organization)

    response = client.patch(detail_url(endpoint), {"url": "http://192.168.0.10/hook"})

    assert response.status_code == 400
    assert response.json() == error(
        "invalid", INVALID, {"url": ["Webhooks cannot be sent to private addresses."]}
    )
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/groundwork"


def test_a_loopback_url_is_accepted_when_allowed(organization, client, loopback_allowed):
    response = client.post(
        list_url(organization),
        {"url": "http://127.0.0.1:8080/hooks", "event_types": ["JobCompleted"]},
    )

    assert response.status_code == 201


def test_another_organizations_endpoints_are_not_found(organization):
    endpoint = WebhookEndpointFactory(organization=organization)
    outsider_organization = OrganizationFactory()
    outsider = session_client(requester_of(outsider_organization))
    before = snapshot()
    ids = [organization.pk, endpoint.pk]
    requests = [
        ("get", reverse("api-webhooks", args=[organization.pk]), None),
        (
            "post",
            reverse("api-webhooks", args=[organization.pk]),
            {"url": "https://evil.example.com/", "event_types": ["JobCompleted"]},
        ),
        ("get", reverse("api-webhook", args=ids), None),
        ("patch", reverse("api-webhook", args=ids), {"is_active": False}),
        ("delete", reverse("api-webhook", args=ids), None),
        ("post", reverse("api-webhook-rotate-secret", args=ids), None),
        ("get", reverse("api-webhook-deliveries", args=ids), None),
        # Their own organization in the URL, our endpoint's id.
        ("get", reverse("api-webhook", args=[outsider_organization.pk, endpoint.pk]), None),
        ("delete", reverse("api-webhook", args=[outsider_organization.pk, endpoint.pk]), None),
        (
            "get",
            reverse("api-webhook-deliveries", args=[outsider_organization.pk, endpoint.pk]),
            None,
        ),
    ]

    for method, url, body in requests:
        response = getattr(outsider, method)(url, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, url)
    assert snapshot() == before


def test_the_delivery_log_lists_each_attempt(
    organization, client, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(organization=organization, url=receiver.url())
    receiver.answer(503)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_record(
            event_id="evt_log",
            organization_id=organization.pk,
            event_type="JobCompleted",
            occurred_at="2026-11-25T12:00:00+00:00",
            data={"job_id": 7},
        )
    delivery = endpoint.deliveries.get()
    delivery.refresh_from_db()
    first = delivery.attempt_log.get()
    webhook_delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    second = delivery.attempt_log.get(attempt_number=2)

    response = client.get(reverse("api-webhook-deliveries", args=[organization.pk, endpoint.pk]))

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": delivery.pk,
            "event_id": "evt_log",
            "event_type": "JobCompleted",
            "payload": {
                "id": "evt_log",
                "type": "JobCompleted",
                "created_at": "2026-11-25T12:00:00+00:00",
                "organization_id": organization.pk,
                "data": {"job_id": 7},
            },
            "status": "succeeded",
            "attempts": 2,
            "next_attempt_at": None,
            "created_at": iso(delivery.created_at),
            "attempt_log": [
                {
                    "attempt_number": 1,
                    "status_code": 503,
                    "error": "HTTP 503",
                    "duration_ms": first.duration_ms,
                    "next_retry_at": iso(first.next_retry_at),
                    "created_at": iso(first.created_at),
                },
                {
                    "attempt_number": 2,
                    "status_code": 200,
                    "error": "",
                    "duration_ms": second.duration_ms,
                    "next_retry_at": None,
                    "created_at": iso(second.created_at),
                },
            ],
        }
    ]


@pytest.mark.parametrize("rows", [1, 5])
def test_the_delivery_log_query_count_does_not_grow(
    organization, client, rows, django_assert_num_queries
):
    endpoint = WebhookEndpointFactory(organization=organization)
    for index in range(rows):
        webhook_event_record(
            event_id=f"evt_{index}",
            organization_id=organization.pk,
            event_type="JobCompleted",
            occurred_at="2026-11-25T12:00:00+00:00",
            data={"job_id": index},
        )
    url = reverse("api-webhook-deliveries", args=[organization.pk, endpoint.pk])
    client.get(url)  # the session is cached from here on

    with django_assert_num_queries(5):  # user, membership, endpoint, deliveries, attempts
        response = client.get(url)

    assert len(response.json()["results"]) == rows
