"""Workers' API: find work, claim the next task or accept a HIT, submit (once) or return it,
and list one's own assignments; a worker sees only what the task needs."""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, HITStatus, LabelingJob
from jobs.services.dispatch import assignment_claim_next, assignment_return
from jobs.services.jobs import job_launch
from tests.jobs.api_support import (
    requester_world,
    running_job,
    submitted_assignment,
    task_job_body,
    work_assignment_body,
)
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory, PrivateWorkforceFactory
from tests.jobs.lifecycle import fresh, requester_of
from tests.marketplace.api_support import NOT_FOUND, error, iso, session_client, snapshot
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WorkerBlock, WorkforceMember

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def world():
    return requester_world()


@pytest.fixture
def worker():
    return WorkerProfileFactory()


@pytest.fixture
def client(worker):
    return session_client(worker.user)


def job_with(organization, *lines: dict, **job_kwargs) -> LabelingJob:
    """A launched job whose data objects hold exactly `lines`, in order."""
    job = LabelingJobFactory(organization=organization, **job_kwargs)
    for number, data in enumerate(lines, start=1):
        DataObjectFactory(job=job, line_number=number, data=data)
    return job_launch(actor=requester_of(organization), job=job)


def task(assignment: Assignment, *, source_url, text=None, answer=None, done=0) -> dict:
    """The exact task body a worker gets for their own assignment."""
    assignment = fresh(assignment)
    return {
        "assignment_id": assignment.assignment_id,
        "hit_id": assignment.hit.hit_id,
        "status": assignment.status,
        "deadline": iso(assignment.deadline),
        "job": task_job_body(assignment.hit.job),
        "data": {"source_url": source_url, "text": text, "prior_label": None},
        "answer": answer,
        "done_in_job": done,
    }


# Finding work.


def test_find_work_lists_jobs_with_hits_i_can_take(world, client, worker):
    older = running_job(world.organization, objects=3, title="Cats", description="Find cats.")
    newer = running_job(world.organization, objects=2, workers_per_object=1, reward="0.1")
    submitted_assignment(newer, worker=worker)
    taken = running_job(world.organization, objects=1, workers_per_object=1)
    assignment_claim_next(worker=WorkerProfileFactory(), job=taken)
    LabelingJobFactory(organization=world.organization)  # a draft
    running_job(world.organization, workforce=PrivateWorkforceFactory())  # not my team
    blocked = running_job(world.other_organization)
    WorkerBlock.objects.create(organization=world.other_organization, worker=worker, reason="x")
    assert blocked.hits.exists()

    response = client.get("/api/v1/work/jobs/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": newer.pk,
                "title": newer.title,
                "description": "",
                "task_type": "image-classification",
                "reward": "0.1000",
                "currency": "USD",
                "task_time_limit_seconds": 300,
                "hits_available": 1,
                "requester": world.organization.name,
            },
            {
                "id": older.pk,
                "title": "Cats",
                "description": "Find cats.",
                "task_type": "image-classification",
                "reward": "0.0500",
                "currency": "USD",
                "task_time_limit_seconds": 300,
                "hits_available": 3,
                "requester": world.organization.name,
            },
        ],
    }


def test_a_private_workforce_member_finds_its_work(world, client, worker):
    team = PrivateWorkforceFactory(organization=world.organization)
    WorkforceMember.objects.create(workforce=team, worker=worker)
    job = running_job(world.organization, workforce=team)

    response = client.get("/api/v1/work/jobs/")

    assert [each["id"] for each in response.json()["results"]] == [job.pk]


@pytest.mark.parametrize("rows", [1, 30])
def test_the_find_work_query_count_does_not_grow(world, client, rows, django_assert_num_queries):
    for _ in range(rows):
        running_job(world.organization, objects=2)

    with django_assert_num_queries(2):  # user with worker profile, jobs; session cached
        response = client.get("/api/v1/work/jobs/?page_size=50")

    assert len(response.json()["results"]) == rows


# Claiming.


def test_next_claims_a_task_showing_only_what_it_needs(world, client, worker):
    job = job_with(
        world.organization,
        {"source-ref": "https://example.com/cat.png", "customer-id": "C-42", "price": 9},
        short_instructions="<p>Pick one.</p>",
    )

    response = client.post("/api/v1/work/next/", {}, format="json")

    assert response.status_code == 201
    assignment = Assignment.objects.get(worker=worker)
    assert response.json() == task(assignment, source_url="https://example.com/cat.png")
    assert response.json()["job"] == {
        "id": job.pk,
        "title": job.title,
        "description": "",
        "short_instructions": "<p>Pick one.</p>",
        "full_instructions": "",
        "labels": ["cat", "dog", "bird"],
        "task_type": "image-classification",
        "reward": "0.0500",
        "currency": "USD",
    }
    assert "C-42" not in response.content.decode()
    assert response.json()["status"] == "Accepted"


def test_next_shows_how_many_of_the_jobs_tasks_i_have_done(world, client, worker):
    job = running_job(world.organization, objects=4)
    other = running_job(world.organization, objects=2)
    for _ in range(2):
        submitted_assignment(job, worker=worker)
    submitted_assignment(other, worker=worker)

    response = client.post("/api/v1/work/next/", {"job_id": job.pk}, format="json")

    assert response.status_code == 201
    assert response.json()["done_in_job"] == 2
    claimed = Assignment.objects.get(assignment_id=response.json()["assignment_id"])
    detail = client.get(f"/api/v1/work/assignments/{claimed.assignment_id}/")
    assert detail.json() == response.json()


def test_a_worker_previews_a_job_with_its_instructions_and_labels(world, client, worker):
    job = job_with(
        world.organization,
        {"source-ref": "https://example.com/cat.png"},
        short_instructions="<p>Pick one.</p>",
        full_instructions="<p>Look closely.</p>",
    )

    response = client.get(f"/api/v1/work/jobs/{job.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": job.pk,
        "title": job.title,
        "description": "",
        "task_type": "image-classification",
        "reward": "0.0500",
        "currency": "USD",
        "task_time_limit_seconds": job.task_time_limit_seconds,
        "hits_available": 1,
        "requester": world.organization.name,
        "short_instructions": "<p>Pick one.</p>",
        "full_instructions": "<p>Look closely.</p>",
        "labels": ["cat", "dog", "bird"],
    }


def test_no_preview_of_a_job_not_open_to_me_or_without_work_for_me(world, client, worker):
    private = running_job(world.organization, workforce=PrivateWorkforceFactory())
    done = running_job(world.organization, objects=1)
    submitted_assignment(done, worker=worker)
    draft = LabelingJobFactory(organization=world.organization)

    for job_id in (private.pk, done.pk, draft.pk, 987654321):
        assert client.get(f"/api/v1/work/jobs/{job_id}/").json() == NOT_FOUND


def test_next_in_a_given_job(world, client, worker):
    running_job(world.organization)
    wanted = running_job(world.organization)

    response = client.post("/api/v1/work/next/", {"job_id": wanted.pk}, format="json")

    assert response.status_code == 201
    assert Assignment.objects.get(worker=worker).hit.job == wanted


def test_a_text_task_carries_its_text_and_no_url(world, client, worker):
    job_with(
        world.organization,
        {"source": "The food was great.", "review-id": 7},
        task_type="text-classification",
        labels=["positive", "negative"],
    )

    response = client.post("/api/v1/work/next/", {}, format="json")

    assert response.status_code == 201
    assignment = Assignment.objects.get(worker=worker)
    assert response.json() == task(assignment, source_url=None, text="The food was great.")


def test_a_stored_file_comes_as_a_signed_url(world, client, worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    job = LabelingJobFactory(organization=world.organization)
    path = default_storage.save(f"jobs/{job.pk}/cat.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    DataObjectFactory(job=job, data={"source-ref": path})
    job_launch(actor=requester_of(world.organization), job=job)

    response = client.post("/api/v1/work/next/", {}, format="json")

    url = response.json()["data"]["source_url"]
    assert re.fullmatch(r"http://testserver/task-files/[^/]+/", url)
    assert client.get(url).status_code == 200
    assert session_client(WorkerProfileFactory().user).get(url).status_code == 404


@pytest.mark.parametrize("body", [{}, "job"], ids=["any job", "a job not open to me"])
def test_no_work_is_204_and_changes_nothing(world, client, body):
    draft = LabelingJobFactory(organization=world.organization)
    DataObjectFactory(job=draft)
    body = {"job_id": draft.pk} if body == "job" else body
    if body:
        running_job(world.organization)  # work elsewhere is not handed out
    before = snapshot()

    response = client.post("/api/v1/work/next/", body, format="json")

    assert response.status_code == 204
    assert response.content == b""
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"job_id": "seven"}, {"job_id": ["A valid integer is required."]}),
        ({"job_id": 0}, {"job_id": ["Ensure this value is greater than or equal to 1."]}),
        ({"job": 1}, {"job": ["Unknown field."]}),
    ],
)
def test_next_refuses_bad_input(world, client, body, fields):
    running_job(world.organization)
    before = snapshot()

    response = client.post("/api/v1/work/next/", body, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_next_with_malformed_json_is_a_parse_error(world, client):
    running_job(world.organization)
    before = snapshot()

    response = client.post("/api/v1/work/next/", "{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert snapshot() == before


def test_a_worker_with_an_unverified_email_gets_no_work(world):
    running_job(world.organization)
    client = session_client(WorkerProfileFactory(user=UserFactory(verified=False)).user)
    before = snapshot()

    response = client.post("/api/v1/work/next/", {}, format="json")

    assert response.status_code == 403
    assert response.json() == error(
        "email_not_verified", "Verify your email address before doing this."
    )
    assert snapshot() == before


# Accepting a given HIT.


def test_accept_a_hit(world, client, worker):
    job = running_job(world.organization, objects=1)
    hit = job.hits.get()

    response = client.post(f"/api/v1/work/hits/{hit.hit_id}/accept/")

    assert response.status_code == 201
    assignment = Assignment.objects.get(worker=worker, hit=hit)
    source_url = hit.data_object.data["source-ref"]
    assert response.json() == task(assignment, source_url=source_url)
    again = client.post(f"/api/v1/work/hits/{hit.hit_id}/accept/")
    assert (again.status_code, again.json()) == (201, response.json())
    assert Assignment.objects.filter(worker=worker).count() == 1


def test_accepting_a_hit_i_returned_is_a_conflict(world, client, worker):
    job = running_job(world.organization, objects=1)
    assignment_return(worker=worker, assignment=assignment_claim_next(worker=worker, job=job))
    before = snapshot()

    response = client.post(f"/api/v1/work/hits/{job.hits.get().hit_id}/accept/")

    assert response.status_code == 409
    assert response.json() == error(
        "hit_already_taken", 'You already had this HIT (your assignment is "Returned").'
    )
    assert snapshot() == before


def test_a_hit_of_a_job_not_open_to_me_is_404(world, client):
    job = running_job(world.organization, objects=1, workforce=PrivateWorkforceFactory())
    before = snapshot()

    response = client.post(f"/api/v1/work/hits/{job.hits.get().hit_id}/accept/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Not found.")
    assert snapshot() == before


# My assignments.


def test_my_assignments_newest_first_and_only_mine(world, client, worker):
    job = running_job(world.organization, objects=2, workers_per_object=2)
    first = submitted_assignment(job, worker=worker)
    second = assignment_claim_next(worker=worker, job=job)
    submitted_assignment(job)  # another worker's

    response = client.get("/api/v1/work/assignments/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [work_assignment_body(second), work_assignment_body(first)],
    }


@pytest.mark.parametrize("rows", [1, 30])
def test_the_my_assignments_query_count_does_not_grow(
    world, client, worker, rows, django_assert_num_queries
):
    job = running_job(world.organization, objects=rows)
    for _ in range(rows):
        assignment_claim_next(worker=worker, job=job)

    with django_assert_num_queries(2):  # user with worker profile, assignments; session cached
        response = client.get("/api/v1/work/assignments/?page_size=50")

    assert len(response.json()["results"]) == rows


def test_my_submitted_task_shows_my_answer_and_progress(world, client, worker):
    job = running_job(world.organization, objects=2)
    assignment = submitted_assignment(job, worker=worker, label="dog")

    response = client.get(f"/api/v1/work/assignments/{assignment.assignment_id}/")

    assert response.status_code == 200
    source_url = assignment.hit.data_object.data["source-ref"]
    assert response.json() == task(
        assignment, source_url=source_url, answer={"label": "dog"}, done=1
    )


def test_no_task_shows_another_workers_answer(world, client, worker):
    job = running_job(world.organization, objects=1, workers_per_object=2)
    submitted_assignment(job, label="bird")
    mine = assignment_claim_next(worker=worker, job=job)

    response = client.get(f"/api/v1/work/assignments/{mine.assignment_id}/")

    source_url = mine.hit.data_object.data["source-ref"]
    assert response.json() == task(mine, source_url=source_url)
    assert "bird" not in json.dumps(response.json()["answer"])


# Submitting and returning.


def claimed(world, worker, **job_kwargs) -> Assignment:
    job = running_job(world.organization, objects=1, **job_kwargs)
    return assignment_claim_next(worker=worker, job=job)


def test_submit_stores_the_answer(world, client, worker):
    assignment = claimed(world, worker)

    response = client.post(
        f"/api/v1/work/assignments/{assignment.assignment_id}/submit/",
        {"answer": {"label": "dog"}, "active_seconds": 12},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == work_assignment_body(assignment)
    assignment.refresh_from_db()
    assert (assignment.status, assignment.answer, assignment.active_seconds) == (
        "Submitted",
        {"label": "dog"},
        12,
    )
    assert response.json()["SubmitTime"] == iso(assignment.submitted_at)


def test_submitting_twice_answers_the_same_and_changes_nothing(world, client, worker):
    assignment = claimed(world, worker)
    url = f"/api/v1/work/assignments/{assignment.assignment_id}/submit/"
    first = client.post(url, {"answer": {"label": "dog"}}, format="json")
    before = snapshot()

    again = client.post(url, {"answer": {"label": "cat"}}, format="json")

    assert (again.status_code, again.json()) == (200, first.json())
    assert snapshot() == before
    assert fresh(assignment).answer == {"label": "dog"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"answer": {"label": "fish"}},
            {"answer.label": ['"fish" is not one of the job\'s labels.']},
        ),
        (
            {"answer": {"label": 3}},
            {"answer.label": ["Must be a string: one of the job's labels."]},
        ),
        ({"answer": {}}, {"answer.label": ["This field is required."]}),
        ({"answer": {"label": "cat", "note": "hi"}}, {"answer.note": ["Unknown field."]}),
        ({"answer": "cat"}, {"answer": ['Expected a dictionary of items but got type "str".']}),
        ({}, {"answer": ["This field is required."]}),
        ({"answer": {"label": "cat"}, "worker": "A1"}, {"worker": ["Unknown field."]}),
        (
            {"answer": {"label": "cat"}, "active_seconds": -1},
            {"active_seconds": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"answer": {"label": "cat"}, "active_seconds": "long"},
            {"active_seconds": ["A valid integer is required."]},
        ),
    ],
)
def test_submit_refuses_a_bad_answer_and_changes_nothing(world, client, worker, body, fields):
    assignment = claimed(world, worker)
    before = snapshot()

    response = client.post(
        f"/api/v1/work/assignments/{assignment.assignment_id}/submit/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_submit_after_the_deadline_is_a_conflict_and_the_slot_reopens(world, client, worker):
    assignment = claimed(world, worker, workers_per_object=1)
    Assignment.objects.filter(pk=assignment.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    response = client.post(
        f"/api/v1/work/assignments/{assignment.assignment_id}/submit/",
        {"answer": {"label": "cat"}},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(
        "deadline_passed", "The assignment's deadline passed before it was submitted."
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.answer) == (AssignmentStatus.ABANDONED, None)
    hit = fresh(assignment.hit)
    assert (hit.status, hit.assignments_pending) == (HITStatus.ASSIGNABLE, 0)


def test_return_gives_the_task_back(world, client, worker):
    assignment = claimed(world, worker, workers_per_object=1)
    url = f"/api/v1/work/assignments/{assignment.assignment_id}/return/"

    response = client.post(url)

    assert response.status_code == 200
    assert response.json() == work_assignment_body(assignment)
    assert response.json()["AssignmentStatus"] == "Returned"
    assert fresh(assignment.hit).status == HITStatus.ASSIGNABLE
    before = snapshot()
    again = client.post(url)
    assert (again.status_code, again.json()) == (200, response.json())
    assert snapshot() == before


def test_a_returned_assignment_cannot_be_submitted(world, client, worker):
    assignment = claimed(world, worker)
    assignment_return(worker=worker, assignment=assignment)
    before = snapshot()

    response = client.post(
        f"/api/v1/work/assignments/{assignment.assignment_id}/submit/",
        {"answer": {"label": "cat"}},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(
        "illegal_assignment_transition",
        'The assignment is "Returned"; it can no longer be submitted.',
    )
    assert snapshot() == before


def test_submitted_work_cannot_be_returned(world, client, worker):
    assignment = submitted_assignment(running_job(world.organization), worker=worker)
    before = snapshot()

    response = client.post(f"/api/v1/work/assignments/{assignment.assignment_id}/return/")

    assert response.status_code == 409
    assert response.json() == error(
        "illegal_assignment_transition",
        'The assignment is "Submitted"; only an accepted one can be returned.',
    )
    assert snapshot() == before
