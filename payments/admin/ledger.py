"""Django admin for the ledger: read-only; staff correct it only through the services in
payments.adjustments ("Adjust balance" per account, "Reverse" per transaction), each with a
reason and the staff user recorded."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from marketplace.admin import ReadOnlyAdmin
from marketplace.exceptions import DomainError
from payments.adjustments import (
    ORGANIZATION_ADJUSTABLE,
    WORKER_ADJUSTABLE,
    ledger_adjust,
    ledger_transaction_reverse,
)
from payments.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
)


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


CORRECTION_PERMISSION = "payments.add_ledgertransaction"


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=16,
        decimal_places=4,
        help_text="Signed: positive adds to this balance, negative takes from it.",
    )
    reason = forms.CharField(max_length=1000, widget=forms.Textarea({"rows": 3}))
    # One key per form shown: submitting it twice posts once.
    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput)


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea({"rows": 3}))


def _staff_form_page(model_admin, request, *, title: str, obj, form, entries=None):
    return render(
        request,
        "payments/admin_correction.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "object": obj,
            "form": form,
            "entries": entries,
            "opts": model_admin.model._meta,
        },
        status=200 if not form.errors else 400,
    )


def _may_correct(request) -> bool:
    return request.user.is_staff and request.user.has_perm(CORRECTION_PERMISSION)


@admin.register(Account)
class AccountWithAdjustmentAdmin(AccountAdmin):
    list_display = (*AccountAdmin.list_display, "adjust_link")

    @admin.display(description="Correct")
    def adjust_link(self, account: Account):
        if account.kind not in (*ORGANIZATION_ADJUSTABLE, *WORKER_ADJUSTABLE):
            return ""
        url = reverse("admin:payments_account_adjust", args=[account.pk])
        return format_html('<a href="{}">Adjust balance</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:account_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="payments_account_adjust",
            ),
            *super().get_urls(),
        ]

    def adjust_view(self, request, account_id: int):
        account = get_object_or_404(
            Account.objects.select_related("organization", "worker"), pk=account_id
        )
        if not _may_correct(request):
            raise PermissionDenied
        form = AdjustmentForm(
            request.POST if request.method == "POST" else None,
            initial={"idempotency_key": secrets.token_urlsafe(24)},
        )
        if form.is_valid():
            try:
                posted = ledger_adjust(
                    actor=request.user,
                    organization=account.organization,
                    worker=account.worker,
                    kind=account.kind,
                    currency=account.currency,
                    **form.cleaned_data,
                )
            except DomainError as error:
                form.add_error(None, error.message)
                for field, field_messages in error.fields.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                self.message_user(
                    request, f"Posted adjustment {posted.pk} on {account}.", messages.SUCCESS
                )
                return redirect("admin:payments_ledgertransaction_change", posted.pk)
        return _staff_form_page(
            self, request, title=f"Adjust balance: {account}", obj=account, form=form
        )


@admin.register(LedgerTransaction)
class LedgerTransactionWithReversalAdmin(LedgerTransactionAdmin):
    list_display = (*LedgerTransactionAdmin.list_display, "reason", "reverse_link")
    list_filter = (*LedgerTransactionAdmin.list_filter, "created_by")

    @admin.display(description="Correct")
    def reverse_link(self, posted: LedgerTransaction):
        url = reverse("admin:payments_ledgertransaction_reverse", args=[posted.pk])
        return format_html('<a href="{}">Reverse</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:transaction_id>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="payments_ledgertransaction_reverse",
            ),
            *super().get_urls(),
        ]

    def reverse_view(self, request, transaction_id: int):
        posted = get_object_or_404(LedgerTransaction, pk=transaction_id)
        if not _may_correct(request):
            raise PermissionDenied
        form = ReversalForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                reversal = ledger_transaction_reverse(
                    actor=request.user, transaction=posted, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, f"Reversed by transaction {reversal.pk}.", messages.SUCCESS
                )
                return redirect("admin:payments_ledgertransaction_change", reversal.pk)
        entries = posted.entries.select_related("account").order_by("pk")
        return _staff_form_page(
            self,
            request,
            title=f"Reverse transaction {posted.pk}",
            obj=posted,
            form=form,
            entries=entries,
        )
