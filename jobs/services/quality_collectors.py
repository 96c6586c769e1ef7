"""Quality rules' collectors: one worker's figure in one job (gold accuracy, agreement with
the majority, fast responses, returns in a row, submissions in the last 24 hours), each from
one query over the worker's assignments in the job, and whether a rule's condition holds."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from jobs.models import (
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    DataObjectStatus,
    LabelingJob,
    QualityRule,
    RuleCollector,
    RuleOperator,
)
from jobs.tasktypes import task_type_get

# The evidence names at most this many assignments (the newest) behind a figure.
EVIDENCE_IDS_MAX = 50
ENDED_STATUSES = (AssignmentStatus.RETURNED, AssignmentStatus.ABANDONED, AssignmentStatus.EXPIRED)
OPERATORS = {
    RuleOperator.LT: lambda figure, value: figure < value,
    RuleOperator.LTE: lambda figure, value: figure <= value,
    RuleOperator.GT: lambda figure, value: figure > value,
    RuleOperator.GTE: lambda figure, value: figure >= value,
}


@dataclass
class Figures:
    """One collector's reading of one worker: `figure` (None when nothing backs it yet),
    the `count` of answers behind it, and what the evidence shows."""

    figure: float | None
    count: int
    details: dict = field(default_factory=dict)
    evidence_ids: QuerySet | None = None  # read only when the rule acts

    def evidence(self, *, rule: QualityRule) -> dict:
        ids = []
        if self.evidence_ids is not None:
            ids = list(self.evidence_ids.values_list("assignment_id", flat=True)[:EVIDENCE_IDS_MAX])
        return {
            "collector": rule.collector,
            "params": rule.params,
            "condition": {"operator": rule.operator, "value": rule.value},
            "min_answers": rule.min_answers,
            "figure": self.figure,
            "count": self.count,
            **self.details,
            "assignment_ids": ids,
        }


def _worker_assignments(*, job_id: int, worker_id: int) -> QuerySet[Assignment]:
    # Uses index: assignment_worker_recent (worker, -created_at), then the HIT's job.
    return Assignment.objects.filter(worker_id=worker_id, hit__job_id=job_id).order_by()


def _latest(queryset: QuerySet[Assignment], history_size: int | None) -> QuerySet[Assignment]:
    """The worker's latest `history_size` answers of `queryset` (all without a size)."""
    if history_size is None:
        return queryset
    latest = queryset.order_by("-submitted_at", "-id").values("pk")[:history_size]
    return Assignment.objects.filter(pk__in=latest)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _gold_accuracy(*, job: LabelingJob, worker_id: int, params: dict, now: datetime) -> Figures:
    scored = _latest(
        _worker_assignments(job_id=job.pk, worker_id=worker_id).filter(gold_correct__isnull=False),
        params.get("history_size"),
    )
    totals = scored.aggregate(count=Count("pk"), correct=Count("pk", filter=Q(gold_correct=True)))
    return Figures(
        figure=_rate(totals["correct"], totals["count"]),
        count=totals["count"],
        details={"correct": totals["correct"]},
        evidence_ids=scored.order_by("-submitted_at", "-id"),
    )


def _majority_agreement(
    *, job: LabelingJob, worker_id: int, params: dict, now: datetime
) -> Figures:
    """The worker's answers on objects with a consolidated label (from people), judged
    against that label by the task type's own comparison: one query for the pairs."""
    answered = _latest(
        _worker_assignments(job_id=job.pk, worker_id=worker_id).filter(
            status__in=SUBMITTED_ASSIGNMENT_STATUSES,
            hit__is_gold=False,
            hit__data_object__status=DataObjectStatus.HUMAN_LABELED,
        ),
        params.get("history_size"),
    )
    task_type = task_type_get(job.task_type)
    rows = answered.order_by("-submitted_at", "-id").values_list(
        "assignment_id", "answer", "hit__data_object__label", "hit__data_object__label_metadata"
    )
    matched, disagreed = 0, []
    count = 0
    for assignment_id, answer, label, metadata in rows:
        count += 1
        consensus = task_type.consolidated_answer(label=label, metadata=metadata or {})
        if task_type.answers_match(answer or {}, consensus):
            matched += 1
        elif len(disagreed) < EVIDENCE_IDS_MAX:
            disagreed.append(assignment_id)
    return Figures(
        figure=_rate(matched, count),
        count=count,
        details={"matched": matched, "disagreed_assignment_ids": disagreed},
        evidence_ids=answered.order_by("-submitted_at", "-id"),
    )


def _fast_condition(threshold: float) -> Q:
    """A submit faster than `threshold` seconds: by its active seconds when the worker's
    page gave them, else by the time from accept to submit."""
    return Q(active_seconds__isnull=False, active_seconds__lt=threshold) | Q(
        active_seconds__isnull=True,
        submitted_at__lt=F("accepted_at") + timedelta(seconds=threshold),
    )


def _fast_responses(*, job: LabelingJob, worker_id: int, params: dict, now: datetime) -> Figures:
    threshold = params["threshold_seconds"]
    submitted = _latest(
        _worker_assignments(job_id=job.pk, worker_id=worker_id).filter(
            status__in=SUBMITTED_ASSIGNMENT_STATUSES
        ),
        params.get("history_size"),
    )
    fast = _fast_condition(threshold)
    totals = submitted.aggregate(count=Count("pk"), fast=Count("pk", filter=fast))
    share = _rate(totals["fast"], totals["count"])
    return Figures(
        figure=share if params.get("measure") == "share" else totals["fast"],
        count=totals["count"],
        details={"fast": totals["fast"], "share": share},
        evidence_ids=submitted.filter(fast).order_by("-submitted_at", "-id"),
    )


def _returns_in_row(*, job: LabelingJob, worker_id: int, params: dict, now: datetime) -> Figures:
    """Returned, abandoned or expired assignments since the worker's last submit in the
    job (assignment ids grow with time); count: their finished assignments in the job."""
    mine = _worker_assignments(job_id=job.pk, worker_id=worker_id)
    last_submit = (
        mine.filter(status__in=SUBMITTED_ASSIGNMENT_STATUSES).order_by("-id").values("pk")[:1]
    )
    in_row = Q(status__in=ENDED_STATUSES, pk__gt=Coalesce(Subquery(last_submit), 0))
    totals = mine.aggregate(
        count=Count("pk", filter=~Q(status=AssignmentStatus.ACCEPTED)),
        in_row=Count("pk", filter=in_row),
    )
    return Figures(
        figure=totals["in_row"],
        count=totals["count"],
        evidence_ids=mine.filter(in_row).order_by("-id"),
    )


def _submissions_24h(*, job: LabelingJob, worker_id: int, params: dict, now: datetime) -> Figures:
    mine = _worker_assignments(job_id=job.pk, worker_id=worker_id).filter(
        status__in=SUBMITTED_ASSIGNMENT_STATUSES
    )
    recent = Q(submitted_at__gte=now - timedelta(hours=24))
    totals = mine.aggregate(count=Count("pk"), recent=Count("pk", filter=recent))
    return Figures(
        figure=totals["recent"],
        count=totals["count"],
        evidence_ids=mine.filter(recent).order_by("-submitted_at", "-id"),
    )


COLLECTORS = {
    RuleCollector.GOLD_ACCURACY: _gold_accuracy,
    RuleCollector.MAJORITY_AGREEMENT: _majority_agreement,
    RuleCollector.FAST_RESPONSES: _fast_responses,
    RuleCollector.RETURNS_IN_ROW: _returns_in_row,
    RuleCollector.SUBMISSIONS_24H: _submissions_24h,
}


def rule_figures(
    *, rule: QualityRule, job: LabelingJob, worker_id: int, now: datetime | None = None
) -> Figures:
    """The rule's collector read for one worker in the job."""
    return COLLECTORS[rule.collector](
        job=job, worker_id=worker_id, params=rule.params, now=now or timezone.now()
    )


def rule_holds(rule: QualityRule, figures: Figures) -> bool:
    return (
        figures.figure is not None
        and figures.count >= rule.min_answers
        and OPERATORS[rule.operator](figures.figure, rule.value)
    )
