"""API v1 routes of payments (included from marketplace/api/urls.py)."""

from django.urls import path

from payments.api.quotes import JobQuoteApi

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []

# Escrow: a job's quote and budget.
urlpatterns += [
    path("jobs/<int:job_id>/quote/", JobQuoteApi.as_view(), name="api-job-quote"),
]
