"""Factories for workers."""

import factory

from tests.marketplace.factories import UserFactory
from workforce.models import WorkerProfile


class WorkerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("first_name")
    country = "US"
    languages = factory.LazyFunction(lambda: ["en"])
