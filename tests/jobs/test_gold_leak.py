"""Gold never leaks: every worker-facing endpoint and page, walked for a gold assignment
and for a real assignment whose data is identical, answers the same once ids, names and
times are masked, and neither "gold" (any case), the gold's id nor its expected answer
shows.

The walk: the "work/..." API routes of jobs/api/urls.py (jobs, preview, next, accept,
assignments, assignment, submit with a bad and a good answer, return, earnings), the
"work/..." pages of jobs/pages/urls.py (work list, next, task page, a bad submit, the
assignments page, return), the worker home pages of workforce (profile, qualifications,
earnings) and the task file endpoint behind the task's signed file URL.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from jobs.models import Assignment, GoldQuestion, JobWorker
from jobs.services import dispatch
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"pixels" * 10
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
MASKS = (
    (TIMESTAMP, "<time>"),
    (re.compile(r"/task-files/[^\"'\s<>]+"), "/task-files/<token>"),
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), "<csrf>"),
    (re.compile(r'data-(deadline|now)-ms="\d+"'), "<ms>"),
    (re.compile(r"\b\d{10,}\b"), "<ms>"),
    (re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4},? \d{1,2}:\d\d( [ap]\.m\.)?"), "<date>"),
    (re.compile(r"[A-Z][a-z]{2}\.? \d{1,2}, \d{1,2}:\d\d"), "<date>"),
    (re.compile(r"\d{1,2}:\d\d( [ap]\.m\.)?"), "<clock>"),
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    return tmp_path


@pytest.fixture
def world(monkeypatch):
    """One job with a real object and a gold question whose data are the same stored
    file; worker `gold` has gold due, worker `real` not; no submit draws gold."""
    from jobs.services.gold import gold_add
    from jobs.services.jobs import job_launch

    monkeypatch.setattr(dispatch, "gold_draw", lambda: 0.99)
    job = LabelingJobFactory(workers_per_object=1, gold_rate="0.2")
    path = default_storage.save(f"jobs/{job.pk}/same.png", ContentFile(PNG))
    data = {"source-ref": path}
    DataObjectFactory(job=job, data=data)
    actor = requester_of(job.organization)
    gold_add(actor=actor, job=job, items=[{"data": data, "answer": {"label": "bird"}}])
    job = job_launch(actor=actor, job=job)
    # The same display name: names are not what this compares.
    gold_worker = WorkerProfileFactory(display_name="Sam Example")
    real_worker = WorkerProfileFactory(display_name="Sam Example")
    JobWorker.objects.create(job=job, worker=gold_worker, next_gold=True)
    JobWorker.objects.create(job=job, worker=real_worker)
    return job, GoldQuestion.objects.get(job=job), gold_worker, real_worker


def _client(worker) -> Client:
    client = Client()
    client.force_login(worker.user)
    return client


def _walk(job, worker) -> tuple[list[tuple[str, int, str]], Assignment]:
    """Every worker-facing response for this worker's one task in the job, in order."""
    client = _client(worker)
    seen = []

    def record(name, response):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        location = response.get("Location", "")
        seen.append((name, response.status_code, body.decode("utf-8", "replace") + location))
        return response

    api = "/api/v1/"
    record("api work jobs", client.get(f"{api}work/jobs/"))
    record("api work job", client.get(f"{api}work/jobs/{job.pk}/"))
    record("page work list", client.get(reverse("work_list")))
    record("api next", client.post(f"{api}work/next/", {"job_id": job.pk}, "application/json"))
    assignment = Assignment.objects.get(worker=worker)
    task_id = assignment.assignment_id
    record("api accept", client.post(f"{api}work/hits/{assignment.hit.hit_id}/accept/"))
    record("api assignment", client.get(f"{api}work/assignments/{task_id}/"))
    task = client.get(f"{api}work/assignments/{task_id}/").json()
    file_url = task["data"]["source_url"]
    record("task file", client.get(file_url))
    record("page next", client.post(reverse("work_next", args=[job.pk])))
    record("page task", client.get(reverse("work_task", args=[task_id])))
    record(
        "page bad submit",
        client.post(reverse("work_task", args=[task_id]), {"label": "zebra"}),
    )
    record(
        "api bad submit",
        client.post(
            f"{api}work/assignments/{task_id}/submit/",
            {"answer": {"label": "zebra", "hint": True}},
            "application/json",
        ),
    )
    record(
        "api submit",
        client.post(
            f"{api}work/assignments/{task_id}/submit/",
            {"answer": {"label": "cat"}, "active_seconds": 7},
            "application/json",
        ),
    )
    record(
        "api submit again",
        client.post(
            f"{api}work/assignments/{task_id}/submit/",
            {"answer": {"label": "dog"}},
            "application/json",
        ),
    )
    record("api return", client.post(f"{api}work/assignments/{task_id}/return/"))
    record("page return", client.post(reverse("work_task_return", args=[task_id])))
    record("page task after", client.get(reverse("work_task", args=[task_id])))
    record("api assignments", client.get(f"{api}work/assignments/"))
    record("page assignments", client.get(reverse("work_assignments")))
    record("api earnings", client.get(f"{api}work/earnings/"))
    record("page worker", client.get(reverse("worker_profile")))
    record("page qualifications", client.get(reverse("worker_qualifications")))
    record("page earnings", client.get(reverse("worker_earnings")))
    return seen, Assignment.objects.get(pk=assignment.pk)


def _masked(text: str, *, worker, assignment) -> str:
    for value, placeholder in (
        (assignment.assignment_id, "<assignment>"),
        (assignment.hit.hit_id, "<hit>"),
        (worker.worker_id, "<worker>"),
        (worker.user.email, "<email>"),
        (worker.user.get_username(), "<username>"),
    ):
        text = text.replace(value, placeholder)
    for pattern, placeholder in MASKS:
        text = pattern.sub(placeholder, text)
    return text


def test_a_gold_task_and_a_real_task_with_the_same_data_look_the_same(
    world, django_capture_on_commit_callbacks
):
    job, question, gold_worker, real_worker = world

    with django_capture_on_commit_callbacks(execute=True):
        gold_seen, gold_assignment = _walk(job, gold_worker)
    with django_capture_on_commit_callbacks(execute=True):
        real_seen, real_assignment = _walk(job, real_worker)

    assert gold_assignment.hit.is_gold
    assert not real_assignment.hit.is_gold
    gold_assignment.refresh_from_db()
    assert gold_assignment.gold_correct is False  # scored: the answer was "cat", not "bird"
    assert [name for name, _, _ in gold_seen] == [name for name, _, _ in real_seen]
    for (name, gold_status, gold_body), (_, real_status, real_body) in zip(
        gold_seen, real_seen, strict=True
    ):
        assert gold_status == real_status, name
        assert _masked(gold_body, worker=gold_worker, assignment=gold_assignment) == _masked(
            real_body, worker=real_worker, assignment=real_assignment
        ), name


def test_no_worker_facing_response_names_gold_or_its_answer(world):
    job, question, gold_worker, _ = world

    seen, _ = _walk(job, gold_worker)

    for name, status, body in seen:
        assert status < 500, name
        assert "gold" not in body.lower(), name
        # The expected answer {"label": "bird"} (the worker answered "cat").
        assert not re.search(r'"label":\s*"bird"', body), name
        assert f"/gold/{question.pk}" not in body, name
        assert f'"gold_question": {question.pk}' not in body, name
