"""Page routes of payments (included from marketplace/urls.py)."""

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []

# Payouts (payments/pages/payouts.py).
from django.urls import path  # noqa: E402

from payments.pages import payouts as payout_pages  # noqa: E402

urlpatterns += [
    path("worker/payouts/", payout_pages.worker_payouts, name="worker_payouts"),
    path(
        "worker/payouts/onboard/",
        payout_pages.worker_payouts_onboard,
        name="worker_payouts_onboard",
    ),
    path(
        "worker/payouts/request/",
        payout_pages.worker_payouts_request,
        name="worker_payouts_request",
    ),
    path(f"{ORGANIZATION}payouts/", payout_pages.organization_payouts, name="organization_payouts"),
    path(
        f"{ORGANIZATION}payouts/onboard/",
        payout_pages.organization_payouts_onboard,
        name="organization_payouts_onboard",
    ),
    path(
        f"{ORGANIZATION}payouts/request/",
        payout_pages.organization_payouts_request,
        name="organization_payouts_request",
    ),
    path("staff/payouts.csv", payout_pages.payouts_export, name="payouts_export"),
]
