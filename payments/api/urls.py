"""API v1 routes of payments (included from marketplace/api/urls.py)."""

from django.urls import path

from payments.api.billing import (
    BalanceApi,
    RefundListApi,
    StripeWebhookApi,
    TopUpDetailApi,
    TopUpListApi,
)
from payments.api.bonuses import BonusListApi
from payments.api.payouts import (
    OrganizationPayoutAccountApi,
    OrganizationPayoutBalanceApi,
    OrganizationPayoutListApi,
    WorkPayoutAccountApi,
    WorkPayoutBalanceApi,
    WorkPayoutListApi,
)
from payments.api.quotes import JobQuoteApi
from payments.api.statements import (
    OrganizationStatementApi,
    OrganizationStatementCsvApi,
    WorkerStatementApi,
    WorkerStatementCsvApi,
)

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns = [
    path(f"{ORGANIZATION}balance/", BalanceApi.as_view(), name="api-balance"),
    path(f"{ORGANIZATION}top-ups/", TopUpListApi.as_view(), name="api-top-ups"),
    path(
        f"{ORGANIZATION}top-ups/<int:top_up_id>/",
        TopUpDetailApi.as_view(),
        name="api-top-up",
    ),
    path(f"{ORGANIZATION}refunds/", RefundListApi.as_view(), name="api-refunds"),
    path("payments/stripe/webhook/", StripeWebhookApi.as_view(), name="api-stripe-webhook"),
    path(f"{ORGANIZATION}bonuses/", BonusListApi.as_view(), name="api-bonuses"),
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
    path("jobs/<int:job_id>/quote/", JobQuoteApi.as_view(), name="api-job-quote"),
    path("work/payout-account/", WorkPayoutAccountApi.as_view(), name="api-work-payout-account"),
    path("work/payouts/", WorkPayoutListApi.as_view(), name="api-work-payouts"),
    path("work/payout-balances/", WorkPayoutBalanceApi.as_view(), name="api-work-payout-balances"),
    path(
        f"{ORGANIZATION}payout-account/",
        OrganizationPayoutAccountApi.as_view(),
        name="api-organization-payout-account",
    ),
    path(
        f"{ORGANIZATION}payouts/",
        OrganizationPayoutListApi.as_view(),
        name="api-organization-payouts",
    ),
    path(
        f"{ORGANIZATION}payout-balances/",
        OrganizationPayoutBalanceApi.as_view(),
        name="api-organization-payout-balances",
    ),
]
