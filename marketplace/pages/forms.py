"""Forms of the web pages: they validate input; the services decide what it may change."""

import re

from django import forms
from django.core.exceptions import ValidationError

from jobs.tasktypes import REGISTRY, task_type_choices
from marketplace.models import MembershipRole
from marketplace.models.vendors import MAX_CERTIFICATION_LENGTH, MAX_CERTIFICATIONS
from marketplace.vendor_selectors import DEFAULT_LISTING_ORDERING

# BCP 47 language tags as people type them: "en", "pt-BR", "zh-Hant-TW".
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
MAX_LANGUAGES = 20


class CommaSeparatedListField(forms.CharField):
    """Text typed as "a, b, c", cleaned to a list of distinct items (ignoring case, inner
    white space folded). Subclasses check each item in `clean_item` and set how many may
    be listed, and the message when there are more."""

    separator = re.compile(r",")
    max_items: int
    too_many: str
    too_many_code = "too_many"

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def clean_item(self, item: str) -> str:
        return item

    def to_python(self, value):
        items: list[str] = []
        for raw in self.separator.split(super().to_python(value)):
            item = " ".join(raw.split())
            if not item:
                continue
            item = self.clean_item(item)
            if item.lower() not in {known.lower() for known in items}:
                items.append(item)
        if len(items) > self.max_items:
            raise ValidationError(self.too_many, code=self.too_many_code)
        return items


class LanguageListField(CommaSeparatedListField):
    """BCP 47 language tags, separated by commas or spaces: "en, de pt-BR"."""

    separator = re.compile(r"[,\s]+")
    max_items = MAX_LANGUAGES
    too_many = f"List at most {MAX_LANGUAGES} languages."
    too_many_code = "too_many_languages"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("help_text", "Comma-separated language tags, e.g. en, de, pt-BR.")
        super().__init__(**kwargs)

    def clean_item(self, item: str) -> str:
        if not LANGUAGE_TAG.match(item):
            raise ValidationError(
                "“%(tag)s” is not a language tag such as en or pt-BR.",
                code="invalid_language",
                params={"tag": item},
            )
        return item


class CertificationListField(CommaSeparatedListField):
    """Certification names: "ISO 27001, SOC 2"."""

    max_items = MAX_CERTIFICATIONS
    too_many = f"List at most {MAX_CERTIFICATIONS} certifications."

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2100)
        kwargs.setdefault("help_text", "Comma-separated, e.g. ISO 27001, SOC 2, HIPAA.")
        super().__init__(**kwargs)

    def clean_item(self, item: str) -> str:
        if len(item) > MAX_CERTIFICATION_LENGTH:
            raise ValidationError(
                f"A certification is at most {MAX_CERTIFICATION_LENGTH} characters."
            )
        return item


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
    certifications = CertificationListField()


# Vendor marketplace.


def _price_field_name(task_type: str) -> str:
    return f"price_{task_type}"


class SampleOutputsField(forms.CharField):
    """Samples of work, one a line: "Title | https://link | what it shows" (link and
    description optional), cleaned to [{"title", "url", "description"}]."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20000)
        kwargs.setdefault(
            "help_text", "One a line: Title | https://link | description (link optional)."
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if not isinstance(value, list):
            return value
        lines = []
        for sample in value:
            parts = [sample.get("title", ""), sample.get("url", ""), sample.get("description", "")]
            while parts and not parts[-1]:
                parts.pop()
            lines.append(" | ".join(parts))
        return "\n".join(lines)

    def to_python(self, value):
        samples = []
        for line in super().to_python(value).splitlines():
            if not line.strip():
                continue
            title, url, description = ([part.strip() for part in line.split("|", 2)] + ["", ""])[:3]
            samples.append({"title": title, "url": url, "description": description})
        return samples


class ListingForm(forms.Form):
    """A listing's content; one price field per registered task type (blank: not offered)."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$",
        max_length=3,
        initial="USD",
        help_text="One currency for every price, e.g. USD.",
        error_messages={"invalid": "Enter a three-letter currency code such as USD."},
    )
    minimum_order_objects = forms.IntegerField(min_value=1, max_value=2_147_483_647, initial=1)
    turnaround_hours = forms.IntegerField(
        min_value=1, max_value=24 * 365, help_text="Promised hours from launch to completion."
    )
    capacity_objects_per_day = forms.IntegerField(min_value=1, max_value=2_147_483_647)
    languages = LanguageListField()
    sample_outputs = SampleOutputsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, task_type in REGISTRY.items():
            self.fields[_price_field_name(key)] = forms.DecimalField(
                label=f"Price per object: {task_type.name}",
                required=False,
                min_value=0,
                max_digits=18,
                decimal_places=4,
                help_text="Blank if you do not offer this task type.",
            )

    def price_fields(self):
        return [self[_price_field_name(key)] for key in REGISTRY]

    def content_fields(self):
        return [self[name] for name in self.fields if not name.startswith("price_")]

    def clean(self):
        data = super().clean()
        if not self.errors and not any(
            data.get(_price_field_name(key)) is not None for key in REGISTRY
        ):
            raise ValidationError("Give a price for at least one task type.")
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        prices = [
            {"task_type": key, "price_per_object": data.pop(_price_field_name(key))}
            for key in REGISTRY
            if data.get(_price_field_name(key)) is not None
        ]
        for key in REGISTRY:
            data.pop(_price_field_name(key), None)
        return {**data, "prices": prices}

    @staticmethod
    def initial_for(listing) -> dict:
        prices = list(listing.prices.all())
        return {
            "title": listing.title,
            "description": listing.description,
            "currency": prices[0].currency if prices else "USD",
            "minimum_order_objects": listing.minimum_order_objects,
            "turnaround_hours": listing.turnaround_hours,
            "capacity_objects_per_day": listing.capacity_objects_per_day,
            "languages": listing.languages,
            "sample_outputs": listing.sample_outputs,
            **{_price_field_name(price.task_type): price.price_per_object for price in prices},
        }


class ListingFilterForm(forms.Form):
    """The browse page's filters (GET)."""

    q = forms.CharField(max_length=200, required=False, label="Search")
    task_type = forms.ChoiceField(
        choices=[("", "Any task type"), *task_type_choices()], required=False, label="Task type"
    )
    language = forms.RegexField(
        regex=LANGUAGE_TAG,
        max_length=35,
        required=False,
        error_messages={"invalid": "Enter a language tag such as en or pt-BR."},
    )
    max_price = forms.DecimalField(
        min_value=0, max_digits=18, decimal_places=4, required=False, label="Max price per object"
    )
    min_rating = forms.DecimalField(
        min_value=1, max_value=5, max_digits=3, decimal_places=2, required=False, label="Min rating"
    )
    ordering = forms.ChoiceField(
        choices=[
            ("newest", "Newest"),
            ("price", "Lowest price"),
            ("-price", "Highest price"),
            ("rating", "Best rated"),
        ],
        required=False,
        label="Sort by",
    )

    def filters(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
        data.setdefault("ordering", DEFAULT_LISTING_ORDERING)
        return data


class EngageForm(forms.Form):
    """Ask the listing's vendor to label for one of the user's organizations."""

    organization = forms.TypedChoiceField(coerce=int, label="For organization")
    task_type = forms.ChoiceField()
    expected_objects = forms.IntegerField(min_value=1, max_value=100_000_000)
    message = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, organizations, listing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(o.pk, o.name) for o in organizations]
        names = dict(task_type_choices())
        self.fields["task_type"].choices = [
            (price.task_type, names.get(price.task_type, price.task_type))
            for price in listing.prices.all()
        ]
        self.fields["expected_objects"].initial = listing.minimum_order_objects
        self.fields[
            "expected_objects"
        ].help_text = f"At least {listing.minimum_order_objects} data objects."


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1024, required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=1024, widget=forms.Textarea(attrs={"rows": 3}), help_text="The vendor sees it."
    )


class VendorRatingForm(forms.Form):
    score = forms.TypedChoiceField(
        coerce=int, choices=[(n, f"{n} / 5") for n in range(5, 0, -1)], initial=5
    )
    comment = forms.CharField(max_length=2000, required=False)
