"""API v1 routes of payments (included from marketplace/api/urls.py)."""

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []

# Payouts (payments/api/payouts.py).
from django.urls import path  # noqa: E402

from payments.api.payouts import (  # noqa: E402
    OrganizationPayoutAccountApi,
    OrganizationPayoutBalanceApi,
    OrganizationPayoutListApi,
    WorkPayoutAccountApi,
    WorkPayoutBalanceApi,
    WorkPayoutListApi,
)

urlpatterns += [
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
