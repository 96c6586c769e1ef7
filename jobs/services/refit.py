"""Job-wide re-estimation (refit): the job's method over all its counted answers, gold
clamped and worker history as prior counts, writes back labels that moved and each
worker's model, in short chunked transactions, one refit of a job at a time."""

import hashlib
import json
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import ExpressionWrapper, F, FloatField, Sum
from django.utils import timezone

from jobs.inference import METHODS, Answers, Gold, Result, worker_agreement
from jobs.models import (
    HIT,
    Assignment,
    ConsolidationMethod,
    DataObject,
    DataObjectStatus,
    JobEvent,
    JobStatus,
    JobWorker,
    LabelingJob,
)
from jobs.services.consolidation import (
    COUNTED_ASSIGNMENT_STATUSES,
    DEFAULT_ACCURACY,
    DEFAULT_ACCURACY_WEIGHT,
    default_confusion,
    job_class_priors_forget,
    waiting_objects_settle,
)
from jobs.services.jobs import ENDED_JOB_STATUSES, lock_options
from jobs.tasktypes import task_type_get
from jobs.tasktypes.base import AnswerInvalid
from marketplace.exceptions import NotFound

REFIT_EVENT = "refit"
ANSWER_READ_CHUNK = 5_000
# Worker history (their answers in other jobs) enters Dawid-Skene as pseudo-counts worth
# at most this many answers, and never more than the worker's answers in this job.
HISTORY_MAX_PSEUDO_ANSWERS = 20
LOCK_TIMEOUT_SECONDS = 3600
# Refits asked for while one ran make it run again, at most this many times in a row.
MAX_RERUNS = 5


@dataclass(frozen=True)
class RefitOutcome:
    method: str
    answers: int
    objects: int
    workers: int
    iterations: int
    changed_labels: int
    seconds: float


@dataclass
class _JobAnswers:
    """A job's counted answers as integer codes: object ids and worker ids per answer
    (sorted distinct ids in `object_ids` / `worker_ids`), and the gold objects' expected
    categories."""

    answers: Answers
    object_ids: np.ndarray
    worker_ids: np.ndarray
    counts: np.ndarray  # counted answers per object, at the time of the read
    hit_ids: dict  # object id -> its HIT's id
    gold: Gold | None
    gold_object_ids: frozenset


def job_refit(*, job_id: int, chunk_size: int | None = None) -> RefitOutcome | None:
    """Re-estimate the job's worker model and labels from all its answers.

    One refit of a job runs at a time (a per-job lock). A refit that finds another running
    leaves at once and returns None, after asking the running one to go again when it is
    done (so the answers that arrived meanwhile, or a job's end, still get their refit).
    Also None when the job is a draft or has no answers yet. Idempotent: a second run
    changes no label and writes the same worker figures. When the job has ended, objects
    still waiting for another worker are labeled first.
    """
    chunk_size = chunk_size or settings.REFIT_CHUNK_OBJECTS
    outcome = None
    asked = False
    for _ in range(MAX_RERUNS + 1):
        with _refit_lock(job_id) as acquired:
            if acquired:
                cache.delete(_rerun_key(job_id))
                outcome = _refit(job_id=job_id, chunk_size=chunk_size)
        if acquired:
            if not cache.get(_rerun_key(job_id)):
                return outcome
            continue  # asked again while it ran
        if asked:
            return None
        cache.set(_rerun_key(job_id), 1, LOCK_TIMEOUT_SECONDS)
        asked = True  # and try once more, in case the running refit just finished
    return outcome


def _rerun_key(job_id: int) -> str:
    return f"jobs:refit-again:{job_id}"


@contextmanager
def _refit_lock(job_id: int):
    """A per-job lock held across the refit's transactions: a PostgreSQL session advisory
    lock (released when the connection ends, so a killed worker never leaves it behind),
    or a Redis key elsewhere. Yields whether it was taken."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.blake2b(f"jobs.refit:{job_id}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    name = f"jobs:refit-lock:{job_id}"
    acquired = cache.add(name, 1, LOCK_TIMEOUT_SECONDS)
    try:
        yield acquired
    finally:
        if acquired:
            cache.delete(name)


def _refit(*, job_id: int, chunk_size: int) -> RefitOutcome | None:
    started = time.monotonic()
    job = LabelingJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    if job.status == JobStatus.DRAFT:
        return None
    if job.status in ENDED_JOB_STATUSES:
        waiting_objects_settle(job_id=job.pk)
    # Objects changed after this moment were consolidated on newer answers than the read
    # below may hold: the write-back leaves them alone.
    snapshot = timezone.now()
    task_type = task_type_get(job.task_type)
    n_labels = len(task_type.categories(labels=job.labels))
    read = _answers_read(job=job, task_type=task_type, n_labels=n_labels)
    if read is None:
        return None
    options = _method_options(job=job, read=read, n_labels=n_labels)
    result = METHODS[job.consolidation_method](read.answers, gold=read.gold, **options)
    changed = _labels_write(
        job=job,
        task_type=task_type,
        read=read,
        result=result,
        snapshot=snapshot,
        chunk_size=chunk_size,
    )
    _workers_write(job=job, read=read, result=result, n_labels=n_labels, chunk_size=chunk_size)
    job_class_priors_forget(job_id=job.pk)
    outcome = RefitOutcome(
        method=job.consolidation_method,
        answers=len(read.answers.tasks),
        objects=len(read.object_ids) - len(read.gold_object_ids),
        workers=len(read.worker_ids),
        iterations=int(result.iterations),
        changed_labels=changed,
        seconds=round(time.monotonic() - started, 3),
    )
    JobEvent.objects.create(
        job=job,
        kind=REFIT_EVENT,
        old_status=job.status,
        new_status=job.status,
        data=asdict(outcome),
    )
    return outcome


def _answers_read(*, job: LabelingJob, task_type, n_labels: int) -> _JobAnswers | None:
    """Every counted answer of the job (non-gold and gold HITs) as integer arrays, read as
    plain values in chunks; gold objects' expected answers as clamped labels."""
    object_column, worker_column, label_column = [], [], []
    category = task_type.answer_category
    labels = job.labels
    # The job's HITs (its objects), then their answers a chunk of HITs at a time: each read
    # goes through an index (hit by job; assignment_once_per_worker by HIT), whatever the
    # planner's statistics say about a job that just grew.
    hits = HIT.objects.filter(job_id=job.pk).order_by("pk").values_list("pk", "data_object_id")
    chunk: dict[int, int] = {}
    hit_ids: dict[int, int] = {}
    for position, (hit_id, object_id) in enumerate(hits.iterator(chunk_size=ANSWER_READ_CHUNK)):
        chunk[hit_id] = object_id
        hit_ids[object_id] = hit_id
        if (position + 1) % ANSWER_READ_CHUNK == 0:
            _hit_answers_read(chunk, object_column, worker_column, label_column, category, labels)
            chunk = {}
    _hit_answers_read(chunk, object_column, worker_column, label_column, category, labels)
    if not object_column:
        return None
    object_ids, tasks = np.unique(np.asarray(object_column, dtype=np.int64), return_inverse=True)
    worker_ids, workers = np.unique(np.asarray(worker_column, dtype=np.int64), return_inverse=True)
    answers = Answers(
        tasks=tasks.astype(np.int64),
        workers=workers.astype(np.int64),
        labels=np.asarray(label_column, dtype=np.int64),
        n_tasks=len(object_ids),
        n_workers=len(worker_ids),
        n_labels=n_labels,
    )
    gold_tasks, gold_labels, gold_object_ids = [], [], set()
    expected = DataObject.objects.filter(job=job, gold_question__isnull=False).values_list(
        "pk", "gold_question__expected_answer"
    )
    for object_id, expected_answer in expected:
        gold_object_ids.add(object_id)
        index = int(np.searchsorted(object_ids, object_id))
        if index >= len(object_ids) or object_ids[index] != object_id:
            continue  # nobody answered it yet
        try:
            gold_label = category(
                task_type.validate_answer(expected_answer, labels=labels), labels=labels
            )
        except (AnswerInvalid, KeyError, TypeError, ValueError):
            continue  # gold that does not fit the job's labels is left out
        gold_tasks.append(index)
        gold_labels.append(gold_label)
    gold = (
        Gold(
            tasks=np.asarray(gold_tasks, dtype=np.int64),
            labels=np.asarray(gold_labels, dtype=np.int64),
        )
        if gold_tasks
        else None
    )
    return _JobAnswers(
        answers=answers,
        object_ids=object_ids,
        worker_ids=worker_ids,
        counts=np.bincount(answers.tasks, minlength=answers.n_tasks),
        hit_ids=hit_ids,
        gold=gold,
        gold_object_ids=frozenset(gold_object_ids),
    )


def _hit_answers_read(
    hit_objects: dict[int, int], objects: list, workers: list, labels: list, category, names
) -> None:
    """Append the counted answers of these HITs (HIT id -> object id) as plain values."""
    if not hit_objects:
        return
    rows = Assignment.objects.filter(
        hit_id__in=list(hit_objects), status__in=COUNTED_ASSIGNMENT_STATUSES
    ).values_list("hit_id", "worker_id", "answer")
    for hit_id, worker_id, answer in rows:
        objects.append(hit_objects[hit_id])
        workers.append(worker_id)
        labels.append(category(answer, labels=names))


def worker_history(*, job: LabelingJob, worker_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each worker's record in the job's other jobs: (accuracy, answers), the accuracy the
    mean of their per-job skills weighted by their submits there (0 answers: no record)."""
    accuracy = np.zeros(len(worker_ids))
    answered = np.zeros(len(worker_ids))
    rows = (
        JobWorker.objects.filter(
            worker_id__in=JobWorker.objects.filter(job=job).values("worker_id"),
            skill__isnull=False,
            submitted__gt=0,
        )
        .exclude(job=job)
        .values("worker_id")
        .annotate(
            answers=Sum("submitted"),
            weighted=Sum(ExpressionWrapper(F("skill") * F("submitted"), output_field=FloatField())),
        )
        .values_list("worker_id", "answers", "weighted")
    )
    for worker_id, answers, weighted in rows:
        index = int(np.searchsorted(worker_ids, worker_id))
        if index < len(worker_ids) and worker_ids[index] == worker_id and answers:
            answered[index] = answers
            accuracy[index] = weighted / answers
    return np.clip(accuracy, 0.0, 1.0), answered


def _method_options(*, job: LabelingJob, read: _JobAnswers, n_labels: int) -> dict:
    """Prior counts for the Dawid-Skene methods, per worker (on top of the library's own
    smoothing): the default worker (DEFAULT_ACCURACY, worth DEFAULT_ACCURACY_WEIGHT answers
    per true label), which the one-object step assumes too, plus the
    worker's history: their accuracy in other jobs, worth min(their answers there,
    HISTORY_MAX_PSEUDO_ANSWERS, their answers in this job) answers, so that this job's own
    evidence always weighs at least as much as the history."""
    method = job.consolidation_method
    if method not in (ConsolidationMethod.DAWID_SKENE, ConsolidationMethod.ONE_COIN_DAWID_SKENE):
        return {}
    accuracy, answered = worker_history(job=job, worker_ids=read.worker_ids)
    here = np.bincount(read.answers.workers, minlength=read.answers.n_workers)
    weight = np.minimum(np.minimum(answered, HISTORY_MAX_PSEUDO_ANSWERS), here).astype(float)
    if method == ConsolidationMethod.ONE_COIN_DAWID_SKENE:
        default = n_labels * DEFAULT_ACCURACY_WEIGHT
        return {
            "prior_counts": np.stack(
                [accuracy * weight + DEFAULT_ACCURACY * default, weight + default], axis=1
            )
        }
    # History spread over the K true-label rows: the diagonal holds the right answers, the
    # rest are spread evenly over the other labels.
    per_row = weight / n_labels
    wrong = (1 - accuracy) * per_row / max(n_labels - 1, 1)
    prior = np.repeat(wrong[:, None, None], n_labels, axis=1).repeat(n_labels, axis=2)
    diagonal = np.arange(n_labels)
    prior[:, diagonal, diagonal] = (accuracy * per_row)[:, None]
    return {"prior_confusion": prior + default_confusion(n_labels)[None, :, :]}


def _chunks(values, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _labels_write(
    *,
    job: LabelingJob,
    task_type,
    read: _JobAnswers,
    result: Result,
    snapshot,
    chunk_size: int,
) -> int:
    """Write each labeled object's new label, confidence and metadata where they changed,
    one transaction per chunk of objects. Left alone: objects changed since the read
    (updated_at after `snapshot`) or whose counted answers changed since (their own
    consolidation follows the change). Status and the job's counters never move here."""
    candidates = [
        (int(object_id), index)
        for index, object_id in enumerate(read.object_ids)
        if int(object_id) not in read.gold_object_ids and result.labels[index] >= 0
    ]
    changed_total = 0
    for chunk in _chunks(candidates, chunk_size):
        index_of = dict(chunk)
        with transaction.atomic():
            objects = list(
                DataObject.objects.select_for_update(**lock_options())
                .filter(
                    pk__in=list(index_of),
                    status=DataObjectStatus.HUMAN_LABELED,
                    gold_question__isnull=True,
                    updated_at__lte=snapshot,
                )
                .order_by("pk")
                .only("pk", "data", "label", "label_metadata", "confidence", "updated_at")
            )
            if not objects:
                continue
            object_of_hit = {
                read.hit_ids[data_object.pk]: data_object.pk for data_object in objects
            }
            answers = defaultdict(list)
            for hit_id, answer in (
                Assignment.objects.filter(
                    hit_id__in=list(object_of_hit), status__in=COUNTED_ASSIGNMENT_STATUSES
                )
                .order_by("submitted_at", "id")
                .values_list("hit_id", "answer")
            ):
                answers[object_of_hit[hit_id]].append(answer)
            now = timezone.now()
            changed = []
            for data_object in objects:
                index = index_of[data_object.pk]
                object_answers = answers[data_object.pk]
                if len(object_answers) != read.counts[index]:
                    continue
                consolidated = task_type.consolidated(
                    category=int(result.labels[index]),
                    confidence=float(result.confidence[index]),
                    answers=object_answers,
                    labels=job.labels,
                    data=data_object.data,
                )
                new = (consolidated.label, consolidated.confidence, dict(consolidated.metadata))
                if new == (data_object.label, data_object.confidence, data_object.label_metadata):
                    continue
                data_object.label, data_object.confidence, data_object.label_metadata = new
                data_object.updated_at = now
                changed.append(data_object)
            rows_update(DataObject, changed, ["label", "confidence", "label_metadata"], now=now)
            changed_total += len(changed)
    return changed_total


SQL_TYPES = {"JSONField": "jsonb", "FloatField": "double precision"}


def rows_update(model, instances: list, fields: list[str], *, now) -> None:
    """Write `fields` (and updated_at = now) of many rows in one statement. On PostgreSQL an
    UPDATE ... FROM unnest(arrays), linear in the rows (bulk_update's CASE per field grows
    with rows x rows); elsewhere bulk_update."""
    if not instances:
        return
    if connection.vendor != "postgresql":
        for instance in instances:
            instance.updated_at = now
        model.objects.bulk_update(instances, [*fields, "updated_at"])
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns, arrays, params = [], [], []
    for name in fields:
        field = model._meta.get_field(name)
        sql_type = SQL_TYPES.get(field.get_internal_type(), "bigint")
        column = connection.ops.quote_name(field.column)
        if sql_type == "jsonb":
            values = [
                None if getattr(instance, name) is None else json.dumps(getattr(instance, name))
                for instance in instances
            ]
            arrays.append("unnest(%s::text[])::jsonb")
        else:
            values = [getattr(instance, name) for instance in instances]
            arrays.append(f"unnest(%s::{sql_type}[])")
        columns.append(column)
        params.append(values)
    assignments = ", ".join(f"{column} = new.{column}" for column in columns)
    selects = ", ".join(
        f"{array} AS {column}" for array, column in zip(arrays, columns, strict=True)
    )
    # Only quoted names from the model's own metadata go into the text; values are bound.
    sql = (
        f"UPDATE {table} SET {assignments}, updated_at = %s "  # noqa: S608
        f"FROM (SELECT unnest(%s::bigint[]) AS id, {selects}) AS new "
        f"WHERE {table}.id = new.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, [instance.pk for instance in instances], *params])


def confusion_soft_counts(answers: Answers, posteriors: np.ndarray) -> np.ndarray:
    """(n_workers, K, K) expected counts: true label (row, by the posterior of each answered
    object) x answered label (column)."""
    n_labels = answers.n_labels
    cell = answers.workers * n_labels + answers.labels
    counts = np.stack(
        [
            np.bincount(
                cell,
                weights=posteriors[answers.tasks, true],
                minlength=answers.n_workers * n_labels,
            )
            for true in range(n_labels)
        ],
        axis=1,
    )  # (n_workers * K answered, K true)
    return counts.reshape(answers.n_workers, n_labels, n_labels).transpose(0, 2, 1)


def _workers_write(
    *, job: LabelingJob, read: _JobAnswers, result: Result, n_labels: int, chunk_size: int
) -> None:
    """Each answering worker's skill, confusion counts and agreement with the refit's
    labels (gold objects left out: gold is scored on its own) on their JobWorker row."""
    counts = confusion_soft_counts(read.answers, np.asarray(result.posteriors, dtype=float))
    reference = np.asarray(result.labels, dtype=np.int64).copy()
    gold_indices = [
        index
        for index, object_id in enumerate(read.object_ids)
        if int(object_id) in read.gold_object_ids
    ]
    reference[gold_indices] = -1
    answered, matched = worker_agreement(read.answers, reference)
    index_of = {int(worker_id): index for index, worker_id in enumerate(read.worker_ids)}
    standing_ids = sorted(
        JobWorker.objects.filter(job=job, worker_id__in=list(index_of)).values_list("pk", flat=True)
    )
    fields = ["skill", "confusion", "agreement_answered", "agreement_matched"]
    for chunk in _chunks(standing_ids, chunk_size):
        with transaction.atomic():
            standings = list(
                JobWorker.objects.select_for_update(**lock_options())
                .filter(pk__in=chunk)
                .order_by("pk")
                .only("pk", "worker_id", *fields)
            )
            now = timezone.now()
            changed = []
            for standing in standings:
                index = index_of[standing.worker_id]
                new = (
                    round(float(np.clip(result.skills[index], 0.0, 1.0)), 6),
                    np.round(counts[index], 3).tolist(),
                    int(answered[index]),
                    int(min(matched[index], answered[index])),
                )
                if new == tuple(getattr(standing, name) for name in fields):
                    continue
                for name, value in zip(fields, new, strict=True):
                    setattr(standing, name, value)
                standing.updated_at = now
                changed.append(standing)
            rows_update(JobWorker, changed, fields, now=now)
