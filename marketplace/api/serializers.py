"""Serializer building blocks shared by every endpoint, and the error shape for the schema."""

import copy

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from marketplace.models import LANGUAGE_TAG_REGEX, MAX_LANGUAGES, validate_language_tags


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (typos, mass assignment).

    Declared nested in a view (`MeApi.InputSerializer`), it is named after the view in the
    OpenAPI schema, so the components of different views never collide.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "." in cls.__qualname__:
            cls.__name__ = cls.__qualname__.replace(".", "")

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(
                set(data) - {name for name, f in self.fields.items() if not f.read_only}
            )
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class OutputSerializer(serializers.Serializer):
    """A serializer that only renders (never validates input), for hot responses.

    DRF deep-copies a serializer's declared fields for every instance it makes: each field
    is built again from its arguments, about half of rendering a small object. Rendering
    changes no field, so shallow copies serve as well (each still bound to its own parent).
    """

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "maxLength": 35, "pattern": LANGUAGE_TAG_REGEX.pattern},
        "maxItems": MAX_LANGUAGES,
        "uniqueItems": True,
    }
)
class LanguagesField(serializers.ListField):
    """A list of distinct BCP 47 language tags such as "en", "pt-BR" or "zh-Hant"."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=35),
            validators=[validate_language_tags],
            help_text=f"At most {MAX_LANGUAGES} distinct tags.",
            **kwargs,
        )


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx and 5xx response."""

    code = serializers.CharField(help_text="A stable, machine-readable error code.")
    message = serializers.CharField(help_text="A human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted paths for nested fields); may be empty.",
    )

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    400: "Invalid input: malformed JSON, wrong types, missing, unknown or oversized fields, "
    "or a bad query parameter such as page_size.",
    401: "Not authenticated, or the API key is invalid or revoked.",
    403: "Authenticated but not allowed (role, unverified email, API key on a session-only "
    "action).",
    404: "Not found, or not visible to you.",
    402: "Not enough money: the message names the balance and the shortfall; nothing moved.",
    409: "The request conflicts with the current state.",
    429: "Too many requests; the message and Retry-After header say when to retry.",
    503: "Stripe is not configured or could not be reached; nothing changed.",
}


def error_responses(*status_codes: int) -> dict:
    """Schema responses for the given error statuses (401 and 429 are always possible)."""
    codes = sorted({*status_codes, 401, 429})
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def refuse_unknown_request_fields(result, generator, request, public):
    """drf-spectacular postprocessing hook: request bodies take no undeclared fields
    (StrictInputSerializer refuses them), and the schema says so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
