"""Forms of the worker home: the worker profile and a qualification test's answers. They
validate input; the services decide what it may change."""

import re

from django import forms
from django.core.exceptions import ValidationError

from marketplace.pages.forms import CommaSeparatedListField, LanguageListField
from workforce.locales import COUNTRY_CODES
from workforce.models import MAX_SKILL_LENGTH, MAX_SKILLS

# A question's radio group is named "answer-<question id>", so that no question id (1-64
# of A-Z a-z 0-9 _ -) can collide with another field such as the CSRF token.
ANSWER_PREFIX = "answer-"


class SkillListField(CommaSeparatedListField):
    """Skill tags, each 1 to 50 characters, at most 20."""

    max_items = MAX_SKILLS
    too_many = f"List at most {MAX_SKILLS} skills."
    too_many_code = "too_many_skills"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1100)
        kwargs.setdefault(
            "help_text", "Comma-separated, e.g. bounding boxes, medical imaging, Portuguese text."
        )
        super().__init__(**kwargs)

    def clean_item(self, item: str) -> str:
        if len(item) > MAX_SKILL_LENGTH:
            raise ValidationError(
                "“%(skill)s…” is longer than %(limit)s characters.",
                code="skill_too_long",
                params={"skill": item[:20], "limit": MAX_SKILL_LENGTH},
            )
        return item


class WorkerProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=100, required=False, help_text="Only you and staff see it."
    )
    country = forms.ChoiceField(
        choices=[("", "Not set"), *((code, code) for code in COUNTRY_CODES)],
        required=False,
        label="Locale (country)",
        help_text="Where you live, as an ISO 3166 country code. Some jobs are open only to "
        "workers in some countries (the Worker_Locale qualification).",
    )
    languages = LanguageListField()
    skills = SkillListField()
    is_adult = forms.BooleanField(
        required=False,
        label="I am 18 or older",
        help_text="Some jobs are for adults only (the Worker_Adult qualification).",
    )


class QualificationTestForm(forms.Form):
    """One required radio group per question of a test, its options as choices; the
    answer key is never given to it."""

    def __init__(self, *args, questions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[f"{ANSWER_PREFIX}{question['id']}"] = forms.ChoiceField(
                label=question["text"],
                choices=[(option["id"], option["text"]) for option in question["options"]],
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Answer this question.",
                    "invalid_choice": "Choose one of the options.",
                },
            )

    def answers(self) -> dict[str, str]:
        """{question id: option id}, as the submit service takes them."""
        return {
            re.sub(f"^{ANSWER_PREFIX}", "", name): value
            for name, value in self.cleaned_data.items()
        }
