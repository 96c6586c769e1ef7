"""A job's quality report for its requester: agreement metrics over the job, per label and
per worker (accuracy against the consensus and against gold, skill with its interval),
computed on demand from the answers and cached for a minute."""

import math
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from jobs.inference import (
    Answers,
    fleiss_kappa,
    krippendorff_alpha,
    per_label_agreement,
    percent_agreement,
    worker_agreement,
)
from jobs.models import (
    Assignment,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    LabelingJob,
)
from jobs.services.skill import job_worker_skills
from jobs.tasktypes import task_type_get
from workforce.models import WorkerProfile

# Rejected answers do not count, as in consolidation.
COUNTED_STATUSES = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
# Invalidated by timeout only: a report is at most this old.
CACHE_SECONDS = 60
# The job page shows this many of the most and of the least skilled workers.
PAGE_WORKERS = 5
NO_REFERENCE = -1


def quality_report_cache_key(job_id: int) -> str:
    return f"jobs:quality-report:{job_id}"


@dataclass(frozen=True)
class JobAnswers:
    """A job's counted answers on its own (non-gold) objects, integer coded: `answers` for
    jobs.inference, with the object and worker row id behind each task and worker index,
    and each task's consolidated category (or -1) in `reference`."""

    answers: Answers
    object_ids: np.ndarray
    worker_ids: np.ndarray
    reference: np.ndarray
    categories: list[str]
    labeled_categories: np.ndarray  # the category of every labeled object, answered or not


def _category_or_none(task_type, answer, labels) -> int | None:
    try:
        return task_type.answer_category(answer, labels=labels)
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def job_answers(*, job: LabelingJob) -> JobAnswers:
    """Read the job's answers and its objects' labels in two queries into numpy arrays.
    Raises NotImplementedError when the task type has no categorical coding."""
    task_type = task_type_get(job.task_type)
    labels = list(job.labels)
    categories = task_type.categories(labels=labels)
    rows = (
        Assignment.objects.filter(hit__job=job, hit__is_gold=False, status__in=COUNTED_STATUSES)
        .order_by()
        .values_list("hit__data_object_id", "worker_id", "answer")
    )
    objects, workers, coded = [], [], []
    for object_id, worker_id, answer in rows.iterator(chunk_size=5000):
        category = _category_or_none(task_type, answer or {}, labels)
        if category is not None:
            objects.append(object_id)
            workers.append(worker_id)
            coded.append(category)
    object_ids, tasks = np.unique(np.asarray(objects, dtype=np.int64), return_inverse=True)
    worker_ids, worker_index = np.unique(np.asarray(workers, dtype=np.int64), return_inverse=True)
    answers = Answers(
        tasks=tasks.astype(np.int64),
        workers=worker_index.astype(np.int64),
        labels=np.asarray(coded, dtype=np.int64),
        n_tasks=int(object_ids.size),
        n_workers=int(worker_ids.size),
        n_labels=len(categories),
    )

    labeled = DataObject.objects.filter(
        job=job, gold_question__isnull=True, status=DataObjectStatus.HUMAN_LABELED
    ).values_list("pk", "label", "label_metadata")
    labeled_ids, labeled_categories = [], []
    for object_id, label, metadata in labeled.iterator(chunk_size=5000):
        try:
            as_answer = task_type.consolidated_answer(label=label, metadata=metadata or {})
        except (KeyError, ValueError, TypeError):
            continue
        category = _category_or_none(task_type, as_answer, labels)
        if category is not None:
            labeled_ids.append(object_id)
            labeled_categories.append(category)
    labeled_ids = np.asarray(labeled_ids, dtype=np.int64)
    labeled_categories = np.asarray(labeled_categories, dtype=np.int64)
    reference = np.full(object_ids.size, NO_REFERENCE, dtype=np.int64)
    if object_ids.size and labeled_ids.size:
        position = np.searchsorted(object_ids, labeled_ids)
        position = np.minimum(position, object_ids.size - 1)
        found = object_ids[position] == labeled_ids
        reference[position[found]] = labeled_categories[found]
    return JobAnswers(
        answers=answers,
        object_ids=object_ids,
        worker_ids=worker_ids,
        reference=reference,
        categories=categories,
        labeled_categories=labeled_categories,
    )


def _number(value) -> float | None:
    """A JSON-safe float: None for NaN (a metric with nothing to measure)."""
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _gold_from_assignments(*, job: LabelingJob) -> dict[int, tuple[int, int]]:
    """(answered, correct) per worker id from the job's scored gold answers: the stand-in
    while a worker's JobWorker gold counters are still zero."""
    rows = (
        Assignment.objects.filter(
            hit__job=job,
            hit__is_gold=True,
            status__in=COUNTED_STATUSES,
            gold_correct__isnull=False,
        )
        .values("worker_id")
        .annotate(answered=Count("pk"), correct=Count("pk", filter=Q(gold_correct=True)))
        .order_by()
        .values_list("worker_id", "answered", "correct")
    )
    return {worker_id: (answered, correct) for worker_id, answered, correct in rows}


def _job_metrics(data: JobAnswers) -> dict:
    answers = data.answers
    per_task = np.bincount(answers.tasks, minlength=answers.n_tasks)
    measurable = int(np.count_nonzero(per_task >= 2))
    if measurable:
        kappa = _number(fleiss_kappa(answers))
        alpha = _number(krippendorff_alpha(answers))
        agreement = _number(percent_agreement(answers))
        per_label = [_number(value) for value in per_label_agreement(answers)]
    else:
        kappa = alpha = agreement = None
        per_label = [None] * answers.n_labels
    return {
        "answers": int(answers.labels.size),
        "objects": answers.n_tasks,
        "objects_with_several_answers": measurable,
        "workers": answers.n_workers,
        "labeled_objects": int(data.labeled_categories.size),
        "fleiss_kappa": kappa,
        "krippendorff_alpha": alpha,
        "percent_agreement": agreement,
        "per_label_kappa": per_label,
    }


def _label_rows(data: JobAnswers, per_label_kappa: list) -> list[dict]:
    size = len(data.categories)
    consolidated = np.bincount(data.labeled_categories, minlength=size)
    answered = np.bincount(data.answers.labels, minlength=size)
    labeled_total = int(data.labeled_categories.size)
    answers_total = int(data.answers.labels.size)
    return [
        {
            "label": name,
            "consolidated": int(consolidated[index]),
            "share": _share(int(consolidated[index]), labeled_total),
            "answers": int(answered[index]),
            "answer_share": _share(int(answered[index]), answers_total),
            "kappa": per_label_kappa[index],
        }
        for index, name in enumerate(data.categories)
    ]


def _worker_rows(*, job: LabelingJob, data: JobAnswers) -> list[dict]:
    answers = data.answers
    per_worker = np.bincount(answers.workers, minlength=answers.n_workers)
    if answers.n_tasks:
        consensus_answered, consensus_matched = worker_agreement(answers, data.reference)
    else:
        consensus_answered = consensus_matched = np.zeros(0, dtype=np.int64)
    consensus = {
        int(worker_id): (int(consensus_answered[index]), int(consensus_matched[index]))
        for index, worker_id in enumerate(data.worker_ids)
    }
    answer_counts = {
        int(worker_id): int(per_worker[index]) for index, worker_id in enumerate(data.worker_ids)
    }
    skills = job_worker_skills(
        job_id=job.pk,
        agreement_counts=consensus,
        gold_counts=_gold_from_assignments(job=job),
    )
    worker_ids = sorted(skills)
    public_ids = dict(
        WorkerProfile.objects.filter(pk__in=worker_ids).values_list("pk", "worker_id")
    )
    rows = []
    for worker_id in worker_ids:
        skill = skills[worker_id]
        answered, matched = consensus.get(worker_id, (0, 0))
        rows.append(
            {
                "worker_id": public_ids.get(worker_id, ""),
                "answers": answer_counts.get(worker_id, 0),
                "consensus_answered": answered,
                "consensus_matched": matched,
                "consensus_accuracy": _share(matched, answered),
                "gold_answered": skill.gold.total,
                "gold_correct": skill.gold.correct,
                "gold_accuracy": _share(skill.gold.correct, skill.gold.total),
                "skill": skill.as_dict(),
            }
        )
    rows.sort(key=lambda row: (-row["answers"], row["worker_id"]))
    return rows


def _top_and_bottom(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The most skilled workers by the lower bound of their interval (sure to be good),
    and the least skilled of the others by its upper bound (sure to be weak); only
    workers with evidence, at most PAGE_WORKERS each, the top taking at most half."""
    judged = [row for row in rows if row["skill"]["combined"]["total"] > 0]
    size = min(PAGE_WORKERS, (len(judged) + 1) // 2)
    top = sorted(judged, key=lambda row: -row["skill"]["combined"]["low"])[:size]
    shown = {row["worker_id"] for row in top}
    rest = [row for row in judged if row["worker_id"] not in shown]
    bottom = sorted(rest, key=lambda row: row["skill"]["combined"]["high"])[:PAGE_WORKERS]
    return top, bottom


def quality_report_compute(*, job: LabelingJob) -> dict:
    """The report, computed now (use job_quality_report for the cached one)."""
    report = {"job": job.pk, "computed_at": timezone.now().isoformat()}
    try:
        data = job_answers(job=job)
    except NotImplementedError:
        report.update(is_supported=False, labels=[], worker_rows=[], top=[], bottom=[])
        return report
    metrics = _job_metrics(data)
    per_label_kappa = metrics.pop("per_label_kappa")
    workers = _worker_rows(job=job, data=data)
    top, bottom = _top_and_bottom(workers)
    report.update(
        is_supported=True,
        **metrics,
        labels=_label_rows(data, per_label_kappa),
        worker_rows=workers,
        top=top,
        bottom=bottom,
    )
    return report


def job_quality_report(*, job: LabelingJob) -> dict:
    """The job's report, from the cache when it is at most CACHE_SECONDS old. The caller
    has checked access (jobs.selectors.job_access)."""
    key = quality_report_cache_key(job.pk)
    report = cache.get(key)
    if report is None:
        report = quality_report_compute(job=job)
        cache.set(key, report, CACHE_SECONDS)
    return report
