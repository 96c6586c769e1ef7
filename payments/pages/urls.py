"""Page routes of payments (included from marketplace/urls.py)."""

from django.urls import path

from payments.pages.billing import org_billing, org_billing_refund, org_billing_top_up

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []

urlpatterns += [
    path(f"{ORGANIZATION}billing/", org_billing, name="org_billing"),
    path(f"{ORGANIZATION}billing/top-up/", org_billing_top_up, name="org_billing_top_up"),
    path(f"{ORGANIZATION}billing/refund/", org_billing_refund, name="org_billing_refund"),
]
