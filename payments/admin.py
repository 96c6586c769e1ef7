"""Django admin for the ledger: read-only; money moves only through the payments services."""

from django.contrib import admin

from marketplace.admin import ReadOnlyAdmin
from payments.models import Account, LedgerEntry, LedgerTransaction


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "organization", "worker", "currency", "balance", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("organization__name", "organization__slug", "worker__worker_id")
    list_select_related = ("organization", "worker")


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "reference", "idempotency_key", "created_by")
    list_filter = ("kind",)
    search_fields = ("reference", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    inlines = (LedgerEntryInline,)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "transaction", "account", "amount", "currency")
    list_filter = ("currency",)
    search_fields = ("transaction__reference", "transaction__idempotency_key")
    list_select_related = ("transaction", "account")
