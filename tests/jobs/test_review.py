"""Review: approve, reject (with feedback), override a rejection within 30 days, many at
once all or nothing, auto-approval, and who may review."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, DataObjectStatus
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.review import (
    assignment_approve,
    assignment_auto_approve,
    assignment_reject,
    assignments_approve,
    assignments_reject,
)
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from tests.jobs.factories import AssignmentFactory, HITFactory
from tests.jobs.lifecycle import fresh, launched_job, requester_of, workers
from tests.marketplace.factories import OrganizationFactory
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def submitted(count: int = 1, *, labels=None, **job_kwargs):
    """`count` submitted assignments on one object, and a member of the job's organization."""
    job, actor = launched_job(objects=1, workers_per_object=count, **job_kwargs)
    result = []
    for worker, label in zip(workers(count), labels or ["cat"] * count, strict=True):
        assignment = assignment_claim_next(worker=worker, job=job)
        result.append(
            assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
        )
    return result, actor


def test_approve_moves_submitted_work_to_approved_and_is_idempotent():
    (assignment,), actor = submitted()

    approved = assignment_approve(actor=actor, assignment=assignment, feedback="Nice work")

    approved = fresh(approved)
    assert approved.status == AssignmentStatus.APPROVED
    assert approved.approved_at is not None
    assert approved.requester_feedback == "Nice work"
    before = database_snapshot()
    assert assignment_approve(actor=actor, assignment=assignment).status == "Approved"
    assert database_snapshot() == before


def test_reject_needs_feedback_the_worker_sees():
    (assignment,), actor = submitted()
    before = database_snapshot()

    for feedback in ("", "   "):
        with pytest.raises(InvalidInput) as error:
            assignment_reject(actor=actor, assignment=assignment, feedback=feedback)
        assert list(error.value.fields) == ["feedback"]
    assert database_snapshot() == before

    rejected = fresh(assignment_reject(actor=actor, assignment=assignment, feedback="Wrong animal"))
    assert (rejected.status, rejected.requester_feedback) == ("Rejected", "Wrong animal")
    assert rejected.rejected_at is not None
    before = database_snapshot()
    assert assignment_reject(actor=actor, assignment=assignment, feedback="again").status == (
        "Rejected"
    )
    assert database_snapshot() == before


def test_an_approved_assignment_cannot_be_rejected():
    (assignment,), actor = submitted()
    assignment_approve(actor=actor, assignment=assignment)
    before = database_snapshot()

    with pytest.raises(Conflict, match='"Approved"'):
        assignment_reject(actor=actor, assignment=assignment, feedback="No")

    assert database_snapshot() == before


def test_a_rejection_is_overridden_only_on_request_and_within_30_days():
    (assignment,), actor = submitted()
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        assignment_approve(actor=actor, assignment=assignment)
    assert error.value.code == "assignment_rejected"
    assert database_snapshot() == before

    overridden = assignment_approve(
        actor=actor, assignment=assignment, override_rejection=True, feedback="Sorry"
    )
    assert (fresh(overridden).status, overridden.requester_feedback) == ("Approved", "Sorry")


def test_a_rejection_older_than_30_days_cannot_be_overridden():
    (assignment,), actor = submitted()
    assignment_reject(actor=actor, assignment=assignment, feedback="Wrong")
    Assignment.objects.filter(pk=assignment.pk).update(
        submitted_at=timezone.now() - timedelta(days=30, minutes=1)
    )
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        assignment_approve(actor=actor, assignment=assignment, override_rejection=True)

    assert error.value.code == "rejection_override_window_passed"
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "status",
    [
        AssignmentStatus.ACCEPTED,
        AssignmentStatus.RETURNED,
        AssignmentStatus.ABANDONED,
        AssignmentStatus.EXPIRED,
    ],
)
def test_work_that_was_never_submitted_cannot_be_reviewed(status):
    hit = HITFactory()
    assignment = AssignmentFactory(hit=hit, status=status)
    actor = requester_of(hit.job.organization)
    before = database_snapshot()

    with pytest.raises(Conflict, match=f'"{status}"'):
        assignment_approve(actor=actor, assignment=assignment)
    with pytest.raises(Conflict, match=f'"{status}"'):
        assignment_reject(actor=actor, assignment=assignment, feedback="No")

    assert database_snapshot() == before


def test_work_past_its_auto_approval_time_cannot_be_rejected():
    (assignment,), actor = submitted()
    Assignment.objects.filter(pk=assignment.pk).update(auto_approval_at=timezone.now())
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        assignment_reject(actor=actor, assignment=assignment, feedback="Late")

    assert error.value.code == "auto_approval_time_passed"
    assert database_snapshot() == before


def test_only_members_of_the_jobs_organization_may_review():
    (assignment,), _actor = submitted()
    outsider = requester_of(OrganizationFactory())
    before = database_snapshot()

    with pytest.raises(NotFound):
        assignment_approve(actor=outsider, assignment=assignment)
    with pytest.raises(NotFound):
        assignment_reject(actor=outsider, assignment=assignment, feedback="No")

    assert database_snapshot() == before


def test_bulk_approve_is_all_or_nothing():
    assignments, actor = submitted(3)
    assignment_reject(actor=actor, assignment=assignments[2], feedback="Wrong")
    before = database_snapshot()

    with pytest.raises(Conflict):
        assignments_approve(actor=actor, assignments=assignments)
    assert database_snapshot() == before

    approved = assignments_approve(actor=actor, assignments=assignments[:2])
    assert [assignment.status for assignment in approved] == ["Approved", "Approved"]


def test_bulk_reject_refuses_everything_if_one_assignment_is_foreign():
    assignments, actor = submitted(2)
    (foreign,), _ = submitted()
    before = database_snapshot()

    with pytest.raises(NotFound):
        assignments_reject(actor=actor, assignments=[*assignments, foreign], feedback="No")

    assert database_snapshot() == before
    rejected = assignments_reject(actor=actor, assignments=assignments, feedback="No")
    assert {assignment.status for assignment in rejected} == {"Rejected"}


def test_rejected_answers_stop_counting_in_the_label(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assignments, actor = submitted(
            3, labels=["dog", "dog", "cat"], consolidation_method="majority-vote"
        )
    data_object = fresh(assignments[0].hit.data_object)
    assert (data_object.label, data_object.confidence) == (1, 0.67)

    with django_capture_on_commit_callbacks(execute=True):
        assignments_reject(actor=actor, assignments=assignments[:2], feedback="Not a dog")

    data_object = fresh(data_object)
    assert (data_object.status, data_object.label_metadata) == (
        DataObjectStatus.HUMAN_LABELED,
        {"class-name": "cat"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=actor, assignment=assignments[2], feedback="Not a cat")

    data_object = fresh(data_object)
    assert data_object.status == DataObjectStatus.FAILED
    job = fresh(data_object.job)
    assert (job.human_labeled, job.failed_objects) == (0, 1)

    with django_capture_on_commit_callbacks(execute=True):
        assignment_approve(actor=actor, assignment=assignments[2], override_rejection=True)

    assert fresh(data_object).status == DataObjectStatus.HUMAN_LABELED
    job = fresh(job)
    assert (job.human_labeled, job.failed_objects) == (1, 0)


def test_auto_approve_approves_only_work_that_is_due():
    (assignment,), _actor = submitted()
    before = database_snapshot()

    assert assignment_auto_approve(assignment=assignment).status == "Submitted"
    assert database_snapshot() == before

    Assignment.objects.filter(pk=assignment.pk).update(auto_approval_at=timezone.now())
    approved = assignment_auto_approve(assignment=assignment)
    assert (approved.status, approved.requester_feedback) == ("Approved", "")
