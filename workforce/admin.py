"""Django admin for worker profiles."""

from django.contrib import admin

from workforce.models import WorkerProfile


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
