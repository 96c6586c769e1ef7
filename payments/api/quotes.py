"""The quote API: a job's maximum cost before launch, and its budget once launched."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.selectors import job_access
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import error_responses
from payments.quotes import job_quote_summary

MONEY = {"help_text": "A decimal string with 4 places, in `currency`."}


class JobBudgetSerializer(serializers.Serializer):
    held = serializers.CharField(help_text="Held at launch: the maximum cost.")
    spent = serializers.CharField(help_text="Rewards, fees and vendor charges paid.")
    spent_beyond_hold = serializers.CharField(
        help_text="The part of `spent` taken from the available balance."
    )
    returned = serializers.CharField(help_text="Released back to the available balance.")
    on_hold = serializers.CharField(help_text="Still held for the job.")


class JobQuoteApi(APIView):
    class OutputSerializer(serializers.Serializer):
        currency = serializers.CharField()
        data_objects = serializers.IntegerField()
        assignments_per_object = serializers.IntegerField(
            help_text="Workers per object; the maximum with dynamic overlap."
        )
        gold_assignments = serializers.IntegerField(help_text="The allowance for gold tasks.")
        assignments = serializers.IntegerField()
        reward = serializers.CharField(**MONEY)
        fee_per_assignment = serializers.CharField(**MONEY)
        fee_percent = serializers.CharField(allow_null=True)
        price_per_object = serializers.CharField(allow_null=True, help_text="Vendor jobs.")
        vendor_fee_per_object = serializers.CharField(allow_null=True, help_text="Vendor jobs.")
        total = serializers.CharField(help_text="The maximum cost, which launch holds.")
        available = serializers.CharField(help_text="The organization's available balance.")
        shortfall = serializers.CharField(
            allow_null=True, help_text="What launching lacks (drafts only)."
        )
        top_up = serializers.CharField(
            allow_null=True, help_text="The shortfall rounded up to whole cents."
        )
        launched = serializers.BooleanField()
        budget = JobBudgetSerializer(allow_null=True)

    @extend_schema(
        operation_id="jobs_quote",
        description="The job's maximum cost: objects × workers per object (the maximum with "
        "dynamic overlap) plus a gold allowance, × (reward + fee); a vendor job: objects × "
        "the vendor's price. Launching holds it from the available balance. Once launched: "
        "the prices of the launch and the budget held, spent, returned and left on hold.",
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, job_id: int):
        job = job_access(
            actor=request.user, job_id=job_id, only=request_bound_organization(request)
        )
        return Response(self.OutputSerializer(job_quote_summary(job=job)).data)
