"""The notifications admin: pages render; deliveries, events and worker emails are
read-only; an endpoint's secret is never shown."""

import pytest
from django.urls import reverse

from notifications.models import WebhookDelivery, WebhookEvent
from notifications.services import webhook_event_record
from tests.notifications.factories import WebhookEndpointFactory, WorkerNotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    endpoint = WebhookEndpointFactory(secret="whsec_never_shown_in_admin")
    webhook_event_record(
        event_id="evt_admin",
        organization_id=endpoint.organization_id,
        event_type="JobCompleted",
        occurred_at="2026-11-25T12:00:00+00:00",
        data={"job_id": 1},
    )
    return {
        "webhookendpoint": endpoint,
        "webhookevent": WebhookEvent.objects.get(),
        "webhookdelivery": WebhookDelivery.objects.get(),
        "workernotification": WorkerNotificationFactory(),
    }


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:notifications_{model}_{view}", args=args)


@pytest.mark.parametrize(
    "model", ["webhookendpoint", "webhookevent", "webhookdelivery", "workernotification"]
)
def test_pages_render_for_staff(staff_client, rows, model):
    changelist = staff_client.get(url(model, "changelist"))
    change = staff_client.get(url(model, "change", rows[model].pk))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert b"whsec_never_shown_in_admin" not in changelist.content + change.content


@pytest.mark.parametrize("model", ["webhookevent", "webhookdelivery", "workernotification"])
def test_the_log_is_read_only(staff_client, rows, model):
    assert staff_client.get(url(model, "add")).status_code == 403
    assert (
        staff_client.post(url(model, "delete", rows[model].pk), {"post": "yes"}).status_code == 403
    )
    assert type(rows[model]).objects.filter(pk=rows[model].pk).exists()


def test_staff_can_switch_an_endpoint_off_but_not_add_one(staff_client, rows):
    endpoint = rows["webhookendpoint"]

    response = staff_client.post(
        url("webhookendpoint", "change", endpoint.pk), {"description": "abuse", "is_active": ""}
    )

    endpoint.refresh_from_db()
    assert response.status_code == 302
    assert (endpoint.is_active, endpoint.description) == (False, "abuse")
    assert staff_client.get(url("webhookendpoint", "add")).status_code == 403
