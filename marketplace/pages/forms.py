"""Forms of the web pages: they validate input; the services decide what it may change."""

import re

from django import forms
from django.core.exceptions import ValidationError

from marketplace.models import MembershipRole

# BCP 47 language tags as people type them: "en", "pt-BR", "zh-Hant-TW".
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
MAX_LANGUAGES = 20


class LanguageListField(forms.CharField):
    """A comma-separated list of BCP 47 language tags, cleaned to a list without duplicates."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated language tags, e.g. en, de, pt-BR.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        tags: list[str] = []
        for raw in re.split(r"[,\s]+", text):
            if not raw:
                continue
            if not LANGUAGE_TAG.match(raw):
                raise ValidationError(
                    "“%(tag)s” is not a language tag such as en or pt-BR.",
                    code="invalid_language",
                    params={"tag": raw},
                )
            if raw not in tags:
                tags.append(raw)
        if len(tags) > MAX_LANGUAGES:
            raise ValidationError(
                f"List at most {MAX_LANGUAGES} languages.", code="too_many_languages"
            )
        return tags


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Your company or team, as members see it.")


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=MembershipRole.choices, initial=MembershipRole.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=MembershipRole.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the key is for, e.g. “nightly upload script”."
    )


class VendorProfileForm(forms.Form):
    display_name = forms.CharField(max_length=100, help_text="The name buyers see.")
    description = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")
    contact_email = forms.EmailField(max_length=254)
    languages = LanguageListField()
