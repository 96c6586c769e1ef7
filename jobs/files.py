"""Where task data lives: manifest source references, uploaded data files, and the
short-lived signed URLs through which a worker's browser fetches them.

A `source-ref` is one of:
- an http(s) URL: handed to the worker's browser as is, never fetched by the server;
- a path in the configured default storage (local filesystem or S3-compatible), or an
  `s3://<bucket>/<key>` URI naming the same storage when STORAGE_BACKEND=s3.

Storage paths are scoped: a manifest may only name files under `jobs/<job id>/` of a job
of its own organization (where `data_file_store` puts uploads), or under one of the
prefixes an operator lists in the TASK_DATA_SHARED_PREFIXES setting. Without
this, one organization could launch a job over another's files and work it itself.
"""

import codecs
import posixpath
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from jobs.models import Assignment, AssignmentStatus, JobEvent, JobStatus, LabelingJob
from marketplace.exceptions import Conflict, InvalidInput
from marketplace.selectors import organization_access

TASK_FILE_URL_MAX_AGE = 300  # seconds a signed task-file URL stays valid
TASK_FILE_SALT = "groundwork.task-file"
MAX_DATA_FILE_BYTES = 40 * 1024 * 1024  # Ground Truth's image file limit
MAX_STORAGE_PATH_LENGTH = 1024  # S3's key limit
MAX_URL_LENGTH = 2048
SNIFF_BYTES = 16

# Extension -> the content type it is stored under and served with. SVG is left out on
# purpose: it can carry scripts, and these files are served from the site's own origin.
DATA_FILE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
}
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/bmp": (b"BM",),
}
SCHEME_REGEX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
JOB_PATH_REGEX = re.compile(r"^jobs/([0-9]{1,18})/")


@dataclass(frozen=True)
class SourceRef:
    """A parsed `source-ref`: exactly one of `url` (for the browser) or `path` (in storage)."""

    url: str | None = None
    path: str | None = None


def source_ref_parse(value: str) -> SourceRef:
    """The reference `value` names, or ValueError with the reason it can't be used.

    Shape only: it says nothing about who may use a storage path (see SourceRefChecker).
    """
    if not value:
        raise ValueError("source-ref is empty.")
    match = SCHEME_REGEX.match(value)
    if match is None:
        return SourceRef(path=_storage_path_clean(value))
    scheme = match.group(0)[:-1].lower()
    if scheme in {"http", "https"}:
        # Never fetched here, only put in the worker's page: a host and no spaces suffice
        # (intranet hosts such as http://fileserver/a.png included).
        if len(value) > MAX_URL_LENGTH:
            raise ValueError(f"source-ref URL is longer than {MAX_URL_LENGTH:,} characters.")
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        if not host or any(char.isspace() or ord(char) < 32 for char in value):
            raise ValueError("source-ref is not a valid http(s) URL.")
        return SourceRef(url=value)
    if scheme == "s3":
        return SourceRef(path=_s3_key(value))
    raise ValueError(
        f'source-ref scheme "{scheme}:" is not supported; use http(s)://, s3:// or a path '
        "in this site's storage."
    )


def _s3_key(value: str) -> str:
    if settings.STORAGE_BACKEND != "s3":
        raise ValueError(
            "s3:// references need S3 storage (STORAGE_BACKEND=s3); this site keeps files "
            "on its own file system. Upload the file or use an http(s) URL."
        )
    parts = urlsplit(value)
    bucket = settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name")
    if parts.netloc != bucket:
        raise ValueError(f's3:// bucket "{parts.netloc}" is not this site\'s storage bucket.')
    return _storage_path_clean(parts.path.lstrip("/"))


def _storage_path_clean(path: str) -> str:
    if len(path) > MAX_STORAGE_PATH_LENGTH:
        raise ValueError(f"source-ref path is longer than {MAX_STORAGE_PATH_LENGTH} characters.")
    if path.startswith("/") or "\\" in path or any(ord(char) < 32 for char in path):
        raise ValueError("source-ref path must be relative, with / between folders.")
    segments = path.split("/")
    if any(segment in {"", ".", ".."} for segment in segments):
        raise ValueError("source-ref path must not hold empty, . or .. segments.")
    return path


class SourceRefChecker:
    """Checks the `source-ref`s of one organization's manifest, remembering which job
    folders it has already looked up (one query per distinct folder, not per line)."""

    def __init__(self, *, organization_id: int):
        self.organization_id = organization_id
        self.shared_prefixes = tuple(settings.TASK_DATA_SHARED_PREFIXES)
        self._job_allowed: dict[int, bool] = {}

    def problem(self, value: object) -> str | None:
        """Why `value` can't be this organization's `source-ref`, or None if it can."""
        if not isinstance(value, str):
            return "source-ref must be a string."
        try:
            reference = source_ref_parse(value)
        except ValueError as error:
            return str(error)
        if reference.path is not None and not self._path_allowed(reference.path):
            return (
                "source-ref path is not in this organization's storage; upload the file to "
                "the job (it is stored under jobs/<job id>/) or use an http(s) URL."
            )
        return None

    def _path_allowed(self, path: str) -> bool:
        if self.shared_prefixes and path.startswith(self.shared_prefixes):
            return True
        match = JOB_PATH_REGEX.match(path)
        if match is None:
            return False
        job_id = int(match.group(1))
        if job_id not in self._job_allowed:
            self._job_allowed[job_id] = LabelingJob.objects.filter(
                pk=job_id, organization_id=self.organization_id
            ).exists()
        return self._job_allowed[job_id]


# Uploads.


def data_file_store(*, actor, job: LabelingJob, uploaded_file) -> str:
    """Store one data file for `job`'s manifest and return its storage path
    (`jobs/<job id>/<random>.<ext>`), which a manifest line names as its `source-ref`.

    Images (PNG, JPEG, GIF, BMP, WebP, checked by their first bytes) and UTF-8 text only,
    at most 40 MB. The file is written outside any transaction (storage may be a remote
    service); only the event row is written in one.
    """
    organization_access(actor=actor, organization_id=job.organization_id)
    if job.status != JobStatus.DRAFT:
        raise Conflict(
            f"Data files are added to draft jobs only; this job is {job.status}.",
            code="job_not_draft",
        )
    extension, content_type = _data_file_check(uploaded_file)
    name = f"jobs/{job.pk}/{secrets.token_hex(16)}{extension}"
    uploaded_file.seek(0)
    path = default_storage.save(name, uploaded_file)
    with transaction.atomic():
        JobEvent.objects.create(
            job=job,
            actor=actor,
            kind="data_file_stored",
            data={"path": path, "bytes": uploaded_file.size, "content_type": content_type},
        )
    return path


def _data_file_check(uploaded_file) -> tuple[str, str]:
    """The file's extension and content type, or InvalidInput on the `file` field."""

    def refuse(message: str):
        return InvalidInput(fields={"file": [message]})

    extension = posixpath.splitext((uploaded_file.name or "").lower())[1]
    content_type = DATA_FILE_TYPES.get(extension)
    if content_type is None:
        allowed = ", ".join(sorted(DATA_FILE_TYPES))
        raise refuse(f"Upload an image or a text file ({allowed}).")
    if uploaded_file.size is None or uploaded_file.size > MAX_DATA_FILE_BYTES:
        raise refuse(f"A data file may be at most {MAX_DATA_FILE_BYTES // (1024 * 1024)} MB.")
    if uploaded_file.size == 0:
        raise refuse("The file is empty.")
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    if content_type.startswith("text/"):
        if not _is_utf8_text(uploaded_file):
            raise refuse("A text file must be UTF-8 text.")
    elif not _looks_like(content_type, head):
        raise refuse(f"The file's content is not the {extension} image its name says.")
    return extension, content_type


def _looks_like(content_type: str, head: bytes) -> bool:
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.startswith(IMAGE_SIGNATURES[content_type])


def _is_utf8_text(uploaded_file) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    uploaded_file.seek(0)
    try:
        for chunk in uploaded_file.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Serving files to the worker who holds the assignment.


def task_file_url(*, assignment: Assignment, request=None) -> str | None:
    """The URL the worker's browser loads the assignment's data object from.

    An http(s) `source-ref` as is; a storage path as a URL valid for a few minutes (the
    storage's own presigned URL on S3, else a signed link to `serve_task_file` that also
    checks the worker still holds the assignment). None when the object has no
    `source-ref` (text tasks carry their data inline in `source`).
    """
    value = assignment.hit.data_object.data.get("source-ref")
    if not isinstance(value, str):
        return None
    try:
        reference = source_ref_parse(value)
    except ValueError:
        return None  # checked at import; a reference that no longer parses is not served
    if reference.url is not None:
        return reference.url
    if settings.STORAGE_BACKEND == "s3":
        return default_storage.url(reference.path)
    token = signing.TimestampSigner(salt=TASK_FILE_SALT).sign_object(
        {"assignment": assignment.pk, "path": reference.path}
    )
    url = reverse("task_file", kwargs={"token": token})
    return request.build_absolute_uri(url) if request is not None else url


@require_safe
def serve_task_file(request, token: str):
    """Serve a storage file to the worker who holds an accepted, unexpired assignment whose
    data object names it. Everything else, a missing session included, is a 404 that says
    nothing more (no login redirect: the link is only ever handed to a logged-in worker)."""
    try:
        payload = signing.TimestampSigner(salt=TASK_FILE_SALT).unsign_object(
            token, max_age=TASK_FILE_URL_MAX_AGE
        )
        assignment_id = int(payload["assignment"])
        path = str(payload["path"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404() from None
    if not request.user.is_authenticated:
        raise Http404()
    assignment = (
        Assignment.objects.select_related("hit__data_object")
        .filter(
            pk=assignment_id,
            worker__user=request.user,
            status=AssignmentStatus.ACCEPTED,
            deadline__gt=timezone.now(),
        )
        .first()
    )
    if assignment is None:
        raise Http404()
    value = assignment.hit.data_object.data.get("source-ref")
    try:
        reference = source_ref_parse(value) if isinstance(value, str) else None
    except ValueError:
        reference = None
    if reference is None or reference.path != path:
        raise Http404()
    try:
        file = default_storage.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    extension = posixpath.splitext(path.lower())[1]
    response = FileResponse(
        file, content_type=DATA_FILE_TYPES.get(extension, "application/octet-stream")
    )
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    # Defence in depth: a file opened on its own can run nothing in the site's origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
