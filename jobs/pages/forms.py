"""Forms of the job and work pages: they shape input; the job services decide what is valid."""

import re

from django import forms

from jobs.labels import VERSION_2018
from jobs.models import (
    DEFAULT_AUTO_APPROVAL_DELAY,
    ENTITY_ID_REGEX,
    MAX_AUTO_APPROVAL_DELAY,
    MAX_TASK_TIME_LIMIT,
    MIN_TASK_TIME_LIMIT,
    AssignmentStatus,
    ConsolidationMethod,
)
from jobs.tasktypes import task_type_choices

MAX_LABEL_LINES = 1_000
REVIEW_STATUS_CHOICES = [
    (AssignmentStatus.SUBMITTED, "Waiting for review"),
    (AssignmentStatus.APPROVED, "Approved"),
    (AssignmentStatus.REJECTED, "Rejected"),
    ("all", "All submitted work"),
]


class LabelLinesField(forms.CharField):
    """One label per line, cleaned to the list of non-blank lines (trimmed, in order)."""

    widget = forms.Textarea(attrs={"rows": 5})

    def to_python(self, value):
        text = super().to_python(value)
        labels = [line.strip() for line in text.splitlines() if line.strip()]
        if len(labels) > MAX_LABEL_LINES:
            raise forms.ValidationError(f"List at most {MAX_LABEL_LINES} labels.")
        return labels

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value


class JobForm(forms.Form):
    """A new labeling job. Field names are the job service's, except `labels` (turned into
    the label-category document) and `organization`."""

    organization = forms.TypedChoiceField(coerce=int, label="Organization")
    name = forms.CharField(
        max_length=63,
        help_text="Unique in the organization: letters, digits and hyphens, e.g. street-signs-2.",
    )
    label_attribute_name = forms.CharField(
        max_length=127,
        initial="label",
        help_text="The key the label gets in the output manifest, e.g. category.",
    )
    task_type = forms.ChoiceField(choices=task_type_choices, label="Task type")
    labels = LabelLinesField(help_text="One label per line, in the order workers see them.")
    title = forms.CharField(max_length=128, help_text="What workers see in the task list.")
    description = forms.CharField(max_length=255, required=False)
    short_instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above every task. Basic HTML (paragraphs, lists, bold, links).",
    )
    full_instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Behind a “Full instructions” link on every task.",
    )
    reward = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        initial="0.05",
        help_text="Per assignment, in USD; at least 0.01.",
    )
    workers_per_object = forms.IntegerField(
        initial=3, label="Workers per object", help_text="1 to 9 workers label each object."
    )
    task_time_limit_seconds = forms.IntegerField(
        initial=300,
        label="Time limit per task (seconds)",
        help_text=f"{MIN_TASK_TIME_LIMIT} to {MAX_TASK_TIME_LIMIT:,}; 300 is 5 minutes.",
    )
    auto_approval_delay_seconds = forms.IntegerField(
        initial=DEFAULT_AUTO_APPROVAL_DELAY,
        label="Auto-approval delay (seconds)",
        help_text=(
            f"Unreviewed work is approved after this; {DEFAULT_AUTO_APPROVAL_DELAY:,} is 3 days, "
            f"at most {MAX_AUTO_APPROVAL_DELAY:,} (30 days)."
        ),
    )
    max_concurrent_tasks = forms.IntegerField(
        initial=1000,
        label="Batch size",
        help_text="How many objects are out with workers at once (1 to 5,000).",
    )
    workforce = forms.ChoiceField(
        required=False,
        label="Workforce",
        help_text="Who may work on the job: the public crowd, your own people, or a vendor "
        "you engaged for this task type.",
    )
    teams = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only these teams",
        help_text="Teams of the chosen private workforce; none ticked: the whole workforce.",
    )
    contains_personal_information = forms.BooleanField(
        required=False,
        label="The data contains personal information",
        help_text="Such data never goes to the public crowd: choose your own people or a vendor.",
    )
    task_availability_lifetime_seconds = forms.IntegerField(
        required=False,
        label="Availability lifetime (seconds)",
        help_text="How long the job takes workers after launch; 864,000 (10 days) if empty.",
    )
    max_human_labeled_objects = forms.IntegerField(
        required=False,
        label="Stop after this many objects are labeled by people",
    )
    max_percentage_labeled = forms.IntegerField(
        required=False, label="Stop once this percentage of objects is labeled"
    )
    consolidation_method = forms.ChoiceField(
        choices=ConsolidationMethod.choices,
        initial=ConsolidationMethod.DAWID_SKENE,
        required=False,
        label="Consolidation",
        help_text="Dawid-Skene learns how reliable each worker is and weighs answers by it.",
    )
    gold_rate = forms.DecimalField(
        max_digits=4,
        decimal_places=3,
        initial="0",
        required=False,
        label="Gold rate",
        help_text="Share of each worker's tasks that are gold questions you add on the job's "
        "gold page: 0 to 0.5 (0.1 is 10%; more during a worker's first tasks).",
    )
    max_workers_per_object = forms.IntegerField(
        required=False,
        label="Dynamic overlap: at most this many workers per object",
        help_text="With a target confidence: objects start with “workers per object” answers "
        "and take more, one at a time, only until they reach the target.",
    )
    target_confidence = forms.FloatField(
        required=False,
        label="Dynamic overlap: target confidence",
        help_text="0.5 to 0.999, for example 0.95.",
    )

    # The job service's field names that differ from the form's.
    SERVICE_FIELDS = {"label_category_config": "labels", "engagement": "workforce"}
    OPTIONAL_SERVICE_FIELDS = (
        "task_availability_lifetime_seconds",
        "max_human_labeled_objects",
        "max_percentage_labeled",
        "max_workers_per_object",
        "target_confidence",
        "gold_rate",
    )

    def __init__(self, *args, organizations, workforces, teams=(), **kwargs):
        """`organizations`: the user's; `workforces`: (value, name) pairs, the value ""
        for the public crowd, "workforce:<id>" for a private workforce and
        "engagement:<id>" for a vendor engaged; `teams`: (id, name) pairs."""
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(org.pk, org.name) for org in organizations]
        self.only_organization = organizations[0].pk if len(organizations) == 1 else None
        if self.only_organization is not None:
            # Nothing to choose: the one organization, whether or not the form sends it.
            self.fields["organization"].required = False
            self.fields["organization"].initial = self.only_organization
            self.fields["organization"].widget = forms.HiddenInput()
        self.fields["workforce"].choices = workforces
        self.fields["teams"].choices = list(teams)
        if not teams:
            self.fields["teams"].widget = forms.MultipleHiddenInput()

    def clean_organization(self) -> int:
        value = self.cleaned_data.get("organization")
        return self.only_organization if value in (None, "") else value

    def service_fields(self) -> dict:
        """The cleaned data as job_create's keyword arguments (organization left out)."""
        data = dict(self.cleaned_data)
        data.pop("organization")
        kind, _, target = data.pop("workforce").partition(":")
        data["workforce"] = int(target) if kind == "workforce" else None
        if kind == "engagement":
            data["engagement"] = int(target)
        data["label_category_config"] = {
            "document-version": VERSION_2018,
            "labels": [{"label": label} for label in data.pop("labels")],
        }
        for name in self.OPTIONAL_SERVICE_FIELDS:
            if data.get(name) is None:
                data.pop(name, None)
        if not data.get("consolidation_method"):
            data.pop("consolidation_method", None)
        return data

    def form_field(self, service_field: str) -> str | None:
        """The form field a job-service error names, or None for the form as a whole."""
        name = self.SERVICE_FIELDS.get(service_field, service_field)
        return name if name in self.fields else None


class ManifestForm(forms.Form):
    manifest = forms.FileField(
        help_text='JSON Lines: one object per line, with "source-ref" (images) or "source" (text).'
    )


class AssignmentIdsField(forms.MultipleChoiceField):
    """Public assignment ids; which of them the reviewer may touch is the view's question."""

    def valid_value(self, value) -> bool:
        return isinstance(value, str) and re.fullmatch(ENTITY_ID_REGEX, value) is not None


class ReviewForm(forms.Form):
    """Approve or reject the checked assignments, or one by the button pressed on its row."""

    ACTIONS = ("approve", "reject", "override")

    assignment_ids = AssignmentIdsField(required=False)
    feedback = forms.CharField(max_length=1024, required=False, widget=forms.Textarea())
    # With a rejection: send the work back for rework (its task is re-issued).
    rework = forms.BooleanField(required=False)
    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS], required=False)
    approve_one = forms.RegexField(regex=ENTITY_ID_REGEX, required=False)
    reject_one = forms.RegexField(regex=ENTITY_ID_REGEX, required=False)
    override_one = forms.RegexField(regex=ENTITY_ID_REGEX, required=False)

    def clean(self):
        data = super().clean()
        for action in self.ACTIONS:
            one = data.get(f"{action}_one")
            if one:
                data["action"], data["chosen"] = action, [one]
                return data
        if not data.get("action"):
            raise forms.ValidationError("Choose approve or reject.")
        data["chosen"] = data.get("assignment_ids") or []
        if not data["chosen"]:
            raise forms.ValidationError("Tick at least one assignment.")
        return data


class TaskAnswerForm(forms.Form):
    """A worker's single-label answer, and the seconds the page was in view (best effort:
    a missing or odd value is dropped, never a reason to refuse the answer)."""

    label = forms.CharField(
        max_length=256, strip=False, error_messages={"required": "Pick a label."}
    )
    # Label verification's optional comment (other types have no comment field).
    comment = forms.CharField(required=False, max_length=1000)
    active_seconds = forms.CharField(required=False)

    def clean_active_seconds(self) -> int | None:
        value = self.cleaned_data.get("active_seconds", "")
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            return None
        return seconds if 0 <= seconds <= MAX_TASK_TIME_LIMIT else None
