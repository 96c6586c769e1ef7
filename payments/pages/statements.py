"""Statement pages: a requester organization's spend per job over a period (with a CSV
download), and a worker's earnings lines as CSV. Reads only, through payments.statements."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from jobs.pages.views import content_security_policy, money_display
from marketplace.exceptions import DomainError, InvalidInput
from marketplace.pages.views import domain_errors_as_pages
from marketplace.selectors import organization_access
from payments.statements import (
    COLUMNS,
    Period,
    StatementLine,
    organization_statement,
    organization_statement_csv,
    worker_statement_csv_rows,
)
from workforce.pages.worker_home import worker_required


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, query, *args, **kwargs):
        data = {"start": query.get("from", ""), "end": query.get("to", "")}
        super().__init__(data, *args, **kwargs)

    def period(self) -> Period:
        if not self.is_valid():
            raise InvalidInput(fields=self.errors)
        try:
            return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])
        except InvalidInput as error:
            self.add_error("end", error.fields["to"])
            raise


def _query(period: Period) -> str:
    query = {}
    if period.start:
        query["from"] = period.start.isoformat()
    if period.end:
        query["to"] = period.end.isoformat()
    return urlencode(query)


def _row(line: StatementLine) -> dict:
    return {
        "job": line.job_id,
        "name": line.name,
        "title": line.title,
        "currency": line.currency,
        "cells": [money_display(line.amounts[name]) for name in COLUMNS]
        + [money_display(line.spent)],
    }


def _csv_response(content: str, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
@content_security_policy
@domain_errors_as_pages
def organization_statement_page(request, organization_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    form = PeriodForm(request.GET)
    try:
        period = form.period()
    except DomainError:
        context = {"organization": organization, "form": form, "columns": COLUMNS}
        return render(request, "payments/statement.html", context, status=400)
    statement = organization_statement(organization=organization, period=period)
    query = _query(period)
    csv_url = reverse("org_billing_statement_csv", kwargs={"organization_id": organization.pk})
    return render(
        request,
        "payments/statement.html",
        {
            "organization": organization,
            "form": form,
            "columns": COLUMNS,
            "statement": statement,
            "lines": [_row(line) for line in statement.lines],
            "totals": [_row(total) for total in statement.totals],
            "balances": [
                {
                    "currency": balance["currency"],
                    "available": money_display(balance["available"]),
                    "on_hold": money_display(balance["on_hold"]),
                }
                for balance in statement.balances
            ],
            "csv_url": f"{csv_url}?{query}" if query else csv_url,
        },
    )


@login_required
@require_safe
@domain_errors_as_pages
def organization_statement_csv_download(request, organization_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    period = PeriodForm(request.GET).period()
    statement = organization_statement(organization=organization, period=period)
    return _csv_response(
        organization_statement_csv(statement),
        filename=f"statement-{organization.slug}-{period.filename_part}.csv",
    )


@worker_required
@require_safe
@domain_errors_as_pages
def worker_statement_csv_download(request, *, worker):
    period = PeriodForm(request.GET).period()
    return _csv_response(
        "".join(worker_statement_csv_rows(worker=worker, period=period)),
        filename=f"earnings-{worker.worker_id}-{period.filename_part}.csv",
    )
