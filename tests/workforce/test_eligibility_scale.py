"""Eligibility stays a bounded number of queries: discovery for a worker holding 50
qualifications over 1,000 open jobs with requirements."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import HIT, DataObject, HITStatus, LabelingJob
from jobs.selectors import work_job_list
from tests.jobs.factories import RunningJobFactory
from tests.marketplace.api_support import session_client
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import (
    Qualification,
    QualificationRequirement,
    QualificationRequirementValue,
    QualificationType,
)

pytestmark = pytest.mark.django_db

GUARDS = ("Accept", "DiscoverPreviewAndAccept")


def open_jobs_with_requirements(*, jobs: int, types: int, worker):
    """`jobs` running jobs with one open HIT each; job i requires type i % types to be
    greater than i % 100, guarding Accept (even i) or discovery too (odd i). The worker
    holds every type with value 5. Returns the ids discovery must list, oldest first."""
    template = RunningJobFactory()
    organization = template.organization
    qualification_types = QualificationType.objects.bulk_create(
        QualificationType(owner=organization, name=f"Skill {n}", description="d")
        for n in range(types)
    )
    now = timezone.now()
    Qualification.objects.bulk_create(
        Qualification(qualification_type=t, worker=worker, integer_value=5, granted_at=now)
        for t in qualification_types
    )
    created = [template]
    for number in range(1, jobs):
        job = LabelingJob.objects.get(pk=template.pk)
        job.pk, job.name = None, f"scale-{number}"
        job.launched_at = now + timedelta(microseconds=number)
        created.append(job)
    LabelingJob.objects.bulk_create(created[1:])
    objects = DataObject.objects.bulk_create(
        DataObject(job=job, line_number=1, data={"source-ref": "https://example.com/a.png"})
        for job in created
    )
    HIT.objects.bulk_create(
        HIT(job=job, data_object=data_object, status=HITStatus.ASSIGNABLE, max_assignments=3,
            expires_at=now + timedelta(days=1))
        for job, data_object in zip(created, objects, strict=True)
    )  # fmt: skip
    requirements = QualificationRequirement.objects.bulk_create(
        QualificationRequirement(
            job=job, qualification_type=qualification_types[number % types],
            comparator="GreaterThan", actions_guarded=GUARDS[number % 2], position=0,
        )
        for number, job in enumerate(created)
    )  # fmt: skip
    QualificationRequirementValue.objects.bulk_create(
        QualificationRequirementValue(requirement=requirement, integer_value=number % 100)
        for number, requirement in enumerate(requirements)
    )
    # Visible: the worker's 5 beats the value, or the requirement guards only Accept.
    return [job.pk for number, job in enumerate(created) if number % 2 == 0 or 5 > number % 100]


@pytest.mark.parametrize("jobs", [10, 1000])
def test_discovery_over_many_jobs_and_qualifications_is_one_query(jobs, django_assert_num_queries):
    worker = WorkerProfileFactory()
    visible = open_jobs_with_requirements(jobs=jobs, types=50, worker=worker)

    with django_assert_num_queries(1):
        listed = [job.pk for job in work_job_list(worker=worker)]

    assert sorted(listed) == sorted(visible)
    assert 0 < len(listed) < jobs


def test_the_discovery_page_is_a_fixed_number_of_queries(django_assert_num_queries):
    worker = WorkerProfileFactory()
    open_jobs_with_requirements(jobs=1000, types=50, worker=worker)
    client = session_client(worker.user)

    with django_assert_num_queries(2):  # the session's user, the page of jobs
        response = client.get("/api/v1/work/jobs/?page_size=200")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 200
