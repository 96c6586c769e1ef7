"""Payout pages: a worker's and a vendor organization's balances, payout history, Stripe
Connect onboarding and "Pay out" button, and the staff-only CSV export of payouts."""

import io
import uuid
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from jobs.pages.views import content_security_policy, money_display
from marketplace.exceptions import DomainError
from marketplace.models import MANAGER_ROLES
from marketplace.pages.views import _error_page, domain_errors_as_pages
from marketplace.selectors import organization_access
from payments.models import PayoutStatus
from payments.money import DEFAULT_CURRENCY
from payments.payouts import (
    payout_account_get,
    payout_account_onboard,
    payout_account_refresh,
    payout_csv_write,
    payout_export_list,
    payout_list,
    payout_request,
    payout_summaries,
)
from payments.stripe_client import stripe_enabled
from workforce.pages.worker_home import worker_required

PAGE_SIZE = 50


class PayoutRequestForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text="Leave empty to pay out everything payable.",
    )
    currency = forms.CharField(min_length=3, max_length=3, initial=DEFAULT_CURRENCY)
    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput)


class ExportForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "any"), *PayoutStatus.choices], required=False)
    created_from = forms.DateField(required=False, help_text="From this day (inclusive).")
    created_to = forms.DateField(required=False, help_text="Up to this day (inclusive).")


def _owner(*, worker=None, organization=None) -> dict:
    return {"worker": worker} if worker is not None else {"organization": organization}


def _context(request, *, page_url: str, worker=None, organization=None) -> dict:
    owner = _owner(worker=worker, organization=organization)
    summaries = payout_summaries(**owner)
    for summary in summaries:
        for name in ("available", "payable", "pending", "in_transit", "paid"):
            value = getattr(summary, name)
            setattr(summary, f"{name}_display", money_display(value) if value is not None else "")
    payouts = Paginator(payout_list(**owner), PAGE_SIZE).get_page(request.GET.get("page"))
    for payout in payouts.object_list:
        payout.amount_display = money_display(payout.amount)
    return {
        "summaries": summaries,
        "payouts": payouts,
        "payout_account": payout_account_get(**owner),
        "stripe_enabled": stripe_enabled(),
        "request_form": PayoutRequestForm(initial={"idempotency_key": uuid.uuid4().hex}),
        "page_url": page_url,
        **owner,
    }


def _returned_from_stripe(request, *, worker=None, organization=None) -> None:
    """Stripe sends the user back with ?onboarding=return (refresh the account's state) or
    ?onboarding=refresh (the link expired: they start again with the button)."""
    step = request.GET.get("onboarding")
    payout_account = payout_account_get(**_owner(worker=worker, organization=organization))
    if step == "refresh":
        messages.info(request, "The onboarding link expired; continue onboarding below.")
    elif step == "return" and payout_account is not None and stripe_enabled():
        try:
            payout_account_refresh(payout_account=payout_account)
        except DomainError as error:
            messages.warning(request, error.message)


def _onboard(request, *, page_url: str, worker=None, organization=None):
    try:
        onboarding = payout_account_onboard(
            actor=request.user,
            worker=worker,
            organization=organization,
            return_url=request.build_absolute_uri(f"{page_url}?onboarding=return"),
            refresh_url=request.build_absolute_uri(f"{page_url}?onboarding=refresh"),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(page_url)
    return redirect(onboarding.url)


def _request(request, *, page_url: str, worker=None, organization=None):
    form = PayoutRequestForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect(page_url)
    try:
        payout = payout_request(
            actor=request.user, worker=worker, organization=organization, **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(page_url)
    messages.success(
        request,
        f"Payout {payout.pk} of {money_display(payout.amount)} {payout.currency} is on its way "
        f"({payout.get_provider_display()}).",
    )
    return redirect(page_url)


# A worker's.


@worker_required
@require_safe
@content_security_policy
def worker_payouts(request, *, worker):
    _returned_from_stripe(request, worker=worker)
    context = _context(request, page_url=reverse("worker_payouts"), worker=worker)
    context["request_url"] = reverse("worker_payouts_request")
    context["onboard_url"] = reverse("worker_payouts_onboard")
    return render(request, "payments/payouts.html", context)


@worker_required
@require_POST
def worker_payouts_onboard(request, *, worker):
    return _onboard(request, page_url=reverse("worker_payouts"), worker=worker)


@worker_required
@require_POST
def worker_payouts_request(request, *, worker):
    return _request(request, page_url=reverse("worker_payouts"), worker=worker)


# A vendor organization's: members see it, owners and admins act.


@login_required
@require_safe
@domain_errors_as_pages
@content_security_policy
def organization_payouts(request, organization_id: int):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    page_url = reverse("organization_payouts", args=[organization.pk])
    _returned_from_stripe(request, organization=organization)
    context = _context(request, page_url=page_url, organization=organization)
    context["request_url"] = reverse("organization_payouts_request", args=[organization.pk])
    context["onboard_url"] = reverse("organization_payouts_onboard", args=[organization.pk])
    # The buttons are for owners and admins of a vendor; members see the balances.
    context["can_act"] = hasattr(organization, "vendor_profile") and (
        membership.role in MANAGER_ROLES
    )
    return render(request, "payments/payouts.html", context)


@login_required
@require_POST
@domain_errors_as_pages
def organization_payouts_onboard(request, organization_id: int):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id, manage=True
    )
    page_url = reverse("organization_payouts", args=[organization.pk])
    return _onboard(request, page_url=page_url, organization=organization)


@login_required
@require_POST
@domain_errors_as_pages
def organization_payouts_request(request, organization_id: int):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id, manage=True
    )
    page_url = reverse("organization_payouts", args=[organization.pk])
    return _request(request, page_url=page_url, organization=organization)


# Staff: the CSV export for operators who pay by bank.


def payouts_csv_response(payouts, *, filename: str) -> HttpResponse:
    out = io.StringIO()
    payout_csv_write(payouts=payouts, out=out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


@staff_member_required
@require_safe
def payouts_export(request):
    """GET /staff/payouts.csv?status=in_transit&created_from=2026-01-01&created_to=2026-01-31"""
    form = ExportForm(request.GET)
    if not form.is_valid():
        error = DomainError("Invalid filters.", fields=dict(form.errors))
        return _error_page(request, error, status=400)
    data = form.cleaned_data
    created_to = data["created_to"]
    payouts = payout_export_list(
        status=data["status"] or None,
        created_from=_day_start(data["created_from"]),
        created_to=_day_start(created_to + timedelta(days=1)) if created_to else None,
    )
    return payouts_csv_response(payouts, filename="payouts.csv")
