"""Requesters' jobs API: create, list, read, change, upload a manifest and data files, run the
job's lifecycle, read its objects and HITs, and download its output."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import DataObject, DataObjectStatus, HITStatus, JobStatus, LabelingJob
from tests.jobs.api_support import (
    create_body,
    hit_body,
    job_body,
    requester_world,
    running_job,
    submitted_assignment,
)
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory, PrivateWorkforceFactory
from tests.marketplace.api_support import (
    NOT_FOUND,
    error,
    key_client,
    session_client,
    snapshot,
)
from tests.marketplace.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."
MONEY_MESSAGE = (
    'Give the amount as a decimal string such as "0.05" (digits and one point; not a JSON '
    "number, which would round)."
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"pixels" * 10


@pytest.fixture
def world():
    return requester_world()


@pytest.fixture
def client(world):
    return session_client(world.owner)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    return tmp_path


def draft(world, **fields) -> LabelingJob:
    return LabelingJobFactory(organization=world.organization, **fields)


# Create.


def test_create_makes_a_draft_job_and_answers_with_it(world, client):
    body = create_body(
        world.organization,
        short_instructions='<p onclick="steal()">Pick <b>one</b> label.</p><script>x()</script>',
    )

    response = client.post("/api/v1/jobs/", body, format="json")

    assert response.status_code == 201
    job = LabelingJob.objects.get()
    assert response.json() == job_body(job)
    assert (job.organization, job.created_by, job.status) == (
        world.organization,
        world.owner,
        "draft",
    )
    body = response.json()
    assert body["reward"] == "0.0500"
    assert body["currency"] == "USD"
    assert body["labels"] == ["cat", "dog"]
    assert body["short_instructions"] == "<p>Pick <b>one</b> label.</p>"
    assert body["workforce"] is None
    assert body["auto_approval_delay_seconds"] == 3 * 24 * 3600
    assert body["label_counters"] == {
        "total_labeled": 0,
        "human_labeled": 0,
        "machine_labeled": 0,
        "failed_non_retryable_error": 0,
        "unlabeled": 0,
        "total": 0,
    }
    assert (body["launched_at"], body["expires_at"], body["ended_at"]) == (None, None, None)


def test_create_for_a_private_workforce_of_the_organization(world, client):
    workforce = PrivateWorkforceFactory(organization=world.organization)

    response = client.post(
        "/api/v1/jobs/", create_body(world.organization, workforce=workforce.pk), format="json"
    )

    assert response.status_code == 201
    assert response.json()["workforce"] == workforce.pk
    assert LabelingJob.objects.get().workforce == workforce


def test_create_with_an_api_key_for_the_keys_organization(world):
    response = key_client(world.raw_key).post(
        "/api/v1/jobs/", create_body(world.organization), format="json"
    )

    assert response.status_code == 201
    assert response.json() == job_body(LabelingJob.objects.get(organization=world.organization))


def test_create_with_an_api_key_for_another_organization_is_404(world):
    MembershipFactory(organization=world.other_organization, user=world.owner)
    before = snapshot()

    response = key_client(world.raw_key).post(
        "/api/v1/jobs/", create_body(world.other_organization), format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before


def test_create_in_an_organization_i_am_not_in_is_404(world):
    outsider = session_client(world.outsider)
    before = snapshot()

    response = outsider.post("/api/v1/jobs/", create_body(world.organization), format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert snapshot() == before


def test_create_needs_a_verified_email(world):
    unverified = UserFactory(verified=False)
    MembershipFactory(organization=world.organization, user=unverified)
    client = session_client(unverified)
    before = snapshot()

    response = client.post("/api/v1/jobs/", create_body(world.organization), format="json")

    assert response.status_code == 403
    assert response.json() == error(
        "email_not_verified", "Verify your email address before doing this."
    )
    assert snapshot() == before


ONE_LABEL = {"document-version": "2018-11-28", "labels": [{"label": "cat"}]}
TWICE = {"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "cat"}]}
BAD_INPUT = [
    ({"reward": "0.001"}, {"reward": ["The reward is at least 0.01."]}),
    ({"reward": "0.00001"}, {"reward": ["The reward has at most 4 decimal places."]}),
    ({"reward": 0.05}, {"reward": [MONEY_MESSAGE]}),
    ({"reward": "-1"}, {"reward": [MONEY_MESSAGE]}),
    ({"reward": "1e3"}, {"reward": [MONEY_MESSAGE]}),
    (
        {"workers_per_object": 10},
        {"workers_per_object": ["Ensure this value is less than or equal to 9."]},
    ),
    (
        {"workers_per_object": 0},
        {"workers_per_object": ["Ensure this value is greater than or equal to 1."]},
    ),
    ({"workers_per_object": "three"}, {"workers_per_object": ["A valid integer is required."]}),
    ({"task_type": "video"}, {"task_type": ['"video" is not a valid choice.']}),
    (
        {"label_category_config": ONE_LABEL},
        {"label_category_config": ["Image classification (single label) needs at least 2 labels."]},
    ),
    (
        {"label_category_config": TWICE},
        {"label_category_config": ['Label "cat" is listed more than once; labels must be unique.']},
    ),
    (
        {"label_category_config": ["cat", "dog"]},
        {"label_category_config": ['Expected a dictionary of items but got type "list".']},
    ),
    (
        {"name": "cats and dogs"},
        {
            "name": [
                "Use letters, digits and hyphens only, starting and ending with a letter or digit."
            ]
        },
    ),
    (
        {"label_attribute_name": "animal-metadata"},
        {"label_attribute_name": ['A label attribute name must not end with "-metadata".']},
    ),
    (
        {"auto_approval_delay_seconds": 30 * 24 * 3600 + 1},
        {"auto_approval_delay_seconds": ["Ensure this value is less than or equal to 2592000."]},
    ),
    ({"workforce": 2_000_000_000}, {"workforce": ["No such workforce in this organization."]}),
    ({"title": None}, {"title": ["This field may not be null."]}),
    ({"colour": "red"}, {"colour": ["Unknown field."]}),
]


@pytest.mark.parametrize(("overrides", "fields"), BAD_INPUT, ids=[str(o) for o, _ in BAD_INPUT])
def test_create_refuses_bad_input_with_field_messages_and_changes_nothing(
    world, client, overrides, fields
):
    before = snapshot()

    response = client.post(
        "/api/v1/jobs/", create_body(world.organization, **overrides), format="json"
    )

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_create_names_every_missing_field(world, client):
    response = client.post("/api/v1/jobs/", {}, format="json")

    assert response.status_code == 400
    required = ["This field is required."]
    assert response.json() == error(
        "invalid",
        INVALID,
        {
            name: required
            for name in (
                "name",
                "label_attribute_name",
                "task_type",
                "label_category_config",
                "title",
                "reward",
                "organization",
            )
        },
    )
    assert not LabelingJob.objects.exists()


def test_a_private_workforce_of_another_organization_is_refused(world, client):
    foreign = PrivateWorkforceFactory(organization=world.other_organization)
    before = snapshot()

    response = client.post(
        "/api/v1/jobs/", create_body(world.organization, workforce=foreign.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "invalid", INVALID, {"workforce": ["No such workforce in this organization."]}
    )
    assert snapshot() == before


def test_malformed_json_is_a_parse_error(world, client):
    before = snapshot()

    response = client.post("/api/v1/jobs/", '{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error(
        "parse_error",
        "The request body is not valid JSON. JSON parse error - Expecting value: line 1 "
        "column 10 (char 9)",
    )
    assert snapshot() == before


def test_a_taken_name_is_a_conflict_whatever_its_case(world, client):
    draft(world, name="Cats-And-Dogs")
    before = snapshot()

    response = client.post("/api/v1/jobs/", create_body(world.organization), format="json")

    assert response.status_code == 409
    assert response.json() == error(
        "job_name_taken",
        "A job with this name already exists in the organization.",
        {"name": ["A job with this name already exists (names ignore case)."]},
    )
    assert snapshot() == before


# List.


def test_list_shows_my_organizations_jobs_newest_first(world, client):
    older = draft(world)
    newer = running_job(world.organization)
    LabelingJobFactory(organization=world.other_organization)

    response = client.get("/api/v1/jobs/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [job_body(newer), job_body(older)],
    }


def test_list_filters_by_organization_and_status(world, client):
    MembershipFactory(organization=world.other_organization, user=world.owner)
    mine = draft(world)
    running = running_job(world.organization)
    theirs = LabelingJobFactory(organization=world.other_organization)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/jobs/{query}")
        assert response.status_code == 200
        return [job["id"] for job in response.json()["results"]]

    assert ids("") == [theirs.pk, running.pk, mine.pk]
    assert ids(f"?organization={world.organization.pk}") == [running.pk, mine.pk]
    assert ids("?status=draft") == [theirs.pk, mine.pk]
    assert ids(f"?organization={world.organization.pk}&status=running") == [running.pk]


def test_list_with_an_api_key_shows_only_the_keys_organization(world):
    MembershipFactory(organization=world.other_organization, user=world.owner)
    mine = draft(world)
    LabelingJobFactory(organization=world.other_organization)

    response = key_client(world.raw_key).get("/api/v1/jobs/")

    assert response.status_code == 200
    assert response.json()["results"] == [job_body(mine)]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?status=done", {"status": ['"done" is not a valid choice.']}),
        ("?status=", {"status": ['"" is not a valid choice.']}),
        ("?organization=abc", {"organization": ["A valid integer is required."]}),
        ("?page_size=0", {"page_size": ["Give one whole number from 1 upwards."]}),
    ],
)
def test_list_refuses_bad_filters(client, query, fields):
    response = client.get(f"/api/v1/jobs/{query}")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)


def test_list_pages_by_cursor(world, client):
    jobs = [draft(world) for _ in range(5)]

    first = client.get("/api/v1/jobs/?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    seen = [job["id"] for page in (first, second, third) for job in page["results"]]
    assert seen == [job.pk for job in reversed(jobs)]
    assert third["next"] is None


@pytest.mark.parametrize("rows", [1, 30])
def test_the_job_list_query_count_does_not_grow(world, client, rows, django_assert_num_queries):
    for _ in range(rows):
        draft(world)

    # user, jobs with organization and workforce, their teams (the session is cached)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/jobs/?page_size=50")

    assert len(response.json()["results"]) == rows


# Read and change.


def test_detail_shows_the_job(world, client):
    job = running_job(world.organization, objects=3)

    response = client.get(f"/api/v1/jobs/{job.pk}/")

    assert response.status_code == 200
    assert response.json() == job_body(job)
    assert response.json()["status"] == "running"
    assert response.json()["label_counters"]["total"] == 3
    assert response.json()["label_counters"]["unlabeled"] == 3


def test_patch_changes_a_draft_job(world, client):
    job = draft(world)

    response = client.patch(
        f"/api/v1/jobs/{job.pk}/",
        {"title": "Cat or dog?", "reward": "0.12", "workers_per_object": 5},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == job_body(job)
    job.refresh_from_db()
    assert (job.title, str(job.reward), job.workers_per_object) == ("Cat or dog?", "0.1200", 5)


def test_an_empty_patch_changes_nothing(world, client):
    job = running_job(world.organization)
    before = snapshot()

    response = client.patch(f"/api/v1/jobs/{job.pk}/", {}, format="json")

    assert response.status_code == 200
    assert response.json() == job_body(job)
    assert snapshot() == before


def test_a_launched_job_cannot_be_changed(world, client):
    job = running_job(world.organization)
    before = snapshot()

    response = client.patch(f"/api/v1/jobs/{job.pk}/", {"title": "Other"}, format="json")

    assert response.status_code == 409
    assert response.json() == error(
        "job_not_draft", 'The job is "running"; only a draft job can be changed.'
    )
    assert snapshot() == before


def test_patch_refuses_bad_input(world, client):
    job = draft(world)
    before = snapshot()

    response = client.patch(
        f"/api/v1/jobs/{job.pk}/", {"workers_per_object": 10, "reward": "0"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "invalid",
        INVALID,
        {"workers_per_object": ["Ensure this value is less than or equal to 9."]},
    )
    assert snapshot() == before


# The manifest.

GOOD_LINES = b'{"source-ref": "https://example.com/1.png", "camera": 4}\n' + (
    b'{"source-ref": "https://example.com/2.png"}\n'
)


def test_a_manifest_uploaded_as_a_file_is_imported(world, client):
    job = draft(world)

    response = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/",
        {"manifest": SimpleUploadedFile("input.manifest", GOOD_LINES)},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json() == {"imported": 2, "total_objects": 2}
    assert list(DataObject.objects.filter(job=job).values_list("line_number", "data")) == [
        (1, {"source-ref": "https://example.com/1.png", "camera": 4}),
        (2, {"source-ref": "https://example.com/2.png"}),
    ]


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/jsonl"])
def test_a_manifest_sent_as_the_body_is_imported(world, client, content_type):
    job = draft(world)

    response = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/", GOOD_LINES, content_type=content_type
    )

    assert response.status_code == 201
    assert response.json() == {"imported": 2, "total_objects": 2}
    assert DataObject.objects.filter(job=job).count() == 2


def test_the_same_manifest_twice_answers_the_same_and_imports_nothing_more(world, client):
    job = draft(world)
    url = f"/api/v1/jobs/{job.pk}/manifest/"
    first = client.post(url, GOOD_LINES, content_type="application/x-ndjson")
    before = snapshot()

    again = client.post(url, GOOD_LINES, content_type="application/x-ndjson")

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert snapshot() == before


def test_a_bad_manifest_is_refused_whole_with_every_bad_line_listed(world, client):
    job = draft(world)
    lines = b"\n".join(
        [
            b'{"source-ref": "https://example.com/1.png"}',
            b'{"source": "text, not an image"}',
            b"not json",
            b'{"source-ref": "https://example.com/4.png"}',
        ]
    )
    before = snapshot()

    response = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/",
        {"manifest": SimpleUploadedFile("input.manifest", lines)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == error(
        "manifest_invalid",
        "The manifest has 2 bad lines.",
        {
            "manifest": [
                'line 2: The line has "source", but image-classification needs "source-ref".',
                "line 3: not valid JSON (Expecting value at column 1).",
            ]
        },
    )
    assert snapshot() == before


def test_a_launched_job_takes_no_manifest(world, client):
    job = running_job(world.organization)
    before = snapshot()

    response = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/", GOOD_LINES, content_type="application/x-ndjson"
    )

    assert response.status_code == 409
    assert response.json() == error(
        "job_not_draft", "Only a draft job takes a manifest; this job is running."
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"manifest": ["No file was submitted."]}),
        (
            {"manifest": SimpleUploadedFile("m.jsonl", GOOD_LINES), "job": "1"},
            {"job": ["Unknown field."]},
        ),
    ],
    ids=["missing", "unknown field"],
)
def test_a_manifest_upload_with_bad_fields_is_refused(world, client, body, fields):
    job = draft(world)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/manifest/", body, format="multipart")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_a_manifest_in_another_media_type_is_415(world, client):
    job = draft(world)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/manifest/", {"manifest": []}, format="json")

    assert response.status_code == 415
    assert response.json() == error(
        "unsupported_media_type", 'Unsupported media type "application/json" in request.'
    )
    assert snapshot() == before


# Data files.


def test_a_data_file_is_stored_and_its_source_ref_returned(world, client, media_root):
    job = draft(world)

    response = client.post(
        f"/api/v1/jobs/{job.pk}/files/",
        {"file": SimpleUploadedFile("cat.png", PNG)},
        format="multipart",
    )

    assert response.status_code == 201
    assert list(response.json()) == ["source-ref"]
    path = response.json()["source-ref"]
    assert re.fullmatch(rf"jobs/{job.pk}/[0-9a-f]{{32}}\.png", path)
    assert (media_root / path).read_bytes() == PNG
    manifest = json.dumps({"source-ref": path}).encode()
    imported = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/", manifest, content_type="application/x-ndjson"
    )
    assert imported.json() == {"imported": 1, "total_objects": 1}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"file": ["No file was submitted."]}),
        ({"file": SimpleUploadedFile("cat.png", b"")}, {"file": ["The submitted file is empty."]}),
        (
            {"file": SimpleUploadedFile("cat.png", PNG), "name": "x"},
            {"name": ["Unknown field."]},
        ),
    ],
    ids=["missing", "empty", "unknown field"],
)
def test_a_file_upload_with_bad_fields_is_refused(world, client, media_root, body, fields):
    job = draft(world)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/files/", body, format="multipart")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before
    assert list(media_root.rglob("*.png")) == []


def test_a_file_that_is_not_an_image_or_text_is_refused(world, client, media_root):
    job = draft(world)
    before = snapshot()

    response = client.post(
        f"/api/v1/jobs/{job.pk}/files/",
        {"file": SimpleUploadedFile("cat.png", b"MZ not a png at all")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == error(
        "invalid", INVALID, {"file": ["The file's content is not the .png image its name says."]}
    )
    assert snapshot() == before
    assert list(media_root.rglob("*.png")) == []


# The lifecycle.


def test_launch_sends_the_job_out(world, client):
    job = draft(world, workers_per_object=2)
    DataObjectFactory.create_batch(3, job=job)

    response = client.post(f"/api/v1/jobs/{job.pk}/launch/")

    assert response.status_code == 200
    assert response.json() == job_body(job)
    body = response.json()
    assert body["status"] == "running"
    assert body["launched_at"] is not None
    assert body["label_counters"]["total"] == 3
    assert job.hits.filter(status=HITStatus.ASSIGNABLE).count() == 3


def test_launching_without_data_is_a_conflict(world, client):
    job = draft(world)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/launch/")

    assert response.status_code == 409
    assert response.json() == error(
        "job_has_no_data", "Add data objects (upload a manifest) before launching the job."
    )
    assert snapshot() == before


def test_pause_resume_and_stop(world, client):
    job = running_job(world.organization)

    paused = client.post(f"/api/v1/jobs/{job.pk}/pause/")
    assert (paused.status_code, paused.json()) == (200, job_body(job))
    assert paused.json()["status"] == "paused"

    resumed = client.post(f"/api/v1/jobs/{job.pk}/resume/")
    assert (resumed.status_code, resumed.json()["status"]) == (200, "running")

    stopped = client.post(f"/api/v1/jobs/{job.pk}/stop/")
    assert (stopped.status_code, stopped.json()) == (200, job_body(job))
    assert stopped.json()["status"] == "stopped"
    assert stopped.json()["ended_at"] is not None
    assert not job.hits.filter(status=HITStatus.ASSIGNABLE).exists()

    before = snapshot()
    again = client.post(f"/api/v1/jobs/{job.pk}/stop/")
    assert (again.status_code, again.json()) == (200, stopped.json())
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("pause", JobStatus.DRAFT, 'The job is "draft"; it cannot become "paused".'),
        ("resume", JobStatus.STOPPED, 'The job is "stopped"; only a paused job can be resumed.'),
        (
            "launch",
            JobStatus.COMPLETED,
            'The job is "completed"; only a draft job can be launched.',
        ),
        ("stop", JobStatus.DRAFT, 'The job is "draft"; it cannot become "stopped".'),
    ],
)
def test_an_illegal_transition_is_a_conflict_and_changes_nothing(
    world, client, action, status, message
):
    job = draft(world, status=status)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/{action}/")

    assert response.status_code == 409
    assert response.json() == error("illegal_job_transition", message)
    assert snapshot() == before


# Objects and HITs.


def labeled(job, line_number: int, **fields) -> DataObject:
    return DataObjectFactory(
        job=job,
        line_number=line_number,
        data={"source-ref": f"https://example.com/{line_number}.png", "camera": line_number},
        status=DataObjectStatus.HUMAN_LABELED,
        label=1,
        label_metadata={"class-name": "dog"},
        confidence=0.67,
        labeled_at=datetime(2018, 10, 18, 22, 18, 13, 527256, tzinfo=UTC),
        **fields,
    )


def test_objects_are_listed_in_manifest_order_with_their_labels(world, client):
    job = draft(world)
    second = DataObjectFactory(job=job, line_number=2, data={"source-ref": "https://e.com/2"})
    first = labeled(job, 1)

    response = client.get(f"/api/v1/jobs/{job.pk}/objects/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "line_number": 1,
                "data": first.data,
                "status": "human_labeled",
                "label": 1,
                "confidence": 0.67,
                "labeled_at": "2018-10-18T22:18:13.527256Z",
            },
            {
                "line_number": 2,
                "data": second.data,
                "status": "unlabeled",
                "label": None,
                "confidence": None,
                "labeled_at": None,
            },
        ],
    }


def test_hits_are_listed_in_mechanical_turk_shape(world, client):
    job = running_job(world.organization, objects=2, workers_per_object=3)
    submitted_assignment(job)
    hits = list(job.hits.order_by("id"))

    response = client.get(f"/api/v1/jobs/{job.pk}/hits/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [hit_body(hit) for hit in hits],
    }
    first = response.json()["results"][0]
    assert first["HITStatus"] == "Assignable"
    assert first["line_number"] == hits[0].data_object.line_number
    assert (
        first["MaxAssignments"],
        first["NumberOfAssignmentsPending"],
        first["NumberOfAssignmentsAvailable"],
        first["NumberOfAssignmentsCompleted"],
    ) == (3, 0, 2, 1)


def test_one_hit_by_its_id(world, client):
    job = running_job(world.organization, objects=1)
    hit = job.hits.get()

    response = client.get(f"/api/v1/hits/{hit.hit_id}/")

    assert response.status_code == 200
    assert response.json() == hit_body(hit)


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize("listing", ["objects", "hits"])
def test_the_object_and_hit_lists_query_count_does_not_grow(
    world, client, rows, listing, django_assert_num_queries
):
    job = running_job(world.organization, objects=rows)

    with django_assert_num_queries(3):  # user, the job, the page; session cached
        response = client.get(f"/api/v1/jobs/{job.pk}/{listing}/?page_size=50")

    assert len(response.json()["results"]) == rows


# Downloads.


def test_the_output_manifest_downloads_with_ground_truths_exact_keys(world, client):
    job = draft(world, name="identify-dogs", label_attribute_name="species")
    labeled(job, 1)
    DataObjectFactory(job=job, line_number=2)

    response = client.get(f"/api/v1/jobs/{job.pk}/output/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="identify-dogs.output.manifest"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "source-ref": "https://example.com/1.png",
            "camera": 1,
            "species": 1,
            "species-metadata": {
                "class-name": "dog",
                "confidence": 0.67,
                "type": "groundtruth/image-classification",
                "job-name": "identify-dogs",
                "human-annotated": "yes",
                "creation-date": "2018-10-18T22:18:13.527256",
            },
        }
    ]


def milliseconds(moment: datetime) -> str:
    """Ground Truth's worker-response time: "YYYY-MM-DDTHH:MM:SS.mmmZ"."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_the_raw_responses_download(world, client):
    job = running_job(world.organization, objects=1, name="pets")
    assignment = submitted_assignment(job, label="dog")

    response = client.get(f"/api/v1/jobs/{job.pk}/responses/", HTTP_ACCEPT="application/x-ndjson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="pets.responses.jsonl"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assignment.refresh_from_db()
    assert [json.loads(line) for line in lines] == [
        {
            "LineNumber": assignment.hit.data_object.line_number,
            "HITId": assignment.hit.hit_id,
            "AssignmentId": assignment.assignment_id,
            "WorkerId": assignment.worker.worker_id,
            "AssignmentStatus": "Submitted",
            "AcceptTime": milliseconds(assignment.accepted_at),
            "SubmitTime": milliseconds(assignment.submitted_at),
            "ActiveSeconds": None,
            "Answer": {"label": "dog"},
        }
    ]


def test_a_download_of_another_organizations_job_is_a_json_404(world):
    job = draft(world)

    response = session_client(world.outsider).get(
        f"/api/v1/jobs/{job.pk}/output/", HTTP_ACCEPT="application/x-ndjson"
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_an_empty_manifest_body_is_refused(world, client):
    job = draft(world)

    response = client.post(
        f"/api/v1/jobs/{job.pk}/manifest/", b"", content_type="application/jsonl"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "manifest_invalid", "The manifest is empty.", {"manifest": ["The manifest has no lines."]}
    )


def test_data_with_personal_information_never_targets_the_public_crowd(world, client):
    from tests.jobs.factories import PrivateWorkforceFactory

    team = PrivateWorkforceFactory(organization=world.organization)
    before = snapshot()

    public = client.post(
        "/api/v1/jobs/",
        {**create_body(world.organization), "contains_personal_information": True},
        format="json",
    )

    assert public.status_code == 400
    assert list(public.json()["fields"]) == ["workforce"]
    assert snapshot() == before
    private = client.post(
        "/api/v1/jobs/",
        create_body(world.organization, contains_personal_information=True, workforce=team.pk),
        format="json",
    )
    assert private.status_code == 201
    assert private.json()["contains_personal_information"] is True
    url = f"/api/v1/jobs/{private.json()['id']}/"
    moved = client.patch(url, {"workforce": None}, format="json")
    assert list(moved.json()["fields"]) == ["workforce"]
    plain = client.post(
        "/api/v1/jobs/", create_body(world.organization, name="plain"), format="json"
    )
    flagged = client.patch(
        f"/api/v1/jobs/{plain.json()['id']}/",
        {"contains_personal_information": True},
        format="json",
    )
    assert list(flagged.json()["fields"]) == ["contains_personal_information"]
