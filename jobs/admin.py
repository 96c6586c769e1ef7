"""Django admin for labeling jobs, data objects, HITs, assignments and job events.

State moves only through the services, so statuses and counters are read-only here.
"""

from django.contrib import admin

from jobs.models import (
    HIT,
    Assignment,
    DataObject,
    GoldQuestion,
    GoldSet,
    JobEvent,
    LabelingJob,
    QualityActionRecord,
    QualityRule,
)
from marketplace.admin import ReadOnlyAdmin


@admin.register(LabelingJob)
class LabelingJobAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "task_type",
        "status",
        "total_objects",
        "human_labeled",
        "failed_objects",
        "reward",
        "workers_per_object",
        "created_at",
    )
    list_filter = ("status", "task_type", "created_at")
    search_fields = ("name", "organization__name", "organization__slug")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)
    autocomplete_fields = ("organization", "created_by")
    raw_id_fields = ("workforce",)
    # Targeting is the job service's (an engagement's workforce, teams of the workforce).
    readonly_fields = (
        "engagement",
        "teams",
        "status",
        "failure_reason",
        "launched_at",
        "expires_at",
        "ended_at",
        "total_objects",
        "human_labeled",
        "machine_labeled",
        "failed_objects",
        "open_hits",
        "created_at",
        "updated_at",
    )


@admin.register(JobEvent)
class JobEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "job", "kind", "old_status", "new_status", "actor")
    list_filter = ("kind", "new_status")
    search_fields = ("job__name", "actor__email")
    date_hierarchy = "created_at"
    list_select_related = ("job", "actor")


@admin.register(DataObject)
class DataObjectAdmin(ReadOnlyAdmin):
    list_display = ("job", "line_number", "status", "confidence", "labeled_at")
    list_filter = ("status",)
    search_fields = ("job__name",)
    list_select_related = ("job",)


@admin.register(HIT)
class HITAdmin(ReadOnlyAdmin):
    list_display = (
        "hit_id",
        "job",
        "status",
        "max_assignments",
        "assignments_pending",
        "assignments_completed",
        "expires_at",
    )
    list_filter = ("status",)
    search_fields = ("hit_id", "job__name")
    list_select_related = ("job",)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = (
        "assignment_id",
        "hit",
        "worker",
        "status",
        "accepted_at",
        "submitted_at",
        "deadline",
    )
    list_filter = ("status",)
    search_fields = ("assignment_id", "hit__hit_id", "worker__worker_id")
    date_hierarchy = "accepted_at"
    list_select_related = ("hit", "worker")


@admin.register(GoldSet)
class GoldSetAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "task_type", "created_at")
    list_filter = ("task_type",)
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)


@admin.register(GoldQuestion)
class GoldQuestionAdmin(ReadOnlyAdmin):
    """Read-only: gold is added and deactivated through the gold service (which places and
    withdraws its HITs)."""

    list_display = ("pk", "organization", "job", "gold_set", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("job__name", "gold_set__name", "organization__name")
    list_select_related = ("organization", "job", "gold_set")


@admin.register(QualityRule)
class QualityRuleAdmin(ReadOnlyAdmin):
    """Rules change through the quality-rule service (it keeps job.has_quality_rules)."""

    list_display = ("job", "collector", "operator", "value", "action", "active", "created_at")
    list_filter = ("collector", "action", "active")
    search_fields = ("job__name", "reason")
    list_select_related = ("job",)


@admin.register(QualityActionRecord)
class QualityActionRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "job", "worker", "action", "rule")
    list_filter = ("action",)
    search_fields = ("job__name", "worker__worker_id")
    date_hierarchy = "created_at"
    list_select_related = ("job", "worker", "rule")
