"""Consolidation: once an object's answers are in, its label and confidence come from its
job's method and the job's current worker model (a one-object step, no job-wide work);
with dynamic overlap, an object short of the target confidence takes one more worker."""

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.inference import Answers, beta_skill, majority_vote, object_posterior, weighted_vote
from jobs.inference.dawid_skene_em import smoothed_confusions
from jobs.models import (
    HIT,
    OPEN_HIT_STATUSES,
    AssignmentStatus,
    ConsolidationMethod,
    DataObject,
    DataObjectStatus,
    HITStatus,
    JobStatus,
    JobWorker,
    LabelingJob,
)
from jobs.services.jobs import (
    ENDED_JOB_STATUSES,
    job_complete_locked,
    job_completion_reason,
    job_lock,
    lock_options,
)
from jobs.services.slots import hit_add_slot_locked
from jobs.tasktypes import task_type_get
from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import NotFound
from payments.escrow import data_object_settle_locked

# Rejected answers do not count.
COUNTED_ASSIGNMENT_STATUSES = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED)
STATUS_COUNTERS = {
    DataObjectStatus.HUMAN_LABELED: "human_labeled",
    DataObjectStatus.MACHINE_LABELED: "machine_labeled",
    DataObjectStatus.FAILED: "failed_objects",
}
# A worker the job knows nothing about yet is taken to be right 70% of the time (Toloka's
# default for dynamic overlap), with the weight of this many answers: a worker's own
# record in the job soon outweighs it.
DEFAULT_ACCURACY = 0.7
DEFAULT_ACCURACY_WEIGHT = 2.0
# Accuracies are kept off 0 and 1, so that one answer never makes a label certain.
ACCURACY_BOUNDS = (0.01, 0.99)
# The job's class priors (from its workers' confusion counts) are cached between refits;
# a refit forgets them when it writes new counts.
CLASS_PRIORS_CACHE_SECONDS = 600
WAITING_SETTLE_BATCH = 500
TIE_TOLERANCE = 1e-9


def answers_are_in(hit: HIT) -> bool:
    """Every answer the HIT will get for now is in: all its assignments are submitted, or
    it is no longer open (expired, its job ended, or its object waits for a free slot of
    the batch) and nobody holds a lease on it. A waiting object (needs_more_answers) is
    not consolidated until its wait ends (data_object_consolidate checks that)."""
    if hit.assignments_pending > 0:
        return False
    return hit.assignments_completed >= hit.max_assignments or hit.status not in OPEN_HIT_STATUSES


# The job's worker model, as the refit (jobs.services.refit) leaves it on JobWorker rows.


def worker_accuracy(*, skill: float | None, gold_correct: int, gold_answered: int) -> float:
    """A worker's accuracy in a job: the model's skill once a refit estimated it, else the
    Beta posterior mean of their gold answers around the default (the default when they
    answered no gold)."""
    if skill is not None:
        accuracy = float(skill)
    else:
        accuracy = float(
            beta_skill(
                gold_correct,
                gold_answered,
                prior_correct=DEFAULT_ACCURACY * DEFAULT_ACCURACY_WEIGHT,
                prior_wrong=(1 - DEFAULT_ACCURACY) * DEFAULT_ACCURACY_WEIGHT,
            )[0]
        )
    return min(max(accuracy, ACCURACY_BOUNDS[0]), ACCURACY_BOUNDS[1])


def default_confusion(n_labels: int, *, weight: float = DEFAULT_ACCURACY_WEIGHT) -> np.ndarray:
    """Pseudo-counts of a worker of the default accuracy: `weight` answers per true label,
    DEFAULT_ACCURACY of them right and the rest spread evenly over the other labels."""
    wrong = (1 - DEFAULT_ACCURACY) / max(n_labels - 1, 1)
    pseudo = np.full((n_labels, n_labels), wrong * weight)
    np.fill_diagonal(pseudo, DEFAULT_ACCURACY * weight)
    return pseudo


def confusion_counts(value: object, n_labels: int) -> np.ndarray | None:
    """A JobWorker.confusion value as a K x K array, or None when it is missing or does not
    fit the job's K labels."""
    if value is None:
        return None
    try:
        counts = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if counts.shape != (n_labels, n_labels) or not np.all(np.isfinite(counts)):
        return None
    return np.clip(counts, 0.0, None)


def _class_priors_key(job_id: int) -> str:
    return f"consolidation:class-priors:{job_id}"


def job_class_priors(*, job_id: int, n_labels: int) -> np.ndarray:
    """The job's class priors: its workers' confusion row sums (answers per true label)
    added up, plus one per label. Uniform before the first refit."""
    cached = cache.get(_class_priors_key(job_id))
    if cached is not None and len(cached) == n_labels:
        return np.asarray(cached, dtype=float)
    totals = np.ones(n_labels)
    rows = JobWorker.objects.filter(job_id=job_id, confusion__isnull=False).values_list(
        "confusion", flat=True
    )
    for value in rows.iterator(chunk_size=2_000):
        counts = confusion_counts(value, n_labels)
        if counts is not None:
            totals += counts.sum(axis=1)
    priors = totals / totals.sum()
    cache.set(_class_priors_key(job_id), priors.tolist(), CLASS_PRIORS_CACHE_SECONDS)
    return priors


def job_class_priors_forget(*, job_id: int) -> None:
    cache.delete(_class_priors_key(job_id))


def _dawid_skene_step(
    categories: np.ndarray, confusions: list[np.ndarray], priors: np.ndarray
) -> np.ndarray:
    """One object's posterior over the true label (the E-step of Dawid-Skene for one task):
    each worker's stored counts, smoothed as the refit's M-step smooths them (the library's
    smoothing and the default worker), give p(their answer | true label)."""
    n_labels = len(priors)
    matrices = smoothed_confusions(
        np.stack(confusions), np.repeat(default_confusion(n_labels)[None], len(confusions), 0)
    )
    # p(worker w's answer | each true label), one row per answer.
    answered = matrices[np.arange(len(confusions)), :, np.asarray(categories, dtype=np.int64)]
    log_posterior = np.log(priors) + np.log(answered).sum(axis=0)
    log_posterior -= log_posterior.max()
    posterior = np.exp(log_posterior)
    return posterior / posterior.sum()


def _one_object(categories: np.ndarray, n_labels: int) -> Answers:
    count = len(categories)
    return Answers(
        tasks=np.zeros(count, dtype=np.int64),
        workers=np.arange(count, dtype=np.int64),
        labels=np.asarray(categories, dtype=np.int64),
        n_tasks=1,
        n_workers=count,
        n_labels=n_labels,
    )


def object_infer(
    *,
    method: str,
    categories: np.ndarray,
    standings: list[dict],
    n_labels: int,
    priors: np.ndarray | None,
) -> tuple[int, float]:
    """One object's category and its posterior under `method`, from its answers'
    categories and each answering worker's standing (a dict of JobWorker values, empty for
    a worker without one). `priors` are the job's class priors (Dawid-Skene, one-coin)."""
    if method == ConsolidationMethod.MAJORITY_VOTE:
        result = majority_vote(_one_object(categories, n_labels))
        return int(result.labels[0]), float(result.confidence[0])
    accuracies = np.array([_standing_accuracy(standing) for standing in standings])
    if method == ConsolidationMethod.WEIGHTED_MAJORITY_VOTE:
        result = weighted_vote(_one_object(categories, n_labels), skills=accuracies)
        return int(result.labels[0]), float(result.confidence[0])
    if method == ConsolidationMethod.ONE_COIN_DAWID_SKENE:
        posterior = object_posterior(categories, accuracies, n_labels, priors=priors)
    else:
        empty = np.zeros((n_labels, n_labels))
        confusions = [
            _standing_confusion(standing, n_labels, accuracy, empty)
            for standing, accuracy in zip(standings, accuracies, strict=True)
        ]
        posterior = _dawid_skene_step(
            categories, confusions, priors if priors is not None else np.ones(n_labels) / n_labels
        )
    posterior = np.asarray(posterior, dtype=float)
    # Ties (within TIE_TOLERANCE) go to the category listed first, as in jobs.inference.
    category = int(np.flatnonzero(posterior >= posterior.max() - TIE_TOLERANCE)[0])
    return category, float(posterior[category])


def _standing_accuracy(standing: dict) -> float:
    return worker_accuracy(
        skill=standing.get("skill"),
        gold_correct=standing.get("gold_correct", 0),
        gold_answered=standing.get("gold_answered", 0),
    )


def _standing_confusion(
    standing: dict, n_labels: int, accuracy: float, empty: np.ndarray
) -> np.ndarray:
    """The worker's confusion counts; a worker without any (no refit yet) but with gold
    answers gets their gold record as counts on the diagonal and off it."""
    counts = confusion_counts(standing.get("confusion"), n_labels)
    if counts is not None:
        return counts
    answered = standing.get("gold_answered", 0)
    if not answered:
        return empty
    correct = standing.get("gold_correct", 0)
    wrong = (answered - correct) / max(n_labels - 1, 1) / n_labels
    counts = np.full((n_labels, n_labels), wrong)
    np.fill_diagonal(counts, correct / n_labels)
    return counts


def _standings(*, job_id: int, worker_ids: list[int]) -> list[dict]:
    """Each answering worker's JobWorker values, in the order of `worker_ids`."""
    rows = {
        row["worker_id"]: row
        for row in JobWorker.objects.filter(job_id=job_id, worker_id__in=set(worker_ids)).values(
            "worker_id", "skill", "confusion", "gold_answered", "gold_correct"
        )
    }
    return [rows.get(worker_id, {}) for worker_id in worker_ids]


def _wait_is_over(*, hit: HIT, job: LabelingJob, now) -> bool:
    """An object can no longer take workers: its job ended or its HIT expired."""
    return job.status not in (JobStatus.RUNNING, JobStatus.PAUSED) or (
        hit.status == HITStatus.DISPOSED or hit.expires_at <= now
    )


def _wants_another_worker(
    *, job: LabelingJob, hit: HIT, data_object: DataObject, categories, standings, now
) -> bool:
    """Dynamic overlap: the unlabeled object's posterior (one-coin, from the answering
    workers' accuracies) is below the job's target and it has fewer counted answers than
    the maximum, and it can still take a worker."""
    if not job.dynamic_overlap or hit.is_gold:
        return False
    if data_object.status != DataObjectStatus.UNLABELED or _wait_is_over(hit=hit, job=job, now=now):
        return False
    if len(categories) >= job.max_workers_per_object:
        return False
    accuracies = np.array([_standing_accuracy(standing) for standing in standings])
    n_labels = len(task_type_get(job.task_type).categories(labels=job.labels))
    posterior = object_posterior(np.asarray(categories), accuracies, n_labels)
    return float(np.max(posterior)) < job.target_confidence


@transaction.atomic
def data_object_consolidate(*, data_object_id: int) -> DataObject:
    """Consolidate the object's submitted and approved answers into its label, confidence
    and metadata with its job's method, and move the job's label counters; completes the
    job when nothing is left.

    Idempotent: it recomputes from the answers and the worker model, so running it again
    (or after a review changed which answers count) writes only what changed. Returned
    unchanged: an object whose answers are not all in yet, one waiting for another worker
    (dynamic overlap) while its job runs, one a model labeled, and a gold object. With no
    answer that counts, the object fails, except in a stopped job, where it stays
    unlabeled. With dynamic overlap, an unlabeled object below the target confidence
    takes one more worker instead (jobs.services.slots) and stays unlabeled.

    Lock order: the object's HIT, the object, then the job.
    """
    hit = (
        HIT.objects.select_for_update(**lock_options())
        .filter(data_object_id=data_object_id)
        .first()
    )
    try:
        data_object = (
            DataObject.objects.select_for_update(**lock_options())
            .select_related("job")
            .get(pk=data_object_id)
        )
    except DataObject.DoesNotExist:
        raise NotFound() from None
    if data_object.status == DataObjectStatus.MACHINE_LABELED or data_object.gold_question_id:
        return data_object
    if hit is None or not answers_are_in(hit):
        return data_object
    job = data_object.job
    now = timezone.now()
    if data_object.needs_more_answers and not _wait_is_over(hit=hit, job=job, now=now):
        return data_object

    rows = list(
        hit.assignments.filter(status__in=COUNTED_ASSIGNMENT_STATUSES)
        .order_by("submitted_at", "id")
        .values_list("worker_id", "answer")
    )
    if rows:
        task_type = task_type_get(job.task_type)
        answers = [answer for _, answer in rows]
        categories = np.array(
            [task_type.answer_category(answer, labels=job.labels) for answer in answers],
            dtype=np.int64,
        )
        standings = _standings(job_id=job.pk, worker_ids=[worker_id for worker_id, _ in rows])
        if _wants_another_worker(
            job=job,
            hit=hit,
            data_object=data_object,
            categories=categories,
            standings=standings,
            now=now,
        ):
            hit_add_slot_locked(hit=hit, job=job, now=now)
            data_object.refresh_from_db(fields=["needs_more_answers", "updated_at"])
            return data_object
        n_labels = len(task_type.categories(labels=job.labels))
        priors = None
        if job.consolidation_method in (
            ConsolidationMethod.DAWID_SKENE,
            ConsolidationMethod.ONE_COIN_DAWID_SKENE,
        ):
            priors = job_class_priors(job_id=job.pk, n_labels=n_labels)
        category, posterior = object_infer(
            method=job.consolidation_method,
            categories=categories,
            standings=standings,
            n_labels=n_labels,
            priors=priors,
        )
        result = task_type.consolidated(
            category=category,
            confidence=posterior,
            answers=answers,
            labels=job.labels,
            data=data_object.data,
        )
        status, label, confidence, metadata = (
            DataObjectStatus.HUMAN_LABELED,
            result.label,
            result.confidence,
            dict(result.metadata),
        )
    elif job.status == JobStatus.STOPPED:
        status, label, confidence, metadata = DataObjectStatus.UNLABELED, None, None, None
    else:
        status, label, confidence, metadata = DataObjectStatus.FAILED, None, None, None

    old_status = data_object.status
    if (
        old_status,
        data_object.label,
        data_object.confidence,
        data_object.label_metadata,
        data_object.needs_more_answers,
    ) == (status, label, confidence, metadata, False):
        return data_object
    data_object.status = status
    data_object.label = label
    data_object.confidence = confidence
    data_object.label_metadata = metadata
    data_object.needs_more_answers = False
    data_object.labeled_at = now if status == DataObjectStatus.HUMAN_LABELED else None
    data_object.save(
        update_fields=[
            "status",
            "label",
            "confidence",
            "label_metadata",
            "labeled_at",
            "needs_more_answers",
            "updated_at",
        ]
    )
    if old_status != status:
        deltas = {}
        if old_status in STATUS_COUNTERS:
            deltas[STATUS_COUNTERS[old_status]] = F(STATUS_COUNTERS[old_status]) - 1
        if status in STATUS_COUNTERS:
            deltas[STATUS_COUNTERS[status]] = F(STATUS_COUNTERS[status]) + 1
        LabelingJob.objects.filter(pk=job.pk).update(**deltas, updated_at=now)
        job = job_lock(job_id=job.pk)
        # Money: a vendor is paid for a labeled object; a finished object's unspendable
        # reservation goes back (after the job's end, the rest of its hold does).
        data_object_settle_locked(data_object=data_object, job=job)
        if status == DataObjectStatus.HUMAN_LABELED and _refit_due(
            job.human_labeled, total_objects=job.total_objects
        ):
            from jobs import tasks

            enqueue_on_commit(tasks.job_refit, job.pk)
        if job.status == JobStatus.RUNNING:
            reason = job_completion_reason(job)
            if reason is not None:
                job_complete_locked(job, reason=reason, now=now)
        data_object.job = job
    return data_object


def _refit_due(human_labeled: int, *, total_objects: int) -> bool:
    """This object's label made the job's labeled count cross a multiple of the refit
    step (each count is seen by exactly one consolidation, under the job's lock). The step
    is REFIT_EVERY_OBJECTS, or a REFIT_SHARE of the job's objects when that is more, so a
    big job is refitted about 1 / REFIT_SHARE times, not once per few hundred objects
    (every refit reads all of the job's answers)."""
    every = settings.REFIT_EVERY_OBJECTS
    if every <= 0 or human_labeled <= 0:
        return False
    step = max(every, int(total_objects * settings.REFIT_SHARE))
    return human_labeled % step == 0


def waiting_objects_settle(*, job_id: int | None = None, limit: int = WAITING_SETTLE_BATCH) -> int:
    """Label, with the answers they have, objects that waited for another worker when
    their job ended or their HIT expired (each in its own transaction). Returns how many
    it looked at; idempotent."""
    now = timezone.now()
    # Uses index: data_object_needs_more (job, id) WHERE needs_more_answers.
    waiting = DataObject.objects.filter(needs_more_answers=True)
    if job_id is not None:
        waiting = waiting.filter(job_id=job_id)
    over = waiting.filter(Q(job__status__in=ENDED_JOB_STATUSES) | Q(hit__expires_at__lte=now))
    object_ids = list(over.order_by("id").values_list("pk", flat=True)[:limit])
    for object_id in object_ids:
        try:
            data_object_consolidate(data_object_id=object_id)
        except NotFound:  # deleted meanwhile
            continue
    return len(object_ids)
