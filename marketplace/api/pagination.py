"""Cursor pagination for every list endpoint: stable under inserts, with a capped page size."""

from django.conf import settings
from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")
