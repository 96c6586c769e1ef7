"""Django admin for worker profiles, workforces and their members, worker blocks, and
qualifications (grants and job requirements are read here and written by services)."""

from django.contrib import admin

from workforce.models import (
    Qualification,
    QualificationRequirement,
    QualificationRequirementValue,
    QualificationType,
    WorkerBlock,
    WorkerProfile,
    Workforce,
    WorkforceMember,
)


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "user", "display_name", "country", "created_at")
    list_filter = ("country", "created_at")
    search_fields = ("worker_id", "user__email", "user__full_name", "display_name")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    # The worker id is public and permanent: other parties know the worker by it.
    readonly_fields = ("worker_id", "created_at", "updated_at")


class WorkforceMemberInline(admin.TabularInline):
    model = WorkforceMember
    extra = 0
    autocomplete_fields = ("worker",)


@admin.register(Workforce)
class WorkforceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organization", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    inlines = [WorkforceMemberInline]


@admin.register(WorkerBlock)
class WorkerBlockAdmin(admin.ModelAdmin):
    list_display = ("worker", "organization", "reason", "created_at")
    search_fields = ("worker__worker_id", "organization__name", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("worker", "organization")
    autocomplete_fields = ("worker", "organization")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: the services keep these rows consistent."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualificationType)
class QualificationTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "type_id", "owner", "status", "auto_granted", "created_at")
    list_filter = ("status", "auto_granted")
    search_fields = ("name", "type_id", "owner__name", "keywords")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("type_id", "created_at", "updated_at")


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = (
        "worker",
        "qualification_type",
        "integer_value",
        "locale_country",
        "status",
        "granted_at",
    )
    list_filter = ("status",)
    search_fields = ("worker__worker_id", "qualification_type__name", "qualification_type__type_id")
    list_select_related = ("worker", "qualification_type")


class QualificationRequirementValueInline(admin.TabularInline):
    model = QualificationRequirementValue
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualificationRequirement)
class QualificationRequirementAdmin(ReadOnlyAdmin):
    list_display = ("job", "position", "qualification_type", "comparator", "actions_guarded")
    search_fields = ("job__name", "qualification_type__name")
    list_select_related = ("job", "qualification_type")
    inlines = [QualificationRequirementValueInline]
