"""The one error format for every API 4xx and 5xx: {"code", "message", "fields"}."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.exceptions import DomainError

logger = logging.getLogger(__name__)

GENERIC_MESSAGES = {
    "invalid": "The request has invalid fields.",
    "parse_error": "The request body is not valid JSON.",
    "not_authenticated": "Authentication credentials were not provided.",
    "authentication_failed": "The credentials are not valid.",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def _flatten(detail) -> dict:
    """DRF's nested error detail as {field: [messages]} (nested fields joined with dots)."""
    fields: dict = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif (
            isinstance(value, list)
            and value
            and not all(isinstance(item, exceptions.ErrorDetail | str) for item in value)
        ):
            for index, inner in enumerate(value):
                if inner:
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            items = value if isinstance(value, list) else [value]
            fields.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in items)

    walk("", detail)
    return fields


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side. Try again later."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = error_body("invalid", GENERIC_MESSAGES["invalid"], fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message = (
            str(detail)
            if not isinstance(detail, dict | list)
            else GENERIC_MESSAGES.get(code, "Error.")
        )
        if isinstance(exc, exceptions.ParseError):
            code, message = "parse_error", f"{GENERIC_MESSAGES['parse_error']} {detail}"
        response.data = error_body(str(code), message)
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def json_or_html(html_handler, status_code: int, code: str, message: str):
    """Django-level error views: JSON under /api/, the HTML page elsewhere."""

    def view(request, exception=None):
        if _wants_json(request):
            return JsonResponse(error_body(code, message), status=status_code)
        if exception is None:
            return html_handler(request)
        return html_handler(request, exception)

    return view
