"""Views of the job pages (requesters) and the work pages (workers): each checks access
through a selector, calls one service, then redirects; errors re-render with their status."""

from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from jobs.files import task_file_url
from jobs.manifests import manifest_import
from jobs.models import (
    Assignment,
    AssignmentStatus,
    JobStatus,
    LabelingJob,
)
from jobs.output import output_manifest_lines, raw_responses_lines
from jobs.pages.forms import (
    REVIEW_STATUS_CHOICES,
    JobForm,
    ManifestForm,
    ReviewForm,
    TaskAnswerForm,
)
from jobs.quality_report import job_quality_report
from jobs.selectors import (
    assignment_access_for_worker,
    assignment_list_for_review,
    job_access,
    job_list,
    work_job_list,
    work_job_locked_list,
    worker_assignment_list,
    worker_done_count,
)
from jobs.services.dispatch import assignment_claim_next, assignment_return, assignment_submit
from jobs.services.jobs import job_create, job_launch, job_pause, job_resume, job_stop
from jobs.services.review import assignments_approve, assignments_reject
from jobs.tasktypes import REGISTRY, task_type_get
from marketplace.exceptions import DomainError, InvalidInput, NotFound
from marketplace.models import Engagement, EngagementStatus
from marketplace.pages.views import domain_errors_as_pages
from marketplace.selectors import organization_list
from payments.quotes import job_quote_display, job_quote_summary
from workforce.eligibility import Action, jobs_open_to_worker
from workforce.models import (
    QualificationTypeStatus,
    WorkerProfile,
    Workforce,
    WorkforceKind,
    WorkTeam,
)
from workforce.selectors import worker_profile_get

PAGE_SIZE = 50
# My assignments' status filter: each of the model's statuses, as the worker reads it.
WORK_HISTORY_FILTERS = {
    AssignmentStatus.ACCEPTED: "In progress",
    AssignmentStatus.SUBMITTED: "Submitted",
    AssignmentStatus.APPROVED: "Approved",
    AssignmentStatus.REJECTED: "Rejected",
    AssignmentStatus.RETURNED: "Returned",
    AssignmentStatus.ABANDONED: "Abandoned",
    AssignmentStatus.EXPIRED: "Expired",
}
# How a locked job's requirement reads, by comparator.
REQUIREMENT_TEXTS = {
    "LessThan": "below {values}",
    "LessThanOrEqualTo": "at most {values}",
    "GreaterThan": "above {values}",
    "GreaterThanOrEqualTo": "of at least {values}",
    "EqualTo": "equal to {values}",
    "NotEqualTo": "other than {values}",
    "Exists": "held",
    "DoesNotExist": "not held",
    "In": "one of {values}",
    "NotIn": "none of {values}",
}
RECENT_EVENTS = 15
JOB_ACTIONS = {
    "launch": (job_launch, "The job is running: workers can take its tasks now."),
    "pause": (job_pause, "The job is paused: no new tasks go out."),
    "resume": (job_resume, "The job is running again."),
    "stop": (job_stop, "The job is stopped. Its results so far stay available."),
}
# Which buttons a job in each state shows.
JOB_STATE_ACTIONS = {
    JobStatus.DRAFT: ("launch",),
    JobStatus.RUNNING: ("pause", "stop"),
    JobStatus.PAUSED: ("resume", "stop"),
}
EVENT_TEXTS = {
    "created": "Created",
    "updated": "Settings changed",
    "launched": "Launched",
    "paused": "Paused",
    "resumed": "Resumed",
    "stopped": "Stopped",
    "completed": "Completed",
    "manifest_imported": "Manifest imported",
    "data_file_stored": "Data file uploaded",
}
# Requester-written instructions and labels reach these pages; only our own script and
# styles may run, and images may come from the http(s) source-refs a manifest names.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: https: http:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return wrapper


def money_display(amount: Decimal) -> str:
    """An amount as people read it: at least 2 decimals, more only when they matter
    ("0.05", "1.00", "0.0125")."""
    whole, _, fraction = format(amount.normalize(), "f").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _with_reward_display(jobs) -> None:
    """Set what the templates show of each job: its reward as money and its type's name."""
    for job in jobs:
        job.reward_display = money_display(job.reward)
        task_type = REGISTRY.get(job.task_type)
        job.task_type_name = task_type.name if task_type else job.task_type


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _add_errors(form, error: DomainError, *, field_for=lambda name: name) -> None:
    """A domain error's field messages onto the form's fields (or the form as a whole)."""
    for name, field_messages in error.fields.items():
        target = field_for(name)
        form.add_error(target if target in form.fields else None, field_messages)
    if not error.fields:
        form.add_error(None, error.message)


# Requester pages.


@login_required
@content_security_policy
def job_list_page(request):
    organizations = list(organization_list(actor=request.user))
    jobs = _page(request, job_list(actor=request.user))
    _with_reward_display(jobs)
    return render(
        request,
        "jobs/job_list.html",
        {"jobs": jobs, "organizations": organizations},
    )


def _workforce_choices(organizations) -> tuple[list[tuple], list[tuple]]:
    """The targets a new job of these organizations may have (the public crowd, their
    private workforces, vendors they engaged), and the teams of those workforces."""
    several = len(organizations) > 1

    def named(organization, name: str) -> str:
        return f"{organization.name}: {name}" if several else name

    private = Workforce.objects.filter(
        kind=WorkforceKind.PRIVATE, organization__in=organizations
    ).select_related("organization")
    engaged = Engagement.objects.filter(
        requester__in=organizations, status=EngagementStatus.ACCEPTED
    ).select_related("requester", "vendor", "listing")
    teams = WorkTeam.objects.filter(workforce__in=private).select_related("workforce__organization")
    choices = [("", "Public crowd (every worker)")]
    choices += [
        (f"workforce:{workforce.pk}", named(workforce.organization, workforce.name))
        for workforce in private.order_by("organization__name", "name")
    ]
    choices += [
        (
            f"engagement:{engagement.pk}",
            named(
                engagement.requester,
                f"Vendor {engagement.vendor.display_name}: {engagement.listing.title} "
                f"({engagement.task_type})",
            ),
        )
        for engagement in engaged.order_by("requester__name", "vendor__display_name", "pk")
    ]
    team_choices = [
        (team.pk, named(team.workforce.organization, f"{team.workforce.name}: {team.name}"))
        for team in teams.order_by("workforce__organization__name", "workforce__name", "name")
    ]
    return choices, team_choices


@login_required
@content_security_policy
def job_create_page(request):
    organizations = list(organization_list(actor=request.user).order_by("name"))
    if not organizations:
        messages.info(request, "Create an organization first: jobs belong to one.")
        return redirect("organization_create")
    workforces, teams = _workforce_choices(organizations)
    form = JobForm(
        request.POST if request.method == "POST" else None,
        organizations=organizations,
        workforces=workforces,
        teams=teams,
    )
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        organization = next(
            org for org in organizations if org.pk == form.cleaned_data["organization"]
        )
        try:
            job = job_create(actor=request.user, organization=organization, **form.service_fields())
        except DomainError as error:
            _add_errors(form, error, field_for=form.form_field)
            status = error.status_code
        else:
            messages.success(request, f"The job {job.name} was created. Add its data next.")
            return redirect("job_detail", job_id=job.pk)
    return render(
        request,
        "jobs/job_new.html",
        {"form": form, "several_organizations": len(organizations) > 1},
        status=status,
    )


def _event_text(event) -> str:
    data = event.data or {}
    text = EVENT_TEXTS.get(event.kind, event.kind.replace("_", " ").capitalize())
    if event.kind == "manifest_imported" and "objects" in data:
        text += (
            f": {data['objects']:,} objects, lines "
            f"{data.get('first_line_number')}–{data.get('last_line_number')}"
        )
    elif event.kind == "updated" and data.get("fields"):
        text += ": " + ", ".join(data["fields"])
    elif data.get("reason"):
        text += f" ({data['reason']})"
    return text


def _events(job: LabelingJob) -> list:
    # Uses index: jobevent_job_time.
    events = list(job.events.select_related("actor").order_by("-created_at", "-id")[:RECENT_EVENTS])
    for event in events:
        event.text = _event_text(event)
    return events


def _render_job(request, job: LabelingJob, *, status: int = 200, **extra):
    _with_reward_display([job])
    context = {
        "job": job,
        "task_type": task_type_get(job.task_type),
        "actions": JOB_STATE_ACTIONS.get(job.status, ()),
        "progress": round(job.total_labeled * 100 / job.total_objects) if job.total_objects else 0,
        "events": _events(job),
        "manifest_form": ManifestForm(),
        "submitted_waiting": Assignment.objects.filter(
            hit__job=job, status=AssignmentStatus.SUBMITTED
        ).exists(),
        "quote": job_quote_display(job_quote_summary(job=job)),
        **extra,
    }
    return render(request, "jobs/job_detail.html", context, status=status)


@login_required
@require_safe
@content_security_policy
@domain_errors_as_pages
def job_detail_page(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    quality = None if job.status == JobStatus.DRAFT else job_quality_report(job=job)
    return _render_job(request, job, quality=quality)


@login_required
@require_POST
@content_security_policy
@domain_errors_as_pages
def job_action(request, job_id, action):
    job = job_access(actor=request.user, job_id=job_id)
    service, done = JOB_ACTIONS[action]
    try:
        service(actor=request.user, job=job)
    except DomainError as error:
        return _render_job(request, job, status=error.status_code, action_errors=[error.message])
    messages.success(request, done)
    return redirect("job_detail", job_id=job.pk)


@login_required
@require_POST
@content_security_policy
@domain_errors_as_pages
def job_manifest_upload(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    form = ManifestForm(request.POST, request.FILES)
    status, errors = 400, []
    if form.is_valid():
        try:
            result = manifest_import(
                actor=request.user, job=job, stream=form.cleaned_data["manifest"]
            )
        except DomainError as error:
            _add_errors(form, error)
            status = error.status_code
            if job.status != JobStatus.DRAFT:  # the upload form is not on the page then
                errors = [error.message]
        else:
            if result.already_imported:
                messages.info(request, "This manifest was imported before; nothing changed.")
            else:
                messages.success(
                    request,
                    f"Imported {result.objects:,} data object{'s' if result.objects != 1 else ''} "
                    f"(lines {result.first_line_number:,}–{result.last_line_number:,}).",
                )
            return redirect("job_detail", job_id=job.pk)
    job.refresh_from_db()
    return _render_job(request, job, status=status, manifest_form=form, action_errors=errors)


def _review_filters(request) -> dict:
    status = request.GET.get("status") or AssignmentStatus.SUBMITTED
    if status not in dict(REVIEW_STATUS_CHOICES):
        raise InvalidInput(fields={"status": ["Choose a status from the list."]})
    return {"status": status, "worker": request.GET.get("worker", "").strip()}


def _review_url(job: LabelingJob, filters: dict) -> str:
    query = {name: value for name, value in filters.items() if value}
    url = reverse("job_review", kwargs={"job_id": job.pk})
    return f"{url}?{urlencode(query)}" if query else url


def _render_review(request, job, filters, *, form=None, status: int = 200):
    assignments = _page(
        request,
        assignment_list_for_review(
            actor=request.user,
            job=job,
            worker_id=filters["worker"] or None,
            status=None if filters["status"] == "all" else filters["status"],
        ),
    )
    for assignment in assignments:
        data = assignment.hit.data_object.data
        assignment.object_preview = data.get("source") or data.get("source-ref") or ""
    context = {
        "job": job,
        "assignments": assignments,
        "filters": filters,
        "status_choices": REVIEW_STATUS_CHOICES,
        "form": form,
        "review_url": _review_url(job, filters),
        "query": urlencode({name: value for name, value in filters.items() if value}),
    }
    return render(request, "jobs/job_review.html", context, status=status)


@login_required
@content_security_policy
@domain_errors_as_pages
def job_review_page(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    filters = _review_filters(request)
    if request.method != "POST":
        return _render_review(request, job, filters)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_review(request, job, filters, form=form, status=400)
    chosen = sorted(set(form.cleaned_data["chosen"]))
    # Only this job's submitted work; any other id (another job's, another organization's)
    # is a 404 that says nothing about it.
    assignments = list(
        assignment_list_for_review(actor=request.user, job=job).filter(assignment_id__in=chosen)
    )
    if len(assignments) != len(chosen):
        raise NotFound()
    action, feedback = form.cleaned_data["action"], form.cleaned_data["feedback"]
    try:
        if action == "reject":
            assignments_reject(
                actor=request.user,
                assignments=assignments,
                feedback=feedback,
                rework=form.cleaned_data["rework"],
            )
        else:
            assignments_approve(
                actor=request.user,
                assignments=assignments,
                feedback=feedback,
                override_rejection=action == "override",
            )
    except DomainError as error:
        _add_errors(form, error)
        return _render_review(request, job, filters, form=form, status=error.status_code)
    count = len(assignments)
    verb = "Rejected" if action == "reject" else "Approved"
    reissued = (
        " and sent back for rework" if action == "reject" and form.cleaned_data["rework"] else ""
    )
    messages.success(request, f"{verb}{reissued} {count} assignment{'s' if count != 1 else ''}.")
    return redirect(_review_url(job, filters))


def _download(lines, *, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
@domain_errors_as_pages
def job_output_download(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    # Job names are letters, digits and hyphens only: safe in the header as they are.
    return _download(
        output_manifest_lines(job=job),
        filename=f"{job.name}.output.manifest",
        content_type="application/x-ndjson",
    )


@login_required
@require_safe
@domain_errors_as_pages
def job_responses_download(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    return _download(
        raw_responses_lines(job=job),
        filename=f"{job.name}.responses.jsonl",
        content_type="application/x-ndjson",
    )


# Worker pages.


def _worker(request) -> WorkerProfile:
    return worker_profile_get(actor=request.user)


def _worker_or_none(request) -> WorkerProfile | None:
    try:
        return _worker(request)
    except NotFound:
        return None


def _live_assignments(*, worker: WorkerProfile):
    """The worker's accepted assignments still inside their deadline, soonest first."""
    return (
        Assignment.objects.filter(
            worker=worker, status=AssignmentStatus.ACCEPTED, deadline__gt=timezone.now()
        )
        .select_related("hit__job")
        .order_by("deadline", "id")
    )


def _requirement_text(requirement) -> str:
    """A locking requirement as a worker reads it: "Birds ≥ 80", "Worker_Locale is US"."""
    values = [str(value) for value in requirement.values.all()]
    listed = ", ".join(values)
    return f"{requirement.qualification_type.name} " + REQUIREMENT_TEXTS[
        requirement.comparator
    ].format(values=listed)


def _request_url(requirement) -> str | None:
    """Where a worker can earn a locking requirement's qualification: its test, or the
    qualifications page for an auto-granted type; None when it cannot be requested (a
    system type, an inactive one, or one requesters grant by hand)."""
    qualification_type = requirement.qualification_type
    if qualification_type.is_system or qualification_type.status != QualificationTypeStatus.ACTIVE:
        return None
    if requirement.type_has_test:
        return reverse("worker_qualification_test", args=[qualification_type.type_id])
    if qualification_type.auto_granted:
        return reverse("worker_qualifications")
    return None


def _with_locking_requirements(jobs) -> None:
    """Describe each locked job's requirements, with where to earn each."""
    for job in jobs:
        for requirement in job.locking_requirements:
            requirement.text = _requirement_text(requirement)
            requirement.request_url = _request_url(requirement)


@login_required
@require_safe
@content_security_policy
def work_list_page(request):
    """Jobs the worker may start now, and those they may see but not accept yet
    ("locked"), with the qualifications that would open them."""
    worker = _worker_or_none(request)
    context = {"worker": worker}
    if worker is not None:
        context["jobs"] = _page(request, work_job_list(worker=worker, action=Action.ACCEPT))
        _with_reward_display(context["jobs"])
        context["locked"] = list(work_job_locked_list(worker=worker)[:PAGE_SIZE])
        _with_reward_display(context["locked"])
        _with_locking_requirements(context["locked"])
        context["live"] = list(_live_assignments(worker=worker)[:PAGE_SIZE])
    return render(request, "work/work_list.html", context)


def _next_task(*, worker: WorkerProfile, job: LabelingJob) -> Assignment | None:
    """The task the worker is already on in `job`, else a newly claimed one, else None."""
    live = _live_assignments(worker=worker).filter(hit__job=job).first()
    return live or assignment_claim_next(worker=worker, job=job)


def _task_url(assignment: Assignment) -> str:
    return reverse("work_task", kwargs={"assignment_id": assignment.assignment_id})


@login_required
@require_POST
def work_next(request, job_id):
    worker = _worker_or_none(request)
    if worker is None:
        messages.info(request, "Become a worker first.")
        return redirect("worker_profile")
    # A job that is not open to this worker reads the same as one without work left.
    job = jobs_open_to_worker(worker=worker).filter(pk=job_id).first()
    try:
        assignment = _next_task(worker=worker, job=job) if job is not None else None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("work_list")
    if assignment is None:
        messages.info(request, "No tasks left for you in this job right now.")
        return redirect("work_list")
    return redirect(_task_url(assignment))


def _render_task(request, assignment: Assignment, *, worker, form=None, status: int = 200):
    job = assignment.hit.job
    _with_reward_display([job])
    now = timezone.now()
    is_open = assignment.status == AssignmentStatus.ACCEPTED and assignment.deadline > now
    context = {
        "job": job,
        "assignment": assignment,
        "data_object": assignment.hit.data_object,
        "done_count": worker_done_count(worker=worker, job=job),
        "submit_url": _task_url(assignment),
        "return_url": reverse(
            "work_task_return", kwargs={"assignment_id": assignment.assignment_id}
        ),
        # The file link is only for a task still in hand; the view behind it checks again.
        "source_url": task_file_url(assignment=assignment, request=request) if is_open else None,
        "is_closed": not is_open,
        "deadline_ms": int(assignment.deadline.timestamp() * 1000),
        "now_ms": int(now.timestamp() * 1000),
        "answer_label": (assignment.answer or {}).get("label"),
        "form": form,
    }
    return render(request, task_type_get(job.task_type).template, context, status=status)


@login_required
@content_security_policy
@domain_errors_as_pages
def work_task_page(request, assignment_id):
    worker = _worker(request)
    assignment = assignment_access_for_worker(worker=worker, assignment_id=assignment_id)
    if request.method != "POST":
        return _render_task(request, assignment, worker=worker)
    form = TaskAnswerForm(request.POST)
    if not form.is_valid():
        return _render_task(request, assignment, worker=worker, form=form, status=400)
    try:
        # Owns its transactions: a late submit commits the abandonment, then refuses.
        answer = {"label": form.cleaned_data["label"]}
        if form.cleaned_data["comment"]:
            answer["comment"] = form.cleaned_data["comment"]
        assignment_submit(
            worker=worker,
            assignment=assignment,
            answer=answer,
            active_seconds=form.cleaned_data["active_seconds"],
        )
    except DomainError as error:
        _add_errors(
            form,
            error,
            field_for=lambda name: (
                "comment"
                if name == "answer.comment"
                else "label"
                if name.startswith("answer")
                else name
            ),
        )
        assignment = assignment_access_for_worker(worker=worker, assignment_id=assignment_id)
        return _render_task(request, assignment, worker=worker, form=form, status=error.status_code)
    job = assignment.hit.job
    try:
        following = _next_task(worker=worker, job=job)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("work_list")
    if following is None:
        messages.success(
            request, f"No more tasks in this job. Thanks for your work on “{job.title}”."
        )
        return redirect("work_list")
    return redirect(_task_url(following))


@login_required
@require_POST
@domain_errors_as_pages
def work_task_return(request, assignment_id):
    worker = _worker(request)
    assignment = assignment_access_for_worker(worker=worker, assignment_id=assignment_id)
    assignment_return(worker=worker, assignment=assignment)
    messages.info(request, "You returned the task; someone else can take it.")
    return redirect("work_list")


@login_required
@require_safe
@content_security_policy
def work_assignments_page(request):
    worker = _worker_or_none(request)
    if worker is None:
        messages.info(request, "Become a worker first.")
        return redirect("worker_profile")
    status = request.GET.get("status", "")
    if status and status not in WORK_HISTORY_FILTERS:
        return render(
            request,
            "pages/error.html",
            {"error": InvalidInput("Choose a status from the list.")},
            status=400,
        )
    statuses = (status,) if status else None
    assignments = _page(
        request,
        worker_assignment_list(worker=worker, statuses=statuses).defer("hit__data_object__data"),
    )
    _with_reward_display(assignment.hit.job for assignment in assignments)
    return render(
        request,
        "work/assignments.html",
        {
            "assignments": assignments,
            "now": timezone.now(),
            "status": status,
            "filters": list(WORK_HISTORY_FILTERS.items()),
            "query": urlencode({"status": status}) if status else "",
        },
    )
