"""Django admin for money in: top-ups, refunds and Stripe events are read-only rows; staff
record a manual top-up or make a refund through forms that call the services (the staff
user and a reason are recorded on the rows and their ledger transactions)."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from marketplace.admin import ReadOnlyAdmin
from marketplace.exceptions import DomainError
from marketplace.models import Organization
from payments.models import (
    Refund,
    StripeEvent,
    TopUp,
)


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
