"""The billing page of an organization: balance, top-ups by card (Stripe.js), refunds."""

import uuid
from functools import wraps
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from marketplace.exceptions import DomainError
from marketplace.models import MANAGER_ROLES
from marketplace.pages.views import domain_errors_as_pages
from marketplace.selectors import organization_access
from payments.money import DEFAULT_CURRENCY
from payments.refunds import refund_create, refund_list, refundable_amount
from payments.stripe_client import stripe_enabled
from payments.topups import currencies, organization_balances, top_up_create, top_up_list

HISTORY_ROWS = 50
STRIPE_PRODUCTION_ORIGINS = {
    "script": "https://js.stripe.com",
    "frame": "https://js.stripe.com https://hooks.stripe.com",
    "connect": "https://api.stripe.com",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def billing_content_security_policy() -> str:
    """Our own scripts plus what Stripe.js needs: its script, its iframes (card fields,
    3D Secure) and its API. With localstripe (tests, demo) that is one origin."""
    js_origin = _origin(settings.STRIPE_JS_URL)
    if js_origin == STRIPE_PRODUCTION_ORIGINS["script"]:
        script, frame, connect = (
            STRIPE_PRODUCTION_ORIGINS["script"],
            STRIPE_PRODUCTION_ORIGINS["frame"],
            STRIPE_PRODUCTION_ORIGINS["connect"],
        )
    else:
        script = frame = connect = js_origin
    return (
        f"default-src 'self'; script-src 'self' {script}; style-src 'self'; "
        f"img-src 'self' data: https:; frame-src {frame}; connect-src 'self' {connect}; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def billing_policy(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", billing_content_security_policy())
        return response

    return wrapper


def _currency_choices():
    return [(currency, currency) for currency in currencies()]


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=settings.PAYMENTS_MIN_TOP_UP,
        max_value=settings.PAYMENTS_MAX_TOP_UP,
        help_text=f"From {settings.PAYMENTS_MIN_TOP_UP} to {settings.PAYMENTS_MAX_TOP_UP}.",
    )
    currency = forms.ChoiceField(choices=_currency_choices, initial=DEFAULT_CURRENCY)
    # One per rendered form: submitting the same page twice returns the same top-up.
    idempotency_key = forms.CharField(max_length=255, widget=forms.HiddenInput)


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0.01)
    currency = forms.ChoiceField(choices=_currency_choices, initial=DEFAULT_CURRENCY)
    reason = forms.CharField(max_length=1000, required=False)
    idempotency_key = forms.CharField(max_length=255, widget=forms.HiddenInput)


def _apply_error(form: forms.Form, error: DomainError) -> None:
    for field, field_messages in error.fields.items():
        form.add_error(field if field in form.fields else None, field_messages)
    if not error.fields or not set(error.fields) & set(form.fields):
        form.add_error(None, error.message)


def _render(
    request,
    organization,
    membership,
    *,
    status=200,
    top_up_form=None,
    refund_form=None,
    checkout=None,
):
    can_manage = membership.role in MANAGER_ROLES
    balances = organization_balances(organization=organization)
    context = {
        "organization": organization,
        "membership": membership,
        "can_manage": can_manage,
        "card_enabled": stripe_enabled(),
        "balances": balances,
        "refundable": [
            (
                balance.currency,
                refundable_amount(organization=organization, currency=balance.currency),
            )
            for balance in balances
        ],
        "top_ups": top_up_list(organization=organization).order_by("-created_at", "-pk")[
            :HISTORY_ROWS
        ],
        "refunds": refund_list(organization=organization).order_by("-created_at", "-pk")[
            :HISTORY_ROWS
        ],
        "top_up_form": top_up_form
        or TopUpForm(initial={"idempotency_key": str(uuid.uuid4()), "currency": DEFAULT_CURRENCY}),
        "refund_form": refund_form
        or RefundForm(initial={"idempotency_key": str(uuid.uuid4()), "currency": DEFAULT_CURRENCY}),
        "checkout": checkout,
        "stripe_js_url": settings.STRIPE_JS_URL,
    }
    if checkout is not None:
        context["top_up_status_url"] = reverse(
            "api-top-up",
            kwargs={"organization_id": organization.pk, "top_up_id": checkout.top_up.pk},
        )
    return render(request, "payments/billing.html", context, status=status)


@require_safe
@login_required
@domain_errors_as_pages
@billing_policy
def org_billing(request, organization_id: int):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    return _render(request, organization, membership)


@require_POST
@login_required
@domain_errors_as_pages
@billing_policy
def org_billing_top_up(request, organization_id: int):
    """Create the top-up (the server fixes its amount), then show the card form."""
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return _render(request, organization, membership, top_up_form=form)
    try:
        checkout = top_up_create(actor=request.user, organization=organization, **form.cleaned_data)
    except DomainError as error:
        _apply_error(form, error)
        return _render(
            request, organization, membership, top_up_form=form, status=error.status_code
        )
    if checkout.client_secret is None:
        messages.info(request, f"Top-up {checkout.top_up.pk} is {checkout.top_up.status}.")
        return redirect("org_billing", organization_id=organization.pk)
    return _render(request, organization, membership, checkout=checkout)


@require_POST
@login_required
@domain_errors_as_pages
@billing_policy
def org_billing_refund(request, organization_id: int):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id, manage=True
    )
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _render(request, organization, membership, refund_form=form)
    try:
        refunds, _created = refund_create(
            actor=request.user, organization=organization, **form.cleaned_data
        )
    except DomainError as error:
        _apply_error(form, error)
        return _render(
            request, organization, membership, refund_form=form, status=error.status_code
        )
    total = sum(refund.amount for refund in refunds)
    messages.success(
        request,
        f"Refund of {total:.2f} {form.cleaned_data['currency']} sent to the cards it came "
        "from; it has left your available balance.",
    )
    return redirect("org_billing", organization_id=organization.pk)
