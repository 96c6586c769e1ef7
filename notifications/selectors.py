"""Notification reads: an organization's webhook endpoints and their delivery log."""

from django.db.models import Prefetch, QuerySet

from marketplace.exceptions import NotFound
from marketplace.models import Organization
from notifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


def webhook_endpoint_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization)


def webhook_endpoint_access(*, organization: Organization, endpoint_id) -> WebhookEndpoint:
    """One of `organization`'s endpoints, or NotFound (another's endpoint included)."""
    try:
        endpoint_id = int(endpoint_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    endpoint = WebhookEndpoint.objects.filter(organization=organization, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries with their events and their attempts, oldest attempt first."""
    # Uses index: webhook_delivery_by_endpoint (endpoint, -created_at).
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(
            Prefetch(
                "attempt_log",
                queryset=WebhookDeliveryAttempt.objects.order_by("attempt_number"),
            )
        )
    )
