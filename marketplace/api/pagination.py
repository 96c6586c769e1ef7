"""Cursor pagination for every list endpoint: stable under inserts, with a capped page size."""

from django.conf import settings
from rest_framework import pagination
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")


def paginated_response(*, view, request, queryset, serializer_class) -> Response:
    """One page of `queryset` as {"next", "previous", "results"}.

    The view sets `pagination_class = CursorPagination`, which also tells drf-spectacular
    that its list response is paginated.
    """
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
