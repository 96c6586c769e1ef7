"""The chain page (/jobs/<id>/chain/): a requester makes a verification, adjustment or
same-type job from a job's output; the chaining service decides what is valid."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from jobs.labels import VERSION_2018
from jobs.pages.forms import LabelLinesField
from jobs.pages.views import _add_errors, content_security_policy, money_display
from jobs.selectors import job_access
from jobs.services.chaining import ChainKind, job_chain
from jobs.tasktypes.label_verification import DEFAULT_VERIFICATION_LABELS
from marketplace.exceptions import DomainError
from marketplace.pages.views import domain_errors_as_pages

KIND_CHOICES = [
    (ChainKind.VERIFICATION, "Verify the labels: workers judge each label and may comment"),
    (ChainKind.ADJUSTMENT, "Adjust the labels: workers see each label and correct it"),
    (ChainKind.SAME, "Label again: the same task under a new label attribute"),
]


class ChainForm(forms.Form):
    """Field names are the chaining service's, except `labels` (the label document)."""

    kind = forms.ChoiceField(choices=KIND_CHOICES, widget=forms.RadioSelect, label="Kind")
    name = forms.CharField(
        max_length=63, help_text="The new job's name, unique in the organization."
    )
    label_attribute_name = forms.CharField(
        max_length=127,
        help_text="A new key for the new labels in the output manifest (not the source's).",
    )
    labels = LabelLinesField(
        required=False,
        help_text="Verification labels, one per line (default: "
        + ", ".join(DEFAULT_VERIFICATION_LABELS)
        + "); for a same-type job, its labels (default: the source's). An adjustment job "
        "keeps the source's labels.",
    )
    workers_per_object = forms.IntegerField(
        min_value=1, max_value=9, required=False, help_text="Default: the source job's."
    )
    reward = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        help_text="Per assignment. Default: the source job's.",
    )

    SERVICE_FIELDS = {"label_category_config": "labels"}

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"name": data["name"], "label_attribute_name": data["label_attribute_name"]}
        if data["labels"]:
            fields["label_category_config"] = {
                "document-version": VERSION_2018,
                "labels": [{"label": label} for label in data["labels"]],
            }
        for name in ("workers_per_object", "reward"):
            if data[name] is not None:
                fields[name] = data[name]
        return fields

    def form_field(self, name: str) -> str | None:
        name = self.SERVICE_FIELDS.get(name, name)
        return name if name in self.fields else None


@login_required
@content_security_policy
@domain_errors_as_pages
def job_chain_page(request, job_id):
    source = job_access(actor=request.user, job_id=job_id)
    initial = {
        "kind": ChainKind.VERIFICATION,
        "name": f"{source.name[:54]}-verify",
        "label_attribute_name": f"{source.label_attribute_name[:119]}-checked",
    }
    form = ChainForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = job_chain(
                    actor=request.user,
                    source_job=source,
                    kind=form.cleaned_data["kind"],
                    **form.service_fields(),
                )
            except DomainError as error:
                _add_errors(form, error, field_for=form.form_field)
                status = error.status_code
            else:
                skipped = (
                    f"; {result.skipped:,} already carried its label attribute and were skipped"
                    if result.skipped
                    else ""
                )
                messages.success(
                    request,
                    f"The job {result.job.name} was created from {source.name}'s output with "
                    f"{result.objects:,} data object{'s' if result.objects != 1 else ''}"
                    f"{skipped}. Launch it when it is ready.",
                )
                return redirect("job_detail", job_id=result.job.pk)
    source.reward_display = money_display(source.reward)
    return render(request, "jobs/chain.html", {"job": source, "form": form}, status=status)
