"""Page routes of payments (included from marketplace/urls.py)."""

from django.urls import path

from payments.pages import bonuses as bonus_pages
from payments.pages import payouts as payout_pages
from payments.pages import statements as statement_pages
from payments.pages.billing import org_billing, org_billing_refund, org_billing_top_up

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns = [
    path(f"{ORGANIZATION}billing/", org_billing, name="org_billing"),
    path(f"{ORGANIZATION}billing/top-up/", org_billing_top_up, name="org_billing_top_up"),
    path(f"{ORGANIZATION}billing/refund/", org_billing_refund, name="org_billing_refund"),
    path(
        f"{ORGANIZATION}billing/statement/",
        statement_pages.organization_statement_page,
        name="org_billing_statement",
    ),
    path(
        f"{ORGANIZATION}billing/statement.csv",
        statement_pages.organization_statement_csv_download,
        name="org_billing_statement_csv",
    ),
    path(
        "worker/statement.csv",
        statement_pages.worker_statement_csv_download,
        name="worker_statement_csv",
    ),
    path(
        "jobs/<int:job_id>/assignments/<str:assignment_id>/bonus/",
        bonus_pages.bonus_send_page,
        name="bonus_send",
    ),
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
