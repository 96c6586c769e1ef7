"""Building blocks shared by the jobs API modules: the money input field, upload and download
schema helpers, and the public-id path converter."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from marketplace.api.serializers import ErrorSerializer, error_responses

MAX_DATABASE_INTEGER = 2_147_483_647  # ids and counts in PostgreSQL integer columns
ENTITY_ID_PATTERN = "[A-Z0-9]{30}"  # Mechanical Turk's HITId / AssignmentId shape
MONEY_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,12})?$"
NDJSON = "application/x-ndjson"
JSONL = "application/jsonl"


class EntityIdConverter:
    """A HITId or AssignmentId in a URL: 30 of [A-Z0-9]. Anything else is a 404."""

    regex = ENTITY_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "0.05"}
)
class MoneyStringField(serializers.CharField):
    """An amount as a decimal string ("0.05"), never a JSON number: a float would round.

    This checks the text's shape; the job service checks the amount (places, minimum).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(MONEY_PATTERN, data):
            raise serializers.ValidationError(
                'Give the amount as a decimal string such as "0.05" (digits and one point; '
                "not a JSON number, which would round)."
            )
        return super().to_internal_value(data)


def query_filters(serializer_class, request) -> dict:
    """The request's query parameters checked by `serializer_class`, or a 400.

    Read as a plain dict, not as form input: an empty `?status=` is refused as the value it
    is, rather than taken for an absent parameter.
    """
    serializer = serializer_class(data=dict(request.query_params.items()))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def upload_error_responses(*status_codes: int) -> dict:
    """error_responses plus the statuses an upload can meet: too large, wrong media type."""
    return {
        **error_responses(*status_codes),
        413: OpenApiResponse(ErrorSerializer, description="The request body is too large."),
        415: OpenApiResponse(
            ErrorSerializer,
            description="Unsupported media type: send multipart/form-data (or, for a "
            "manifest, the JSON Lines body itself).",
        ),
    }


def download_response(description: str) -> dict:
    """The schema of a streamed JSON Lines download."""
    return {
        (200, NDJSON): OpenApiResponse(
            OpenApiTypes.STR, description=f"{description} One JSON object per line."
        )
    }
