"""Rework: rejected work sent back is re-issued to another worker (never the same one),
the object waits unlabeled and is consolidated again with the new answer; ended jobs and
expired HITs are refused with nothing changed; the reject API and the review page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.models import HIT, Assignment, AssignmentStatus, DataObjectStatus, HITStatus, JobStatus
from jobs.services.dispatch import assignment_accept, assignment_claim_next, assignment_submit
from jobs.services.review import (
    assignment_approve,
    assignment_reject,
    assignments_reject,
)
from marketplace.exceptions import Conflict
from tests.jobs.api_support import review_body
from tests.jobs.lifecycle import fresh, hit_counts_match_rows, launched_job, workers
from tests.marketplace.api_support import error, session_client, snapshot
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def answered(capture, labels: list[str], *, objects: int = 2, **job_kwargs):
    """A running job whose first object got one answer per label (consolidated), and the
    assignments, the first object's HIT and a member of the job's organization."""
    job, actor = launched_job(
        objects=objects,
        workers_per_object=len(labels),
        consolidation_method="majority-vote",  # the tests read vote shares as confidences
        **job_kwargs,
    )
    assignments = []
    with capture(execute=True):
        for worker, label in zip(workers(len(labels)), labels, strict=True):
            assignment = assignment_claim_next(worker=worker, job=job)
            assignments.append(
                assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
            )
    hit = fresh(assignments[0].hit)
    return fresh(job), assignments, hit, actor


def test_rework_rejects_and_reissues_the_slot_to_another_worker(
    django_capture_on_commit_callbacks,
):
    job, (kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    data_object = fresh(hit.data_object)
    # A tie goes to the label listed first: "cat".
    assert (data_object.status, data_object.label, job.human_labeled) == ("human_labeled", 0, 1)
    assert hit.status == HITStatus.REVIEWABLE

    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=actor, assignment=sent_back, feedback="It is a dog.", rework=True)

    sent_back = fresh(sent_back)
    assert (sent_back.status, sent_back.requester_feedback) == ("Rejected", "It is a dog.")
    assert sent_back.reissued_at is not None
    hit = fresh(hit)
    assert (hit.status, hit.max_assignments, hit.assignments_available) == ("Assignable", 3, 1)
    assert hit_counts_match_rows(hit)
    data_object = fresh(data_object)
    assert (data_object.status, data_object.label, data_object.confidence) == (
        "unlabeled",
        None,
        None,
    )
    job = fresh(job)
    assert (job.human_labeled, job.open_hits, job.status) == (0, 2, JobStatus.RUNNING)

    # The same worker never gets the object again; another one does.
    with pytest.raises(Conflict, match="already had this HIT"):
        assignment_accept(worker=sent_back.worker, hit=hit)
    again = assignment_claim_next(worker=sent_back.worker, job=job)
    assert again.hit_id != hit.pk
    (newcomer,) = workers(1)
    reissued = assignment_claim_next(worker=newcomer, job=job)
    assert reissued.hit_id == hit.pk
    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=newcomer, assignment=reissued, answer={"label": "dog"})

    data_object = fresh(data_object)
    assert (data_object.status, data_object.label, data_object.confidence) == (
        DataObjectStatus.HUMAN_LABELED,
        1,
        1.0,
    )
    assert data_object.label_metadata == {"class-name": "dog"}
    assert fresh(job).human_labeled == 1
    assert fresh(hit).status == HITStatus.REVIEWABLE


def test_rework_is_idempotent(django_capture_on_commit_callbacks):
    _job, (_kept, sent_back), _hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    assignment_reject(actor=actor, assignment=sent_back, feedback="No.", rework=True)
    before = database_snapshot()

    assignment_reject(actor=actor, assignment=sent_back, feedback="Again.", rework=True)
    assignment_reject(actor=actor, assignment=sent_back, feedback="Plain.")

    assert database_snapshot() == before


def test_work_rejected_before_may_be_sent_back_later(django_capture_on_commit_callbacks):
    _job, (_kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reject(actor=actor, assignment=sent_back, feedback="Wrong.")
    assert fresh(hit).max_assignments == 2

    assignment_reject(actor=actor, assignment=sent_back, feedback="Ignored.", rework=True)

    sent_back = fresh(sent_back)
    assert (sent_back.requester_feedback, sent_back.reissued_at is not None) == ("Wrong.", True)
    assert (fresh(hit).max_assignments, fresh(hit).status) == (3, "Assignable")


def test_many_assignments_are_sent_back_at_once(django_capture_on_commit_callbacks):
    _job, assignments, hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat", "bird"]
    )

    assignments_reject(actor=actor, assignments=assignments[1:], feedback="No.", rework=True)

    assert fresh(hit).max_assignments == 5
    assert Assignment.objects.filter(reissued_at__isnull=False).count() == 2


def test_rework_in_a_full_batch_waits_for_a_free_slot(django_capture_on_commit_callbacks):
    job, (_kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"], max_concurrent_tasks=1
    )
    assert fresh(job).open_hits == 1  # the second object's HIT took the slot

    assignment_reject(actor=actor, assignment=sent_back, feedback="No.", rework=True)

    hit = fresh(hit)
    assert (hit.status, hit.max_assignments) == ("Reviewable", 3)
    assert fresh(hit.data_object).needs_more_answers is True
    # The second object is answered; its slot goes to the waiting object first.
    with django_capture_on_commit_callbacks(execute=True):
        for worker in workers(2):
            assignment = assignment_claim_next(worker=worker, job=job)
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assert fresh(hit).status == "Assignable"
    assert fresh(job).status == JobStatus.RUNNING


@pytest.mark.parametrize("ended", ["completed", "stopped"])
def test_rework_on_an_ended_job_is_refused_and_changes_nothing(
    django_capture_on_commit_callbacks, ended
):
    job, (_kept, sent_back), _hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"], objects=1
    )
    if ended == "stopped":
        job.__class__.objects.filter(pk=job.pk).update(status=JobStatus.STOPPED)
    assert fresh(job).status == ended
    before = database_snapshot()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict) as raised:
        assignment_reject(actor=actor, assignment=sent_back, feedback="No.", rework=True)

    assert raised.value.code == "job_not_running"
    assert f'its job is "{ended}"' in raised.value.message
    assert callbacks == []
    assert database_snapshot() == before


def test_rework_of_an_expired_hit_is_refused_and_changes_nothing(
    django_capture_on_commit_callbacks,
):
    _job, (_kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    HIT.objects.filter(pk=hit.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = database_snapshot()

    with pytest.raises(Conflict) as raised:
        assignments_reject(actor=actor, assignments=[sent_back], feedback="No.", rework=True)

    assert raised.value.code == "hit_expired"
    assert database_snapshot() == before


def test_approved_work_cannot_be_sent_back(django_capture_on_commit_callbacks):
    _job, (kept, sent_back), _hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    assignment_approve(actor=actor, assignment=kept)
    before = database_snapshot()

    with pytest.raises(Conflict, match='"Approved"'):
        assignments_reject(actor=actor, assignments=[sent_back, kept], feedback="No.", rework=True)

    assert database_snapshot() == before


# The API and the review page.


def test_the_reject_api_sends_work_back_for_rework(django_capture_on_commit_callbacks):
    _job, (_kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    client = session_client(actor)

    response = client.post(
        f"/api/v1/assignments/{sent_back.assignment_id}/reject/",
        {"feedback": "It is a dog.", "rework": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == review_body(sent_back)
    assert response.json()["AssignmentStatus"] == "Rejected"
    assert fresh(sent_back).reissued_at is not None
    assert fresh(hit).max_assignments == 3


def test_the_bulk_reject_api_sends_work_back_all_or_nothing(django_capture_on_commit_callbacks):
    _job, (kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    _other, (_first, foreign), _other_hit, _ = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    client = session_client(actor)
    before = snapshot()

    refused = client.post(
        "/api/v1/assignments/reject/",
        {
            "assignment_ids": [sent_back.assignment_id, foreign.assignment_id],
            "feedback": "No.",
            "rework": True,
        },
        format="json",
    )
    assert refused.status_code == 404  # the other job belongs to another organization
    assert snapshot() == before

    response = client.post(
        "/api/v1/assignments/reject/",
        {
            "assignment_ids": [kept.assignment_id, sent_back.assignment_id],
            "feedback": "No.",
            "rework": True,
        },
        format="json",
    )
    assert response.status_code == 200
    assert [body["AssignmentStatus"] for body in response.json()["assignments"]] == [
        "Rejected",
        "Rejected",
    ]
    assert fresh(hit).max_assignments == 4


def test_the_reject_api_explains_a_refused_rework(django_capture_on_commit_callbacks):
    _job, (_kept, sent_back), _hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"], objects=1
    )
    client = session_client(actor)
    before = snapshot()

    response = client.post(
        f"/api/v1/assignments/{sent_back.assignment_id}/reject/",
        {"feedback": "No.", "rework": True},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(
        "job_not_running",
        f"Assignment {sent_back.assignment_id} cannot be sent back for rework: its job is "
        '"completed", so its tasks can no longer be re-issued.',
    )
    assert snapshot() == before
    assert fresh(sent_back).status == AssignmentStatus.SUBMITTED


def test_the_review_page_sends_work_back_for_rework(django_capture_on_commit_callbacks):
    job, (_kept, sent_back), hit, actor = answered(
        django_capture_on_commit_callbacks, ["dog", "cat"]
    )
    client = Client()
    client.force_login(actor)
    url = reverse("job_review", kwargs={"job_id": job.pk})
    assert 'name="rework"' in client.get(url).content.decode()

    response = client.post(
        url, {"reject_one": sent_back.assignment_id, "feedback": "It is a dog.", "rework": "on"}
    )

    assert response.status_code == 302
    assert fresh(sent_back).reissued_at is not None
    assert fresh(hit).max_assignments == 3
    page = client.get(f"{url}?status=Rejected", follow=True).content.decode()
    assert "Sent back for rework" in page
