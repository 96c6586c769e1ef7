"""Django admin for notifications: worker emails and their recipients, webhook endpoints
(the secret never shown), and the events, deliveries and attempt log (read-only)."""

from django.contrib import admin

from notifications.events import subscriptions_forget
from notifications.models import (
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WorkerNotification,
    WorkerNotificationRecipient,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: the services keep these rows consistent."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RecipientInline(ReadOnlyInline):
    model = WorkerNotificationRecipient
    fields = ("worker", "status", "error", "sent_at")


@admin.register(WorkerNotification)
class WorkerNotificationAdmin(ReadOnlyAdmin):
    list_display = ("subject", "organization", "sent_by", "status", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "organization__name", "sent_by__email")
    date_hierarchy = "created_at"
    list_select_related = ("organization", "sent_by")
    inlines = [RecipientInline]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "organization", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "organization__name", "description")
    list_select_related = ("organization",)
    # The signing secrets are the organization's; staff switch an endpoint off, no more.
    fields = ("organization", "url", "description", "event_types", "is_active", "created_at")
    readonly_fields = ("organization", "url", "event_types", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        subscriptions_forget(organization_id=obj.organization_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        subscriptions_forget(organization_id=obj.organization_id)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "event_type", "organization", "occurred_at")
    list_filter = ("event_type",)
    search_fields = ("event_id", "organization__name")
    list_select_related = ("organization",)


class AttemptInline(ReadOnlyInline):
    model = WebhookDeliveryAttempt
    fields = ("attempt_number", "status_code", "error", "duration_ms", "next_retry_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "next_attempt_at", "created_at")
    list_filter = ("status",)
    search_fields = ("event__event_id", "endpoint__url")
    list_select_related = ("event", "endpoint")
    inlines = [AttemptInline]
