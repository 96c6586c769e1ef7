"""Quality rules per job (Toloka's collector + condition -> action): writing a job's rules,
checking a worker against them as their answers arrive, and acting on them once, with the
evidence logged and the reason the worker is shown.

A rule's collector (jobs.services.quality_collectors) gives two numbers for one worker in
one job, from one query over the worker's assignments in the job: the `figure` the
condition compares and the `count` of answers behind it (the condition holds only when
count >= min_answers). An action is
taken at most once per (rule, worker): the QualityActionRecord row, unique on the pair, is
inserted first in the action's transaction, so a second check (a retried task, two answers
checked at once) finds it and does nothing.
"""

import math
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jobs.models import (
    HIT,
    MAX_WORKERS_PER_OBJECT,
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    DataObjectStatus,
    JobStatus,
    JobWorker,
    LabelingJob,
    QualityActionRecord,
    QualityRule,
    RuleAction,
    RuleCollector,
    RuleOperator,
)
from jobs.services.locking import lock_options
from jobs.services.quality_collectors import rule_figures, rule_holds
from jobs.services.review import assignments_reject
from jobs.services.slots import hit_add_slot_locked
from marketplace.exceptions import Conflict, DomainError, InvalidInput, NotFound
from marketplace.models import User
from marketplace.services import reason_clean
from payments.escrow import assignment_rehold_locked
from workforce.models import QualificationType, WorkerBlock, WorkerProfile
from workforce.qualifications import is_integer_value, qualification_grant
from workforce.services import worker_block

MAX_RULES_PER_JOB = 50
MAX_HISTORY_SIZE = 100_000
MAX_THRESHOLD_SECONDS = 24 * 3600
MAX_MIN_ANSWERS = 100_000
# Jobs whose rules run: a rule may act while work still comes in or is held.
CHECKED_JOB_STATUSES = (JobStatus.RUNNING, JobStatus.PAUSED)
# A rule may be written while the job has not ended.
EDITABLE_JOB_STATUSES = (JobStatus.DRAFT, JobStatus.RUNNING, JobStatus.PAUSED)

RATE_COLLECTORS = {RuleCollector.GOLD_ACCURACY, RuleCollector.MAJORITY_AGREEMENT}
# The params each collector takes; anything else is refused.
COLLECTOR_PARAMS = {
    RuleCollector.GOLD_ACCURACY: {"history_size"},
    RuleCollector.MAJORITY_AGREEMENT: {"history_size"},
    RuleCollector.FAST_RESPONSES: {"history_size", "threshold_seconds", "measure"},
    RuleCollector.RETURNS_IN_ROW: set(),
    RuleCollector.SUBMISSIONS_24H: set(),
}
ACTION_PARAMS = {
    RuleAction.REMOVE_FROM_JOB: set(),
    RuleAction.BLOCK: set(),
    RuleAction.REJECT_PENDING: set(),
    RuleAction.CHANGE_OVERLAP: {"extra", "relabel"},
    RuleAction.SET_SKILL: {"qualification_type_id", "value"},
}
MEASURES = ("count", "share")
RULE_FIELDS = (
    "collector",
    "params",
    "operator",
    "value",
    "min_answers",
    "action",
    "action_params",
    "reason",
)


# Writing rules.


def _whole_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


def _params_problems(collector: str, params, problems: dict) -> None:
    if not isinstance(params, dict):
        problems["params"] = ["Give the collector's parameters as an object."]
        return
    for name in sorted(set(params) - COLLECTOR_PARAMS[collector]):
        problems[f"params.{name}"] = [f'Unknown parameter for the "{collector}" collector.']
    if "history_size" in params:
        size = params["history_size"]
        if not _whole_number(size) or not 1 <= size <= MAX_HISTORY_SIZE:
            problems["params.history_size"] = [
                f"Give a whole number of answers from 1 to {MAX_HISTORY_SIZE:,}."
            ]
    if collector == RuleCollector.FAST_RESPONSES:
        threshold = params.get("threshold_seconds")
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
            or not 0 < threshold <= MAX_THRESHOLD_SECONDS
        ):
            problems["params.threshold_seconds"] = [
                f"Give a positive number of seconds, at most {MAX_THRESHOLD_SECONDS:,}: a "
                "submit faster than this counts as a fast response."
            ]
        if "measure" in params and params["measure"] not in MEASURES:
            problems["params.measure"] = ['Choose "count" or "share".']


def _is_rate(collector: str, params: dict) -> bool:
    return collector in RATE_COLLECTORS or (
        collector == RuleCollector.FAST_RESPONSES and params.get("measure") == "share"
    )


def _condition_problems(collector: str, params: dict, operator: str, value, problems) -> None:
    """A condition that no figure of the collector can ever meet is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems["value"] = ["Give a number."]
        return
    if _is_rate(collector, params):
        if not 0 <= value <= 1:
            problems["value"] = ["This collector gives a share: give a value from 0 to 1."]
        elif (operator == RuleOperator.LT and value == 0) or (
            operator == RuleOperator.GT and value == 1
        ):
            problems["value"] = ["A share is never below 0 or above 1: this rule could never act."]
    elif value < 0:
        problems["value"] = ["This collector counts answers: give a value of 0 or more."]
    elif operator == RuleOperator.LT and value == 0:
        problems["value"] = ["A count is never below 0: this rule could never act."]


def _action_params_problems(action: str, action_params, *, job: LabelingJob, problems) -> None:
    if not isinstance(action_params, dict):
        problems["action_params"] = ["Give the action's parameters as an object."]
        return
    for name in sorted(set(action_params) - ACTION_PARAMS[action]):
        problems[f"action_params.{name}"] = [f'Unknown parameter for the "{action}" action.']
    if action == RuleAction.CHANGE_OVERLAP:
        extra = action_params.get("extra")
        if not _whole_number(extra) or not 1 <= extra <= MAX_WORKERS_PER_OBJECT:
            problems["action_params.extra"] = [
                f"Give how many more workers each object takes: 1 to {MAX_WORKERS_PER_OBJECT}."
            ]
        if "relabel" in action_params and not isinstance(action_params["relabel"], bool):
            problems["action_params.relabel"] = ["Give true or false."]
    if action == RuleAction.SET_SKILL:
        type_id = action_params.get("qualification_type_id")
        if not isinstance(type_id, str) or not type_id:
            problems["action_params.qualification_type_id"] = [
                "Give the id of a qualification type of the job's organization."
            ]
        elif not _organization_types(job).filter(type_id=type_id).exists():
            problems["action_params.qualification_type_id"] = [
                "The job's organization has no qualification type with this id."
            ]
        if not is_integer_value(action_params.get("value")):
            problems["action_params.value"] = ["Give the qualification's value: a whole number."]


def _organization_types(job: LabelingJob) -> QuerySet[QualificationType]:
    return QualificationType.objects.filter(owner_id=job.organization_id)


def quality_rule_clean(*, job: LabelingJob, **fields) -> dict:
    """The rule's fields checked together: InvalidInput naming every bad field."""
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    problems: dict[str, list[str]] = {name: ["Unknown field."] for name in unknown}
    collector, operator = fields.get("collector"), fields.get("operator")
    action = fields.get("action")
    params = fields.get("params", {})
    action_params = fields.get("action_params", {})
    min_answers = fields.get("min_answers", 1)
    if collector not in RuleCollector.values:
        problems["collector"] = [f"Choose one of: {', '.join(RuleCollector.values)}."]
    if operator not in RuleOperator.values:
        problems["operator"] = [f"Choose one of: {', '.join(RuleOperator.values)}."]
    if action not in RuleAction.values:
        problems["action"] = [f"Choose one of: {', '.join(RuleAction.values)}."]
    if collector in RuleCollector.values:
        _params_problems(collector, params, problems)
        if operator in RuleOperator.values and isinstance(params, dict):
            _condition_problems(collector, params, operator, fields.get("value"), problems)
    if "value" not in fields:
        problems["value"] = ["This field is required."]
    if not _whole_number(min_answers) or not 1 <= min_answers <= MAX_MIN_ANSWERS:
        problems["min_answers"] = [
            f"Give a whole number from 1 to {MAX_MIN_ANSWERS:,}: the rule acts only once the "
            "worker has this many answers behind the figure."
        ]
    if action in RuleAction.values:
        _action_params_problems(action, action_params, job=job, problems=problems)
    try:
        reason = reason_clean(fields.get("reason"))
    except InvalidInput as error:
        problems.update(error.fields)
        reason = ""
    if problems:
        raise InvalidInput(fields=problems)
    return {
        "collector": collector,
        "params": params,
        "operator": operator,
        "value": float(fields["value"]),
        "min_answers": min_answers,
        "action": action,
        "action_params": action_params,
        "reason": reason,
    }


def _lock_editable_job(job: LabelingJob) -> LabelingJob:
    job = LabelingJob.objects.select_for_update(**lock_options()).get(pk=job.pk)
    if job.status not in EDITABLE_JOB_STATUSES:
        raise Conflict(
            f'The job is "{job.status}": its quality rules can no longer change.',
            code="job_ended",
        )
    return job


def _quality_flag_sync(job: LabelingJob) -> None:
    """Keep job.has_quality_rules equal to "the job has an active rule" (caller holds the
    job's row lock)."""
    active = QualityRule.objects.filter(job=job, active=True).exists()
    if job.has_quality_rules != active:
        LabelingJob.objects.filter(pk=job.pk).update(
            has_quality_rules=active, updated_at=timezone.now()
        )
        job.has_quality_rules = active


@transaction.atomic
def quality_rule_create(*, actor: User, job: LabelingJob, **fields) -> QualityRule:
    """Add a rule to a job that has not ended (the caller checked `actor` may see the job).
    Bad fields are InvalidInput naming each; an ended job is a Conflict; nothing changes."""
    cleaned = quality_rule_clean(job=job, **fields)
    job = _lock_editable_job(job)
    if QualityRule.objects.filter(job=job, active=True).count() >= MAX_RULES_PER_JOB:
        raise Conflict(f"A job has at most {MAX_RULES_PER_JOB} active rules.", code="rule_limit")
    rule = QualityRule.objects.create(job=job, created_by=actor, **cleaned)
    _quality_flag_sync(job)
    return rule


@transaction.atomic
def quality_rule_set_active(*, actor: User, rule: QualityRule, active: bool) -> QualityRule:
    """Turn a rule off (or on again). A worker it acted on stays acted on: it never acts
    twice on the same worker. Idempotent."""
    if not isinstance(active, bool):
        raise InvalidInput(fields={"active": ["Give true or false."]})
    job = _lock_editable_job(rule.job)
    rule = QualityRule.objects.select_for_update(**lock_options()).get(pk=rule.pk)
    if active and not rule.active:
        if QualityRule.objects.filter(job=job, active=True).count() >= MAX_RULES_PER_JOB:
            raise Conflict(
                f"A job has at most {MAX_RULES_PER_JOB} active rules.", code="rule_limit"
            )
    if rule.active != active:
        rule.active = active
        rule.save(update_fields=["active", "updated_at"])
    _quality_flag_sync(job)
    rule.job = job
    return rule


# Reads (each scoped by a job the caller already has access to, or by the worker).


def quality_rule_list(*, job: LabelingJob) -> QuerySet[QualityRule]:
    return QualityRule.objects.filter(job=job).order_by("-active", "-created_at", "-id")


def quality_rule_access(*, job: LabelingJob, rule_id) -> QualityRule:
    """A rule of `job`; a rule of any other job is NotFound."""
    try:
        return QualityRule.objects.select_related("job").get(job=job, pk=int(rule_id))
    except (QualityRule.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def quality_action_list(*, job: LabelingJob) -> QuerySet[QualityActionRecord]:
    """The job's action log, newest first. Uses index: quality_action_job_recent."""
    return (
        QualityActionRecord.objects.filter(job=job)
        .select_related("worker", "rule")
        .order_by("-created_at", "-id")
    )


def worker_notice_list(*, worker: WorkerProfile) -> QuerySet[QualityActionRecord]:
    """What quality rules did to `worker`, newest first, with each job's title; an action
    that failed (and so changed nothing) is not shown. Uses index:
    quality_action_worker_recent."""
    return (
        QualityActionRecord.objects.filter(worker=worker)
        .exclude(result__has_key="error")
        .select_related("job")
        .only("id", "action", "reason", "result", "created_at", "job__id", "job__title")
        .order_by("-created_at", "-id")
    )


def notice_text(record: QualityActionRecord) -> str:
    """What happened, as the worker reads it: never the rule's figures or thresholds."""
    result = record.result or {}
    if record.action == RuleAction.REMOVE_FROM_JOB:
        return "You were removed from this job: you get no more of its tasks."
    if record.action == RuleAction.BLOCK:
        return "The requester blocked you: you get none of their work."
    if record.action == RuleAction.REJECT_PENDING:
        count = len(result.get("rejected", []))
        return f"Your work awaiting review in this job was rejected ({count} assignment" + (
            "s)." if count != 1 else ")."
        )
    if record.action == RuleAction.CHANGE_OVERLAP:
        return "Your answers in this job are being checked by more workers."
    return f"The requester set your qualification “{result.get('qualification_name', '')}”."


# Actions. Each runs in the transaction that inserted the rule's record for the worker,
# and returns what it changed (the record's `result`).


def _remove_from_job(*, rule, job, worker, now) -> dict:
    JobWorker.objects.get_or_create(job=job, worker=worker)
    standing = JobWorker.objects.select_for_update(**lock_options()).get(job=job, worker=worker)
    if standing.removed_at is not None:
        return {"removed": False, "already_removed_at": standing.removed_at.isoformat()}
    standing.removed_at, standing.removed_reason = now, rule.reason
    standing.save(update_fields=["removed_at", "removed_reason", "updated_at"])
    return {"removed": True}


def _block(*, rule, job, worker, now) -> dict:
    if WorkerBlock.objects.filter(organization_id=job.organization_id, worker=worker).exists():
        return {"blocked": False, "already_blocked": True}
    block = worker_block(
        actor=rule.created_by, organization=job.organization, worker=worker, reason=rule.reason
    )
    return {"blocked": True, "block_id": block.pk}


def _lock_hits(hit_ids) -> list[HIT]:
    """The HITs' row locks in id order, first in the services' lock order."""
    return list(
        HIT.objects.select_for_update(**lock_options()).filter(pk__in=hit_ids).order_by("pk")
    )


def _add_slots(hit: HIT, *, job: LabelingJob, slots: int, now: datetime) -> list[str]:
    """Caller holds the HIT's row lock. The outcome of each slot; Conflict (an expired HIT,
    a gold HIT, an ended job) stops adding to this HIT."""
    return [hit_add_slot_locked(hit=hit, job=job, now=now) for _ in range(slots)]


def _reject_pending(*, rule, job, worker, now) -> dict:
    """Reject the worker's submitted work not yet approved (nor past its auto-approval) with
    the rule's reason as feedback, and give each of those objects one more slot."""
    pending = list(
        Assignment.objects.filter(hit__job=job, worker=worker, status=AssignmentStatus.SUBMITTED)
        .filter(Q(auto_approval_at__isnull=True) | Q(auto_approval_at__gt=now))
        .values_list("pk", "hit_id")
    )
    if not pending:
        return {"rejected": [], "reissued": []}
    hits = _lock_hits({hit_id for _, hit_id in pending})
    rejected = assignments_reject(
        actor=rule.created_by,
        assignments=[Assignment(pk=pk) for pk, _ in pending],
        feedback=rule.reason,
    )
    by_hit = {assignment.hit_id: assignment for assignment in rejected}
    reissued, not_reissued = [], []
    for hit in hits:
        assignment = by_hit[hit.pk]
        if hit.is_gold:
            continue  # a gold question is not re-asked
        try:
            outcome = _add_slots(hit, job=job, slots=1, now=now)[0]
        except Conflict as error:
            not_reissued.append({"assignment_id": assignment.assignment_id, "why": error.code})
            continue
        reissued.append({"assignment_id": assignment.assignment_id, "slot": outcome})
        # Money: the rejection released its reward + fee; the re-issued slot needs it again.
        assignment_rehold_locked(assignment=assignment, job=job)
    Assignment.objects.filter(
        assignment_id__in=[item["assignment_id"] for item in reissued]
    ).update(reissued_at=now, updated_at=now)
    return {
        "rejected": sorted(assignment.assignment_id for assignment in rejected),
        "reissued": reissued,
        "not_reissued": not_reissued,
    }


def _change_overlap(*, rule, job, worker, now) -> dict:
    """Each object the worker answered that has no label yet (every one with "relabel")
    takes `extra` more workers."""
    extra = rule.action_params["extra"]
    answered = Assignment.objects.filter(
        hit__job=job,
        worker=worker,
        status__in=SUBMITTED_ASSIGNMENT_STATUSES,
        hit__is_gold=False,
    )
    if not rule.action_params.get("relabel"):
        answered = answered.filter(hit__data_object__status=DataObjectStatus.UNLABELED)
    hits = _lock_hits(answered.values("hit_id"))
    outcomes: dict[str, int] = {}
    skipped = []
    for hit in hits:
        try:
            for outcome in _add_slots(hit, job=job, slots=extra, now=now):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        except Conflict as error:
            skipped.append({"hit_id": hit.hit_id, "why": error.code})
    return {
        "hits": len(hits) - len(skipped),
        "extra": extra,
        "slots": outcomes,
        "skipped": skipped,
    }


def _set_skill(*, rule, job, worker, now) -> dict:
    type_id, value = rule.action_params["qualification_type_id"], rule.action_params["value"]
    qualification_type = _organization_types(job).filter(type_id=type_id).first()
    if qualification_type is None:
        raise NotFound("The rule's qualification type no longer exists.")
    qualification_grant(
        actor=rule.created_by,
        qualification_type=qualification_type,
        worker=worker,
        integer_value=value,
    )
    return {
        "qualification_type_id": type_id,
        "qualification_name": qualification_type.name,
        "value": value,
    }


ACTIONS = {
    RuleAction.REMOVE_FROM_JOB: _remove_from_job,
    RuleAction.BLOCK: _block,
    RuleAction.REJECT_PENDING: _reject_pending,
    RuleAction.CHANGE_OVERLAP: _change_overlap,
    RuleAction.SET_SKILL: _set_skill,
}


@transaction.atomic
def quality_action_take(
    *, rule: QualityRule, job: LabelingJob, worker: WorkerProfile, evidence: dict
) -> QualityActionRecord | None:
    """Take the rule's action on the worker unless it was taken before (None then).

    The record is inserted first: a concurrent check of the same (rule, worker) waits on
    its unique index, then finds it and stops, holding no other lock meanwhile. An action
    the current state refuses (the rule's author left the organization, the block limit, a
    deleted qualification type) is logged with its error and not retried.
    """
    try:
        with transaction.atomic():
            record = QualityActionRecord.objects.create(
                rule=rule,
                job=job,
                worker=worker,
                action=rule.action,
                evidence=evidence,
                reason=rule.reason,
            )
    except IntegrityError:
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            result = ACTIONS[rule.action](rule=rule, job=job, worker=worker, now=now)
    except DomainError as error:
        result = {"error": error.code, "message": error.message}
    record.result = result
    record.save(update_fields=["result", "updated_at"])
    return record


def rules_check_worker(*, job_id: int, worker_id: int) -> list[QualityActionRecord]:
    """Run the job's active rules for one worker, after one of their answers (or returns)
    arrived: each rule that has not acted on them yet and whose condition holds acts.
    Thin and idempotent (a rule acts once per worker). Returns the records made now."""
    job = (
        LabelingJob.objects.select_related("organization")
        .filter(pk=job_id, status__in=CHECKED_JOB_STATUSES, has_quality_rules=True)
        .first()
    )
    if job is None:
        return []
    acted = QualityActionRecord.objects.filter(rule=OuterRef("pk"), worker_id=worker_id)
    rules = list(
        QualityRule.objects.filter(job=job, active=True)
        .exclude(Exists(acted))
        .select_related("created_by")
        .order_by("id")
    )
    if not rules:
        return []
    worker = WorkerProfile.objects.get(pk=worker_id)
    now = timezone.now()
    records = []
    for rule in rules:
        figures = rule_figures(rule=rule, job=job, worker_id=worker_id, now=now)
        if not rule_holds(rule, figures):
            continue
        record = quality_action_take(
            rule=rule, job=job, worker=worker, evidence=figures.evidence(rule=rule)
        )
        if record is not None:
            records.append(record)
    return records
