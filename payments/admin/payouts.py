"""Django admin for payouts: read-only; staff settle manual payouts with the actions, each
asking for a note and recording the staff user, and export payouts as CSV."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render

from marketplace.admin import ReadOnlyAdmin
from marketplace.exceptions import DomainError
from payments.models import (
    Payout,
    PayoutAccount,
    PayoutStatus,
)
from payments.payouts import payout_mark_failed, payout_mark_paid


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "stripe_account_id",
        "worker",
        "organization",
        "details_submitted",
        "payouts_enabled",
        "updated_at",
    )
    list_filter = ("payouts_enabled", "details_submitted")
    search_fields = ("stripe_account_id", "worker__worker_id", "organization__name")
    list_select_related = ("worker", "organization")


class PayoutNoteForm(forms.Form):
    note = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Paid: the bank reference. Failed: why (the owner sees it).",
    )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "worker",
        "organization",
        "amount",
        "currency",
        "provider",
        "status",
        "settled_by",
        "settled_at",
    )
    list_filter = ("status", "provider", "currency")
    search_fields = ("id", "worker__worker_id", "organization__name", "stripe_transfer_id")
    date_hierarchy = "created_at"
    list_select_related = ("worker", "organization", "settled_by")
    actions = ("mark_paid", "mark_failed", "export_csv")

    def has_settle_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def _with_note(self, request, queryset, *, service, keyword: str, verb: str, title: str):
        """Ask for the note on an intermediate page, then call `service` per payout."""
        eligible = queryset.filter(status=PayoutStatus.IN_TRANSIT)
        form = PayoutNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for payout in eligible:
                try:
                    service(
                        actor=request.user, payout=payout, **{keyword: form.cleaned_data["note"]}
                    )
                except DomainError as error:
                    self.message_user(request, f"{payout}: {error.message}", messages.ERROR)
                else:
                    done += 1
            self.message_user(request, f"{verb} {done} of {len(eligible)}.", messages.SUCCESS)
            return None
        return render(
            request,
            "payments/admin_payout_note.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "payouts": eligible,
                "skipped": queryset.exclude(status=PayoutStatus.IN_TRANSIT),
                "action": request.POST.get("action"),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Mark selected payouts paid…", permissions=("settle",))
    def mark_paid(self, request, queryset):
        return self._with_note(
            request,
            queryset,
            service=payout_mark_paid,
            keyword="note",
            verb="Marked paid",
            title="Mark payouts paid",
        )

    @admin.action(
        description="Mark selected payouts failed (money back to the balance)…",
        permissions=("settle",),
    )
    def mark_failed(self, request, queryset):
        return self._with_note(
            request,
            queryset,
            service=payout_mark_failed,
            keyword="reason",
            verb="Marked failed",
            title="Mark payouts failed",
        )

    @admin.action(description="Export selected payouts as CSV", permissions=("settle",))
    def export_csv(self, request, queryset):
        from payments.pages.payouts import payouts_csv_response
        from payments.payouts import payout_export_list

        payouts = payout_export_list().filter(pk__in=queryset.values("pk"))
        return payouts_csv_response(payouts, filename="payouts.csv")
