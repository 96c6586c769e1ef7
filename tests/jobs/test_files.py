"""Data files: uploads kept to images and text, and task files served only through short-lived
signed URLs to the worker who holds the assignment."""

import io
import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs import files
from jobs.files import (
    TASK_FILE_SALT,
    TASK_FILE_URL_MAX_AGE,
    data_file_store,
    source_ref_parse,
    task_file_url,
)
from jobs.manifests import manifest_import
from jobs.models import AssignmentStatus, JobEvent, JobStatus
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from tests.jobs.factories import (
    AssignmentFactory,
    DataObjectFactory,
    HITFactory,
    LabelingJobFactory,
    RunningJobFactory,
)
from tests.marketplace.factories import MembershipFactory, UserFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"pixels" * 10


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    return tmp_path


def stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def assignment_on(source_ref: str, **assignment_fields):
    job = RunningJobFactory()
    hit = HITFactory(
        job=job, data_object=DataObjectFactory(job=job, data={"source-ref": source_ref})
    )
    return AssignmentFactory(hit=hit, **assignment_fields)


@pytest.fixture
def stored_assignment():
    """An accepted assignment whose data object is a PNG in the job's storage folder."""
    assignment = assignment_on("placeholder")
    path = default_storage.save(f"jobs/{assignment.hit.job_id}/cat.png", ContentFile(PNG))
    data_object = assignment.hit.data_object
    data_object.data = {"source-ref": path, "camera": "north"}
    data_object.save(update_fields=["data"])
    return assignment


def worker_client(assignment) -> Client:
    client = Client()
    client.force_login(assignment.worker.user)
    return client


# Signed URLs and the file view.


def test_a_signed_url_serves_the_file_to_the_worker_holding_the_assignment(stored_assignment):
    url = task_file_url(assignment=stored_assignment)

    response = worker_client(stored_assignment).get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=300"
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_url_is_absolute_when_a_request_is_given(stored_assignment, rf):
    url = task_file_url(assignment=stored_assignment, request=rf.get("/"))

    assert url.startswith("http://testserver/task-files/")


def test_an_expired_signature_is_a_404(stored_assignment, monkeypatch):
    issued = int(time.time()) - TASK_FILE_URL_MAX_AGE - 1
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued)
    )
    url = task_file_url(assignment=stored_assignment)
    monkeypatch.undo()

    response = worker_client(stored_assignment).get(url)

    assert response.status_code == 404
    assert b"expired" not in response.content.lower()


def test_a_url_just_inside_its_lifetime_still_works(stored_assignment, monkeypatch):
    issued = int(time.time()) - TASK_FILE_URL_MAX_AGE + 30
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued)
    )
    url = task_file_url(assignment=stored_assignment)
    monkeypatch.undo()

    assert worker_client(stored_assignment).get(url).status_code == 200


def test_a_tampered_token_is_a_404(stored_assignment):
    url = task_file_url(assignment=stored_assignment)
    tampered = url.replace("/task-files/", "/task-files/x")

    assert worker_client(stored_assignment).get(tampered).status_code == 404


def test_another_worker_gets_a_404(stored_assignment):
    url = task_file_url(assignment=stored_assignment)
    other = Client()
    other.force_login(WorkerProfileFactory().user)

    assert other.get(url).status_code == 404


def test_a_requester_of_the_job_gets_a_404_too(stored_assignment):
    url = task_file_url(assignment=stored_assignment)
    member = MembershipFactory(organization=stored_assignment.hit.job.organization).user
    client = Client()
    client.force_login(member)

    assert client.get(url).status_code == 404


def test_an_anonymous_visitor_gets_a_404_not_a_login_page(stored_assignment):
    url = task_file_url(assignment=stored_assignment)

    assert Client().get(url).status_code == 404


@pytest.mark.parametrize(
    "status",
    [
        AssignmentStatus.RETURNED,
        AssignmentStatus.ABANDONED,
        AssignmentStatus.EXPIRED,
        AssignmentStatus.SUBMITTED,
    ],
)
def test_an_assignment_no_longer_held_gets_a_404(stored_assignment, status):
    url = task_file_url(assignment=stored_assignment)
    stored_assignment.status = status
    if status == AssignmentStatus.SUBMITTED:
        stored_assignment.answer, stored_assignment.submitted_at = {"label": "cat"}, timezone.now()
    stored_assignment.save()

    assert worker_client(stored_assignment).get(url).status_code == 404


def test_an_assignment_past_its_deadline_gets_a_404(stored_assignment):
    url = task_file_url(assignment=stored_assignment)
    stored_assignment.deadline = timezone.now() - timedelta(seconds=1)
    stored_assignment.save(update_fields=["deadline"])

    assert worker_client(stored_assignment).get(url).status_code == 404


def test_a_path_the_assignment_does_not_reference_gets_a_404(stored_assignment):
    other_path = default_storage.save(
        f"jobs/{stored_assignment.hit.job_id}/dog.png", ContentFile(PNG)
    )
    token = signing.TimestampSigner(salt=TASK_FILE_SALT).sign_object(
        {"assignment": stored_assignment.pk, "path": other_path}
    )

    response = worker_client(stored_assignment).get(reverse("task_file", kwargs={"token": token}))

    assert response.status_code == 404


def test_a_token_signed_for_another_purpose_gets_a_404(stored_assignment):
    path = stored_assignment.hit.data_object.data["source-ref"]
    token = signing.TimestampSigner(salt="something-else").sign_object(
        {"assignment": stored_assignment.pk, "path": path}
    )

    response = worker_client(stored_assignment).get(reverse("task_file", kwargs={"token": token}))

    assert response.status_code == 404


def test_a_missing_file_gets_a_404(stored_assignment):
    url = task_file_url(assignment=stored_assignment)
    default_storage.delete(stored_assignment.hit.data_object.data["source-ref"])

    assert worker_client(stored_assignment).get(url).status_code == 404


def test_post_is_not_allowed(stored_assignment):
    url = task_file_url(assignment=stored_assignment)

    assert worker_client(stored_assignment).post(url).status_code == 405


def test_an_http_source_ref_is_returned_as_is():
    assignment = assignment_on("https://images.example.com/cats/1.png?v=2")

    assert task_file_url(assignment=assignment) == "https://images.example.com/cats/1.png?v=2"


def test_a_text_object_has_no_file_url():
    job = RunningJobFactory(task_type="text-classification")
    hit = HITFactory(job=job, data_object=DataObjectFactory(job=job, data={"source": "Great!"}))

    assert task_file_url(assignment=AssignmentFactory(hit=hit)) is None


def test_with_s3_storage_the_storages_presigned_url_is_returned(settings, monkeypatch):
    settings.STORAGE_BACKEND = "s3"
    assignment = assignment_on("jobs/1/cat.png")
    requested = []

    def presign(path):
        requested.append(path)
        return f"https://bucket.s3.example.com/{path}?X-Amz-Signature=abc"

    monkeypatch.setattr(files.default_storage, "url", presign)

    url = task_file_url(assignment=assignment)

    assert url == "https://bucket.s3.example.com/jobs/1/cat.png?X-Amz-Signature=abc"
    assert requested == ["jobs/1/cat.png"]


def test_s3_uris_name_the_configured_bucket_only(settings):
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "gw"}},
    }

    assert source_ref_parse("s3://gw/jobs/3/a.png").path == "jobs/3/a.png"
    with pytest.raises(ValueError, match='bucket "other" is not this site'):
        source_ref_parse("s3://other/jobs/3/a.png")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://images.example.com/a.png?x=1", ("url", "https://images.example.com/a.png?x=1")),
        ("http://fileserver/a.png", ("url", "http://fileserver/a.png")),
        ("HTTPS://Example.com/a.png", ("url", "HTTPS://Example.com/a.png")),
        ("jobs/3/a.png", ("path", "jobs/3/a.png")),
        ("jobs/3/sub folder/a b.png", ("path", "jobs/3/sub folder/a b.png")),
    ],
)
def test_source_refs_that_parse(value, expected):
    reference = source_ref_parse(value)

    assert (("url", reference.url) if reference.url else ("path", reference.path)) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "source-ref is empty."),
        ("https:///a.png", "source-ref is not a valid http(s) URL."),
        ("https://x.org/a b.png", "source-ref is not a valid http(s) URL."),
        ("file:///etc/passwd", 'source-ref scheme "file:" is not supported'),
        ("data:image/png;base64,AAAA", 'source-ref scheme "data:" is not supported'),
        ("/etc/passwd", "source-ref path must be relative"),
        ("jobs\\3\\a.png", "source-ref path must be relative"),
        ("jobs//3/a.png", "source-ref path must not hold empty, . or .. segments."),
        ("jobs/3/../4/a.png", "source-ref path must not hold empty, . or .. segments."),
        ("jobs/3/", "source-ref path must not hold empty, . or .. segments."),
        ("s3://bucket/a.png", "s3:// references need S3 storage (STORAGE_BACKEND=s3)"),
    ],
)
def test_source_refs_that_do_not_parse(value, reason):
    with pytest.raises(ValueError, match="^" + re.escape(reason)):
        source_ref_parse(value)


# Storing uploads.


@pytest.fixture
def draft_job():
    return LabelingJobFactory()


@pytest.fixture
def requester(draft_job):
    return MembershipFactory(organization=draft_job.organization).user


def test_an_uploaded_image_is_stored_under_the_job_with_a_random_name(
    draft_job, requester, media_root
):
    upload = SimpleUploadedFile("My Cat (1).PNG", PNG, content_type="image/png")

    path = data_file_store(actor=requester, job=draft_job, uploaded_file=upload)

    assert path.startswith(f"jobs/{draft_job.pk}/")
    assert path.endswith(".png")
    assert "Cat" not in path
    assert len(path.rsplit("/", 1)[1]) == 32 + len(".png")
    assert (media_root / path).read_bytes() == PNG
    event = JobEvent.objects.get(job=draft_job)
    assert (event.kind, event.actor, event.data) == (
        "data_file_stored",
        requester,
        {"path": path, "bytes": len(PNG), "content_type": "image/png"},
    )


def test_two_uploads_of_the_same_name_get_different_paths(draft_job, requester):
    first = data_file_store(
        actor=requester, job=draft_job, uploaded_file=SimpleUploadedFile("a.png", PNG)
    )
    second = data_file_store(
        actor=requester, job=draft_job, uploaded_file=SimpleUploadedFile("a.png", PNG)
    )

    assert first != second


def test_an_uploaded_utf8_text_file_is_stored(draft_job, requester, media_root):
    upload = SimpleUploadedFile("review.txt", "Très bien\n".encode(), content_type="text/plain")

    path = data_file_store(actor=requester, job=draft_job, uploaded_file=upload)

    assert path.endswith(".txt")
    assert (media_root / path).read_text() == "Très bien\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "logo.svg",
            b"<svg onload='alert(1)'/>",
            "Upload an image or a text file (.bmp, .csv, .gif, .jpeg, .jpg, .png, .txt, .webp).",
            id="svg",
        ),
        pytest.param(
            "run.exe",
            b"MZ\x90\x00",
            "Upload an image or a text file (.bmp, .csv, .gif, .jpeg, .jpg, .png, .txt, .webp).",
            id="exe",
        ),
        pytest.param(
            "page.html",
            b"<script>alert(1)</script>",
            "Upload an image or a text file (.bmp, .csv, .gif, .jpeg, .jpg, .png, .txt, .webp).",
            id="html",
        ),
        pytest.param(
            "cat.png",
            b"<script>alert(1)</script>",
            "The file's content is not the .png image its name says.",
            id="png-that-is-not",
        ),
        pytest.param(
            "cat.jpg", PNG, "The file's content is not the .jpg image its name says.", id="wrong"
        ),
        pytest.param(
            "notes.txt", b"\xff\xfe\x00t\x00e", "A text file must be UTF-8 text.", id="not-utf8"
        ),
        pytest.param("empty.png", b"", "The file is empty.", id="empty"),
    ],
)
def test_an_upload_of_the_wrong_type_is_refused(
    draft_job, requester, media_root, name, content, message
):
    before = database_snapshot()

    with pytest.raises(InvalidInput) as caught:
        data_file_store(
            actor=requester, job=draft_job, uploaded_file=SimpleUploadedFile(name, content)
        )

    assert caught.value.fields == {"file": [message]}
    assert stored_files(media_root) == []
    assert database_snapshot() == before


def test_an_upload_over_40_megabytes_is_refused(draft_job, requester, media_root):
    limit = 40 * 1024 * 1024
    before = database_snapshot()
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * (limit + 1 - len(PNG)))

    with pytest.raises(InvalidInput) as caught:
        data_file_store(actor=requester, job=draft_job, uploaded_file=upload)

    assert caught.value.fields == {"file": ["A data file may be at most 40 MB."]}
    assert stored_files(media_root) == []
    assert database_snapshot() == before


def test_an_upload_of_exactly_40_megabytes_is_accepted(draft_job, requester):
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * (40 * 1024 * 1024 - len(PNG)))

    assert data_file_store(actor=requester, job=draft_job, uploaded_file=upload)


def test_a_non_member_cannot_upload(draft_job, media_root):
    outsider = UserFactory()
    before = database_snapshot()

    with pytest.raises(NotFound):
        data_file_store(
            actor=outsider, job=draft_job, uploaded_file=SimpleUploadedFile("a.png", PNG)
        )

    assert stored_files(media_root) == []
    assert database_snapshot() == before


def test_a_running_job_takes_no_uploads(media_root):
    job = RunningJobFactory()
    member = MembershipFactory(organization=job.organization).user

    with pytest.raises(Conflict):
        data_file_store(actor=member, job=job, uploaded_file=SimpleUploadedFile("a.png", PNG))

    assert stored_files(media_root) == []


# End to end: upload, manifest, assignment, file.


def test_an_uploaded_file_named_in_a_manifest_reaches_the_worker(draft_job, requester):
    path = data_file_store(
        actor=requester, job=draft_job, uploaded_file=SimpleUploadedFile("cat.png", PNG)
    )
    manifest_import(
        actor=requester,
        job=draft_job,
        stream=io.BytesIO(f'{{"source-ref": "{path}", "id": 1}}\n'.encode()),
    )
    draft_job.status = JobStatus.RUNNING
    draft_job.save(update_fields=["status"])
    hit = HITFactory(job=draft_job, data_object=draft_job.data_objects.get())
    assignment = AssignmentFactory(hit=hit)

    response = worker_client(assignment).get(task_file_url(assignment=assignment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
