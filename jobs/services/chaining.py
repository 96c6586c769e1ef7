"""Chaining: a new draft job whose input is a source job's output (Ground Truth's chaining
rules), to verify its labels, adjust them, or label the objects again under a new attribute.

The new job is made by the job service and its input by the manifest importer, from the
source's output lines (input line + label attribute + metadata) as they are now: all of
them for a completed or stopped job, the objects labeled so far for a running one.
"""

import json
import tempfile
from dataclasses import dataclass

from django.db import transaction

from jobs.manifests import manifest_import
from jobs.models import DataObject, JobEvent, LabelingJob
from jobs.output import CHUNK_SIZE, LABELED_STATUSES, OUTPUT_OBJECT_FIELDS, output_line
from jobs.services.jobs import JOB_FIELDS, job_create
from jobs.tasktypes import task_type_get
from jobs.tasktypes.audit import AuditTaskType, prior_label
from jobs.tasktypes.classification import SingleLabelClassification
from jobs.tasktypes.label_adjustment import LabelAdjustment
from jobs.tasktypes.label_verification import DEFAULT_VERIFICATION_LABELS, LabelVerification
from marketplace.exceptions import Conflict, InvalidInput
from marketplace.models import User
from marketplace.services import fields_require_known, member_require

EVENT_KIND = "chained"
# Settings a chained job takes from its source unless given.
COPIED_FIELDS = (
    "title",
    "description",
    "short_instructions",
    "full_instructions",
    "reward",
    "workers_per_object",
    "task_time_limit_seconds",
    "task_availability_lifetime_seconds",
    "auto_approval_delay_seconds",
    "max_concurrent_tasks",
    "contains_personal_information",
    "consolidation_method",
    "max_workers_per_object",
    "target_confidence",
)
# Gold questions fit one task type and label set: only a job of the same kind keeps them.
SAME_KIND_FIELDS = ("gold_rate", "gold_set")
CHAIN_FIELDS = tuple(name for name in JOB_FIELDS if name != "task_type")
# Spooled in memory up to this size, then on disk: a chained manifest may be large.
SPOOL_BYTES = 8 * 1024 * 1024


class ChainKind:
    VERIFICATION = "verification"  # judge the source's labels
    ADJUSTMENT = "adjustment"  # correct the source's labels
    SAME = "same"  # the source's own task type, labeling again under a new attribute

    values = (VERIFICATION, ADJUSTMENT, SAME)


TASK_TYPES = {
    ChainKind.VERIFICATION: LabelVerification.key,
    ChainKind.ADJUSTMENT: LabelAdjustment.key,
}


@dataclass(frozen=True)
class ChainResult:
    """The new draft job, how many of the source's labeled objects it took, and how many
    it skipped because they already carry its label attribute."""

    job: LabelingJob
    objects: int
    skipped: int


def _check_kind(kind: object) -> str:
    if kind not in ChainKind.values:
        known = ", ".join(f'"{value}"' for value in ChainKind.values)
        raise InvalidInput(fields={"kind": [f"Choose one of: {known}."]})
    return kind


def _audited_attribute(*, source: LabelingJob, kind: str) -> str:
    """The label attribute the new job audits (or, for "same", relabels)."""
    source_type = task_type_get(source.task_type)
    if kind == ChainKind.SAME:
        if isinstance(source_type, LabelVerification):
            return source.source_label_attribute_name
        return source.label_attribute_name
    if not isinstance(source_type, SingleLabelClassification) or isinstance(
        source_type, LabelVerification
    ):
        raise InvalidInput(
            fields={
                "kind": [
                    f"A {source_type.name} job's labels are not a single class label: they "
                    f"cannot be sent to label {kind}."
                ]
            }
        )
    return source.label_attribute_name


def _check_new_attribute(fields: dict, *, source: LabelingJob, audited: str) -> None:
    attribute = fields.get("label_attribute_name")
    if attribute is None:
        raise InvalidInput(
            fields={"label_attribute_name": ["Give the new job a label attribute name."]}
        )
    if attribute == source.label_attribute_name:
        what = "the source job's label attribute"
    elif attribute == audited:
        what = "the label attribute the source job audits"
    else:
        return
    raise InvalidInput(
        fields={
            "label_attribute_name": [f'"{attribute}" is {what}; a chained job needs a new one.']
        }
    )


def _job_fields(*, source: LabelingJob, kind: str, given: dict) -> dict:
    """The new job's job_create fields: the given ones over the source's settings."""
    fields = {name: getattr(source, name) for name in COPIED_FIELDS}
    if kind == ChainKind.SAME:
        fields.update({name: getattr(source, name) for name in SAME_KIND_FIELDS})
    if source.engagement_id is not None:
        fields["engagement"] = source.engagement_id
    else:
        own = source.workforce.organization_id is not None
        fields["workforce"] = source.workforce_id if own else None
        fields["teams"] = list(source.teams.order_by("pk").values_list("pk", flat=True))
    if kind == ChainKind.VERIFICATION:
        fields["label_category_config"] = {
            "document-version": "2018-11-28",
            "labels": [{"label": label} for label in DEFAULT_VERIFICATION_LABELS],
        }
    else:
        if kind == ChainKind.ADJUSTMENT and "label_category_config" in given:
            raise InvalidInput(
                fields={
                    "label_category_config": [
                        "An adjustment job uses its source job's labels; leave this out."
                    ]
                }
            )
        fields["label_category_config"] = source.label_category_config
    if "engagement" in given or "workforce" in given:
        fields.pop("engagement", None)
        fields.pop("workforce", None)
        fields.pop("teams", None)
    fields.update(given)
    fields["task_type"] = TASK_TYPES.get(kind, source.task_type)
    return fields


def _spool_input(*, source: LabelingJob, attribute: str, audited: str, kind: str):
    """The new job's input manifest from the source's output, in a spooled file, and the
    counts of lines written and skipped (objects already carrying `attribute`)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
    audits = kind != ChainKind.SAME or isinstance(task_type_get(source.task_type), AuditTaskType)
    output_type = task_type_get(source.task_type).job_output_type(job=source)
    # Uses index: data_object_line_once (job, line_number), as the output download does.
    data_objects = (
        DataObject.objects.filter(job=source, status__in=LABELED_STATUSES)
        .order_by("line_number")
        .only(*OUTPUT_OBJECT_FIELDS)
    )
    written = skipped = 0
    for data_object in data_objects.iterator(chunk_size=CHUNK_SIZE):
        line = output_line(job=source, data_object=data_object, output_type=output_type)
        if attribute in line:
            skipped += 1
            continue
        if audits and audited:
            prior = prior_label(line)
            if prior is None or prior.attribute != audited:
                spool.close()
                raise Conflict(
                    f"Line {data_object.line_number} of the source's output carries a class "
                    f'label newer than "{audited}"; it cannot be audited.',
                    code="source_label_ambiguous",
                )
        spool.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
        spool.write(b"\n")
        written += 1
    spool.seek(0)
    return spool, written, skipped


@transaction.atomic
def job_chain(*, actor: User, source_job: LabelingJob, kind: str, **given) -> ChainResult:
    """A draft job of the source's organization chained from `source_job`'s output.

    `kind`: "verification" (label-verification, verification labels "Correct" and
    "Incorrect" unless `label_category_config` names others), "adjustment"
    (label-adjustment over the source's labels) or "same" (the source's task type). The
    new job needs its own `name` and a new `label_attribute_name`; every other job setting
    is the source's unless given. Objects that already carry the new attribute are
    skipped. Bad input (InvalidInput), a source without labeled objects, or with nothing
    left once skipped (Conflict), create nothing.
    """
    member_require(actor=actor, organization_id=source_job.organization_id)
    kind = _check_kind(kind)
    fields_require_known(fields=given, allowed=CHAIN_FIELDS)
    source = LabelingJob.objects.select_related("workforce").get(pk=source_job.pk)
    audited = _audited_attribute(source=source, kind=kind)
    _check_new_attribute(given, source=source, audited=audited)
    fields = _job_fields(source=source, kind=kind, given=given)
    if source.total_labeled == 0:
        raise Conflict(
            "The source job has no labeled objects yet: there is no output to chain.",
            code="source_has_no_labels",
        )
    # The job service checks every field (the new attribute's name rules included); a
    # refusal after this point undoes the job with the transaction.
    job = job_create(actor=actor, organization=source.organization, **fields)
    spool, written, skipped = _spool_input(
        source=source, attribute=job.label_attribute_name, audited=audited, kind=kind
    )
    with spool:
        if written == 0:
            raise Conflict(
                "Every labeled object of the source already carries "
                f'"{job.label_attribute_name}": there is nothing left to label.',
                code="chain_nothing_to_label",
            )
        job.source_job = source
        job.source_label_attribute_name = audited
        job.save(update_fields=["source_job", "source_label_attribute_name", "updated_at"])
        manifest_import(actor=actor, job=job, stream=spool)
    job.refresh_from_db()
    JobEvent.objects.create(
        job=job,
        actor=actor,
        kind=EVENT_KIND,
        new_status=job.status,
        data={"source_job": source.pk, "kind": kind, "objects": written, "skipped": skipped},
    )
    return ChainResult(job=job, objects=written, skipped=skipped)
