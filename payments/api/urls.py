"""API v1 routes of payments (included from marketplace/api/urls.py)."""

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []

# Bonuses and statements (issue 6, parts 3 and 5).
from django.urls import path  # noqa: E402

from payments.api.bonuses import BonusListApi  # noqa: E402

urlpatterns += [
    path(f"{ORGANIZATION}bonuses/", BonusListApi.as_view(), name="api-bonuses"),
]

from payments.api.statements import (  # noqa: E402
    OrganizationStatementApi,
    OrganizationStatementCsvApi,
    WorkerStatementApi,
    WorkerStatementCsvApi,
)

urlpatterns += [
    path(
        f"{ORGANIZATION}statement/",
        OrganizationStatementApi.as_view(),
        name="api-organization-statement",
    ),
    path(
        f"{ORGANIZATION}statement.csv",
        OrganizationStatementCsvApi.as_view(),
        name="api-organization-statement-csv",
    ),
    path("work/statement/", WorkerStatementApi.as_view(), name="api-work-statement"),
    path("work/statement.csv", WorkerStatementCsvApi.as_view(), name="api-work-statement-csv"),
]
