"""The input manifest importer: Ground Truth's JSON Lines, read as a stream in constant
memory and refused whole, with every bad line listed, if any line is bad."""

import hashlib
import json
import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from jobs.files import SourceRefChecker
from jobs.models import DataObject, JobEvent, JobStatus, LabelingJob
from jobs.tasktypes import task_type_get
from jobs.tasktypes.base import TaskType
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import User
from marketplace.selectors import organization_access

# Ground Truth's limits (reference/ground-truth.md, "Input manifest").
MAX_OBJECTS_PER_JOB = 100_000
MAX_LINE_CHARACTERS = 100_000
MAX_ATTRIBUTE_CHARACTERS = 20_000
# A UTF-8 character is at most 4 bytes; the line ending at most 2 ("\r\n").
MAX_LINE_BYTES = 4 * MAX_LINE_CHARACTERS + 2
MAX_LISTED_ERRORS = 1_000
MAX_REASON_CHARACTERS = 300
# Rows go to the database in batches of this many, or sooner once their lines reach
# BATCH_MAX_CHARACTERS, so memory stays flat however long the lines are.
BATCH_SIZE = 2_000
BATCH_MAX_CHARACTERS = 8_000_000
DRAIN_CHUNK_BYTES = 64 * 1024
BYTE_ORDER_MARK = b"\xef\xbb\xbf"
EVENT_KIND = "manifest_imported"


@dataclass(frozen=True)
class ManifestImportResult:
    """What one import added: `objects` data objects numbered `first_line_number` to
    `last_line_number`. `already_imported` when the same manifest (by its SHA-256) had
    been imported into the job before, in which case nothing changed this time."""

    job: LabelingJob
    objects: int
    first_line_number: int
    last_line_number: int
    sha256: str
    already_imported: bool = False


class _LineError(Exception):
    """One manifest line's reason for refusal."""


class _AlreadyImported(Exception):
    def __init__(self, result: ManifestImportResult):
        self.result = result


def _non_finite(constant: str):
    raise _LineError(f"{constant} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _LineError(f"the number {text[:40]} is too large.")
    return number


@transaction.atomic
def manifest_import(*, actor: User, job: LabelingJob, stream) -> ManifestImportResult:
    """Import a JSON Lines manifest (`stream`: a binary file-like object) into a draft
    job, appending after any objects it already has.

    Any bad line refuses the whole manifest: InvalidInput whose `fields["manifest"]`
    lists every bad line ("line 3: ...", at most MAX_LISTED_ERRORS of them) and nothing
    is imported. Importing the same bytes into the same job again changes nothing and
    returns the first import's result. Any member of the job's organization may import;
    others get NotFound.
    """
    organization_access(actor=actor, organization_id=job.organization_id)
    job = _lock_draft_job(job)
    task_type = task_type_get(job.task_type)
    last_line = DataObject.objects.filter(job=job).aggregate(last=Max("line_number"))["last"]
    first_line_number = (last_line or 0) + 1
    try:
        with transaction.atomic():  # a savepoint, undone if the bytes were imported before
            count, sha256 = _import_lines(
                job=job, task_type=task_type, stream=stream, first_line_number=first_line_number
            )
            earlier = _earlier_import(job=job, sha256=sha256)
            if earlier is not None:
                raise _AlreadyImported(earlier)
    except _AlreadyImported as done:
        return done.result
    LabelingJob.objects.filter(pk=job.pk).update(
        total_objects=F("total_objects") + count, updated_at=timezone.now()
    )
    job.refresh_from_db(fields=["total_objects", "updated_at"])
    result = ManifestImportResult(
        job=job,
        objects=count,
        first_line_number=first_line_number,
        last_line_number=first_line_number + count - 1,
        sha256=sha256,
    )
    JobEvent.objects.create(
        job=job,
        actor=actor,
        kind=EVENT_KIND,
        data={
            "objects": count,
            "first_line_number": result.first_line_number,
            "last_line_number": result.last_line_number,
            "sha256": sha256,
        },
    )
    return result


def _lock_draft_job(job: LabelingJob) -> LabelingJob:
    """Row-lock the job, so imports into it run one at a time and it can't be launched
    halfway through one; only a draft takes a manifest."""
    try:
        job = LabelingJob.objects.select_for_update().get(pk=job.pk)
    except LabelingJob.DoesNotExist:
        raise NotFound() from None
    if job.status != JobStatus.DRAFT:
        raise Conflict(
            f"Only a draft job takes a manifest; this job is {job.status}.",
            code="job_not_draft",
        )
    return job


def _earlier_import(*, job: LabelingJob, sha256: str) -> ManifestImportResult | None:
    # Uses index: jobevent_job_time (a job has few events).
    event = JobEvent.objects.filter(job=job, kind=EVENT_KIND, data__sha256=sha256).first()
    if event is None:
        return None
    return ManifestImportResult(
        job=job,
        objects=event.data["objects"],
        first_line_number=event.data["first_line_number"],
        last_line_number=event.data["last_line_number"],
        sha256=sha256,
        already_imported=True,
    )


def _import_lines(
    *, job: LabelingJob, task_type: TaskType, stream, first_line_number: int
) -> tuple[int, str]:
    """One pass over the stream: good lines go to the database in batches until the first
    bad one; after it, lines are only checked, to list every error. Raises InvalidInput
    (the caller's transaction then discards the batches) or returns (lines, sha256).
    The caller holds the job's row lock."""
    checker = SourceRefChecker(organization_id=job.organization_id)
    now = timezone.now()  # one import, one creation time
    digest = hashlib.sha256()
    room = max(MAX_OBJECTS_PER_JOB - job.total_objects, 0)
    errors: list[str] = []
    bad_lines = 0
    batch: list[DataObject] = []
    batch_characters = 0
    count = 0
    for number, raw, too_long in _raw_lines(stream, digest):
        count = number
        try:
            if number == room + 1:  # reported once; the lines after it list their own errors
                raise _LineError(
                    f"a job holds at most {MAX_OBJECTS_PER_JOB:,} data objects and this one "
                    f"has {job.total_objects:,}; this line and every line after it is one too "
                    "many."
                )
            data = _parse_line(raw, too_long)
            problems = task_type.validate_manifest_line(data)
            if not problems and task_type.source_key == "source-ref" and "source-ref" in data:
                problem = checker.problem(data.get("source-ref"))
                problems = [problem] if problem else []
            if problems:
                raise _LineError("; ".join(str(problem) for problem in problems))
        except _LineError as error:
            bad_lines += 1
            batch = []
            if len(errors) < MAX_LISTED_ERRORS:
                errors.append(f"line {number}: {_shorten(str(error))}")
            continue
        if bad_lines:
            continue
        batch.append(
            DataObject(
                job_id=job.pk,
                line_number=first_line_number + number - 1,
                data=data,
                created_at=now,
                updated_at=now,
            )
        )
        batch_characters += len(raw)
        if len(batch) >= BATCH_SIZE or batch_characters >= BATCH_MAX_CHARACTERS:
            DataObject.objects.bulk_create(batch)
            batch, batch_characters = [], 0
    if count == 0:
        raise InvalidInput(
            "The manifest is empty.",
            fields={"manifest": ["The manifest has no lines."]},
            code="manifest_invalid",
        )
    if bad_lines:
        if bad_lines > len(errors):
            errors.append(f"... and {bad_lines - len(errors):,} more bad lines.")
        noun = "line" if bad_lines == 1 else "lines"
        raise InvalidInput(
            f"The manifest has {bad_lines:,} bad {noun}.",
            fields={"manifest": errors},
            code="manifest_invalid",
        )
    if batch:
        DataObject.objects.bulk_create(batch)
    return count, digest.hexdigest()


def _raw_lines(stream, digest):
    """(1-based number, bytes without the line ending, too_long) for each line, reading
    at most MAX_LINE_BYTES + 1 bytes at a time. A final line ending adds no line."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        digest.update(raw)
        number += 1
        too_long = len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")
        if too_long:  # skip the rest of it without holding it
            raw = b""
            while True:
                rest = stream.readline(DRAIN_CHUNK_BYTES)
                digest.update(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        elif raw.endswith(b"\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n"):
            raw = raw[:-1]
        if number == 1 and raw.startswith(BYTE_ORDER_MARK):
            raw = raw[len(BYTE_ORDER_MARK) :]
        yield number, raw, too_long


# Reused: json.loads / json.dumps with options build a new decoder / encoder per call.
_DECODER = json.JSONDecoder(parse_constant=_non_finite, parse_float=_finite_float)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Re-serialized compactly, a value is at most 4.5 times its text in the line (the worst
# case is a float such as 1e15 written out as 1000000000000000.0), so no attribute of a
# line this short can pass MAX_ATTRIBUTE_CHARACTERS, and the per-attribute measuring
# is skipped for it.
SHORT_LINE_CHARACTERS = MAX_ATTRIBUTE_CHARACTERS * 2 // 9


def _parse_line(raw: bytes, too_long: bool) -> dict:
    """The line as a JSON object within Ground Truth's limits, or _LineError."""
    if too_long:
        raise _LineError(f"longer than {MAX_LINE_CHARACTERS:,} characters.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _LineError(f"not UTF-8 text (byte {error.start + 1} of the line).") from None
    if len(text) > MAX_LINE_CHARACTERS:
        raise _LineError(f"longer than {MAX_LINE_CHARACTERS:,} characters.")
    if not text.strip():
        raise _LineError("empty line; each line must hold one JSON object.")
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise _LineError(f"not valid JSON ({error.msg} at column {error.colno}).") from None
    except RecursionError:
        raise _LineError("not valid JSON (nested too deeply).") from None
    except ValueError as error:  # e.g. an integer with more digits than Python reads
        raise _LineError(f"not valid JSON ({_shorten(str(error))}).") from None
    if not isinstance(data, dict):
        raise _LineError("not a JSON object; each line must be one {...} object.")
    problems = []
    measure = len(text) > SHORT_LINE_CHARACTERS
    for name, value in data.items():
        if name.startswith("$"):
            problems.append(f'attribute "{_shorten(name, 60)}": names can\'t start with "$".')
        if measure and len(_ENCODER.encode(value)) > MAX_ATTRIBUTE_CHARACTERS:
            problems.append(
                f'attribute "{_shorten(name, 60)}" is longer than '
                f"{MAX_ATTRIBUTE_CHARACTERS:,} characters."
            )
    if "\\u" in text and not _storable(data):
        problems.append(r"holds \u0000 or a lone surrogate (\ud800-\udfff), which can't be stored.")
    if problems:
        raise _LineError("; ".join(problems))
    return data


def _storable(value) -> bool:
    """Whether PostgreSQL's jsonb takes every string in `value` (no NUL, valid UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(key) and _storable(inner) for key, inner in value.items())
    if isinstance(value, list):
        return all(_storable(inner) for inner in value)
    return True


def _shorten(text: str, limit: int = MAX_REASON_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
