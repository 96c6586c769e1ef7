"""Views of the worker home: the profile with the worker's standing (and what requesters'
quality rules did to them, with the reason), qualifications and their tests, and earnings.
Each reads through a selector scoped to the worker and writes through one service; a domain
error becomes a page with its status."""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from jobs.pages.views import content_security_policy, money_display
from jobs.selectors import worker_earnings_by_job, worker_earnings_totals
from jobs.services.quality_rules import notice_text, worker_notice_list
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.pages.views import _error_page, _posted, _submit, domain_errors_as_pages
from payments.statements import with_bonus_details, worker_balances, worker_statement_lines
from workforce.models import (
    QualificationRequestStatus,
    QualificationStatus,
    QualificationType,
    SystemQualification,
    WorkerProfile,
)
from workforce.pages.forms import QualificationTestForm, WorkerProfileForm
from workforce.qualification_requests import (
    qualification_request_start,
    qualification_request_submit,
)
from workforce.selectors import (
    requestable_type_access,
    requestable_type_list,
    system_qualification_type_list,
    worker_profile_get,
    worker_qualification_list,
    worker_qualification_request_list,
)
from workforce.services import (
    WORKER_PROFILE_FIELDS,
    worker_profile_create,
    worker_profile_update,
)

PAGE_SIZE = 50
RECENT_REQUESTS = 50
RECENT_NOTICES = 20


def worker_required(view):
    """Log in first; someone who is not a worker yet is sent to become one. The view gets
    the worker's profile as `worker`."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            worker = worker_profile_get(actor=request.user)
        except NotFound:
            messages.info(request, "Become a worker first.")
            return redirect("worker_profile")
        return view(request, *args, worker=worker, **kwargs)

    return wrapper


def _page(request, queryset, *, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _duration_display(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds} seconds"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{round(minutes / 60, 1):g} hours"


# Profile and standing.


def _qualification_value(qualification) -> str:
    if qualification.locale_country:
        country, subdivision = qualification.locale_country, qualification.locale_subdivision
        return f"{country}-{subdivision}" if subdivision else country
    if qualification.qualification_type.type_id == SystemQualification.ADULT:
        return "Yes" if qualification.integer_value else "No"
    if qualification.qualification_type.type_id == SystemQualification.PERCENT_ASSIGNMENTS_APPROVED:
        return f"{qualification.integer_value}%"
    return "" if qualification.integer_value is None else str(qualification.integer_value)


def _standing(worker: WorkerProfile) -> dict:
    """The worker's system qualifications (every system type, held or not) and the ones
    requesters granted, revoked ones with the reason the worker is given."""
    held = list(
        worker_qualification_list(worker=worker).select_related("qualification_type__owner")
    )
    for qualification in held:
        qualification.value_display = _qualification_value(qualification)
    system_held = {
        qualification.qualification_type_id: qualification
        for qualification in held
        if qualification.qualification_type.is_system
    }
    return {
        "system_qualifications": [
            {"type": system_type, "held": system_held.get(system_type.pk)}
            for system_type in system_qualification_type_list()
        ],
        "requester_qualifications": [
            qualification
            for qualification in held
            if not qualification.qualification_type.is_system
        ],
    }


def _quality_notices(worker: WorkerProfile) -> list:
    """What requesters' quality rules did to the worker, newest first: the job, what
    happened and the reason; never the rule's figures or thresholds."""
    notices = list(worker_notice_list(worker=worker)[:RECENT_NOTICES])
    for notice in notices:
        notice.text = notice_text(notice)
    return notices


@login_required
@content_security_policy
def worker_profile(request):
    """Become a worker, or edit the profile and see one's standing."""
    try:
        profile = worker_profile_get(actor=request.user)
    except NotFound:
        profile = None
    initial = (
        {name: getattr(profile, name) for name in WORKER_PROFILE_FIELDS}
        if profile
        else {"display_name": request.user.get_short_name()}
    )
    form = WorkerProfileForm(_posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        save = worker_profile_update if profile else worker_profile_create
        status, _result = _submit(form, lambda data: save(actor=request.user, **data))
        if status is None:
            messages.success(
                request, "Your worker profile was saved." if profile else "You are now a worker."
            )
            return redirect("worker_profile")
        status = 400 if status == 200 else status
    context = {"profile": profile, "form": form}
    if profile is not None:
        context.update(_standing(profile))
        context["quality_notices"] = _quality_notices(profile)
        context["balances"] = _balances(profile)
    return render(request, "workers/profile.html", context, status=status)


# Qualifications and their tests.


def _retry_at(qualification_type: QualificationType, last_request):
    if qualification_type.retry_delay_seconds is None:
        return None
    since = last_request.submitted_at or last_request.started_at
    return since + timedelta(seconds=qualification_type.retry_delay_seconds)


def _request_state(qualification_type, *, held, last_request, now) -> dict:
    """What the worker can do about a requestable type, as qualification_request_start
    decides it (the service has the last word): one of qualified, in_progress, pending,
    no_retry, retry_later, or requestable."""
    if held is not None:
        return {"state": "qualified", "value": held.integer_value}
    if last_request is not None:
        if last_request.status == QualificationRequestStatus.IN_PROGRESS:
            return {"state": "in_progress", "request": last_request}
        if last_request.status == QualificationRequestStatus.PENDING:
            return {"state": "pending", "request": last_request}
        retry_at = _retry_at(qualification_type, last_request)
        if retry_at is None:
            return {"state": "no_retry", "request": last_request}
        if retry_at > now:
            return {"state": "retry_later", "retry_at": retry_at, "request": last_request}
    return {"state": "requestable"}


def _type_states(worker: WorkerProfile, types) -> None:
    """Set `request_state` and `duration_display` on each type of a page, in two queries."""
    type_ids = [qualification_type.pk for qualification_type in types]
    held = {
        qualification.qualification_type_id: qualification
        for qualification in worker_qualification_list(worker=worker).filter(
            qualification_type_id__in=type_ids, status=QualificationStatus.GRANTED
        )
    }
    last_requests: dict = {}
    for qualification_request in worker_qualification_request_list(worker=worker).filter(
        qualification_type_id__in=type_ids
    ):
        last_requests.setdefault(qualification_request.qualification_type_id, qualification_request)
    now = timezone.now()
    for qualification_type in types:
        qualification_type.request_state = _request_state(
            qualification_type,
            held=held.get(qualification_type.pk),
            last_request=last_requests.get(qualification_type.pk),
            now=now,
        )
        qualification_type.duration_display = _duration_display(
            qualification_type.test_duration_seconds
        )


def _requestable_types():
    # The answer key is never read for these pages; the test only to know there is one.
    return requestable_type_list().select_related("owner").defer("answer_key")


@worker_required
@require_safe
@content_security_policy
def qualification_list_page(request, *, worker):
    types = _page(request, _requestable_types())
    _type_states(worker, types)
    requests = list(
        worker_qualification_request_list(worker=worker)
        .select_related("qualification_type__owner")
        .defer("qualification_type__answer_key", "qualification_type__test", "answers")[
            :RECENT_REQUESTS
        ]
    )
    return render(request, "workers/qualifications.html", {"types": types, "requests": requests})


@worker_required
@require_POST
@domain_errors_as_pages
def qualification_request(request, type_id, *, worker):
    """Request a type: an auto-granted one is granted at once; one with a test opens the
    attempt, and the test page shows it. Refusals (already qualified, open request, retry
    rules) are a 409 page and change nothing."""
    qualification_type = requestable_type_access(type_id=type_id)
    started = qualification_request_start(worker=worker, qualification_type=qualification_type)
    if started.status == QualificationRequestStatus.GRANTED:
        messages.success(request, f"You now have the qualification “{qualification_type.name}”.")
        return redirect("worker_qualifications")
    return redirect("worker_qualification_test", type_id=qualification_type.type_id)


def _open_attempt(worker: WorkerProfile, qualification_type: QualificationType):
    return (
        worker_qualification_request_list(worker=worker)
        .filter(
            qualification_type=qualification_type, status=QualificationRequestStatus.IN_PROGRESS
        )
        .first()
    )


def _render_test(request, qualification_type, attempt, *, worker, form=None, status: int = 200):
    """The test page: the questions of an open attempt with its countdown, or (with no
    attempt) what the worker can do. Only the questions reach the template, never the
    answer key."""
    context = {
        "qualification_type": {
            "type_id": qualification_type.type_id,
            "name": qualification_type.name,
            "description": qualification_type.description,
            "requester": qualification_type.owner.name,
            "duration_display": _duration_display(qualification_type.test_duration_seconds),
            "has_answer_key": qualification_type.answer_key is not None,
        },
        "attempt": attempt,
    }
    now = timezone.now()
    if attempt is not None:
        deadline = attempt.started_at + timedelta(seconds=qualification_type.test_duration_seconds)
        form = form or QualificationTestForm(questions=qualification_type.test["questions"])
        context.update(
            {
                "form": form,
                "deadline": deadline,
                "deadline_ms": int(deadline.timestamp() * 1000),
                "now_ms": int(now.timestamp() * 1000),
                "is_late": deadline <= now,
            }
        )
    else:
        _type_states(worker, [qualification_type])
        context["request_state"] = qualification_type.request_state
    return render(request, "workers/qualification_test.html", context, status=status)


@worker_required
@content_security_policy
@domain_errors_as_pages
def qualification_test_page(request, type_id, *, worker):
    """GET: the open attempt's questions (or a start button); POST: submit the answers
    to the open attempt, then the result page."""
    qualification_type = requestable_type_access(type_id=type_id)
    if qualification_type.test is None:  # auto-granted: nothing to take
        raise NotFound()
    attempt = _open_attempt(worker, qualification_type)
    if request.method != "POST":
        return _render_test(request, qualification_type, attempt, worker=worker)
    if attempt is None:
        raise Conflict(
            "You have no test in progress for this qualification; start it first.",
            code="request_closed",
        )
    form = QualificationTestForm(request.POST, questions=qualification_type.test["questions"])
    if not form.is_valid():
        return _render_test(
            request, qualification_type, attempt, worker=worker, form=form, status=400
        )
    try:
        submitted = qualification_request_submit(
            worker=worker, request_id=attempt.request_id, answers=form.answers()
        )
    except InvalidInput as error:  # the form checked the same; kept for a changed test
        for field_messages in error.fields.values():
            form.add_error(None, field_messages)
        return _render_test(
            request, qualification_type, attempt, worker=worker, form=form, status=400
        )
    result_url = reverse("worker_qualification_request", args=[submitted.request_id])
    if submitted.status == QualificationRequestStatus.REJECTED:
        # A submit is rejected only when it came after the deadline: the attempt is over
        # (so the retry rules can apply), but nothing was scored or granted.
        return _error_page(
            request,
            Conflict(
                "The test's time ran out. Your answers came after the deadline and were not "
                "scored.",
                code="deadline_passed",
            ),
        )
    return redirect(result_url)


@worker_required
@require_safe
@content_security_policy
def qualification_request_page(request, request_id, *, worker):
    """The result of one of the worker's own requests; anyone else's is a 404."""
    found = (
        worker_qualification_request_list(worker=worker)
        .select_related("qualification_type__owner")
        .defer("qualification_type__answer_key", "answers")
        .filter(request_id=str(request_id))
        .first()
    )
    if found is None:
        return _error_page(request, NotFound())
    return render(request, "workers/qualification_request.html", {"qualification_request": found})


# Earnings.


def _money_rows(rows) -> list[dict]:
    for row in rows:
        for name in ("pending", "approved", "rejected"):
            row[f"{name}_display"] = money_display(row[f"{name}_amount"])
    return rows


RECENT_EARNING_LINES = 20


def _balances(worker: WorkerProfile) -> list[dict]:
    """The worker's money from the ledger and payouts, per currency, for showing."""
    return [
        {
            "currency": balance.currency,
            **{
                name: money_display(getattr(balance, name))
                for name in ("pending", "available", "in_transit", "paid")
            },
        }
        for balance in worker_balances(worker=worker)
    ]


@worker_required
@require_safe
@content_security_policy
def earnings_page(request, *, worker):
    jobs = _page(request, worker_earnings_by_job(worker=worker))
    jobs.object_list = _money_rows(list(jobs.object_list))
    lines = with_bonus_details(worker_statement_lines(worker=worker)[:RECENT_EARNING_LINES])
    for line in lines:
        line.amount_display = money_display(line.amount)
    return render(
        request,
        "workers/earnings.html",
        {
            "totals": _money_rows(worker_earnings_totals(worker=worker)),
            "jobs": jobs,
            "balances": _balances(worker),
            "lines": lines,
        },
    )
