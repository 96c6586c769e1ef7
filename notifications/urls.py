"""API v1 routes of notifications: NotifyWorkers and webhook endpoints."""

from django.urls import path

from notifications.api import (
    NotifyWorkersApi,
    WebhookDeliveryListApi,
    WebhookEndpointDetailApi,
    WebhookEndpointListApi,
    WebhookEndpointRotateSecretApi,
)

ORGANIZATION = "organizations/<int:organization_id>/"
WEBHOOK = f"{ORGANIZATION}webhooks/<int:endpoint_id>/"

urlpatterns = [
    path(f"{ORGANIZATION}notify-workers/", NotifyWorkersApi.as_view(), name="api-notify-workers"),
    path(f"{ORGANIZATION}webhooks/", WebhookEndpointListApi.as_view(), name="api-webhooks"),
    path(WEBHOOK, WebhookEndpointDetailApi.as_view(), name="api-webhook"),
    path(
        f"{WEBHOOK}rotate-secret/",
        WebhookEndpointRotateSecretApi.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path(f"{WEBHOOK}deliveries/", WebhookDeliveryListApi.as_view(), name="api-webhook-deliveries"),
]
