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


# Money in: top-ups, refunds and Stripe events are read-only rows; staff record a manual
# top-up or make a refund through the forms below, which call the services (the staff
# user and a reason are recorded on the rows and their ledger transactions).
from django import forms  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import path  # noqa: E402

from marketplace.exceptions import DomainError  # noqa: E402
from marketplace.models import Organization  # noqa: E402
from payments.models import Refund, StripeEvent, TopUp  # noqa: E402


class StaffMoneyForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.order_by("name"))
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0.01)
    currency = forms.CharField(max_length=3, initial="USD")
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.CharField(max_length=255, widget=forms.HiddenInput)


def _staff_money_view(model_admin, request, *, title: str, call, done: str):
    import uuid

    if request.method == "POST":
        form = StaffMoneyForm(request.POST)
        if form.is_valid():
            try:
                call(request.user, form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
                for field, field_messages in error.fields.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                messages.success(request, done)
                opts = model_admin.model._meta
                return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    else:
        form = StaffMoneyForm(initial={"idempotency_key": str(uuid.uuid4()), "currency": "USD"})
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/payments/staff_money_form.html", context)


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "organization",
        "amount",
        "currency",
        "provider",
        "status",
        "amount_refunded",
        "created_by",
    )
    list_filter = ("provider", "status", "currency")
    search_fields = ("organization__name", "stripe_payment_intent_id", "idempotency_key")
    list_select_related = ("organization", "created_by")
    change_list_template = "admin/payments/topup/change_list.html"

    def get_urls(self):
        return [
            path(
                "record-manual/",
                self.admin_site.admin_view(self.record_manual_view),
                name="payments_topup_record_manual",
            ),
            *super().get_urls(),
        ]

    def record_manual_view(self, request):
        from payments.topups import top_up_record_manual

        return _staff_money_view(
            self,
            request,
            title="Record a manual top-up",
            call=lambda actor, data: top_up_record_manual(actor=actor, **data),
            done="The top-up is recorded and credited.",
        )


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "organization",
        "top_up",
        "amount",
        "currency",
        "status",
        "created_by",
    )
    list_filter = ("status", "currency")
    search_fields = ("organization__name", "stripe_refund_id")
    list_select_related = ("organization", "top_up", "created_by")
    change_list_template = "admin/payments/refund/change_list.html"

    def get_urls(self):
        return [
            path(
                "staff-refund/",
                self.admin_site.admin_view(self.staff_refund_view),
                name="payments_refund_staff_refund",
            ),
            *super().get_urls(),
        ]

    def staff_refund_view(self, request):
        from payments.refunds import refund_create

        def call(actor, data):
            if not actor.is_staff:
                raise DomainError("Only staff can refund here.")
            return refund_create(actor=actor, **data)

        return _staff_money_view(
            self,
            request,
            title="Refund unused funds to an organization's cards",
            call=call,
            done="The refund is on its way to Stripe.",
        )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at", "attempts", "last_error")
    list_filter = ("type", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id", "type")
    actions = ("process_again",)

    @admin.action(description="Process the selected events again (idempotent)")
    def process_again(self, request, queryset):
        from payments.stripe_events import stripe_event_process

        done = sum(stripe_event_process(event_id=event.event_id) for event in queryset)
        messages.info(request, f"{done} of {queryset.count()} events are processed.")


# Staff corrections (issue 6, part 6): an "Adjust balance" page per account and a
# "Reverse" page per transaction, each asking for a reason and calling the service in
# payments.adjustments with the staff user; the ledger itself stays read-only. The two
# admins above are extended (unregistered and registered again) so their code stays as it is.
import secrets  # noqa: E402

from django import forms  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.shortcuts import get_object_or_404, render  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402

from payments.adjustments import (  # noqa: E402
    ORGANIZATION_ADJUSTABLE,
    WORKER_ADJUSTABLE,
    ledger_adjust,
    ledger_transaction_reverse,
)

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


admin.site.unregister(Account)
admin.site.unregister(LedgerTransaction)


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


# Payouts (payments/payouts/): read-only; staff settle manual payouts with the actions,
# each asking for a note and recording the staff user.

from payments.models import Payout, PayoutAccount, PayoutStatus  # noqa: E402
from payments.payouts import payout_mark_failed, payout_mark_paid  # noqa: E402


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
