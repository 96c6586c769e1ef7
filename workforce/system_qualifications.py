"""The platform's system qualifications, kept current: Worker_PercentAssignmentsApproved
and Worker_NumberHITsApproved from reviewed work, Worker_Locale and Worker_Adult from the
worker's profile, Masters from the accuracy of their answers (agreement and gold), and
Top workers from their skill across jobs. Recomputed from the rows each time, so running
twice is harmless."""

import math
from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, DataObjectStatus, JobWorker
from jobs.services.skill import cross_job_skills
from jobs.tasktypes import REGISTRY
from workforce.models import Qualification, QualificationStatus, SystemQualification, WorkerProfile
from workforce.qualifications import qualification_set, system_qualification_type

# A worker with no reviewed work yet counts as fully approved, as on Mechanical Turk.
NO_REVIEWS_PERCENT = 100


def approval_figures(*, worker_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(percent approved, number approved) per worker id, over their reviewed assignments."""
    counts = (
        Assignment.objects.filter(worker_id__in=worker_ids)
        .values("worker_id")
        .annotate(
            approved=Count("pk", filter=Q(status=AssignmentStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=AssignmentStatus.REJECTED)),
        )
    )
    figures = {worker_id: (NO_REVIEWS_PERCENT, 0) for worker_id in worker_ids}
    for row in counts:
        reviewed = row["approved"] + row["rejected"]
        percent = row["approved"] * 100 // reviewed if reviewed else NO_REVIEWS_PERCENT
        figures[row["worker_id"]] = (percent, row["approved"])
    return figures


@transaction.atomic
def approval_qualifications_refresh(*, worker_ids: list[int]) -> int:
    """Set the two approval qualifications of the workers from their rows, in one
    statement per type. Returns how many workers were updated."""
    figures = approval_figures(worker_ids=worker_ids)
    if not figures:
        return 0
    now = timezone.now()
    for kind, index in (
        (SystemQualification.PERCENT_ASSIGNMENTS_APPROVED, 0),
        (SystemQualification.NUMBER_HITS_APPROVED, 1),
    ):
        qualification_type = system_qualification_type(kind)
        Qualification.objects.bulk_create(
            [
                Qualification(
                    qualification_type=qualification_type,
                    worker_id=worker_id,
                    integer_value=values[index],
                    status=QualificationStatus.GRANTED,
                    granted_at=now,
                )
                for worker_id, values in figures.items()
            ],
            update_conflicts=True,
            unique_fields=["worker", "qualification_type"],
            update_fields=["integer_value", "status", "updated_at"],
        )
    return len(figures)


def approval_qualifications_refresh_since(*, since: datetime) -> int:
    """For the workers with an assignment approved or rejected since `since` (the beat
    task passes a window that overlaps the last run's)."""
    workers = (
        Assignment.objects.filter(Q(approved_at__gte=since) | Q(rejected_at__gte=since))
        .values_list("worker_id", flat=True)
        .distinct()
    )
    return approval_qualifications_refresh(worker_ids=list(workers))


@transaction.atomic
def profile_qualifications_sync(*, worker: WorkerProfile) -> None:
    """Worker_Locale from the profile's country (revoked without one), Worker_Adult from
    the worker's own statement, and the approval figures a new worker starts with."""
    locale_type = system_qualification_type(SystemQualification.LOCALE)
    if worker.country:
        qualification_set(
            qualification_type=locale_type, worker=worker, locale_country=worker.country
        )
    else:
        Qualification.objects.filter(qualification_type=locale_type, worker=worker).update(
            status=QualificationStatus.REVOKED,
            revoke_reason="Your profile names no country.",
            updated_at=timezone.now(),
        )
    qualification_set(
        qualification_type=system_qualification_type(SystemQualification.ADULT),
        worker=worker,
        integer_value=1 if worker.is_adult else 0,
    )
    if not Qualification.objects.filter(
        worker=worker,
        qualification_type__type_id=SystemQualification.PERCENT_ASSIGNMENTS_APPROVED,
    ).exists():
        approval_qualifications_refresh(worker_ids=[worker.pk])


# Masters, the top workers: judged on their latest judged answers, an answer to an object
# that several workers labeled by agreement with the consolidated label, an answer to a gold
# question by its gold score. Granted at 95% over at least 50 such answers, kept down to 90%
# so that a worker near the line does not flap in and out; the value is the accuracy in
# percent.
MASTERS_WINDOW = 1000
MASTERS_MIN_JUDGED = 50
MASTERS_GRANT_PERCENT = 95
MASTERS_KEEP_PERCENT = 90


def accuracy_figures(*, worker_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(answers judged right, answers judged) per worker id, over each worker's latest
    MASTERS_WINDOW submitted or approved answers that can be judged: answers to objects
    labeled by people from two or more answers (right when they agree with the consolidated
    label) and scored answers to gold questions (right when they matched the gold answer)."""
    consolidated = Q(
        hit__is_gold=False,
        hit__data_object__status=DataObjectStatus.HUMAN_LABELED,
        hit__assignments_completed__gte=2,
    )
    scored_gold = Q(hit__is_gold=True, gold_correct__isnull=False)
    latest = (
        Assignment.objects.filter(
            consolidated | scored_gold,
            worker_id__in=worker_ids,
            status__in=(AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED),
        )
        .annotate(
            recency=Window(
                RowNumber(), partition_by=[F("worker_id")], order_by=F("submitted_at").desc()
            )
        )
        .filter(recency__lte=MASTERS_WINDOW)
        .values_list(
            "worker_id",
            "answer",
            "hit__job__task_type",
            "hit__data_object__label",
            "hit__data_object__label_metadata",
            "hit__is_gold",
            "gold_correct",
        )
    )
    figures: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for worker_id, answer, task_type_key, label, metadata, is_gold, gold_correct in latest.iterator(
        chunk_size=2000
    ):
        if is_gold:
            figures[worker_id][0] += bool(gold_correct)
            figures[worker_id][1] += 1
            continue
        task_type = REGISTRY.get(task_type_key)
        if task_type is None:
            continue
        expected = task_type.consolidated_answer(label=label, metadata=metadata or {})
        figures[worker_id][0] += task_type.answers_match(answer or {}, expected)
        figures[worker_id][1] += 1
    return {worker_id: (figures[worker_id][0], figures[worker_id][1]) for worker_id in worker_ids}


@transaction.atomic
def masters_qualifications_refresh(*, worker_ids: list[int]) -> int:
    """Grant, update or revoke the workers' Masters qualification from their accuracy.
    Returns how many workers hold it afterwards."""
    masters = system_qualification_type(SystemQualification.MASTERS)
    held = {
        qualification.worker_id: qualification
        for qualification in Qualification.objects.select_for_update().filter(
            qualification_type=masters, worker_id__in=worker_ids
        )
    }
    profiles = WorkerProfile.objects.in_bulk(worker_ids)
    holders = 0
    for worker_id, (agreeing, judged) in accuracy_figures(worker_ids=worker_ids).items():
        percent = agreeing * 100 // judged if judged else 0
        current = held.get(worker_id)
        holds = current is not None and current.status == QualificationStatus.GRANTED
        needed = MASTERS_KEEP_PERCENT if holds else MASTERS_GRANT_PERCENT
        if judged >= MASTERS_MIN_JUDGED and percent >= needed:
            holders += 1
            if not holds or current.integer_value != percent:
                qualification_set(
                    qualification_type=masters, worker=profiles[worker_id], integer_value=percent
                )
        elif holds:
            current.status = QualificationStatus.REVOKED
            current.integer_value = percent
            current.revoke_reason = (
                f"Your accuracy over your latest judged answers fell to {percent}%; "
                f"Masters is kept from {MASTERS_KEEP_PERCENT}% and granted again from "
                f"{MASTERS_GRANT_PERCENT}%."
            )
            current.save(update_fields=["status", "integer_value", "revoke_reason", "updated_at"])
    return holders


def masters_qualifications_refresh_since(*, since: datetime) -> int:
    """For the workers with an answer to an object consolidated since `since`, or an
    answer to a gold question submitted since then (scored right after its submit)."""
    workers = (
        Assignment.objects.filter(
            Q(hit__data_object__labeled_at__gte=since)
            | Q(hit__is_gold=True, submitted_at__gte=since)
        )
        .values_list("worker_id", flat=True)
        .distinct()
    )
    return masters_qualifications_refresh(worker_ids=list(workers))


# Top workers: the worker's skill across jobs (jobs.services.skill: the gold posterior when
# they answered gold, else agreement with consolidated labels), valued at the lower bound of
# its 95% interval in percent, so a few lucky answers do not make a top worker. Granted from
# TOP_WORKERS_GRANT_PERCENT over at least TOP_WORKERS_MIN_JUDGED judged answers and kept
# down to TOP_WORKERS_KEEP_PERCENT; requesters require it with a comparator (e.g. >= 90).
TOP_WORKERS_MIN_JUDGED = 20
TOP_WORKERS_GRANT_PERCENT = 80
TOP_WORKERS_KEEP_PERCENT = 75
TOP_WORKERS_BATCH = 1000


def top_workers_figures(*, worker_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(value in percent, judged answers) per worker id from their cross-job skill."""
    return {
        worker_id: (math.floor(skill.combined.low * 100 + 1e-9), skill.combined.total)
        for worker_id, skill in cross_job_skills(worker_ids=worker_ids).items()
    }


@transaction.atomic
def top_workers_qualifications_refresh(*, worker_ids: list[int]) -> int:
    """Grant, update or revoke the workers' Top workers qualification from their cross-job
    skill. Returns how many of them hold it afterwards."""
    top_workers = system_qualification_type(SystemQualification.TOP_WORKERS)
    held = {
        qualification.worker_id: qualification
        for qualification in Qualification.objects.select_for_update().filter(
            qualification_type=top_workers, worker_id__in=worker_ids
        )
    }
    profiles = WorkerProfile.objects.in_bulk(worker_ids)
    holders = 0
    for worker_id, (percent, judged) in top_workers_figures(worker_ids=worker_ids).items():
        if worker_id not in profiles:
            continue
        current = held.get(worker_id)
        holds = current is not None and current.status == QualificationStatus.GRANTED
        needed = TOP_WORKERS_KEEP_PERCENT if holds else TOP_WORKERS_GRANT_PERCENT
        if judged >= TOP_WORKERS_MIN_JUDGED and percent >= needed:
            holders += 1
            if not holds or current.integer_value != percent:
                qualification_set(
                    qualification_type=top_workers,
                    worker=profiles[worker_id],
                    integer_value=percent,
                )
        elif holds:
            current.status = QualificationStatus.REVOKED
            current.integer_value = percent
            current.revoke_reason = (
                f"Your skill across jobs fell to {percent}% (the lower end of its 95% "
                f"interval); Top workers is kept from {TOP_WORKERS_KEEP_PERCENT}% and granted "
                f"again from {TOP_WORKERS_GRANT_PERCENT}%."
            )
            current.save(update_fields=["status", "integer_value", "revoke_reason", "updated_at"])
    return holders


def top_workers_qualifications_refresh_since(*, since: datetime) -> int:
    """For the workers whose skill counters may have moved since `since`: their job
    standing changed (a submit moves its updated_at; gold is scored right after), or an
    object they answered was consolidated (the refit moves agreement)."""
    workers = set(
        JobWorker.objects.filter(updated_at__gte=since).values_list("worker_id", flat=True)
    )
    workers.update(
        Assignment.objects.filter(hit__data_object__labeled_at__gte=since)
        .values_list("worker_id", flat=True)
        .distinct()
    )
    return top_workers_qualifications_refresh(worker_ids=sorted(workers))


def top_workers_qualifications_refresh_all() -> int:
    """Every worker with a job standing, or holding the qualification, in batches of
    TOP_WORKERS_BATCH (one transaction each). Returns how many hold it afterwards."""
    workers = set(JobWorker.objects.values_list("worker_id", flat=True).distinct())
    workers.update(
        Qualification.objects.filter(
            qualification_type__type_id=SystemQualification.TOP_WORKERS
        ).values_list("worker_id", flat=True)
    )
    ordered = sorted(workers)
    return sum(
        top_workers_qualifications_refresh(worker_ids=ordered[start : start + TOP_WORKERS_BATCH])
        for start in range(0, len(ordered), TOP_WORKERS_BATCH)
    )
