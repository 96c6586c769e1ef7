"""The "Send bonus" page for one assignment of a requester's job (linked from the review
queue): a form for the amount and reason that calls payments.bonuses.bonus_send."""

import secrets
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from jobs.pages.views import content_security_policy, money_display
from jobs.selectors import assignment_access_for_review, job_access
from marketplace.exceptions import NotFound
from marketplace.pages.views import _posted, _submit, domain_errors_as_pages
from payments.bonuses import REASON_MAX, TOKEN_MAX, bonus_list, bonus_send


class BonusForm(forms.Form):
    amount = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        label="Bonus",
        help_text="Whole cents; the platform's fee is charged on top.",
    )
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea({"rows": 3}),
        help_text="The worker sees it.",
    )
    # One token per form shown: submitting the same form twice sends one bonus.
    unique_request_token = forms.CharField(max_length=TOKEN_MAX, widget=forms.HiddenInput)


@login_required
@content_security_policy
@domain_errors_as_pages
def bonus_send_page(request, job_id, assignment_id):
    job = job_access(actor=request.user, job_id=job_id)
    assignment = assignment_access_for_review(actor=request.user, assignment_id=assignment_id)
    if assignment.hit.job_id != job.pk:
        raise NotFound()
    form = BonusForm(_posted(request), initial={"unique_request_token": secrets.token_urlsafe(24)})
    status = 200
    if request.method == "POST":
        status, result = _submit(
            form,
            lambda data: bonus_send(
                actor=request.user,
                organization=job.organization,
                worker_id=assignment.worker.worker_id,
                assignment_id=assignment.assignment_id,
                amount=data["amount"],
                reason=data["reason"],
                unique_request_token=data["unique_request_token"],
            ),
        )
        if status is None:
            bonus, created = result
            total = money_display(bonus.amount + bonus.fee)
            messages.success(
                request,
                f"Sent a bonus of {money_display(bonus.amount)} {bonus.currency} to "
                f"{assignment.worker.worker_id} ({total} {bonus.currency} with the fee)."
                if created
                else "This bonus was already sent; nothing changed.",
            )
            return redirect("job_review", job_id=job.pk)
        status = 400 if status == 200 else status
    sent = list(bonus_list(organization=job.organization, assignment_id=assignment.assignment_id))
    for bonus in sent:
        bonus.amount_display = money_display(bonus.amount)
    return render(
        request,
        "payments/bonus_send.html",
        {
            "job": job,
            "assignment": assignment,
            "form": form,
            "sent": sent,
        },
        status=status,
    )
