"""Requester pages for gold questions: a job's gold (list, add, deactivate, each worker's
gold accuracy) and the organization gold sets (list, create, add questions)."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs.pages.views import content_security_policy
from jobs.selectors import job_access
from jobs.services.gold import (
    gold_add,
    gold_deactivate,
    gold_lines_parse,
    gold_set_access,
    gold_set_add,
    gold_set_create,
    gold_set_list,
    gold_set_question_access,
    gold_set_question_list,
    job_gold_access,
    job_gold_list,
    job_gold_workers,
)
from jobs.tasktypes import task_type_choices, task_type_get
from marketplace.exceptions import DomainError
from marketplace.pages.views import domain_errors_as_pages
from marketplace.selectors import organization_list

PAGE_SIZE = 50
MAX_GOLD_TEXT = 5_000_000


class GoldAddForm(forms.Form):
    gold = forms.CharField(
        label="Gold questions",
        max_length=MAX_GOLD_TEXT,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text='JSON Lines, one per line: {"data": {...manifest line...}, "answer": {...}}, '
        "or one JSON list of them.",
    )

    def items(self):
        """The text as gold items: a JSON list or object, else JSON Lines."""
        text = self.cleaned_data["gold"].strip()
        try:
            return json.loads(text)
        except ValueError:
            return gold_lines_parse(text.splitlines())


class GoldSetForm(forms.Form):
    organization = forms.TypedChoiceField(coerce=int)
    name = forms.CharField(max_length=100)
    task_type = forms.ChoiceField(choices=task_type_choices)
    labels = forms.CharField(
        max_length=10_000, help_text="Comma-separated, in the order the jobs list them."
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(org.pk, org.name) for org in organizations]

    def labels_list(self) -> list[str]:
        return [label.strip() for label in self.cleaned_data["labels"].split(",") if label.strip()]


def _add_errors(form, error: DomainError) -> None:
    """Field messages ("gold[2].answer.label: ...") shown on the form as a whole."""
    if not error.fields:
        form.add_error(None, error.message)
    for name, field_messages in error.fields.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message if target else f"{name}: {message}")


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _shares(questions) -> None:
    for question in questions:
        question.share_correct = (
            round(100 * question.times_correct / question.times_answered)
            if question.times_answered
            else None
        )


# A job's gold.


def _render_job_gold(request, job, *, form=None, status: int = 200):
    questions = _page(request, job_gold_list(job=job))
    _shares(questions)
    standings = list(job_gold_workers(job=job)[:PAGE_SIZE])
    for standing in standings:
        standing.accuracy = round(100 * standing.gold_correct / standing.gold_answered)
    context = {
        "job": job,
        "task_type": task_type_get(job.task_type),
        "questions": questions,
        "standings": standings,
        "form": form or GoldAddForm(),
        "can_add": job.status in ("draft", "running", "paused"),
    }
    return render(request, "jobs/gold.html", context, status=status)


def _gold_add_posted(request, *, add, render, done):
    """The add-gold form posted to a job's or a gold set's page: `add(items)` stores the
    questions, `render(form=, status=)` shows the page again with the form's errors, and
    `done` is the redirect after a success."""
    form = GoldAddForm(request.POST)
    if not form.is_valid():
        return render(form=form, status=400)
    try:
        added = add(form.items())
    except DomainError as error:
        _add_errors(form, error)
        return render(form=form, status=error.status_code)
    messages.success(request, f"Added {len(added)} gold question{'s' if len(added) != 1 else ''}.")
    return done


@login_required
@content_security_policy
@domain_errors_as_pages
def job_gold_page(request, job_id):
    job = job_access(actor=request.user, job_id=job_id)
    if request.method != "POST":
        return _render_job_gold(request, job)
    return _gold_add_posted(
        request,
        add=lambda items: gold_add(actor=request.user, job=job, items=items),
        render=lambda **options: _render_job_gold(request, job, **options),
        done=redirect("job_gold", job_id=job.pk),
    )


@login_required
@require_POST
@domain_errors_as_pages
def job_gold_deactivate(request, job_id, gold_id):
    job = job_access(actor=request.user, job_id=job_id)
    gold_deactivate(actor=request.user, question=job_gold_access(job=job, gold_id=gold_id))
    messages.success(request, "The gold question is deactivated: it is no longer served.")
    return redirect("job_gold", job_id=job.pk)


# Gold sets.


def _render_gold_sets(request, *, form, status: int = 200):
    context = {"gold_sets": _page(request, gold_set_list(actor=request.user)), "form": form}
    return render(request, "jobs/gold_sets.html", context, status=status)


@login_required
@content_security_policy
@domain_errors_as_pages
def gold_sets_page(request):
    organizations = list(organization_list(actor=request.user).order_by("name"))
    if request.method != "POST":
        return _render_gold_sets(request, form=GoldSetForm(organizations=organizations))
    form = GoldSetForm(request.POST, organizations=organizations)
    if not form.is_valid():
        return _render_gold_sets(request, form=form, status=400)
    organization = next(org for org in organizations if org.pk == form.cleaned_data["organization"])
    try:
        gold_set = gold_set_create(
            actor=request.user,
            organization=organization,
            name=form.cleaned_data["name"],
            task_type=form.cleaned_data["task_type"],
            labels=form.labels_list(),
        )
    except DomainError as error:
        _add_errors(form, error)
        return _render_gold_sets(request, form=form, status=error.status_code)
    messages.success(request, f"The gold set {gold_set.name} was created. Add questions next.")
    return redirect("gold_set_detail", gold_set_id=gold_set.pk)


def _render_gold_set(request, gold_set, *, form=None, status: int = 200):
    questions = _page(request, gold_set_question_list(gold_set=gold_set))
    _shares(questions)
    context = {
        "gold_set": gold_set,
        "task_type": task_type_get(gold_set.task_type),
        "questions": questions,
        "form": form or GoldAddForm(),
    }
    return render(request, "jobs/gold_set_detail.html", context, status=status)


@login_required
@content_security_policy
@domain_errors_as_pages
def gold_set_page(request, gold_set_id):
    gold_set = gold_set_access(actor=request.user, gold_set_id=gold_set_id)
    if request.method != "POST":
        return _render_gold_set(request, gold_set)
    return _gold_add_posted(
        request,
        add=lambda items: gold_set_add(actor=request.user, gold_set=gold_set, items=items),
        render=lambda **options: _render_gold_set(request, gold_set, **options),
        done=redirect("gold_set_detail", gold_set_id=gold_set.pk),
    )


@login_required
@require_POST
@domain_errors_as_pages
def gold_set_question_deactivate(request, gold_set_id, gold_id):
    gold_set = gold_set_access(actor=request.user, gold_set_id=gold_set_id)
    question = gold_set_question_access(gold_set=gold_set, gold_id=gold_id)
    gold_deactivate(actor=request.user, question=question)
    messages.success(request, "The question is deactivated in every job drawing on the set.")
    return redirect("gold_set_detail", gold_set_id=gold_set.pk)
