"""Django admin for worker profiles, workforces and their members, and worker blocks."""

from django.contrib import admin

from workforce.models import WorkerBlock, WorkerProfile, Workforce, WorkforceMember


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
