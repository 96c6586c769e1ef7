"""Cursor pagination for every list endpoint: stable under inserts, with a capped page size."""

from django.conf import settings
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")

    def get_page_size(self, request):
        """The asked-for size, capped at the maximum; anything but a positive integer is a
        400 rather than silently the default."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) > 1 or not values[0].isdigit() or int(values[0]) < 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: ["Give one whole number from 1 upwards."]}
            )
        return min(int(values[0]), self.max_page_size)

    def decode_cursor(self, request):
        """A cursor that was not made by us is a 400 on the `cursor` parameter."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise serializers.ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use the next or previous link."]}
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1})
                parameter["description"] = (
                    f"Results per page, from 1; more than {self.max_page_size} gives "
                    f"{self.max_page_size}."
                )
        return parameters


def paginated_response(*, view, request, queryset, serializer_class) -> Response:
    """One page of `queryset` as {"next", "previous", "results"}.

    The view sets `pagination_class = CursorPagination`, which also tells drf-spectacular
    that its list response is paginated.
    """
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
