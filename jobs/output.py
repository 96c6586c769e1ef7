"""A job's results as Ground Truth writes them: the augmented (output) manifest and the raw
worker responses, streamed as JSON Lines in constant memory (reference/ground-truth.md §5)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from jobs.models import (
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    DataObject,
    DataObjectStatus,
    LabelingJob,
)
from jobs.tasktypes import task_type_get

CHUNK_SIZE = 2_000
LABELED_STATUSES = (DataObjectStatus.HUMAN_LABELED, DataObjectStatus.MACHINE_LABELED)
# Ground Truth's `creation-date`: UTC, microseconds, no offset ("2018-10-18T22:18:13.527256").
CREATION_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
# Ground Truth's worker-response times: "YYYY-MM-DDTHH:MM:SS.mmmZ".
RESPONSE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.{milliseconds:03d}Z"
OUTPUT_OBJECT_FIELDS = (
    "line_number",
    "data",
    "status",
    "label",
    "label_metadata",
    "confidence",
    "labeled_at",
    "updated_at",
)
COMMON_METADATA_KEYS = ("confidence", "type", "job-name", "human-annotated", "creation-date")


def output_line(
    *, job: LabelingJob, data_object: DataObject, output_type: str | None = None
) -> dict:
    """The object's input line plus `<attr>` (the label) and `<attr>-metadata`.

    The label overwrites an input key of the same name, as in Ground Truth. An object
    without a label comes back as its input line. `output_type` saves the registry look-up
    when called once per line.
    """
    line = dict(data_object.data)
    if data_object.status not in LABELED_STATUSES:
        return line
    if output_type is None:
        output_type = task_type_get(job.task_type).job_output_type(job=job)
    labeled_at = data_object.labeled_at or data_object.updated_at
    type_metadata = {
        key: value
        for key, value in (data_object.label_metadata or {}).items()
        if key not in COMMON_METADATA_KEYS
    }
    attribute = job.label_attribute_name
    line[attribute] = data_object.label
    line[f"{attribute}-metadata"] = {
        **type_metadata,
        "confidence": float(data_object.confidence or 0.0),
        "type": output_type,
        "job-name": job.name,
        "human-annotated": (
            "no" if data_object.status == DataObjectStatus.MACHINE_LABELED else "yes"
        ),
        "creation-date": labeled_at.astimezone(UTC).strftime(CREATION_DATE_FORMAT),
    }
    return line


def output_manifest_lines(*, job: LabelingJob) -> Iterator[str]:
    """The output manifest, one JSON line (with its "\\n") per labeled object, in input
    order. Partial while the job runs; unlabeled and failed objects are left out."""
    output_type = task_type_get(job.task_type).job_output_type(job=job)
    # Uses index: data_object_line_once (job, line_number) gives the order without a sort.
    data_objects = (
        DataObject.objects.filter(job=job, status__in=LABELED_STATUSES, gold_question__isnull=True)
        .order_by("line_number")
        .only(*OUTPUT_OBJECT_FIELDS)
    )
    for data_object in data_objects.iterator(chunk_size=CHUNK_SIZE):
        yield _json_line(output_line(job=job, data_object=data_object, output_type=output_type))


def raw_responses_lines(*, job: LabelingJob) -> Iterator[str]:
    """Every submitted answer (submitted, approved or rejected), one JSON line each, by
    input line then submit time. Workers appear by their public worker id only. Answers to
    gold questions are not the job's data: they stay out (the gold API reports them)."""
    assignments = (
        Assignment.objects.filter(
            hit__job=job, hit__is_gold=False, status__in=SUBMITTED_ASSIGNMENT_STATUSES
        )
        .select_related("hit", "hit__data_object", "worker")
        .only(
            "assignment_id",
            "status",
            "accepted_at",
            "submitted_at",
            "active_seconds",
            "answer",
            "hit__hit_id",
            "hit__data_object__line_number",
            "worker__worker_id",
        )
        .order_by("hit__data_object__line_number", "submitted_at", "id")
    )
    for assignment in assignments.iterator(chunk_size=CHUNK_SIZE):
        yield _json_line(
            {
                "LineNumber": assignment.hit.data_object.line_number,
                "HITId": assignment.hit.hit_id,
                "AssignmentId": assignment.assignment_id,
                "WorkerId": assignment.worker.worker_id,
                "AssignmentStatus": assignment.status,
                "AcceptTime": _response_time(assignment.accepted_at),
                "SubmitTime": _response_time(assignment.submitted_at),
                "ActiveSeconds": assignment.active_seconds,
                "Answer": assignment.answer,
            }
        )


def _response_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime(RESPONSE_TIME_FORMAT).format(milliseconds=moment.microsecond // 1000)


def _json_line(line: dict) -> str:
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
