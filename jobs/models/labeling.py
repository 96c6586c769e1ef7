"""Labeling jobs, their data objects, HITs and assignments, and the job's event history.

States follow Ground Truth (jobs) and Mechanical Turk (HITs, assignments); each status
field has its transition map beside it, which the services enforce.
"""

import secrets
import string
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from marketplace.models import BaseModel
from payments.money import DEFAULT_CURRENCY

ENTITY_ID_ALPHABET = string.ascii_uppercase + string.digits
ENTITY_ID_LENGTH = 30  # Mechanical Turk's HIT and assignment ids are 30 of [A-Z0-9]
ENTITY_ID_REGEX = r"^[A-Z0-9]{30}$"


def new_entity_id() -> str:
    """A random public id shaped like Mechanical Turk's HITId / AssignmentId."""
    return "".join(secrets.choice(ENTITY_ID_ALPHABET) for _ in range(ENTITY_ID_LENGTH))


# Ground Truth's limits (reference/ground-truth.md, CreateLabelingJob).
JOB_NAME_REGEX = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
MIN_TASK_TIME_LIMIT = 30
MAX_TASK_TIME_LIMIT = 8 * 3600
MIN_AVAILABILITY_LIFETIME = 60
MAX_AVAILABILITY_LIFETIME = 30 * 24 * 3600
DEFAULT_AUTO_APPROVAL_DELAY = 3 * 24 * 3600
MAX_AUTO_APPROVAL_DELAY = 30 * 24 * 3600
MIN_REWARD = Decimal("0.01")
MAX_WORKERS_PER_OBJECT = 9  # Ground Truth's NumberOfHumanWorkersPerDataObject limit
MAX_GOLD_RATE = Decimal("0.5")


class ConsolidationMethod(models.TextChoices):
    """How a job's answers become labels (jobs.inference)."""

    DAWID_SKENE = "dawid-skene", "Dawid-Skene"
    ONE_COIN_DAWID_SKENE = "one-coin-dawid-skene", "One-coin Dawid-Skene"
    WEIGHTED_MAJORITY_VOTE = "weighted-majority-vote", "Skill-weighted majority vote"
    MAJORITY_VOTE = "majority-vote", "Majority vote"


REJECTION_OVERRIDE_WINDOW = timedelta(days=30)


class JobStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"
    FAILED = "failed", "Failed"


JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.DRAFT: frozenset({JobStatus.RUNNING, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.PAUSED, JobStatus.COMPLETED, JobStatus.STOPPED, JobStatus.FAILED}
    ),
    JobStatus.PAUSED: frozenset({JobStatus.RUNNING, JobStatus.STOPPED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.STOPPED: frozenset(),
    JobStatus.FAILED: frozenset(),
}


class LabelingJob(BaseModel):
    """A labeling job of an organization (Ground Truth's CreateLabelingJob settings)."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="labeling_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=63)
    label_attribute_name = models.CharField(max_length=127)
    task_type = models.CharField(max_length=64, help_text="A key of the task-type registry.")
    labels = models.JSONField(default=list, help_text="The label names, in order.")
    label_category_config = models.JSONField(
        default=dict, help_text="The label-category configuration document as submitted."
    )
    title = models.CharField(max_length=128, help_text="The task title workers see.")
    description = models.CharField(max_length=255, blank=True)
    short_instructions = models.TextField(blank=True, help_text="Sanitized HTML.")
    full_instructions = models.TextField(blank=True, help_text="Sanitized HTML.")
    reward = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    workers_per_object = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text="Workers per object; with dynamic overlap, the minimum.",
    )
    # Dynamic overlap: with both set, an object takes workers_per_object answers, then one
    # more at a time until its posterior confidence reaches target_confidence or it has
    # max_workers_per_object answers.
    max_workers_per_object = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WORKERS_PER_OBJECT)],
    )
    target_confidence = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.999)],
    )
    consolidation_method = models.CharField(
        max_length=32,
        choices=ConsolidationMethod.choices,
        default=ConsolidationMethod.DAWID_SKENE,
    )
    # Gold questions: the long-run share of a worker's tasks that are gold (0..0.5; higher
    # at the start of their time on the job), from the job's own gold and its gold set.
    gold_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_GOLD_RATE)],
    )
    gold_set = models.ForeignKey(
        "jobs.GoldSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="labeling_jobs",
    )
    has_quality_rules = models.BooleanField(
        default=False,
        editable=False,
        help_text="Kept by the quality-rule service: the job has an active rule, so answers "
        "are checked against the rules as they arrive.",
    )
    # Audit jobs (label verification, label adjustment) and other chained jobs: the job
    # whose output they take as input, and the label attribute they verify or adjust.
    source_job = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="chained_jobs"
    )
    source_label_attribute_name = models.CharField(max_length=127, blank=True)
    task_time_limit_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(MIN_TASK_TIME_LIMIT), MaxValueValidator(MAX_TASK_TIME_LIMIT)],
    )
    task_availability_lifetime_seconds = models.PositiveIntegerField(
        default=10 * 24 * 3600,
        validators=[
            MinValueValidator(MIN_AVAILABILITY_LIFETIME),
            MaxValueValidator(MAX_AVAILABILITY_LIFETIME),
        ],
    )
    auto_approval_delay_seconds = models.PositiveIntegerField(
        default=DEFAULT_AUTO_APPROVAL_DELAY,
        validators=[MaxValueValidator(MAX_AUTO_APPROVAL_DELAY)],
    )
    max_concurrent_tasks = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text="Batch size: data objects out with workers at once.",
    )
    max_human_labeled_objects = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_percentage_labeled = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    workforce = models.ForeignKey(
        "workforce.Workforce", on_delete=models.PROTECT, related_name="labeling_jobs"
    )
    teams = models.ManyToManyField(
        "workforce.WorkTeam",
        blank=True,
        related_name="labeling_jobs",
        help_text="Some teams of the job's workforce; none: the whole workforce.",
    )
    routed_to_teams = models.BooleanField(
        default=False,
        editable=False,
        help_text="Kept by the job service with `teams`: dispatch's claim reads this flag "
        "instead of probing the team rows of every job.",
    )
    engagement = models.ForeignKey(
        "marketplace.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="labeling_jobs",
        help_text="The vendor engagement through which the job targets a vendor's workforce.",
    )
    contains_personal_information = models.BooleanField(
        default=False,
        help_text="The data holds personal information: it never goes to the public crowd "
        "(the opposite of Ground Truth's FreeOfPersonallyIdentifiableInformation).",
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.DRAFT)
    failure_reason = models.CharField(max_length=1024, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Launch time + task availability lifetime."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    # Label counters as DescribeLabelingJob reports them; moved with F() by the services.
    total_objects = models.PositiveIntegerField(default=0)
    human_labeled = models.PositiveIntegerField(default=0)
    machine_labeled = models.PositiveIntegerField(default=0)
    failed_objects = models.PositiveIntegerField(default=0)
    # Data objects with a HIT that is still open (Assignable or Unassignable); at most
    # max_concurrent_tasks.
    open_hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="labeling_job_name_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="labeling_job_status_valid"
            ),
            models.CheckConstraint(condition=Q(reward__gte=0), name="labeling_job_reward_gte_0"),
            models.CheckConstraint(
                condition=Q(workers_per_object__gte=1) & Q(workers_per_object__lte=9),
                name="labeling_job_workers_per_object_1_9",
            ),
            models.CheckConstraint(
                condition=Q(open_hits__lte=F("max_concurrent_tasks")),
                name="labeling_job_open_hits_within_batch",
            ),
            models.CheckConstraint(
                condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=MAX_GOLD_RATE),
                name="labeling_job_gold_rate_0_50",
            ),
            models.CheckConstraint(
                condition=(
                    Q(max_workers_per_object__isnull=True, target_confidence__isnull=True)
                    | Q(
                        max_workers_per_object__gte=F("workers_per_object"),
                        max_workers_per_object__lte=MAX_WORKERS_PER_OBJECT,
                        target_confidence__gte=0.5,
                        target_confidence__lt=1,
                    )
                ),
                name="labeling_job_dynamic_overlap_valid",
            ),
            models.CheckConstraint(
                condition=Q(consolidation_method__in=ConsolidationMethod.values),
                name="labeling_job_consolidation_method_valid",
            ),
        ]
        indexes = [
            # Uses index: labeling_job_org_created serves an organization's job list.
            models.Index(fields=["organization", "-created_at"], name="labeling_job_org_created"),
            # Uses index: labeling_job_running serves dispatch's "jobs open to this worker".
            models.Index(
                fields=["workforce"],
                condition=Q(status="running"),
                name="labeling_job_running",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dynamic_overlap(self) -> bool:
        return self.max_workers_per_object is not None and self.target_confidence is not None

    @property
    def unlabeled(self) -> int:
        return self.total_objects - self.human_labeled - self.machine_labeled - self.failed_objects

    @property
    def total_labeled(self) -> int:
        return self.human_labeled + self.machine_labeled


class JobEvent(models.Model):
    """One row per job state change (and other notable job actions), with who did it."""

    job = models.ForeignKey(LabelingJob, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Uses index: jobevent_job_time serves a job's history, newest first.
        indexes = [models.Index(fields=["job", "-created_at"], name="jobevent_job_time")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.job_id}"


class DataObjectStatus(models.TextChoices):
    UNLABELED = "unlabeled", "Unlabeled"
    HUMAN_LABELED = "human_labeled", "Labeled by people"
    MACHINE_LABELED = "machine_labeled", "Labeled by a model"
    FAILED = "failed", "Failed"


class DataObject(BaseModel):
    """One line of a job's input manifest, kept whole (extra keys go to the output), and
    its consolidated label once it has one."""

    job = models.ForeignKey(LabelingJob, on_delete=models.CASCADE, related_name="data_objects")
    line_number = models.PositiveIntegerField(help_text="1-based line in the input manifest.")
    data = models.JSONField(help_text="The manifest line as parsed.")
    status = models.CharField(
        max_length=16, choices=DataObjectStatus.choices, default=DataObjectStatus.UNLABELED
    )
    label = models.JSONField(null=True, blank=True, help_text="The consolidated label value.")
    label_metadata = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    labeled_at = models.DateTimeField(null=True, blank=True)
    # A gold object: a gold question placed in this job. It is not one of the job's
    # objects (not counted, consolidated or exported); workers see it as any other task.
    gold_question = models.ForeignKey(
        "jobs.GoldQuestion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
    )
    # Dynamic overlap: its answers are in, its confidence is below the job's target and
    # it may take more workers, but the job's batch had no free slot to reopen its HIT.
    needs_more_answers = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "line_number"], name="data_object_line_once"),
            models.UniqueConstraint(
                fields=["job", "gold_question"],
                condition=Q(gold_question__isnull=False),
                name="data_object_gold_once_per_job",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DataObjectStatus.values), name="data_object_status_valid"
            ),
        ]
        indexes = [
            # Uses index: data_object_needs_more serves hits_release's reopen-first pass.
            models.Index(
                fields=["job", "id"],
                condition=Q(needs_more_answers=True),
                name="data_object_needs_more",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.line_number}"


class HITStatus(models.TextChoices):
    ASSIGNABLE = "Assignable", "Assignable"
    UNASSIGNABLE = "Unassignable", "Unassignable"
    REVIEWABLE = "Reviewable", "Reviewable"
    REVIEWING = "Reviewing", "Reviewing"
    DISPOSED = "Disposed", "Disposed"


HIT_TRANSITIONS: dict[str, frozenset[str]] = {
    HITStatus.ASSIGNABLE: frozenset(
        {HITStatus.UNASSIGNABLE, HITStatus.REVIEWABLE, HITStatus.DISPOSED}
    ),
    HITStatus.UNASSIGNABLE: frozenset({HITStatus.ASSIGNABLE, HITStatus.REVIEWABLE}),
    HITStatus.REVIEWABLE: frozenset({HITStatus.REVIEWING, HITStatus.DISPOSED}),
    HITStatus.REVIEWING: frozenset({HITStatus.REVIEWABLE, HITStatus.DISPOSED}),
    HITStatus.DISPOSED: frozenset(),
}
OPEN_HIT_STATUSES = frozenset({HITStatus.ASSIGNABLE, HITStatus.UNASSIGNABLE})
GOLD_HIT_MAX_ASSIGNMENTS = 32767  # the column's limit: a gold HIT never fills up


class HIT(BaseModel):
    """A Human Intelligence Task: one data object offered to `max_assignments` workers."""

    hit_id = models.CharField(max_length=64, unique=True, default=new_entity_id, editable=False)
    job = models.ForeignKey(LabelingJob, on_delete=models.CASCADE, related_name="hits")
    data_object = models.OneToOneField(DataObject, on_delete=models.CASCADE, related_name="hit")
    status = models.CharField(
        max_length=12, choices=HITStatus.choices, default=HITStatus.ASSIGNABLE
    )
    max_assignments = models.PositiveSmallIntegerField()
    # Moved only under the HIT's row lock: accepted and not yet ended (the live slots),
    # and submitted (including approved and rejected).
    assignments_pending = models.PositiveSmallIntegerField(default=0)
    assignments_completed = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    # The HIT of a gold object: never shown as such to a worker; each worker gets it at
    # most once (assignment_once_per_worker), and it takes up to GOLD_HIT_MAX_ASSIGNMENTS.
    is_gold = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=HITStatus.values), name="hit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    assignments_pending__lte=F("max_assignments") - F("assignments_completed")
                ),
                name="hit_live_assignments_within_max",
            ),
        ]
        indexes = [
            # Uses index: hit_open_by_job serves dispatch: open HITs of a job, oldest first.
            # Partial, so it holds only the small set of HITs still taking workers.
            models.Index(
                fields=["job", "id"],
                condition=Q(status="Assignable", is_gold=False),
                name="hit_open_by_job",
            ),
            # Uses index: hit_gold_open serves dispatch's gold pick: a job's gold HITs.
            models.Index(
                fields=["job", "id"],
                condition=Q(status="Assignable", is_gold=True),
                name="hit_gold_open",
            ),
            # Uses index: hit_open_expiry serves the HIT-expiry sweep.
            models.Index(
                fields=["expires_at"],
                condition=Q(status__in=["Assignable", "Unassignable"]),
                name="hit_open_expiry",
            ),
        ]

    def __str__(self) -> str:
        return self.hit_id

    @property
    def assignments_available(self) -> int:
        return self.max_assignments - self.assignments_pending - self.assignments_completed


class AssignmentStatus(models.TextChoices):
    ACCEPTED = "Accepted", "Accepted"
    SUBMITTED = "Submitted", "Submitted"
    APPROVED = "Approved", "Approved"
    REJECTED = "Rejected", "Rejected"
    RETURNED = "Returned", "Returned"
    ABANDONED = "Abandoned", "Abandoned"
    EXPIRED = "Expired", "Expired"


ASSIGNMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AssignmentStatus.ACCEPTED: frozenset(
        {
            AssignmentStatus.SUBMITTED,
            AssignmentStatus.RETURNED,
            AssignmentStatus.ABANDONED,
            AssignmentStatus.EXPIRED,
        }
    ),
    AssignmentStatus.SUBMITTED: frozenset({AssignmentStatus.APPROVED, AssignmentStatus.REJECTED}),
    # A rejection may be overridden (approved) within REJECTION_OVERRIDE_WINDOW.
    AssignmentStatus.REJECTED: frozenset({AssignmentStatus.APPROVED}),
    AssignmentStatus.APPROVED: frozenset(),
    AssignmentStatus.RETURNED: frozenset(),
    AssignmentStatus.ABANDONED: frozenset(),
    AssignmentStatus.EXPIRED: frozenset(),
}
LIVE_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.ACCEPTED})
SUBMITTED_ASSIGNMENT_STATUSES = frozenset(
    {AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED}
)


class Assignment(BaseModel):
    """One worker's lease on a HIT and, once submitted, their answer (never deleted)."""

    assignment_id = models.CharField(
        max_length=64, unique=True, default=new_entity_id, editable=False
    )
    hit = models.ForeignKey(HIT, on_delete=models.CASCADE, related_name="assignments")
    worker = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ACCEPTED
    )
    accepted_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)
    active_seconds = models.PositiveIntegerField(null=True, blank=True)
    auto_approval_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was returned, abandoned or expired."
    )
    requester_feedback = models.CharField(max_length=1024, blank=True)
    # On a gold HIT: whether the answer matched the gold answer (None until scored, and
    # always None elsewhere). Requester-side only.
    gold_correct = models.BooleanField(null=True, blank=True)
    # A rejected answer sent back for rework: its slot was re-issued at this time.
    reissued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A worker never gets the same data object twice (the database's last guard).
            models.UniqueConstraint(fields=["hit", "worker"], name="assignment_once_per_worker"),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="Accepted")
                | Q(status__in=["Returned", "Abandoned", "Expired"])
                | Q(answer__isnull=False, submitted_at__isnull=False),
                name="assignment_submitted_has_answer",
            ),
        ]
        indexes = [
            # Uses index: assignment_worker_recent serves "my assignments".
            models.Index(fields=["worker", "-created_at"], name="assignment_worker_recent"),
            # Uses index: assignment_live_deadline serves the lease-expiry sweep.
            models.Index(
                fields=["deadline"],
                condition=Q(status="Accepted"),
                name="assignment_live_deadline",
            ),
            # Uses index: assignment_auto_approval serves the auto-approval sweep.
            models.Index(
                fields=["auto_approval_at"],
                condition=Q(status="Submitted"),
                name="assignment_auto_approval",
            ),
        ]

    def __str__(self) -> str:
        return self.assignment_id


class JobWorker(BaseModel):
    """One worker's standing in one job: how many of its tasks they have submitted, kept
    by submit in the same statement, so "n done in this job" is read, never counted."""

    job = models.ForeignKey(LabelingJob, on_delete=models.CASCADE, related_name="job_workers")
    worker = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.CASCADE, related_name="job_standings"
    )
    submitted = models.PositiveIntegerField(
        default=0, help_text="Assignments submitted (later approved or rejected included)."
    )
    # Gold: answers scored against gold questions in this job, and how many were right
    # (the Beta posterior of the worker's accuracy: jobs.services.skill).
    gold_answered = models.PositiveIntegerField(default=0, db_default=0)
    gold_correct = models.PositiveIntegerField(default=0, db_default=0)
    # Agreement: answers judged against their objects' consolidated labels, and matches.
    agreement_answered = models.PositiveIntegerField(default=0, db_default=0)
    agreement_matched = models.PositiveIntegerField(default=0, db_default=0)
    # The consolidation model's estimate of the worker in this job: accuracy in 0..1 and,
    # for Dawid-Skene, the confusion counts (true label x answered label, job label order).
    skill = models.FloatField(null=True, blank=True)
    confusion = models.JSONField(null=True, blank=True)
    # Drawn at each submit: the worker's next task in this job is a gold question.
    next_gold = models.BooleanField(default=False, db_default=False)
    # A quality rule (or the requester) removed the worker from this job.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=1024, blank=True, db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "worker"], name="job_worker_once"),
            models.CheckConstraint(
                condition=Q(gold_correct__lte=F("gold_answered")),
                name="job_worker_gold_correct_within_answered",
            ),
            models.CheckConstraint(
                condition=Q(agreement_matched__lte=F("agreement_answered")),
                name="job_worker_matched_within_answered",
            ),
        ]
        indexes = [
            # Uses index: job_worker_next_gold serves the claim's gold pick (few rows).
            models.Index(
                fields=["worker", "job"],
                condition=Q(next_gold=True),
                name="job_worker_next_gold",
            ),
            # Uses index: job_worker_removed serves eligibility's "removed from the job".
            models.Index(
                fields=["worker", "job"],
                condition=Q(removed_at__isnull=False),
                name="job_worker_removed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} in {self.job_id}"
