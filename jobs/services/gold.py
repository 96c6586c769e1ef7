"""Gold questions: adding them to a job or a gold set, placing them in a job as ordinary
looking objects, and scoring a worker's answer to one."""

import json
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, ExpressionWrapper, F, FloatField, Max, Q, QuerySet
from django.utils import timezone

from jobs.labels import label_config_parse
from jobs.models import (
    GOLD_HIT_MAX_ASSIGNMENTS,
    HIT,
    MAX_GOLD_RATE,
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    DataObject,
    GoldQuestion,
    GoldSet,
    HITStatus,
    JobEvent,
    JobStatus,
    JobWorker,
    LabelingJob,
)
from jobs.services.locking import lock_options
from jobs.tasktypes import task_type_get
from jobs.tasktypes.base import AnswerInvalid, TaskType
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import Membership, Organization, User
from marketplace.services import member_require

GOLD_ITEM_FIELDS = frozenset({"data", "answer", "tolerance"})
MAX_GOLD_PER_REQUEST = 1_000
MAX_GOLD_PER_JOB = 10_000  # a job's own gold, and a gold set's questions
MAX_GOLD_DATA_CHARACTERS = 100_000  # as a manifest line
MAX_GOLD_SET_NAME = 100
# Jobs that may still take gold: a draft stores it for launch; a launched job places it.
GOLD_OPEN_JOB_STATUSES = frozenset({JobStatus.DRAFT, JobStatus.RUNNING, JobStatus.PAUSED})
PLACED_JOB_STATUSES = frozenset({JobStatus.RUNNING, JobStatus.PAUSED})
# Defaults of the warm-up schedule (settings.GOLD_WARMUP_BOOST / GOLD_WARMUP_TASKS).
DEFAULT_WARMUP_BOOST = 2.0
DEFAULT_WARMUP_TASKS = 10.0


class GoldEventKind:
    ADDED = "gold_added"
    DEACTIVATED = "gold_deactivated"


# The rate schedule.


@dataclass(frozen=True)
class GoldSchedule:
    """rate(n) = min(0.5, gold_rate * (1 + boost * exp(-n / tasks))): `boost` times more
    gold on top of the rate at a worker's start in a job, fading over about `tasks`."""

    boost: float
    tasks: float


def gold_schedule() -> GoldSchedule:
    return GoldSchedule(
        boost=float(getattr(settings, "GOLD_WARMUP_BOOST", DEFAULT_WARMUP_BOOST)),
        tasks=float(getattr(settings, "GOLD_WARMUP_TASKS", DEFAULT_WARMUP_TASKS)),
    )


def gold_rate_at(
    *, submitted: int, gold_rate: float, schedule: GoldSchedule | None = None
) -> float:
    """The chance that a worker's next task in a job is gold, after their `submitted`-th
    submit there (the same formula as the submit statement's gold_due_sql)."""
    schedule = schedule or gold_schedule()
    boosted = float(gold_rate) * (1 + schedule.boost * math.exp(-submitted / schedule.tasks))
    return min(float(MAX_GOLD_RATE), boosted)


def gold_is_due(*, draw: float, submitted: int, gold_rate: float) -> bool:
    """The submit's draw (uniform in [0, 1)) against the schedule."""
    return draw < gold_rate_at(submitted=submitted, gold_rate=gold_rate)


# Checks.


def gold_set_check(*, organization_id: int, task_type: str, labels: list[str], gold_set) -> GoldSet:
    """The gold set (a GoldSet or its id) a job of `organization_id` with `task_type` and
    `labels` may draw gold from; InvalidInput on "gold_set" for a set of another
    organization (said as "no such set"), or of another task type or label list."""
    if isinstance(gold_set, GoldSet):
        gold_set = gold_set.pk
    found = None
    if isinstance(gold_set, int) and not isinstance(gold_set, bool):
        found = GoldSet.objects.filter(pk=gold_set, organization_id=organization_id).first()
    if found is None:
        raise InvalidInput(fields={"gold_set": ["No such gold set in the job's organization."]})
    if found.task_type != task_type or list(found.labels) != list(labels):
        raise InvalidInput(
            fields={
                "gold_set": [
                    f'The gold set "{found.name}" is for {found.task_type} with the labels '
                    f"{', '.join(found.labels)}; the job's task type and labels must be the "
                    "same."
                ]
            }
        )
    return found


def _item_problems(
    item, *, task_type: TaskType, labels: list[str], prefix: str
) -> tuple[dict, GoldQuestion | None]:
    """One gold item's field problems (named with `prefix`), or an unsaved question."""
    if not isinstance(item, dict):
        name = prefix.rstrip(".") or "gold"
        return {name: ['Give an object: {"data": ..., "answer": ..., "tolerance": ...}.']}, None
    problems: dict[str, list[str]] = {
        f"{prefix}{name}": ["Unknown field."] for name in sorted(set(item) - GOLD_ITEM_FIELDS)
    }
    data = item.get("data")
    if "data" not in item:
        problems[f"{prefix}data"] = ["This field is required: the object, as a manifest line."]
    elif not isinstance(data, dict):
        problems[f"{prefix}data"] = ["Give the object as a JSON object (a manifest line)."]
    elif len(json.dumps(data, ensure_ascii=False)) > MAX_GOLD_DATA_CHARACTERS:
        problems[f"{prefix}data"] = [f"At most {MAX_GOLD_DATA_CHARACTERS:,} characters."]
    else:
        reasons = task_type.validate_manifest_line(data)
        if reasons:
            problems[f"{prefix}data"] = reasons
    answer = None
    if "answer" not in item:
        problems[f"{prefix}answer"] = ["This field is required: the expected answer."]
    else:
        try:
            answer = task_type.validate_answer(item["answer"], labels=labels)
        except AnswerInvalid as error:
            for name, messages in error.fields.items():
                field = "answer" if name == "non_field_errors" else f"answer.{name}"
                problems[f"{prefix}{field}"] = messages
    tolerance = item.get("tolerance")
    if tolerance is not None:
        if not task_type.gold_tolerance:
            problems[f"{prefix}tolerance"] = [
                f"{task_type.name} compares answers exactly: it takes no tolerance."
            ]
        elif (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            problems[f"{prefix}tolerance"] = ["Give a number of at least 0."]
    if problems:
        return problems, None
    return {}, GoldQuestion(
        data=data,
        expected_answer=answer,
        tolerance=None if tolerance is None else float(tolerance),
    )


def _questions_checked(items, *, task_type: TaskType, labels: list[str]) -> list[GoldQuestion]:
    """A list of items (each field named "gold[i].<field>") or one item (named "<field>");
    every problem at once as InvalidInput."""
    many = isinstance(items, list)
    if many and not items:
        raise InvalidInput(fields={"gold": ["Give at least one gold question."]})
    if many and len(items) > MAX_GOLD_PER_REQUEST:
        raise InvalidInput(
            fields={"gold": [f"At most {MAX_GOLD_PER_REQUEST:,} gold questions at a time."]}
        )
    problems: dict = {}
    questions = []
    for index, item in enumerate(items if many else [items]):
        item_problems, question = _item_problems(
            item, task_type=task_type, labels=labels, prefix=f"gold[{index}]." if many else ""
        )
        problems.update(item_problems)
        questions.append(question)
    if problems:
        raise InvalidInput(fields=problems)
    return questions


def gold_lines_parse(stream) -> list:
    """A JSON Lines upload of gold items (one {"data", "answer", "tolerance"} per line;
    blank lines skipped) as a list; a line that is not JSON is InvalidInput on "gold"."""
    items, problems = [], []
    for number, raw in enumerate(stream, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        if len(items) >= MAX_GOLD_PER_REQUEST:
            raise InvalidInput(
                fields={"gold": [f"At most {MAX_GOLD_PER_REQUEST:,} gold questions at a time."]}
            )
        try:
            items.append(json.loads(text))
        except ValueError:
            problems.append(f"line {number}: not valid JSON.")
    if problems:
        raise InvalidInput(fields={"gold": problems[:100]})
    return items


# Writes.


def _job_lock(job_id: int) -> LabelingJob:
    try:
        return LabelingJob.objects.select_for_update(**lock_options()).get(pk=job_id)
    except LabelingJob.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def gold_add(*, actor: User, job: LabelingJob, items) -> list[GoldQuestion]:
    """Add gold questions (a list, or one item) to a draft, running or paused job; a
    launched job places them at once. Any bad item refuses all, with field messages
    ("gold[3].answer.label"), and nothing is stored."""
    member_require(actor=actor, organization_id=job.organization_id)
    job = _job_lock(job.pk)
    if job.status not in GOLD_OPEN_JOB_STATUSES:
        raise Conflict(
            f'The job is "{job.status}"; gold can be added to a draft, running or paused job.',
            code="job_ended",
        )
    questions = _questions_checked(items, task_type=task_type_get(job.task_type), labels=job.labels)
    if GoldQuestion.objects.filter(job=job).count() + len(questions) > MAX_GOLD_PER_JOB:
        raise InvalidInput(fields={"gold": [f"A job holds at most {MAX_GOLD_PER_JOB:,} gold."]})
    for question in questions:
        question.organization_id = job.organization_id
        question.job = job
        question.created_by = actor
    questions = GoldQuestion.objects.bulk_create(questions)
    JobEvent.objects.create(
        job=job,
        actor=actor,
        kind=GoldEventKind.ADDED,
        new_status=job.status,
        data={"count": len(questions)},
    )
    if job.status in PLACED_JOB_STATUSES:
        gold_place_locked(job=job, now=timezone.now())
    return questions


def _labels_checked(labels, *, task_type: TaskType) -> list[str]:
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise InvalidInput(fields={"labels": ["Give the labels as a list of names."]})
    document = {"document-version": "2018-11-28", "labels": [{"label": name} for name in labels]}
    try:
        return label_config_parse(document, task_type=task_type)
    except InvalidInput as error:
        messages = [message for field in error.fields.values() for message in field]
        raise InvalidInput(fields={"labels": messages or [error.message]}) from None


@transaction.atomic
def gold_set_create(*, actor: User, organization: Organization, name, task_type, labels) -> GoldSet:
    """An organization's gold set for one task type and label list (in order)."""
    member_require(actor=actor, organization_id=organization.pk)
    problems: dict = {}
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_GOLD_SET_NAME:
        problems["name"] = [f"Give a name of 1 to {MAX_GOLD_SET_NAME} characters."]
    kind = None
    try:
        kind = task_type_get(task_type)
    except InvalidInput as error:
        problems.update(error.fields)
    if kind is not None:
        try:
            labels = _labels_checked(labels, task_type=kind)
        except InvalidInput as error:
            problems.update(error.fields)
    if problems:
        raise InvalidInput(fields=problems)
    name = name.strip()
    taken = Conflict(
        "A gold set with this name already exists in the organization.",
        fields={"name": ["A gold set with this name already exists (names ignore case)."]},
        code="gold_set_name_taken",
    )
    if GoldSet.objects.filter(organization=organization, name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return GoldSet.objects.create(
                organization=organization,
                name=name,
                task_type=kind.key,
                labels=labels,
                created_by=actor,
            )
    except IntegrityError:  # a concurrent create took the name in between
        raise taken from None


@transaction.atomic
def gold_set_add(*, actor: User, gold_set: GoldSet, items) -> list[GoldQuestion]:
    """Add questions to a gold set (as gold_add); running jobs drawing on the set place
    them at once."""
    member_require(actor=actor, organization_id=gold_set.organization_id)
    try:
        gold_set = GoldSet.objects.select_for_update(**lock_options()).get(pk=gold_set.pk)
    except GoldSet.DoesNotExist:
        raise NotFound() from None
    questions = _questions_checked(
        items, task_type=task_type_get(gold_set.task_type), labels=gold_set.labels
    )
    if GoldQuestion.objects.filter(gold_set=gold_set).count() + len(questions) > MAX_GOLD_PER_JOB:
        raise InvalidInput(
            fields={"gold": [f"A gold set holds at most {MAX_GOLD_PER_JOB:,} questions."]}
        )
    for question in questions:
        question.organization_id = gold_set.organization_id
        question.gold_set = gold_set
        question.created_by = actor
    questions = GoldQuestion.objects.bulk_create(questions)
    now = timezone.now()
    # Lock order among jobs: by id.
    job_ids = (
        LabelingJob.objects.filter(gold_set=gold_set, status__in=PLACED_JOB_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for job_id in list(job_ids):
        job = _job_lock(job_id)
        if job.status in PLACED_JOB_STATUSES and job.gold_set_id == gold_set.pk:
            gold_place_locked(job=job, now=now)
    return questions


@transaction.atomic
def gold_set_delete(*, actor: User, gold_set: GoldSet) -> None:
    """Delete a gold set no job uses (Conflict otherwise), with its questions."""
    member_require(actor=actor, organization_id=gold_set.organization_id)
    try:
        gold_set = GoldSet.objects.select_for_update(**lock_options()).get(pk=gold_set.pk)
    except GoldSet.DoesNotExist:
        raise NotFound() from None
    used = (
        LabelingJob.objects.filter(gold_set=gold_set).exists()
        or DataObject.objects.filter(gold_question__gold_set=gold_set).exists()
    )
    if used:
        raise Conflict(
            "A job uses this gold set; it can only be deleted while no job does.",
            code="gold_set_in_use",
        )
    gold_set.delete()


@transaction.atomic
def gold_deactivate(*, actor: User, question: GoldQuestion) -> GoldQuestion:
    """Active -> inactive, for good: no job places it any more, and its open gold HITs
    are disposed of (never served again). Answers already given stay, and so do their
    scores. Deactivating an inactive question returns it unchanged."""
    member_require(actor=actor, organization_id=question.organization_id)
    try:
        question = GoldQuestion.objects.select_for_update(**lock_options()).get(pk=question.pk)
    except GoldQuestion.DoesNotExist:
        raise NotFound() from None
    if not question.active:
        return question
    question.active = False
    question.save(update_fields=["active", "updated_at"])
    now = timezone.now()
    # Lock order: HITs before anything of theirs; gold HITs are never in job.open_hits.
    hits = list(
        HIT.objects.select_for_update(**lock_options())
        .filter(is_gold=True, data_object__gold_question=question, status=HITStatus.ASSIGNABLE)
        .order_by("pk")
    )
    HIT.objects.filter(pk__in=[hit.pk for hit in hits]).update(
        status=HITStatus.DISPOSED, updated_at=now
    )
    if question.job_id is not None:
        JobEvent.objects.create(
            job_id=question.job_id,
            actor=actor,
            kind=GoldEventKind.DEACTIVATED,
            data={"gold": question.pk, "hits_disposed": len(hits)},
        )
    return question


def gold_place_locked(*, job: LabelingJob, now) -> int:
    """Place the job's active gold (its own and its gold set's) that is not placed yet:
    a data object each (line numbers after the manifest's; data = the gold's manifest
    line) with a gold HIT (GOLD_HIT_MAX_ASSIGNMENTS, the job's expiry, never counted in
    open_hits). Caller holds the launched job's row lock. Idempotent (and guarded by
    data_object_gold_once_per_job); returns how many it placed."""
    if job.expires_at is None or job.status not in PLACED_JOB_STATUSES:
        return 0
    questions = Q(job=job)
    if job.gold_set_id is not None:
        questions |= Q(gold_set_id=job.gold_set_id)
    placed = DataObject.objects.filter(job=job, gold_question__isnull=False).values(
        "gold_question_id"
    )
    unplaced = list(
        GoldQuestion.objects.filter(questions, active=True)
        .exclude(pk__in=placed)
        .order_by("pk")
        .values_list("pk", "data")
    )
    if not unplaced:
        return 0
    last_line = DataObject.objects.filter(job=job).aggregate(last=Max("line_number"))["last"] or 0
    data_objects = DataObject.objects.bulk_create(
        [
            DataObject(job=job, line_number=last_line + offset, data=data, gold_question_id=pk)
            for offset, (pk, data) in enumerate(unplaced, start=1)
        ]
    )
    HIT.objects.bulk_create(
        [
            HIT(
                job=job,
                data_object=data_object,
                max_assignments=GOLD_HIT_MAX_ASSIGNMENTS,
                expires_at=job.expires_at,
                is_gold=True,
            )
            for data_object in data_objects
        ]
    )
    return len(data_objects)


# Scoring.


@transaction.atomic
def gold_answer_score(*, assignment_id: int) -> None:
    """Score a submitted answer on a gold HIT against its gold question, exactly once:
    the assignment row is locked and only an unscored answer is scored, so a task run
    twice (or two at once) counts it once. Sets Assignment.gold_correct and moves the
    worker's JobWorker gold counters."""
    assignment = (
        Assignment.objects.select_for_update(**lock_options()).filter(pk=assignment_id).first()
    )
    if (
        assignment is None
        or assignment.gold_correct is not None
        or assignment.status not in SUBMITTED_ASSIGNMENT_STATUSES
    ):
        return
    found = (
        HIT.objects.filter(pk=assignment.hit_id, is_gold=True)
        .values(
            "job_id",
            "job__task_type",
            "data_object__gold_question__expected_answer",
            "data_object__gold_question__tolerance",
        )
        .first()
    )
    if found is None or found["data_object__gold_question__expected_answer"] is None:
        return
    correct = task_type_get(found["job__task_type"]).answers_match(
        assignment.answer,
        found["data_object__gold_question__expected_answer"],
        tolerance=found["data_object__gold_question__tolerance"],
    )
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(gold_correct=correct, updated_at=now)
    counters = {"gold_answered": F("gold_answered") + 1, "updated_at": now}
    if correct:
        counters["gold_correct"] = F("gold_correct") + 1
    moved = JobWorker.objects.filter(job_id=found["job_id"], worker_id=assignment.worker_id).update(
        **counters
    )
    if not moved:  # the submit counts the worker in; this is only a guard
        JobWorker.objects.create(
            job_id=found["job_id"],
            worker_id=assignment.worker_id,
            gold_answered=1,
            gold_correct=int(correct),
        )


# Reads (the gold API's and pages' selectors), scoped to the actor's organizations.


def gold_set_list(*, actor: User, only: Organization | None = None) -> QuerySet[GoldSet]:
    """Gold sets of the organizations `actor` belongs to (only `only`'s when the request
    is bound to one), newest first, each with its number of questions and of jobs."""
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    queryset = GoldSet.objects.filter(organization_id__in=organizations)
    if only is not None:
        queryset = queryset.filter(organization=only)
    return (
        queryset.select_related("organization")
        .annotate(
            question_count=Count("questions", filter=Q(questions__active=True), distinct=True),
            job_count=Count("labeling_jobs", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def gold_set_access(*, actor: User, gold_set_id, only: Organization | None = None) -> GoldSet:
    try:
        return gold_set_list(actor=actor, only=only).get(pk=int(gold_set_id))
    except (GoldSet.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _with_stats(queryset: QuerySet[GoldQuestion], *, job: LabelingJob | None):
    """Each question's scored answers (`times_answered`) and correct ones, in `job` (or in
    every job that placed it)."""
    scored = Q(placements__hit__assignments__gold_correct__isnull=False)
    if job is not None:
        scored &= Q(placements__job=job)
    return queryset.annotate(
        times_answered=Count("placements__hit__assignments", filter=scored),
        times_correct=Count(
            "placements__hit__assignments",
            filter=scored & Q(placements__hit__assignments__gold_correct=True),
        ),
    )


def job_gold_list(*, job: LabelingJob) -> QuerySet[GoldQuestion]:
    """The gold a job (the caller has access to) draws on: its own and its gold set's,
    active or not, with their answers in this job."""
    questions = Q(job=job)
    if job.gold_set_id is not None:
        questions |= Q(gold_set_id=job.gold_set_id)
    return _with_stats(GoldQuestion.objects.filter(questions), job=job).order_by("id")


def job_gold_access(*, job: LabelingJob, gold_id) -> GoldQuestion:
    try:
        return job_gold_list(job=job).get(pk=int(gold_id))
    except (GoldQuestion.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def gold_set_question_list(*, gold_set: GoldSet) -> QuerySet[GoldQuestion]:
    """A gold set's questions with their answers in every job drawing on the set."""
    return _with_stats(GoldQuestion.objects.filter(gold_set=gold_set), job=None).order_by("id")


def gold_set_question_access(*, gold_set: GoldSet, gold_id) -> GoldQuestion:
    try:
        return gold_set_question_list(gold_set=gold_set).get(pk=int(gold_id))
    except (GoldQuestion.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def job_gold_workers(*, job: LabelingJob) -> QuerySet[JobWorker]:
    """The job's workers who answered gold, lowest accuracy first (requester side)."""
    return (
        JobWorker.objects.filter(job=job, gold_answered__gt=0)
        .select_related("worker")
        .order_by(
            ExpressionWrapper(
                F("gold_correct") * 1.0 / F("gold_answered"), output_field=FloatField()
            ),
            "-gold_answered",
            "id",
        )
    )
