"""Helpers for the job lifecycle, dispatch and review tests: requesters, launched jobs,
workers, and the on-commit tasks run at the end of a service call."""

from decimal import Decimal

from jobs.models import HIT, Assignment, LabelingJob
from jobs.services.jobs import job_launch
from marketplace.models import MembershipRole, User
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.marketplace.factories import MembershipFactory, organization_fund
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WorkerProfile


def requester_of(organization, *, role: str = MembershipRole.MEMBER) -> User:
    """A verified member of `organization`."""
    return MembershipFactory(organization=organization, role=role).user


def job_fields(**overrides) -> dict:
    """Valid job_create input for an image-classification job."""
    fields = {
        "name": "cats-and-dogs",
        "label_attribute_name": "animal",
        "task_type": "image-classification",
        "label_category_config": {
            "document-version": "2018-11-28",
            "labels": [{"label": "cat"}, {"label": "dog"}],
        },
        "title": "Which animal is it?",
        "description": "Pick the animal in the picture.",
        "short_instructions": "<p>Pick <b>one</b> label.</p>",
        "full_instructions": "<p>Look closely.</p>",
        "reward": Decimal("0.05"),
        "workers_per_object": 3,
    }
    fields.update(overrides)
    return fields


def launched_job(*, objects: int = 3, **job_kwargs) -> tuple[LabelingJob, User]:
    """A job with `objects` data objects, launched through the service by a member (its
    organization is funded in USD by its factory, and here in the job's other currency)."""
    job = LabelingJobFactory(**job_kwargs)
    if job.currency != "USD":
        organization_fund(job.organization, currency=job.currency)
    DataObjectFactory.create_batch(objects, job=job)
    actor = requester_of(job.organization)
    return job_launch(actor=actor, job=job), actor


def workers(count: int) -> list[WorkerProfile]:
    return WorkerProfileFactory.create_batch(count)


def fresh(instance):
    instance.refresh_from_db()
    return instance


def hit_counts_match_rows(hit: HIT) -> bool:
    """The HIT's counters equal what its assignment rows say."""
    hit.refresh_from_db()
    live = Assignment.objects.filter(hit=hit, status="Accepted").count()
    done = Assignment.objects.filter(
        hit=hit, status__in=["Submitted", "Approved", "Rejected"]
    ).count()
    return (hit.assignments_pending, hit.assignments_completed) == (live, done)
