"""Reads of the jobs app, each scoped to what the actor may see: requesters see their
organizations' jobs and assignments, workers their own assignments. Anything else is
NotFound."""

import re
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from jobs.models import (
    ENTITY_ID_REGEX,
    HIT,
    SUBMITTED_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    DataObject,
    HITStatus,
    JobWorker,
    LabelingJob,
)
from jobs.services import statements
from marketplace.db import execute_prepared
from marketplace.exceptions import InvalidInput, NotFound
from marketplace.models import Membership, Organization, User
from workforce.eligibility import Action, jobs_open_to_worker
from workforce.models import ActionsGuarded, QualificationRequirement, WorkerProfile


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _entity_filter(value, *, field: str) -> dict:
    """Look an assignment or HIT up by its public id (30 of [A-Z0-9]) or its row id."""
    if isinstance(value, str) and re.fullmatch(ENTITY_ID_REGEX, value):
        return {field: value}
    return {"pk": _pk(value)}


def job_list(*, actor: User, only: Organization | None = None) -> QuerySet[LabelingJob]:
    """Jobs of the organizations `actor` belongs to (only `only`'s when a request is bound
    to one, as with an API key), newest first."""
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    queryset = (
        LabelingJob.objects.filter(organization_id__in=organizations)
        .select_related("organization", "workforce", "created_by")
        .order_by("-created_at", "-id")
    )
    if only is not None:
        queryset = queryset.filter(organization=only)
    return queryset


def job_access(*, actor: User, job_id, only: Organization | None = None) -> LabelingJob:
    try:
        return job_list(actor=actor, only=only).get(pk=_pk(job_id))
    except LabelingJob.DoesNotExist:
        raise NotFound() from None


def assignment_list_for_review(
    *,
    actor: User,
    job: LabelingJob | None = None,
    worker_id: str | None = None,
    status: str | None = None,
    only: Organization | None = None,
) -> QuerySet[Assignment]:
    """Submitted work (submitted, approved, rejected) in the actor's organizations' jobs,
    oldest submission first; filtered by job, public worker id and status."""
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    queryset = Assignment.objects.filter(hit__job__organization_id__in=organizations)
    if only is not None:
        queryset = queryset.filter(hit__job__organization=only)
    if status is None:
        queryset = queryset.filter(status__in=SUBMITTED_ASSIGNMENT_STATUSES)
    elif status in AssignmentStatus.values:
        queryset = queryset.filter(status=status)
    else:
        choices = ", ".join(AssignmentStatus.values)
        raise InvalidInput(fields={"status": [f"Choose one of: {choices}."]})
    if job is not None:
        queryset = queryset.filter(hit__job=job)
    if worker_id is not None:
        queryset = queryset.filter(worker__worker_id=worker_id)
    return queryset.select_related("hit", "hit__job", "hit__data_object", "worker").order_by(
        "submitted_at", "id"
    )


def _assignments_for_review(*, actor: User, only: Organization | None) -> QuerySet[Assignment]:
    organizations = Membership.objects.filter(user=actor).values("organization_id")
    queryset = Assignment.objects.filter(hit__job__organization_id__in=organizations)
    if only is not None:
        queryset = queryset.filter(hit__job__organization=only)
    return queryset.select_related("hit", "hit__job", "hit__data_object", "worker")


def assignment_access_for_review(
    *, actor: User, assignment_id, only: Organization | None = None
) -> Assignment:
    """Any assignment of the actor's organizations' jobs, whatever its status."""
    try:
        return _assignments_for_review(actor=actor, only=only).get(
            **_entity_filter(assignment_id, field="assignment_id")
        )
    except Assignment.DoesNotExist:
        raise NotFound() from None


def assignments_access_for_review(
    *, actor: User, assignment_ids: list[str], only: Organization | None = None
) -> list[Assignment]:
    """The assignments named by AssignmentId, in the order named (each once), in one
    query; NotFound if any is not one of the actor's organizations' assignments."""
    wanted = list(dict.fromkeys(assignment_ids))
    found = {
        assignment.assignment_id: assignment
        for assignment in _assignments_for_review(actor=actor, only=only).filter(
            assignment_id__in=wanted
        )
    }
    if len(found) != len(wanted):
        raise NotFound()
    return [found[assignment_id] for assignment_id in wanted]


def worker_assignment_list(
    *, worker: WorkerProfile, statuses: tuple[str, ...] | None = None
) -> QuerySet[Assignment]:
    """The worker's own assignments (only those in `statuses` when given), newest first.
    Uses index: assignment_worker_recent."""
    queryset = Assignment.objects.filter(worker=worker)
    if statuses is not None:
        queryset = queryset.filter(status__in=statuses)
    return queryset.select_related("hit", "hit__job", "hit__data_object").order_by(
        "-created_at", "-id"
    )


def assignment_access_for_worker(
    *, worker: WorkerProfile, assignment_id, with_data: bool = True
) -> Assignment:
    """One of the worker's own assignments, with its HIT and job (and, unless `with_data`
    is False, its data object); another worker's is NotFound."""
    lookup = _entity_filter(assignment_id, field="assignment_id")
    if connection.vendor == "postgresql":
        # A prepared statement: building this queryset costs more CPU than the submit.
        by_public_id = "assignment_id" in lookup
        row = execute_prepared(
            statements.worker_assignment_sql(by_public_id=by_public_id, with_data=with_data),
            {"worker": worker.pk, "id": next(iter(lookup.values()))},
            savepoint=False,
        )
        if row is None:
            raise NotFound()
        return statements.worker_assignment(row, with_data=with_data)
    assignments = Assignment.objects.filter(worker=worker).select_related("hit", "hit__job")
    if with_data:
        assignments = assignments.select_related("hit__data_object")
    try:
        return assignments.get(**lookup)
    except Assignment.DoesNotExist:
        raise NotFound() from None


def hit_access_for_worker(*, worker: WorkerProfile, hit_id) -> HIT:
    """A HIT of a job open to the worker (for accepting it); any other is NotFound."""
    try:
        return (
            HIT.objects.filter(job__in=jobs_open_to_worker(worker=worker).values("pk"))
            .select_related("job")
            .get(**_entity_filter(hit_id, field="hit_id"))
        )
    except HIT.DoesNotExist:
        raise NotFound() from None


def work_job_preview(*, worker: WorkerProfile, job_id) -> LabelingJob:
    """A job the worker may preview (its requirements guarding preview met) and that has
    work for them, with its instructions and labels; any other is NotFound."""
    found = (
        work_job_list(worker=worker, action=Action.PREVIEW)
        .defer(None)
        .only(*WORK_JOB_COLUMNS, "short_instructions", "full_instructions", "labels")
        .filter(pk=_pk(job_id))
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def worker_done_count(*, worker: WorkerProfile, job: LabelingJob) -> int:
    """How many of the job's tasks the worker has submitted ("n done in this job"), as
    submit keeps it in the worker's JobWorker row (read, not counted)."""
    done = (
        JobWorker.objects.filter(job=job, worker=worker).values_list("submitted", flat=True).first()
    )
    return done or 0


def hit_list(*, job: LabelingJob) -> QuerySet[HIT]:
    """The HITs of a job the caller already has access to, each with its object's line number
    (joined, without reading the object's data); gold HITs among them (is_gold)."""
    return HIT.objects.filter(job=job).annotate(line_number=F("data_object__line_number"))


def hit_access(*, actor: User, hit_id: str, only=None) -> HIT:
    """A HIT of one of the actor's organizations' jobs, by its HITId; any other is NotFound."""
    hit = (
        HIT.objects.filter(hit_id=hit_id, job__in=job_list(actor=actor, only=only).values("pk"))
        .annotate(line_number=F("data_object__line_number"))
        .first()
    )
    if hit is None:
        raise NotFound()
    return hit


def data_object_list(*, job: LabelingJob) -> QuerySet[DataObject]:
    """The job's own data objects; the gold objects placed in it are not among them."""
    return DataObject.objects.filter(job=job, gold_question__isnull=True)


# What a worker's list of available work shows of a job; the wide columns are not read.
WORK_JOB_COLUMNS = (
    "id",
    "title",
    "description",
    "task_type",
    "reward",
    "currency",
    "task_time_limit_seconds",
    "created_at",
    "launched_at",
    "organization__name",
)


def work_job_list(
    *, worker: WorkerProfile, action: Action = Action.DISCOVER
) -> QuerySet[LabelingJob]:
    """Jobs open to the worker (for `action`: discovery by default) that have HITs the
    worker could accept now, each with how many (`hits_available`): Assignable, unexpired,
    not worked on by them before; oldest launch first. Gold HITs are not counted (they are
    served only when due, and a count must not tell a worker that some are there).

    The count walks the partial index hit_open_by_job (open HITs only) and probes
    assignment_once_per_worker; it reads no JSON column.
    """
    worked_on = Assignment.objects.filter(hit=OuterRef("pk"), worker=worker)
    available = (
        HIT.objects.filter(
            job=OuterRef("pk"),
            status=HITStatus.ASSIGNABLE,
            is_gold=False,
            expires_at__gt=timezone.now(),
        )
        .exclude(Exists(worked_on))
        .order_by()
        .values("job")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        jobs_open_to_worker(worker=worker, action=action)
        .select_related("organization")
        .only(*WORK_JOB_COLUMNS)
        .annotate(hits_available=Coalesce(Subquery(available), 0))
        .filter(hits_available__gt=0)
        .order_by("launched_at", "id")
    )


def work_job_locked_list(*, worker: WorkerProfile) -> QuerySet[LabelingJob]:
    """Jobs with work the worker may discover but not accept yet: a qualification
    requirement guarding only preview or accept is unmet. Each comes with those
    requirements (`locking_requirements`, with their types and values), never the ones
    guarding discovery (a worker who does not meet one never sees the job at all).

    Three queries whatever the number of jobs: the jobs, their requirements, the values.
    """
    acceptable = jobs_open_to_worker(worker=worker, action=Action.ACCEPT).values("pk")
    requirements = (
        QualificationRequirement.objects.exclude(
            actions_guarded=ActionsGuarded.DISCOVER_PREVIEW_AND_ACCEPT
        )
        .select_related("qualification_type__owner")
        .defer("qualification_type__test", "qualification_type__answer_key")
        .annotate(
            type_has_test=ExpressionWrapper(
                Q(qualification_type__test__isnull=False), output_field=BooleanField()
            )
        )
        .prefetch_related("values")
        .order_by("position")
    )
    return (
        work_job_list(worker=worker, action=Action.DISCOVER)
        .exclude(pk__in=acceptable)
        .prefetch_related(
            Prefetch(
                "qualification_requirements",
                queryset=requirements,
                to_attr="locking_requirements",
            )
        )
    )


# A worker's earnings: the reward of each submitted assignment, by its review state.
EARNING_STATUSES = {
    "pending": AssignmentStatus.SUBMITTED,
    "approved": AssignmentStatus.APPROVED,
    "rejected": AssignmentStatus.REJECTED,
}
MONEY = DecimalField(max_digits=18, decimal_places=4)


def _earning_aggregates() -> dict:
    aggregates = {}
    for name, status in EARNING_STATUSES.items():
        aggregates[f"{name}_count"] = Count("pk", filter=Q(status=status))
        aggregates[f"{name}_amount"] = Coalesce(
            Sum("hit__job__reward", filter=Q(status=status)),
            Value(Decimal("0"), output_field=MONEY),
            output_field=MONEY,
        )
    return aggregates


def _submitted_work(*, worker: WorkerProfile) -> QuerySet[Assignment]:
    # Uses index: assignment_worker_recent (its leading column is the worker).
    return Assignment.objects.filter(worker=worker, status__in=EARNING_STATUSES.values()).order_by()


def worker_earnings_totals(*, worker: WorkerProfile) -> list[dict]:
    """Per currency: how many of the worker's assignments await review (pending), were
    approved and rejected, and their rewards summed, in one aggregate query."""
    return list(
        _submitted_work(worker=worker)
        .values(currency=F("hit__job__currency"))
        .annotate(**_earning_aggregates())
        .order_by("currency")
    )


def worker_earnings_by_job(*, worker: WorkerProfile) -> QuerySet:
    """The same figures per job the worker has submitted work in (its title and
    requester's name), most recent job first: rows of a GROUP BY, not model instances."""
    return (
        _submitted_work(worker=worker)
        .values(
            job_id=F("hit__job_id"),
            title=F("hit__job__title"),
            requester=F("hit__job__organization__name"),
            currency=F("hit__job__currency"),
        )
        .annotate(**_earning_aggregates())
        .order_by("-job_id")
    )
