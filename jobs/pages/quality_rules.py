"""The requester's quality-rules page of a job: its rules (add one, turn one off or on) and
the log of what they did, with the evidence."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs.models import LabelingJob, RuleAction, RuleCollector, RuleOperator
from jobs.pages.views import content_security_policy
from jobs.selectors import job_access
from jobs.services.quality_rules import (
    EDITABLE_JOB_STATUSES,
    quality_action_list,
    quality_rule_access,
    quality_rule_create,
    quality_rule_list,
    quality_rule_set_active,
)
from marketplace.exceptions import DomainError
from marketplace.pages.views import domain_errors_as_pages
from workforce.models import QualificationType

LOG_PAGE_SIZE = 50
OPERATOR_SIGNS = {
    RuleOperator.LT: "<",
    RuleOperator.LTE: "≤",
    RuleOperator.GT: ">",
    RuleOperator.GTE: "≥",
}
# The service's field names (dotted for parameters) -> the form's fields.
FORM_FIELDS = {
    "params.history_size": "history_size",
    "params.threshold_seconds": "threshold_seconds",
    "params.measure": "measure",
    "action_params.extra": "extra",
    "action_params.relabel": "relabel",
    "action_params.qualification_type_id": "qualification_type",
    "action_params.value": "skill_value",
}


class QualityRuleForm(forms.Form):
    collector = forms.ChoiceField(choices=RuleCollector.choices, label="Collector")
    history_size = forms.IntegerField(
        required=False,
        label="Latest answers",
        help_text="Only the worker's latest N answers (gold accuracy, majority agreement, "
        "fast responses). Empty: all of them.",
    )
    threshold_seconds = forms.FloatField(
        required=False,
        label="Fast under (seconds)",
        help_text="Fast responses: a submit quicker than this is fast.",
    )
    measure = forms.ChoiceField(
        required=False,
        choices=[("", "Count"), ("share", "Share")],
        label="Fast responses as",
    )
    operator = forms.ChoiceField(choices=RuleOperator.choices, label="Condition")
    value = forms.FloatField(
        label="Value", help_text="A share (0 to 1) for accuracy and agreement; else a count."
    )
    min_answers = forms.IntegerField(
        initial=1, label="At least this many answers", help_text="Before the rule may act."
    )
    action = forms.ChoiceField(choices=RuleAction.choices, label="Action")
    extra = forms.IntegerField(required=False, label="More workers per object")
    relabel = forms.BooleanField(
        required=False, label="Also objects that already have a label (change overlap)"
    )
    qualification_type = forms.ChoiceField(required=False, label="Qualification (set a skill)")
    skill_value = forms.IntegerField(required=False, label="Qualification value")
    reason = forms.CharField(
        max_length=1024,
        label="Reason the worker is shown",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, job: LabelingJob, **kwargs):
        super().__init__(*args, **kwargs)
        types = QualificationType.objects.filter(owner_id=job.organization_id).order_by("name")
        self.fields["qualification_type"].choices = [("", "—")] + [
            (qualification_type.type_id, qualification_type.name) for qualification_type in types
        ]

    def service_fields(self) -> dict:
        """The cleaned form as quality_rule_create's fields: only filled parameters."""
        data = self.cleaned_data
        params = {
            name: data[name]
            for name in ("history_size", "threshold_seconds", "measure")
            if data.get(name) not in (None, "")
        }
        action_params = {}
        if data.get("extra") is not None:
            action_params["extra"] = data["extra"]
        if data.get("relabel"):
            action_params["relabel"] = True
        if data.get("qualification_type"):
            action_params["qualification_type_id"] = data["qualification_type"]
        if data.get("skill_value") is not None:
            action_params["value"] = data["skill_value"]
        return {
            "collector": data["collector"],
            "params": params,
            "operator": data["operator"],
            "value": data["value"],
            "min_answers": data["min_answers"],
            "action": data["action"],
            "action_params": action_params,
            "reason": data["reason"],
        }


def _add_errors(form: forms.Form, error: DomainError) -> None:
    for name, field_messages in error.fields.items():
        target = FORM_FIELDS.get(name, name)
        form.add_error(target if target in form.fields else None, field_messages)
    if not error.fields:
        form.add_error(None, error.message)


def _rule_text(rule) -> str:
    params = ", ".join(f"{name} {value}" for name, value in sorted(rule.params.items()))
    condition = f"{rule.get_collector_display()}{f' ({params})' if params else ''}"
    value = f"{rule.value:g}"
    return f"{condition} {OPERATOR_SIGNS[rule.operator]} {value}, with ≥ {rule.min_answers}"


def _render(request, job: LabelingJob, *, form=None, status: int = 200, errors=()):
    rules = list(quality_rule_list(job=job))
    for rule in rules:
        rule.text = _rule_text(rule)
    log = Paginator(quality_action_list(job=job), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "job": job,
        "rules": rules,
        "log": log,
        "page": log,
        "form": form or QualityRuleForm(job=job),
        "editable": job.status in EDITABLE_JOB_STATUSES,
        "errors": errors,
    }
    return render(request, "jobs/quality_rules.html", context, status=status)


@login_required
@content_security_policy
@domain_errors_as_pages
def quality_rules_page(request, job_id):
    """GET: the rules and the log; POST: add a rule (errors re-render the form)."""
    job = job_access(actor=request.user, job_id=job_id)
    if request.method != "POST":
        return _render(request, job)
    form = QualityRuleForm(request.POST, job=job)
    if not form.is_valid():
        return _render(request, job, form=form, status=400)
    try:
        quality_rule_create(actor=request.user, job=job, **form.service_fields())
    except DomainError as error:
        _add_errors(form, error)
        return _render(request, job, form=form, status=error.status_code)
    messages.success(request, "The rule is on: it checks workers as their answers arrive.")
    return redirect("job_quality_rules", job_id=job.pk)


@login_required
@require_POST
@content_security_policy
@domain_errors_as_pages
def quality_rule_active(request, job_id, rule_id):
    """Turn a rule off or on (`active` = "on" or "off")."""
    job = job_access(actor=request.user, job_id=job_id)
    rule = quality_rule_access(job=job, rule_id=rule_id)
    active = request.POST.get("active") == "on"
    try:
        quality_rule_set_active(actor=request.user, rule=rule, active=active)
    except DomainError as error:
        return _render(request, job, status=error.status_code, errors=[error.message])
    messages.success(request, "The rule is on." if active else "The rule is off.")
    return redirect("job_quality_rules", job_id=job.pk)
