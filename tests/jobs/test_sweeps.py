"""The beat sweeps: lease expiry, auto-approval, HIT expiry and job expiry, called directly
and through their Celery tasks (eager in tests); each is idempotent and works in batches."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from jobs import tasks
from jobs.models import (
    Assignment,
    AssignmentStatus,
    DataObjectStatus,
    HITStatus,
    JobStatus,
    LabelingJob,
)
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_pause
from jobs.services.sweeps import (
    assignments_auto_approve,
    assignments_expire_leases,
    hits_expire,
    jobs_finish_expired,
)
from marketplace.celery import app
from tests.jobs.lifecycle import fresh, hit_counts_match_rows, launched_job, workers
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def claimed(count: int, **job_kwargs) -> list[Assignment]:
    job, _ = launched_job(objects=count, **job_kwargs)
    worker = workers(1)[0]
    return [assignment_claim_next(worker=worker, job=job) for _ in range(count)]


def past(**delta):
    return timezone.now() - timedelta(**delta)


# Lease expiry.


def test_expired_leases_are_abandoned_and_their_slots_reopen():
    expired, live = claimed(2, workers_per_object=1)
    Assignment.objects.filter(pk=expired.pk).update(deadline=past(seconds=1))
    assert fresh(expired.hit).status == HITStatus.UNASSIGNABLE

    assert assignments_expire_leases() == 1

    expired = fresh(expired)
    assert (expired.status, expired.ended_at is not None) == (AssignmentStatus.ABANDONED, True)
    assert fresh(expired.hit).status == HITStatus.ASSIGNABLE
    assert hit_counts_match_rows(expired.hit)
    assert fresh(live).status == AssignmentStatus.ACCEPTED
    before = database_snapshot()
    assert assignments_expire_leases() == 0
    assert database_snapshot() == before


def test_lease_expiry_works_through_all_batches():
    assignments = claimed(5)
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(deadline=past(minutes=1))

    assert assignments_expire_leases(batch_size=2) == 5

    assert set(Assignment.objects.values_list("status", flat=True)) == {"Abandoned"}


def test_the_lease_expiry_task_runs_the_sweep():
    (assignment,) = claimed(1)
    Assignment.objects.filter(pk=assignment.pk).update(deadline=past(seconds=1))

    tasks.assignments_expire_leases.delay()

    assert fresh(assignment).status == AssignmentStatus.ABANDONED


def test_an_abandoned_last_lease_on_an_expired_hit_fails_the_object(
    django_capture_on_commit_callbacks,
):
    (assignment,) = claimed(1)
    with django_capture_on_commit_callbacks(execute=True):
        hits_expire(now=timezone.now() + timedelta(days=11))
    assert fresh(assignment).status == AssignmentStatus.ACCEPTED  # keeps its lease

    Assignment.objects.filter(pk=assignment.pk).update(deadline=past(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assignments_expire_leases()

    assert fresh(assignment.hit).status == HITStatus.REVIEWABLE
    assert fresh(assignment.hit.data_object).status == DataObjectStatus.FAILED
    assert fresh(assignment.hit.job).failed_objects == 1


# Auto-approval.


def test_submitted_work_is_approved_at_its_auto_approval_time():
    due, not_due = claimed(2)
    for assignment in (due, not_due):
        assignment_submit(worker=assignment.worker, assignment=assignment, answer={"label": "cat"})
    Assignment.objects.filter(pk=due.pk).update(auto_approval_at=past(seconds=1))

    assert assignments_auto_approve() == 1

    assert (fresh(due).status, fresh(not_due).status) == ("Approved", "Submitted")
    before = database_snapshot()
    assert assignments_auto_approve() == 0
    assert database_snapshot() == before


def test_the_auto_approval_task_runs_the_sweep_in_batches():
    assignments = claimed(3)
    for assignment in assignments:
        assignment_submit(worker=assignment.worker, assignment=assignment, answer={"label": "dog"})
    Assignment.objects.update(auto_approval_at=past(seconds=1))

    tasks.assignments_auto_approve.delay()

    assert set(Assignment.objects.values_list("status", flat=True)) == {"Approved"}
    assert assignments_auto_approve(batch_size=1) == 0


def test_auto_approval_leaves_rejected_work_alone():
    (assignment,) = claimed(1)
    assignment_submit(worker=assignment.worker, assignment=assignment, answer={"label": "dog"})
    Assignment.objects.filter(pk=assignment.pk).update(
        status=AssignmentStatus.REJECTED, auto_approval_at=past(seconds=1)
    )

    assert assignments_auto_approve() == 0
    assert fresh(assignment).status == AssignmentStatus.REJECTED


# HIT expiry.


def test_expired_hits_become_reviewable_and_free_their_batch_slots(
    django_capture_on_commit_callbacks,
):
    job, _ = launched_job(objects=3, workers_per_object=2)
    worker = workers(1)[0]
    held = assignment_claim_next(worker=worker, job=job)
    later = timezone.now() + timedelta(days=11)

    with django_capture_on_commit_callbacks(execute=True):
        assert hits_expire(now=later) == 3

    job = fresh(job)
    assert set(job.hits.values_list("status", flat=True)) == {HITStatus.REVIEWABLE}
    assert job.open_hits == 0
    # Untouched objects have all the answers they will get (none): they fail.
    assert (job.failed_objects, fresh(held.hit.data_object).status) == (2, "unlabeled")
    assert fresh(held).status == AssignmentStatus.ACCEPTED
    before = database_snapshot()
    assert hits_expire(now=later) == 0
    assert database_snapshot() == before


def test_the_hit_expiry_task_runs_the_sweep():
    job, _ = launched_job(objects=1)
    job.hits.update(expires_at=past(seconds=1))

    tasks.hits_expire.delay()

    assert fresh(job).open_hits == 0
    assert job.hits.get().status == HITStatus.REVIEWABLE


# Job expiry.


def test_an_expired_running_job_completes_and_objects_never_sent_fail():
    job, _ = launched_job(objects=3, max_concurrent_tasks=1)
    LabelingJob.objects.filter(pk=job.pk).update(expires_at=past(seconds=1))

    assert jobs_finish_expired() == 1

    job = fresh(job)
    assert job.status == JobStatus.COMPLETED
    assert job.ended_at is not None
    assert (job.failed_objects, job.open_hits) == (2, 0)
    assert job.hits.get().status == HITStatus.REVIEWABLE
    assert job.events.get(kind="completed").data == {"reason": "task availability lifetime ended"}
    before = database_snapshot()
    assert jobs_finish_expired() == 0
    assert database_snapshot() == before


def test_an_expired_paused_job_stops():
    job, actor = launched_job(objects=2)
    job_pause(actor=actor, job=job)
    LabelingJob.objects.filter(pk=job.pk).update(expires_at=past(seconds=1))

    tasks.jobs_finish_expired.delay()

    job = fresh(job)
    assert (job.status, job.open_hits, job.failed_objects) == (JobStatus.STOPPED, 0, 0)


def test_the_job_sweep_closes_hits_an_ended_job_left_open():
    job, _ = launched_job(objects=2)
    # As if the job ended while a claim held its HITs and the follow-up task was lost.
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.STOPPED)

    jobs_finish_expired()

    assert fresh(job).open_hits == 0
    assert set(job.hits.values_list("status", flat=True)) == {HITStatus.REVIEWABLE}


def test_beat_runs_every_sweep():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    jobs_schedule = {task: every for task, every in schedule.items() if task.startswith("jobs.")}
    assert jobs_schedule == {
        "jobs.assignments_expire_leases": 30.0,
        "jobs.assignments_auto_approve": 60.0,
        "jobs.hits_expire": 60.0,
        "jobs.jobs_finish_expired": 60.0,
        "jobs.waiting_objects_settle": 300.0,
    }
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert set(schedule) <= set(app.tasks)
