"""Requesters' review API: the queue of submitted work, one assignment, approve and reject
(one or many, all or nothing), and overriding a rejection."""

import pytest

from jobs.models import Assignment, AssignmentStatus
from jobs.services.dispatch import assignment_claim_next
from jobs.services.review import assignment_approve, assignment_reject
from tests.jobs.api_support import (
    requester_world,
    review_body,
    running_job,
    submitted_assignment,
)
from tests.jobs.lifecycle import fresh
from tests.marketplace.api_support import NOT_FOUND, error, key_client, session_client, snapshot
from tests.marketplace.factories import MembershipFactory
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def world():
    return requester_world()


@pytest.fixture
def client(world):
    return session_client(world.owner)


@pytest.fixture
def job(world):
    return running_job(world.organization, objects=3, workers_per_object=3)


def approve(world, assignment):
    return assignment_approve(actor=world.owner, assignment=assignment)


def reject(world, assignment, feedback="Wrong animal"):
    return assignment_reject(actor=world.owner, assignment=assignment, feedback=feedback)


# The queue.


def test_the_queue_lists_submitted_work_oldest_first(world, client, job):
    first = submitted_assignment(job)
    second = submitted_assignment(job, label="dog")
    approve(world, second)
    assignment_claim_next(worker=WorkerProfileFactory(), job=job)  # still being worked on
    other = running_job(world.other_organization)
    submitted_assignment(other)

    response = client.get("/api/v1/assignments/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [review_body(first), review_body(second)],
    }
    body = response.json()["results"][0]
    assert (body["AssignmentStatus"], body["Answer"], body["RequesterFeedback"]) == (
        "Submitted",
        {"label": "cat"},
        "",
    )
    assert body["AutoApprovalTime"] is not None


def test_the_queue_filters_by_job_worker_and_status(world, client, job):
    worker = WorkerProfileFactory()
    mine = submitted_assignment(job, worker=worker)
    approved = submitted_assignment(job)
    approve(world, approved)
    other_job = running_job(world.organization)
    elsewhere = submitted_assignment(other_job, worker=worker)
    live = assignment_claim_next(worker=WorkerProfileFactory(), job=job)

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/assignments/{query}")
        assert response.status_code == 200
        return [each["AssignmentId"] for each in response.json()["results"]]

    assert ids(f"?job={job.pk}") == [mine.assignment_id, approved.assignment_id]
    assert ids(f"?worker={worker.worker_id}") == [mine.assignment_id, elsewhere.assignment_id]
    assert ids("?status=Approved") == [approved.assignment_id]
    assert ids(f"?job={job.pk}&status=Accepted") == [live.assignment_id]
    assert ids(f"?job={other_job.pk}&worker={worker.worker_id}") == [elsewhere.assignment_id]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?status=Done", {"status": ['"Done" is not a valid choice.']}),
        ("?job=first", {"job": ["A valid integer is required."]}),
        ("?worker=bob", {"worker": ["This value does not match the required pattern."]}),
        ("?worker=", {"worker": ["This field may not be blank."]}),
    ],
)
def test_the_queue_refuses_bad_filters(client, query, fields):
    response = client.get(f"/api/v1/assignments/{query}")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)


def test_filtering_by_another_organizations_job_is_404(world, client):
    other = running_job(world.other_organization)
    submitted_assignment(other)

    response = client.get(f"/api/v1/assignments/?job={other.pk}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_with_an_api_key_the_queue_holds_only_the_keys_organization(world, job):
    MembershipFactory(organization=world.other_organization, user=world.owner)
    mine = submitted_assignment(job)
    submitted_assignment(running_job(world.other_organization))

    response = key_client(world.raw_key).get("/api/v1/assignments/")

    assert response.status_code == 200
    assert response.json()["results"] == [review_body(mine)]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_queue_query_count_does_not_grow(world, client, rows, django_assert_num_queries):
    job = running_job(world.organization, objects=rows, workers_per_object=1)
    for _ in range(rows):
        submitted_assignment(job)

    # user, assignments with HITs and workers (the session comes from the cache)
    with django_assert_num_queries(2):
        response = client.get("/api/v1/assignments/?page_size=50")

    assert len(response.json()["results"]) == rows


def test_the_queue_pages_by_cursor(world, client, job):
    submitted = [submitted_assignment(job) for _ in range(3)]

    first = client.get("/api/v1/assignments/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [each["AssignmentId"] for each in first["results"] + second["results"]] == [
        assignment.assignment_id for assignment in submitted
    ]
    assert second["next"] is None


def test_one_assignment_in_mechanical_turk_shape(world, client, job):
    assignment = submitted_assignment(job)

    response = client.get(f"/api/v1/assignments/{assignment.assignment_id}/")

    assert response.status_code == 200
    assert response.json() == review_body(assignment)


# Approve and reject one.


def test_approve_with_feedback_and_again_changes_nothing(world, client, job):
    assignment = submitted_assignment(job)
    url = f"/api/v1/assignments/{assignment.assignment_id}/approve/"

    response = client.post(url, {"feedback": "Great work"}, format="json")

    assert response.status_code == 200
    assert response.json() == review_body(assignment)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.requester_feedback) == ("Approved", "Great work")
    assert response.json()["ApprovalTime"] is not None
    before = snapshot()
    again = client.post(url, {}, format="json")
    assert (again.status_code, again.json()) == (200, response.json())
    assert snapshot() == before


def test_reject_with_the_feedback_the_worker_sees(world, client, job):
    assignment = submitted_assignment(job)

    response = client.post(
        f"/api/v1/assignments/{assignment.assignment_id}/reject/",
        {"feedback": "That is a dog."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == review_body(assignment)
    assert (response.json()["AssignmentStatus"], response.json()["RequesterFeedback"]) == (
        "Rejected",
        "That is a dog.",
    )
    mine = session_client(assignment.worker.user).get("/api/v1/work/assignments/").json()
    assert mine["results"][0]["RequesterFeedback"] == "That is a dog."


@pytest.mark.parametrize(
    ("action", "body", "fields"),
    [
        ("reject", {}, {"feedback": ["This field is required."]}),
        ("reject", {"feedback": "   "}, {"feedback": ["This field may not be blank."]}),
        (
            "reject",
            {"feedback": "x" * 1025},
            {"feedback": ["Ensure this field has no more than 1024 characters."]},
        ),
        ("reject", {"feedback": "No", "why": "x"}, {"why": ["Unknown field."]}),
        (
            "approve",
            {"override_rejection": "maybe"},
            {"override_rejection": ["Must be a valid boolean."]},
        ),
        ("approve", {"feedback": 5.5, "bonus": 1}, {"bonus": ["Unknown field."]}),
        ("approve", {"feedback": ["a"]}, {"feedback": ["Not a valid string."]}),
    ],
)
def test_review_refuses_bad_input_and_changes_nothing(world, client, job, action, body, fields):
    assignment = submitted_assignment(job)
    before = snapshot()

    response = client.post(
        f"/api/v1/assignments/{assignment.assignment_id}/{action}/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_a_rejection_is_overridden_only_when_asked(world, client, job):
    assignment = submitted_assignment(job)
    reject(world, assignment)
    url = f"/api/v1/assignments/{assignment.assignment_id}/approve/"
    before = snapshot()

    refused = client.post(url, {}, format="json")

    assert refused.status_code == 409
    assert refused.json() == error(
        "assignment_rejected",
        f"Assignment {assignment.assignment_id} is rejected; approve it with "
        "override_rejection to reverse the rejection.",
    )
    assert snapshot() == before

    response = client.post(url, {"override_rejection": True, "feedback": "Sorry"}, format="json")

    assert response.status_code == 200
    assert response.json() == review_body(assignment)
    assert fresh(assignment).status == AssignmentStatus.APPROVED


@pytest.mark.parametrize(
    ("setup", "action", "code", "message"),
    [
        (
            "approved",
            "reject",
            "illegal_assignment_transition",
            'Assignment {id} is "Approved"; only submitted work can be rejected.',
        ),
        (
            "accepted",
            "approve",
            "illegal_assignment_transition",
            'Assignment {id} is "Accepted"; only submitted work can be approved.',
        ),
    ],
)
def test_an_illegal_review_is_a_conflict_and_changes_nothing(
    world, client, job, setup, action, code, message
):
    if setup == "approved":
        assignment = approve(world, submitted_assignment(job))
    else:
        assignment = assignment_claim_next(worker=WorkerProfileFactory(), job=job)
    before = snapshot()

    response = client.post(
        f"/api/v1/assignments/{assignment.assignment_id}/{action}/",
        {"feedback": "No"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(code, message.format(id=assignment.assignment_id))
    assert snapshot() == before


# Many at once.


def test_approve_many(world, client, job):
    assignments = [submitted_assignment(job) for _ in range(3)]

    response = client.post(
        "/api/v1/assignments/approve/",
        {"assignment_ids": [a.assignment_id for a in assignments], "feedback": "Thanks"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "assignments": [review_body(a) for a in sorted(assignments, key=lambda a: a.pk)]
    }
    assert set(
        Assignment.objects.filter(pk__in=[a.pk for a in assignments]).values_list(
            "status", "requester_feedback"
        )
    ) == {("Approved", "Thanks")}


def test_reject_many(world, client, job):
    assignments = [submitted_assignment(job) for _ in range(2)]

    response = client.post(
        "/api/v1/assignments/reject/",
        {"assignment_ids": [a.assignment_id for a in assignments], "feedback": "Blurry answers"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"assignments": [review_body(a) for a in assignments]}
    assert {fresh(a).status for a in assignments} == {"Rejected"}


def test_many_at_once_is_all_or_nothing(world, client, job):
    good = submitted_assignment(job)
    rejected = reject(world, submitted_assignment(job))
    before = snapshot()

    response = client.post(
        "/api/v1/assignments/approve/",
        {"assignment_ids": [good.assignment_id, rejected.assignment_id]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "assignment_rejected"
    assert snapshot() == before


def test_many_with_one_not_mine_is_404_and_changes_nothing(world, client, job):
    mine = submitted_assignment(job)
    theirs = submitted_assignment(running_job(world.other_organization))
    before = snapshot()

    response = client.post(
        "/api/v1/assignments/reject/",
        {"assignment_ids": [mine.assignment_id, theirs.assignment_id], "feedback": "No"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"assignment_ids": []}, {"assignment_ids": ["This list may not be empty."]}),
        (
            {"assignment_ids": ["not-an-id"]},
            {"assignment_ids.0": ["This value does not match the required pattern."]},
        ),
        (
            {"assignment_ids": ["A" * 30] * 101},
            {"assignment_ids": ["Ensure this field has no more than 100 elements."]},
        ),
        (
            {"assignment_ids": "A" * 30},
            {"assignment_ids": ['Expected a list of items but got type "str".']},
        ),
        ({}, {"assignment_ids": ["This field is required."]}),
    ],
)
def test_many_refuses_bad_input(client, job, body, fields):
    submitted_assignment(job)
    before = snapshot()

    response = client.post("/api/v1/assignments/approve/", body, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before
