"""Factories for workforces, labeling jobs, data objects, HITs and assignments."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from jobs.models import HIT, Assignment, DataObject, JobStatus, LabelingJob
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import Workforce, WorkforceKind
from workforce.selectors import public_crowd_get


def public_crowd() -> Workforce:
    return public_crowd_get()


class PrivateWorkforceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workforce

    kind = WorkforceKind.PRIVATE
    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class LabelingJobFactory(factory.django.DjangoModelFactory):
    """A draft image-classification job for the public crowd."""

    class Meta:
        model = LabelingJob

    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"job-{n}")
    label_attribute_name = "category"
    task_type = "image-classification"
    labels = factory.LazyFunction(lambda: ["cat", "dog", "bird"])
    label_category_config = factory.LazyAttribute(
        lambda job: {
            "document-version": "2018-11-28",
            "labels": [{"label": label} for label in job.labels],
        }
    )
    title = "Which animal is in the picture?"
    reward = Decimal("0.0500")
    workers_per_object = 3
    workforce = factory.LazyFunction(public_crowd)
    status = JobStatus.DRAFT


class RunningJobFactory(LabelingJobFactory):
    status = JobStatus.RUNNING
    launched_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class DataObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataObject

    job = factory.SubFactory(LabelingJobFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    data = factory.Sequence(lambda n: {"source-ref": f"https://example.com/images/{n}.png"})


class HITFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HIT

    job = factory.SubFactory(RunningJobFactory)
    data_object = factory.LazyAttribute(lambda hit: DataObjectFactory(job=hit.job))
    max_assignments = factory.LazyAttribute(lambda hit: hit.job.workers_per_object)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An accepted assignment; the HIT's counters are not moved (use the services for that)."""

    class Meta:
        model = Assignment

    hit = factory.SubFactory(HITFactory)
    worker = factory.SubFactory(WorkerProfileFactory)
    accepted_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=5))
