"""Data migrations of the jobs app, run against rows made with today's models."""

import importlib

import pytest
from django.apps import apps

from jobs.models import JobWorker
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from tests.jobs.lifecycle import launched_job, workers

pytestmark = pytest.mark.django_db

job_worker_tally = importlib.import_module("jobs.migrations.0002_job_worker_tally")


def test_existing_work_is_tallied_per_job_and_worker():
    job, _ = launched_job(objects=3, workers_per_object=2)
    first, second = workers(2)
    for worker, submits in ((first, 3), (second, 1)):
        for _ in range(submits):
            assignment = assignment_claim_next(worker=worker, job=job)
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assignment_claim_next(worker=second, job=job)  # accepted, not done: not counted
    JobWorker.objects.all().delete()  # as before the migration

    job_worker_tally.tally_existing_work(apps, None)

    assert set(JobWorker.objects.values_list("job_id", "worker_id", "submitted")) == {
        (job.pk, first.pk, 3),
        (job.pk, second.pk, 1),
    }
