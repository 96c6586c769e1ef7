"""Who reaches what in the jobs API: another organization's jobs, HITs and assignments are a 404
(for sessions and for API keys bound to another organization), another worker's assignment
is a 404, and the worker side takes only logged-in workers."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import JobStatus, LabelingJob
from jobs.services.dispatch import assignment_claim_next
from tests.jobs.api_support import requester_world, running_job, submitted_assignment
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.marketplace.api_support import (
    NOT_AUTHENTICATED,
    NOT_FOUND,
    SESSION_ONLY,
    error,
    key_client,
    session_client,
    snapshot,
)
from tests.marketplace.factories import MembershipFactory, UserFactory
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
MANIFEST = b'{"source-ref": "https://example.com/1.png"}\n'

# (method, path under /api/v1/, body); {draft}, {running}, {paused}: job ids; {hit} and
# {assignment}: public ids of the running job's HIT and submitted assignment.
REQUESTER_ROUTES = [
    ("get", "jobs/{running}/", None),
    ("patch", "jobs/{draft}/", {"title": "Taken over"}),
    ("post", "jobs/{draft}/manifest/", MANIFEST),
    ("post", "jobs/{draft}/manifest/", "multipart-manifest"),
    ("post", "jobs/{draft}/files/", "multipart-file"),
    ("post", "jobs/{draft}/launch/", None),
    ("post", "jobs/{running}/pause/", None),
    ("post", "jobs/{paused}/resume/", None),
    ("post", "jobs/{running}/stop/", None),
    ("get", "jobs/{running}/objects/", None),
    ("get", "jobs/{running}/hits/", None),
    ("get", "jobs/{running}/output/", None),
    ("get", "jobs/{running}/responses/", None),
    ("get", "hits/{hit}/", None),
    ("get", "assignments/?job={running}", None),
    ("get", "assignments/{assignment}/", None),
    ("post", "assignments/{assignment}/approve/", {}),
    ("post", "assignments/{assignment}/reject/", {"feedback": "No"}),
    ("post", "assignments/approve/", {"assignment_ids": ["{assignment}"]}),
    ("post", "assignments/reject/", {"assignment_ids": ["{assignment}"], "feedback": "No"}),
]
REQUESTER_IDS = [f"{method} {path} {str(body)[:12]}" for method, path, body in REQUESTER_ROUTES]
WORKER_ROUTES = [
    ("get", "work/jobs/", None),
    ("post", "work/next/", {}),
    ("post", "work/hits/{hit}/accept/", None),
    ("get", "work/assignments/", None),
    ("get", "work/assignments/{assignment}/", None),
    ("post", "work/assignments/{assignment}/submit/", {"answer": {"label": "cat"}}),
    ("post", "work/assignments/{assignment}/return/", None),
]
WORKER_IDS = [f"{method} {path}" for method, path, _body in WORKER_ROUTES]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    return tmp_path


@pytest.fixture
def victim():
    """Organization A's jobs in every state, a HIT and a submitted assignment."""
    world = requester_world()
    draft = LabelingJobFactory(organization=world.organization)
    DataObjectFactory(job=draft)
    running = running_job(world.organization, objects=2, workers_per_object=2)
    paused = LabelingJobFactory(organization=world.organization, status=JobStatus.PAUSED)
    assignment = submitted_assignment(running)
    return SimpleNamespace(
        world=world,
        ids={
            "draft": draft.pk,
            "running": running.pk,
            "paused": paused.pk,
            "hit": assignment.hit.hit_id,
            "assignment": assignment.assignment_id,
        },
    )


def running_of(victim) -> LabelingJob:
    return LabelingJob.objects.get(pk=victim.ids["running"])


def fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


def call(client, method: str, path: str, body, ids: dict):
    url = f"/api/v1/{fill(path, ids)}"
    if body == "multipart-manifest":
        return client.post(
            url, {"manifest": SimpleUploadedFile("m.jsonl", MANIFEST)}, format="multipart"
        )
    if body == "multipart-file":
        return client.post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    if isinstance(body, bytes):
        return client.post(url, body, content_type="application/x-ndjson")
    return getattr(client, method)(url, fill(body, ids), format="json")


@pytest.mark.parametrize(("method", "path", "body"), REQUESTER_ROUTES, ids=REQUESTER_IDS)
def test_another_organizations_jobs_hits_and_assignments_are_404(
    victim, media_root, method, path, body, django_capture_on_commit_callbacks
):
    client = session_client(victim.world.outsider)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, method, path, body, victim.ids)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before
    assert list(media_root.rglob("*.png")) == []


@pytest.mark.parametrize(("method", "path", "body"), REQUESTER_ROUTES, ids=REQUESTER_IDS)
def test_an_api_key_of_another_organization_is_404_even_for_a_member(
    victim, media_root, method, path, body, django_capture_on_commit_callbacks
):
    """The key's creator belongs to both organizations; the key is bound to theirs only."""
    other = requester_world()
    MembershipFactory(organization=victim.world.organization, user=other.owner)
    client = key_client(other.raw_key)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, method, path, body, victim.ids)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before
    assert list(media_root.rglob("*.png")) == []


@pytest.mark.parametrize(("method", "path", "body"), REQUESTER_ROUTES, ids=REQUESTER_IDS)
def test_a_worker_on_the_job_sees_none_of_the_requester_side(
    victim, media_root, method, path, body
):
    worker = WorkerProfileFactory()
    assignment_claim_next(worker=worker, job=running_of(victim))
    client = session_client(worker.user)
    before = snapshot()

    response = call(client, method, path, body, victim.ids)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before


def test_lists_leave_out_other_organizations(victim):
    client = session_client(victim.world.outsider)

    for path in ("jobs/", "assignments/"):
        response = client.get(f"/api/v1/{path}")
        assert (response.status_code, response.json()) == (
            200,
            {"next": None, "previous": None, "results": []},
        )


@pytest.mark.parametrize(("method", "path", "body"), REQUESTER_ROUTES, ids=REQUESTER_IDS)
def test_the_requester_side_needs_authentication(victim, api_client, method, path, body):
    before = snapshot()

    response = call(api_client, method, path, body, victim.ids)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert snapshot() == before


# The worker side.

MINE_ONLY = [route for route in WORKER_ROUTES if "{assignment}" in route[1]]


@pytest.mark.parametrize(
    ("method", "path", "body"), MINE_ONLY, ids=[f"{m} {p}" for m, p, _ in MINE_ONLY]
)
@pytest.mark.parametrize("state", ["accepted", "submitted"])
def test_another_workers_assignment_is_404(victim, method, path, body, state):
    job = running_of(victim)
    owner = WorkerProfileFactory()
    if state == "submitted":
        assignment = submitted_assignment(job, worker=owner)
    else:
        assignment = assignment_claim_next(worker=owner, job=job)
    intruder = WorkerProfileFactory()
    assignment_claim_next(worker=intruder, job=job)  # a worker on the very same job
    client = session_client(intruder.user)
    before = snapshot()

    response = call(client, method, path, body, {"assignment": assignment.assignment_id})

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WORKER_ROUTES, ids=WORKER_IDS)
def test_the_worker_side_refuses_api_keys(victim, method, path, body):
    WorkerProfileFactory(user=victim.world.owner)
    client = key_client(victim.world.raw_key)
    before = snapshot()

    response = call(client, method, path, body, victim.ids)

    assert response.status_code == 403
    assert response.json() == SESSION_ONLY
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WORKER_ROUTES, ids=WORKER_IDS)
def test_the_worker_side_refuses_people_who_are_not_workers(victim, method, path, body):
    client = session_client(UserFactory())
    before = snapshot()

    response = call(client, method, path, body, victim.ids)

    assert response.status_code == 403
    assert response.json() == error(
        "not_a_worker",
        "This needs a worker profile; become a worker first (POST /api/v1/me/worker-profile/).",
    )
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WORKER_ROUTES, ids=WORKER_IDS)
def test_the_worker_side_needs_authentication(victim, api_client, method, path, body):
    before = snapshot()

    response = call(api_client, method, path, body, victim.ids)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert snapshot() == before


# Malformed bodies.

JSON_BODY_ROUTES = [
    (method, path)
    for method, path, body in REQUESTER_ROUTES + WORKER_ROUTES
    if isinstance(body, dict)
]


@pytest.mark.parametrize(
    ("method", "path"), JSON_BODY_ROUTES, ids=[f"{m} {p}" for m, p in JSON_BODY_ROUTES]
)
def test_malformed_json_is_refused_on_every_body_endpoint(victim, method, path):
    worker = WorkerProfileFactory()
    own = assignment_claim_next(worker=worker, job=running_of(victim))
    if path.startswith("work/"):
        client, ids = session_client(worker.user), {**victim.ids, "assignment": own.assignment_id}
    else:
        client, ids = session_client(victim.world.owner), victim.ids
    before = snapshot()

    response = getattr(client, method)(
        f"/api/v1/{fill(path, ids)}", '{"title": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "parse_error",
        "The request body is not valid JSON. JSON parse error - Expecting value: line 1 "
        "column 11 (char 10)",
    )
    assert snapshot() == before
