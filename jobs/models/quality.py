"""Label quality's tables: gold questions (per job or in an organization's gold set), and
per-job quality rules (Toloka's collector + condition -> action) with the log of what they
did."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from marketplace.models import BaseModel


class GoldSet(BaseModel):
    """An organization's reusable gold questions for one task type and label set; a job
    of that type and labels may draw gold from it."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="gold_sets"
    )
    name = models.CharField(max_length=100)
    task_type = models.CharField(max_length=64, help_text="A key of the task-type registry.")
    labels = models.JSONField(default=list, help_text="The label names, in order.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="gold_set_name_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GoldQuestion(BaseModel):
    """One gold object: a manifest line with its expected answer (and a tolerance where
    the task type compares with one), in a job or in a gold set. Never shown to workers
    as gold: a job places it as a data object with a HIT like any other."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="gold_questions"
    )
    job = models.ForeignKey(
        "jobs.LabelingJob",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gold_questions",
    )
    gold_set = models.ForeignKey(
        GoldSet, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    data = models.JSONField(help_text="The object, as a manifest line.")
    expected_answer = models.JSONField(help_text="The answer, in the task type's answer form.")
    tolerance = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive gold is no longer placed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(job__isnull=False, gold_set__isnull=True)
                | Q(job__isnull=True, gold_set__isnull=False),
                name="gold_question_in_job_or_set",
            ),
        ]
        indexes = [
            models.Index(fields=["job", "id"], name="gold_question_by_job"),
            models.Index(fields=["gold_set", "id"], name="gold_question_by_set"),
        ]

    def __str__(self) -> str:
        return f"gold {self.pk}"


class RuleCollector(models.TextChoices):
    """What a rule measures about a worker in the job (Toloka's collectors)."""

    GOLD_ACCURACY = "gold_accuracy", "Gold accuracy"
    MAJORITY_AGREEMENT = "majority_agreement", "Agreement with the majority"
    FAST_RESPONSES = "fast_responses", "Fast responses"
    RETURNS_IN_ROW = "returns_in_row", "Returns or skips in a row"
    SUBMISSIONS_24H = "submissions_24h", "Submissions in the last 24 hours"


class RuleOperator(models.TextChoices):
    LT = "lt", "<"
    LTE = "lte", "<="
    GT = "gt", ">"
    GTE = "gte", ">="


class RuleAction(models.TextChoices):
    """What a rule does to a worker whose figures meet its condition."""

    REMOVE_FROM_JOB = "remove_from_job", "Remove from the job"
    BLOCK = "block", "Block"
    REJECT_PENDING = "reject_pending", "Reject pending work and reopen its slots"
    CHANGE_OVERLAP = "change_overlap", "Change overlap of their objects"
    SET_SKILL = "set_skill", "Set a skill (qualification value)"


class QualityRule(BaseModel):
    """One rule of a job: `collector` (with `params`, e.g. a time threshold or a history
    size) gives a figure per worker; when it is `operator` `value` (and at least
    `min_answers` answers back it), `action` (with `action_params`) is taken once."""

    job = models.ForeignKey(
        "jobs.LabelingJob", on_delete=models.CASCADE, related_name="quality_rules"
    )
    collector = models.CharField(max_length=32, choices=RuleCollector.choices)
    params = models.JSONField(default=dict, blank=True)
    operator = models.CharField(max_length=4, choices=RuleOperator.choices)
    value = models.FloatField()
    min_answers = models.PositiveIntegerField(default=1)
    action = models.CharField(max_length=32, choices=RuleAction.choices)
    action_params = models.JSONField(default=dict, blank=True)
    reason = models.CharField(
        max_length=1024, help_text="What the worker is told when the rule acts on them."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(collector__in=RuleCollector.values), name="quality_rule_collector"
            ),
            models.CheckConstraint(
                condition=Q(operator__in=RuleOperator.values), name="quality_rule_operator"
            ),
            models.CheckConstraint(
                condition=Q(action__in=RuleAction.values), name="quality_rule_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collector} {self.operator} {self.value} -> {self.action}"


class QualityActionRecord(BaseModel):
    """What a rule did to a worker, once per (rule, worker), with the figures that made
    it fire (`evidence`) and the reason the worker sees."""

    rule = models.ForeignKey(QualityRule, on_delete=models.CASCADE, related_name="records")
    job = models.ForeignKey(
        "jobs.LabelingJob", on_delete=models.CASCADE, related_name="quality_actions"
    )
    worker = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.CASCADE, related_name="quality_actions"
    )
    action = models.CharField(max_length=32, choices=RuleAction.choices)
    evidence = models.JSONField(default=dict)
    result = models.JSONField(default=dict, help_text="What the action changed.")
    reason = models.CharField(max_length=1024)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "worker"], name="quality_action_once"),
        ]
        indexes = [
            models.Index(fields=["job", "-created_at"], name="quality_action_job_recent"),
            models.Index(fields=["worker", "-created_at"], name="quality_action_worker_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.worker_id} in {self.job_id}"
