"""Factories for webhook endpoints and worker notifications."""

import factory

from notifications.models import WebhookEndpoint, WebhookEventType, WorkerNotification
from tests.marketplace.factories import OrganizationFactory, UserFactory


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint wanting every event (rows made directly: no URL check, so a
    test may point it anywhere)."""

    class Meta:
        model = WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    url = "https://hooks.example.com/groundwork"
    event_types = factory.LazyFunction(lambda: list(WebhookEventType.values))
    is_active = True
    secret = factory.Sequence(lambda n: f"whsec_test_secret_{n}")


class WorkerNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerNotification

    organization = factory.SubFactory(OrganizationFactory)
    sent_by = factory.SubFactory(UserFactory)
    subject = "Thanks"
    message = "Thank you for your work."
