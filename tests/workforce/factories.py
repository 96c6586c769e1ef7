"""Factories for workers and their qualifications."""

import factory
from django.utils import timezone

from tests.marketplace.factories import OrganizationFactory, UserFactory
from workforce.models import Qualification, QualificationType, WorkerProfile


class WorkerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("first_name")
    country = "US"
    languages = factory.LazyFunction(lambda: ["en"])


class QualificationTypeFactory(factory.django.DjangoModelFactory):
    """A requester organization's active qualification type."""

    class Meta:
        model = QualificationType

    owner = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")
    description = "Knows the domain."


class QualificationFactory(factory.django.DjangoModelFactory):
    """A granted qualification (value 1 unless given)."""

    class Meta:
        model = Qualification

    qualification_type = factory.SubFactory(QualificationTypeFactory)
    worker = factory.SubFactory(WorkerProfileFactory)
    integer_value = 1
    granted_at = factory.LazyFunction(timezone.now)
