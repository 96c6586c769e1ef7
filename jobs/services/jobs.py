"""Writes of labeling jobs: create, update, launch, pause, resume, stop, complete, and the
release of HITs in batches of at most `max_concurrent_tasks`.

Lock order, shared by every jobs service so that none can deadlock another:
HIT -> assignment -> data object -> job. A service that holds the job's row lock and must
touch HITs (stop, complete, expiry) takes only HITs nobody holds (SKIP LOCKED) and leaves
the rest to a task that locks them in the right order. Row locks are FOR NO KEY UPDATE on
PostgreSQL, so inserting a row that references a locked one (an assignment of a HIT, an
event of a job) never waits for it.
"""

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from jobs.instructions import FULL_INSTRUCTIONS_MAX, SHORT_INSTRUCTIONS_MAX, instructions_sanitize
from jobs.labels import label_config_parse
from jobs.models import (
    HIT,
    JOB_NAME_REGEX,
    JOB_TRANSITIONS,
    MAX_GOLD_RATE,
    MAX_WORKERS_PER_OBJECT,
    MIN_REWARD,
    OPEN_HIT_STATUSES,
    ConsolidationMethod,
    DataObject,
    DataObjectStatus,
    HITStatus,
    JobEvent,
    JobStatus,
    LabelingJob,
)
from jobs.services.gold import gold_place_locked, gold_set_check
from jobs.services.locking import lock_options
from jobs.services.slots import waiting_hits_reopen_locked
from jobs.services.targeting import Target, job_target_apply
from jobs.tasktypes import task_type_get
from marketplace.celery import enqueue_on_commit
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import Organization, User
from marketplace.services import (
    fields_require_known,
    member_require,
    user_require_verified_email,
)
from notifications import events
from payments.escrow import job_budget_hold_locked, job_hold_settle_locked
from payments.money import MONEY_PLACES, money_quantize

JOB_FIELDS = (
    "name",
    "label_attribute_name",
    "task_type",
    "label_category_config",
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
    "max_human_labeled_objects",
    "max_percentage_labeled",
    "workforce",
    "engagement",
    "teams",
    "contains_personal_information",
    "consolidation_method",
    "gold_rate",
    "gold_set",
    "max_workers_per_object",
    "target_confidence",
)
REQUIRED_JOB_FIELDS = (
    "name",
    "label_attribute_name",
    "task_type",
    "label_category_config",
    "title",
    "reward",
)
INTEGER_FIELDS = (
    "workers_per_object",
    "task_time_limit_seconds",
    "task_availability_lifetime_seconds",
    "auto_approval_delay_seconds",
    "max_concurrent_tasks",
    "max_human_labeled_objects",
    "max_percentage_labeled",
    "max_workers_per_object",
)
OPTIONAL_INTEGER_FIELDS = (
    "max_human_labeled_objects",
    "max_percentage_labeled",
    "max_workers_per_object",
)
# Ground Truth's LabelAttributeName: the job-name pattern, 1-127 characters, never the
# manifest's own keys and never a "-metadata" name (the output writes `<attr>-metadata`).
LABEL_ATTRIBUTE_NAME_REGEX = JOB_NAME_REGEX
RESERVED_LABEL_ATTRIBUTE_NAMES = frozenset({"source", "source-ref"})
ENDED_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.STOPPED, JobStatus.FAILED})


class JobEventKind:
    CREATED = "created"
    UPDATED = "updated"
    LAUNCHED = "launched"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    COMPLETED = "completed"


# Locking.


def job_lock(*, job_id: int) -> LabelingJob:
    try:
        return LabelingJob.objects.select_for_update(**lock_options()).get(pk=job_id)
    except LabelingJob.DoesNotExist:
        raise NotFound() from None


def _event(job: LabelingJob, actor: User | None, kind: str, old: str = "", **data) -> None:
    JobEvent.objects.create(
        job=job, actor=actor, kind=kind, old_status=old, new_status=job.status, data=data
    )


def _transition(
    job: LabelingJob, *, actor: User | None, status: str, kind: str, now: datetime, **data
) -> None:
    """Move the locked `job` to `status` and record it; Conflict names both states."""
    if status not in JOB_TRANSITIONS[job.status]:
        raise Conflict(
            f'The job is "{job.status}"; it cannot become "{status}".',
            code="illegal_job_transition",
        )
    old = job.status
    job.status = status
    update_fields = ["status", "updated_at"]
    if status in ENDED_JOB_STATUSES:
        job.ended_at = now
        update_fields.append("ended_at")
    job.save(update_fields=update_fields)
    _event(job, actor, kind, old=old, **data)


# Input rules.


def _check_name(value, problems: dict) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= 63:
        problems["name"] = ["Give a name of 1 to 63 characters."]
    elif not re.fullmatch(JOB_NAME_REGEX, value):
        problems["name"] = [
            "Use letters, digits and hyphens only, starting and ending with a letter or digit."
        ]


def _check_label_attribute_name(value, problems: dict) -> None:
    field = "label_attribute_name"
    if not isinstance(value, str) or not 1 <= len(value) <= 127:
        problems[field] = ["Give a label attribute name of 1 to 127 characters."]
    elif not re.fullmatch(LABEL_ATTRIBUTE_NAME_REGEX, value):
        problems[field] = [
            "Use letters, digits and hyphens only, starting and ending with a letter or digit."
        ]
    elif value.endswith("-metadata"):
        problems[field] = ['A label attribute name must not end with "-metadata".']
    elif value in RESERVED_LABEL_ATTRIBUTE_NAMES:
        problems[field] = [f'"{value}" is reserved for the input manifest.']


def _check_reward(value, problems: dict) -> Decimal | None:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        problems["reward"] = ['Give the reward as a decimal string such as "0.05", not a float.']
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        problems["reward"] = ["Give the reward as a decimal number such as 0.05."]
        return None
    if not amount.is_finite():
        problems["reward"] = ["Give the reward as a decimal number such as 0.05."]
    elif amount.as_tuple().exponent < MONEY_PLACES.as_tuple().exponent:
        problems["reward"] = ["The reward has at most 4 decimal places."]
    elif amount < MIN_REWARD:
        problems["reward"] = [f"The reward is at least {MIN_REWARD}."]
    elif amount >= Decimal(10) ** 14:
        problems["reward"] = ["The reward is too large."]
    else:
        return money_quantize(amount)
    return None


def _check_integers(fields: dict, problems: dict) -> None:
    for name in INTEGER_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if value is None and name in OPTIONAL_INTEGER_FIELDS:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems[name] = ["Give a whole number."]


def _check_instructions(fields: dict, problems: dict) -> None:
    for name, limit in (
        ("short_instructions", SHORT_INSTRUCTIONS_MAX),
        ("full_instructions", FULL_INSTRUCTIONS_MAX),
    ):
        if name not in fields:
            continue
        if not isinstance(fields[name], str):
            problems[name] = ["Give the instructions as HTML text."]
            continue
        fields[name] = instructions_sanitize(fields[name])
        if len(fields[name]) > limit:
            problems[name] = [f"At most {limit} characters (after cleaning the HTML)."]


def _check_quality_settings(job: LabelingJob, fields: dict, problems: dict) -> None:
    """Consolidation method, gold rate and dynamic overlap; normalizes the given values
    in `fields`. The pair rules (dynamic overlap needs both settings, and at least
    workers_per_object workers at most) run on the job's values after the change."""
    if "consolidation_method" in fields:
        if fields["consolidation_method"] not in ConsolidationMethod.values:
            known = ", ".join(f'"{value}"' for value in ConsolidationMethod.values)
            problems["consolidation_method"] = [f"Choose one of: {known}."]
    if "gold_rate" in fields:
        value = fields["gold_rate"]
        try:
            if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
                raise InvalidOperation
            rate = Decimal(str(value).strip())
            if not rate.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems["gold_rate"] = ["Give the gold rate as a decimal fraction such as 0.1."]
        else:
            if not Decimal(0) <= rate <= MAX_GOLD_RATE:
                problems["gold_rate"] = [
                    f"The gold rate is a share of tasks from 0 to {MAX_GOLD_RATE} (50%)."
                ]
            elif rate.as_tuple().exponent < -3:
                problems["gold_rate"] = ["The gold rate has at most 3 decimal places."]
            else:
                fields["gold_rate"] = rate.quantize(Decimal("0.001"))
    if "target_confidence" in fields and fields["target_confidence"] is not None:
        value = fields["target_confidence"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems["target_confidence"] = ["Give a number such as 0.95."]
        elif not 0.5 <= value < 1:
            problems["target_confidence"] = ["The target confidence is at least 0.5 and below 1."]
        else:
            fields["target_confidence"] = float(value)
    if {"max_workers_per_object", "target_confidence", "workers_per_object"} & set(fields):
        maximum = fields.get("max_workers_per_object", job.max_workers_per_object)
        target = fields.get("target_confidence", job.target_confidence)
        minimum = fields.get("workers_per_object", job.workers_per_object)
        if "max_workers_per_object" in problems or "target_confidence" in problems:
            return
        if (maximum is None) != (target is None):
            missing = "target_confidence" if target is None else "max_workers_per_object"
            problems[missing] = [
                "Dynamic overlap needs both max_workers_per_object and target_confidence."
            ]
        elif maximum is not None and isinstance(minimum, int) and not isinstance(minimum, bool):
            if not minimum <= maximum <= MAX_WORKERS_PER_OBJECT:
                problems["max_workers_per_object"] = [
                    f"Give {minimum} (workers_per_object) to {MAX_WORKERS_PER_OBJECT}."
                ]


def _check_gold_set(job: LabelingJob, fields: dict, problems: dict) -> None:
    """A gold set of the job's organization, for the job's task type and labels (both
    as they are after this change); None takes it away."""
    if "gold_set" in fields:
        value = fields["gold_set"]
    elif job.gold_set_id is not None and {"task_type", "labels"} & set(fields):
        value = job.gold_set_id  # the job's set must still fit its new type and labels
    else:
        return
    if value is None:
        return
    try:
        gold_set = gold_set_check(
            organization_id=job.organization_id,
            task_type=fields.get("task_type", job.task_type),
            labels=fields.get("labels", job.labels),
            gold_set=value,
        )
    except InvalidInput as error:
        problems.update(error.fields)
        return
    if "gold_set" in fields:
        fields["gold_set"] = gold_set


def _apply_fields(job: LabelingJob, fields: dict) -> tuple[list[str], Target]:
    """Validate `fields` and set them on `job`; every problem at once as InvalidInput.

    Returns the names of the model fields that changed, and the job's targeting (whose
    teams the caller stores once the job is saved).
    """
    fields = dict(fields)
    problems: dict = {}
    if "name" in fields:
        _check_name(fields["name"], problems)
    if "label_attribute_name" in fields:
        _check_label_attribute_name(fields["label_attribute_name"], problems)
    if "reward" in fields:
        fields["reward"] = _check_reward(fields["reward"], problems)
    _check_integers(fields, problems)
    _check_instructions(fields, problems)
    for name in ("title", "description"):
        if name in fields and not isinstance(fields[name], str):
            problems[name] = ["Give text."]
    task_type = None
    task_type_key = fields.get("task_type", job.task_type)
    target = job_target_apply(job=job, fields=fields, task_type=task_type_key, problems=problems)
    try:
        task_type = task_type_get(task_type_key)
    except InvalidInput as error:
        problems.update(error.fields)
    if task_type is not None and ({"task_type", "label_category_config"} & set(fields)):
        document = fields.get("label_category_config", job.label_category_config)
        try:
            fields["labels"] = label_config_parse(document, task_type=task_type)
            if isinstance(document, str | bytes):
                fields["label_category_config"] = json.loads(document)
        except InvalidInput as error:
            problems.update(error.fields)

    _check_quality_settings(job, fields, problems)
    _check_gold_set(job, fields, problems)

    changed = list(target.changed)
    for name, value in fields.items():
        if name in problems:
            continue
        if getattr(job, name) != value:
            setattr(job, name, value)
            changed.append(name)
    # The model's own rules (lengths, blank, ranges) on every given field the checks above
    # let through, changed or not (a new job's defaults are not all valid values).
    exclude = {field.name for field in job._meta.fields} - (set(fields) - set(problems))
    try:
        job.clean_fields(exclude=exclude)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            problems.setdefault(name, messages)
    if problems:
        raise InvalidInput(fields=problems)
    return changed, target


def _save_unique_name(job: LabelingJob, **save_options) -> None:
    """Save, turning the per-organization name constraint into a field message."""
    taken = Conflict(
        "A job with this name already exists in the organization.",
        fields={"name": ["A job with this name already exists (names ignore case)."]},
        code="job_name_taken",
    )
    others = LabelingJob.objects.filter(organization_id=job.organization_id, name__iexact=job.name)
    if job.pk is not None:
        others = others.exclude(pk=job.pk)
    if others.exists():
        raise taken
    try:
        with transaction.atomic():
            job.save(**save_options)
    except IntegrityError:  # a concurrent create took the name in between
        raise taken from None


# Job lifecycle.


@transaction.atomic
def job_create(*, actor: User, organization: Organization, **fields) -> LabelingJob:
    """A draft job of `organization`. Bad input is refused with field messages and no row."""
    member_require(actor=actor, organization_id=organization.pk)
    user_require_verified_email(user=actor)
    fields_require_known(fields=fields, allowed=JOB_FIELDS)
    missing = [name for name in REQUIRED_JOB_FIELDS if name not in fields]
    if missing:
        raise InvalidInput(fields={name: ["This field is required."] for name in missing})
    fields.setdefault("workforce", None)
    job = LabelingJob(organization=organization, created_by=actor)
    _changed, target = _apply_fields(job, fields)
    _save_unique_name(job, force_insert=True)
    target.save_teams(job)
    _event(job, actor, JobEventKind.CREATED)
    return job


@transaction.atomic
def job_update(*, actor: User, job: LabelingJob, **fields) -> LabelingJob:
    """Change a draft job's settings; a launched job's settings are fixed."""
    member_require(actor=actor, organization_id=job.organization_id)
    fields_require_known(fields=fields, allowed=JOB_FIELDS)
    job = job_lock(job_id=job.pk)
    if job.status != JobStatus.DRAFT:
        raise Conflict(
            f'The job is "{job.status}"; only a draft job can be changed.', code="job_not_draft"
        )
    changed, target = _apply_fields(job, fields)
    if changed:
        _save_unique_name(job, update_fields=[*changed, "updated_at"])
    target.save_teams(job)
    if target.teams_changed:
        changed.append("teams")
    if changed:
        _event(job, actor, JobEventKind.UPDATED, fields=sorted(changed))
    return job


@transaction.atomic
def job_launch(*, actor: User, job: LabelingJob) -> LabelingJob:
    """Draft -> running: the availability clock starts and the first batch of HITs goes out.

    Launching a running job again returns it unchanged.
    """
    member_require(actor=actor, organization_id=job.organization_id)
    user_require_verified_email(user=actor)
    job = job_lock(job_id=job.pk)
    if job.status == JobStatus.RUNNING:
        return job
    if job.status != JobStatus.DRAFT:
        raise Conflict(
            f'The job is "{job.status}"; only a draft job can be launched.',
            code="illegal_job_transition",
        )
    if not DataObject.objects.filter(job=job, gold_question__isnull=True).exists():
        raise Conflict(
            "Add data objects (upload a manifest) before launching the job.",
            code="job_has_no_data",
        )
    now = timezone.now()
    # The one count of the job's life: the manifest is fixed from here on.
    job.total_objects = DataObject.objects.filter(job=job, gold_question__isnull=True).count()
    job.launched_at = now
    job.expires_at = now + timedelta(seconds=job.task_availability_lifetime_seconds)
    job.save(update_fields=["total_objects", "launched_at", "expires_at", "updated_at"])
    # Money: hold the job's maximum cost; refused (InsufficientFunds, 402) when the
    # organization's available balance is short, and then nothing here is kept.
    job_budget_hold_locked(job=job, actor=actor, now=now)
    _transition(job, actor=actor, status=JobStatus.RUNNING, kind=JobEventKind.LAUNCHED, now=now)
    gold_place_locked(job=job, now=now)
    _hits_release_locked(job, now=now)
    return job


@transaction.atomic
def job_pause(*, actor: User, job: LabelingJob) -> LabelingJob:
    """Running -> paused: no worker gets new work from it; live assignments carry on."""
    member_require(actor=actor, organization_id=job.organization_id)
    job = job_lock(job_id=job.pk)
    if job.status == JobStatus.PAUSED:
        return job
    _transition(
        job, actor=actor, status=JobStatus.PAUSED, kind=JobEventKind.PAUSED, now=timezone.now()
    )
    return job


@transaction.atomic
def job_resume(*, actor: User, job: LabelingJob) -> LabelingJob:
    """Paused -> running, releasing HITs into the slots that opened meanwhile."""
    member_require(actor=actor, organization_id=job.organization_id)
    job = job_lock(job_id=job.pk)
    if job.status == JobStatus.RUNNING:
        return job
    if job.status != JobStatus.PAUSED:
        raise Conflict(
            f'The job is "{job.status}"; only a paused job can be resumed.',
            code="illegal_job_transition",
        )
    now = timezone.now()
    if job.expires_at is not None and job.expires_at <= now:
        raise Conflict("The job's availability lifetime has passed.", code="job_expired")
    _transition(job, actor=actor, status=JobStatus.RUNNING, kind=JobEventKind.RESUMED, now=now)
    _hits_release_locked(job, now=now)
    return job


@transaction.atomic
def job_stop(*, actor: User, job: LabelingJob) -> LabelingJob:
    """Running or paused -> stopped, for good (Ground Truth's StopLabelingJob).

    Open HITs expire (Reviewable); live assignments may still be submitted until their
    deadline and are consolidated; objects nobody labeled stay unlabeled. Results so far
    remain in the output. Stopping a stopped job returns it unchanged.
    """
    member_require(actor=actor, organization_id=job.organization_id)
    job = job_lock(job_id=job.pk)
    if job.status == JobStatus.STOPPED:
        return job
    job_stop_locked(job, actor=actor, now=timezone.now())
    return job


def job_stop_locked(
    job: LabelingJob, *, actor: User | None, now: datetime, reason: str = ""
) -> None:
    """Caller holds the job's row lock and has checked who may stop it."""
    data = {"reason": reason} if reason else {}
    _transition(
        job, actor=actor, status=JobStatus.STOPPED, kind=JobEventKind.STOPPED, now=now, **data
    )
    _job_hits_close(job, now=now)
    _job_refit_enqueue(job)
    # Money: the unused budget goes back, less what outstanding work may still cost.
    job_hold_settle_locked(job=job)


@transaction.atomic
def job_complete(*, job: LabelingJob, reason: str) -> LabelingJob:
    """Running -> completed (internal): every object is labeled or failed, a stopping
    condition is met, or the availability lifetime ran out. Open HITs expire; answers
    still out are consolidated when they come in.

    A paused job is left as is (it completes when resumed); an ended job is returned.
    """
    job = job_lock(job_id=job.pk)
    if job.status == JobStatus.RUNNING:
        job_complete_locked(job, reason=reason, now=timezone.now())
    return job


def job_complete_locked(job: LabelingJob, *, reason: str, now: datetime) -> None:
    """Caller holds the running job's row lock."""
    _transition(
        job,
        actor=None,
        status=JobStatus.COMPLETED,
        kind=JobEventKind.COMPLETED,
        now=now,
        reason=reason,
    )
    _job_hits_close(job, now=now)
    _job_refit_enqueue(job)
    events.job_completed_emit(job=job)
    # Money: the unused budget goes back, less what outstanding work may still cost.
    job_hold_settle_locked(job=job)


def _job_refit_enqueue(job: LabelingJob) -> None:
    """The ended job's final labels and worker model (jobs.services.refit), after commit."""
    from jobs import tasks

    enqueue_on_commit(tasks.job_refit, job.pk)


def job_completion_reason(job: LabelingJob) -> str | None:
    """Why the (locked, fresh) running job is done, or None while it still has work."""
    if job.max_human_labeled_objects and job.human_labeled >= job.max_human_labeled_objects:
        return "max_human_labeled_objects reached"
    if job.max_percentage_labeled and (
        job.total_labeled * 100 >= job.max_percentage_labeled * job.total_objects
    ):
        return "max_percentage_labeled reached"
    if job.total_objects and job.unlabeled <= 0:
        return "every object is labeled or failed"
    return None


# HITs.


@transaction.atomic
def hits_release(*, job: LabelingJob) -> int:
    """Create HITs for the job's next data objects, in line order, while fewer than
    `max_concurrent_tasks` are open. Returns how many it created; safe to call any time
    (does nothing unless the job is running, not expired, and has free slots)."""
    job = job_lock(job_id=job.pk)
    return _hits_release_locked(job, now=timezone.now())


def _hits_release_locked(job: LabelingJob, *, now: datetime) -> int:
    """Caller holds the job's row lock (so releases of one job run one at a time)."""
    if job.status != JobStatus.RUNNING or (job.expires_at and job.expires_at <= now):
        return 0
    reason = job_completion_reason(job)
    if reason is not None:
        job_complete_locked(job, reason=reason, now=now)
        return 0
    slots = job.max_concurrent_tasks - job.open_hits
    if slots <= 0:
        return 0
    # Objects waiting for one more answer go first (jobs.services.slots).
    reopened = waiting_hits_reopen_locked(job=job, slots=slots, now=now)
    slots -= reopened
    if slots <= 0:
        return reopened
    # Objects go out in line order under this lock, so every object up to the newest
    # Assignable HIT's line already has a HIT (or needs none): start after it instead of
    # walking the whole released prefix. Uses index: hit_open_by_job.
    after_line = (
        HIT.objects.filter(job=job, status=HITStatus.ASSIGNABLE, is_gold=False)
        .order_by("-id")
        .values_list("data_object__line_number", flat=True)
        .first()
    ) or 0
    # Uses index: data_object_line_once (job, line_number) in order; HIT's unique
    # data_object index answers the NOT EXISTS.
    data_object_ids = list(
        DataObject.objects.filter(
            job=job,
            status=DataObjectStatus.UNLABELED,
            line_number__gt=after_line,
            gold_question__isnull=True,
        )
        .exclude(Exists(HIT.objects.filter(data_object=OuterRef("pk"))))
        .order_by("line_number")
        .values_list("pk", flat=True)[:slots]
    )
    if not data_object_ids:
        return reopened
    HIT.objects.bulk_create(
        [
            HIT(
                job=job,
                data_object_id=data_object_id,
                max_assignments=job.workers_per_object,
                expires_at=job.expires_at,
            )
            for data_object_id in data_object_ids
        ]
    )
    released = len(data_object_ids)
    LabelingJob.objects.filter(pk=job.pk).update(
        open_hits=F("open_hits") + released, updated_at=now
    )
    job.open_hits += released
    return reopened + released


def hits_close(*, hits: list[HIT], now: datetime) -> None:
    """Open HITs -> Reviewable, as Mechanical Turk expires a HIT.

    Caller holds the HITs' row locks (and may hold their jobs' locks). Live assignments
    keep their lease and may still be submitted until their deadline. A HIT with no live
    assignment has all its answers: its object is consolidated (or fails) after commit.
    Gold HITs close with the rest, but they are not in open_hits and never consolidated.
    """
    hits = [hit for hit in hits if hit.status in OPEN_HIT_STATUSES]
    if not hits:
        return
    HIT.objects.filter(pk__in=[hit.pk for hit in hits]).update(
        status=HITStatus.REVIEWABLE, updated_at=now
    )
    counted = Counter(hit.job_id for hit in hits if not hit.is_gold)
    for job_id, closed in sorted(counted.items()):
        LabelingJob.objects.filter(pk=job_id).update(
            open_hits=F("open_hits") - closed, updated_at=now
        )
    from jobs import tasks

    for hit in hits:
        hit.status = HITStatus.REVIEWABLE
        if hit.assignments_pending == 0 and not hit.is_gold:
            enqueue_on_commit(tasks.data_object_consolidate, hit.data_object_id)


def _job_hits_close(job: LabelingJob, *, now: datetime) -> None:
    """Expire the ended job's open HITs. Caller holds the job's row lock, so this takes
    only HITs nobody holds (a claim or submit in flight holds its HIT and may be waiting
    for this job's lock); the rest are closed by a task after commit, in lock order."""
    hits = list(
        HIT.objects.select_for_update(**lock_options(skip_locked=True))
        .filter(job=job, status__in=OPEN_HIT_STATUSES)
        .order_by("id")
    )
    hits_close(hits=hits, now=now)
    job.open_hits -= sum(1 for hit in hits if not hit.is_gold)
    if job.open_hits > 0:
        from jobs import tasks

        enqueue_on_commit(tasks.job_hits_close, job.pk)


def job_hits_close(*, job_id: int, batch_size: int = 500) -> int:
    """Expire the open HITs left on an ended job, each batch in its own transaction and in
    lock order (HITs, then the job). Idempotent. Returns how many it closed."""
    closed = 0
    while True:
        with transaction.atomic():
            hits = list(
                HIT.objects.select_for_update(**lock_options())
                .filter(
                    job_id=job_id,
                    job__status__in=ENDED_JOB_STATUSES,
                    status__in=OPEN_HIT_STATUSES,
                )
                .order_by("id")[:batch_size]
            )
            hits_close(hits=hits, now=timezone.now())
        closed += len(hits)
        if len(hits) < batch_size:
            return closed
