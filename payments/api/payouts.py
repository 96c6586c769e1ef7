"""Payouts API: a worker's or vendor organization's Stripe Connect onboarding, its payouts
(list, request) and balances. Everything is scoped to the worker or organization; anyone
else's is a 404."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.work import WorkerApi
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnlyForWrites, request_bound_organization
from marketplace.api.serializers import (
    OutputSerializer,
    StrictInputSerializer,
    error_responses,
)
from marketplace.selectors import organization_access
from payments.models import PayoutStatus, Provider
from payments.money import DEFAULT_CURRENCY
from payments.payouts import (
    payout_account_get,
    payout_account_onboard,
    payout_list,
    payout_request,
    payout_summaries,
)
from payments.stripe_client import stripe_enabled

MONEY = {"max_digits": 20, "decimal_places": 4}


class PayoutSerializer(OutputSerializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    status = serializers.ChoiceField(
        choices=PayoutStatus.choices,
        help_text="in_transit, then paid; failed or reversed put the money back.",
    )
    provider = serializers.ChoiceField(
        choices=Provider.choices, help_text="stripe (a Connect transfer) or manual (by staff)."
    )
    failure_message = serializers.CharField(help_text="Why it failed or was reversed.")
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class PayoutBalanceSerializer(OutputSerializer):
    currency = serializers.CharField()
    available = serializers.DecimalField(**MONEY)
    payable = serializers.DecimalField(
        **MONEY, help_text="The available balance rounded down to the cent: one payout's most."
    )
    pending = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Workers: earnings still in the hold period."
    )
    in_transit = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)


class PayoutAccountSerializer(OutputSerializer):
    stripe_enabled = serializers.BooleanField(
        help_text="Whether this Groundwork pays out through Stripe at all."
    )
    has_account = serializers.BooleanField(help_text="A Stripe Connect account exists.")
    details_submitted = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField(
        help_text="Stripe can pay this account; payouts use Stripe only then."
    )
    provider = serializers.ChoiceField(
        choices=Provider.choices, help_text="The provider a payout requested now would use."
    )


class OnboardingSerializer(PayoutAccountSerializer):
    onboarding_url = serializers.URLField(
        help_text="Stripe's onboarding page: send the user there; it expires in minutes."
    )


class PayoutRequestInput(StrictInputSerializer):
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Whole cents, at least the minimum payout; leave out for all that is payable.",
    )
    currency = serializers.CharField(min_length=3, max_length=3, default=DEFAULT_CURRENCY)
    idempotency_key = serializers.CharField(
        max_length=200,
        help_text="Your token for this request: sending it again returns the same payout.",
    )


class OnboardInput(StrictInputSerializer):
    pass


def _account_state(*, worker=None, organization=None) -> dict:
    payout_account = payout_account_get(worker=worker, organization=organization)
    payouts_enabled = bool(payout_account and payout_account.payouts_enabled)
    return {
        "stripe_enabled": stripe_enabled(),
        "has_account": payout_account is not None,
        "details_submitted": bool(payout_account and payout_account.details_submitted),
        "payouts_enabled": payouts_enabled,
        "provider": Provider.STRIPE if stripe_enabled() and payouts_enabled else Provider.MANUAL,
    }


def _onboard(request, *, page_url: str, worker=None, organization=None) -> Response:
    OnboardInput(data=request.data).is_valid(raise_exception=True)
    onboarding = payout_account_onboard(
        actor=request.user,
        worker=worker,
        organization=organization,
        return_url=request.build_absolute_uri(f"{page_url}?onboarding=return"),
        refresh_url=request.build_absolute_uri(f"{page_url}?onboarding=refresh"),
    )
    body = {**_account_state(worker=worker, organization=organization)}
    body["onboarding_url"] = onboarding.url
    return Response(OnboardingSerializer(body).data, status=status.HTTP_201_CREATED)


def _request(request, *, worker=None, organization=None) -> Response:
    serializer = PayoutRequestInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    payout = payout_request(
        actor=request.user, worker=worker, organization=organization, **serializer.validated_data
    )
    return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


# A worker's.


class WorkPayoutAccountApi(WorkerApi):
    @extend_schema(
        operation_id="work_payout_account",
        description="Your Stripe Connect payout account's state.",
        responses={200: PayoutAccountSerializer, **error_responses(403)},
    )
    def get(self, request):
        return Response(PayoutAccountSerializer(_account_state(worker=self.worker)).data)

    @extend_schema(
        operation_id="work_payout_account_onboard",
        description="Create your Stripe Connect Express account (once) and an onboarding "
        "link to send you to; Stripe sends you back to /worker/payouts/. 503 when Stripe is "
        "not available (payouts are then made by staff).",
        request=OnboardInput,
        responses={201: OnboardingSerializer, **error_responses(400, 403, 503)},
    )
    def post(self, request):
        return _onboard(request, page_url=reverse("worker_payouts"), worker=self.worker)


class WorkPayoutListApi(WorkerApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="work_payouts_list",
        description="Your payouts, newest first.",
        responses={200: PayoutSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=payout_list(worker=self.worker),
            serializer_class=PayoutSerializer,
        )

    @extend_schema(
        operation_id="work_payouts_request",
        description="Pay out (part of) your available balance: whole cents, at least the "
        "minimum payout; sub-cent remainders stay. 402 names the shortfall; the same "
        "idempotency key returns the same payout (409 with other parameters).",
        request=PayoutRequestInput,
        responses={201: PayoutSerializer, **error_responses(400, 402, 403, 409)},
    )
    def post(self, request):
        return _request(request, worker=self.worker)


class WorkPayoutBalanceApi(WorkerApi):
    @extend_schema(
        operation_id="work_payout_balances",
        description="Per currency: available, payable, pending, in transit and paid.",
        responses={200: PayoutBalanceSerializer(many=True), **error_responses(403)},
    )
    def get(self, request):
        summaries = payout_summaries(worker=self.worker)
        return Response(PayoutBalanceSerializer(summaries, many=True).data)


# A vendor organization's: members read, owners and admins act (with a session).


class OrganizationPayoutApi(APIView):
    permission_classes = [SessionOnlyForWrites]

    def _organization(self, request, organization_id: int):
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=organization_id,
            manage=request.method not in ("GET", "HEAD", "OPTIONS"),
            only=request_bound_organization(request),
        )
        return organization


class OrganizationPayoutAccountApi(OrganizationPayoutApi):
    @extend_schema(
        operation_id="organization_payout_account",
        responses={200: PayoutAccountSerializer, **error_responses(404)},
    )
    def get(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        return Response(PayoutAccountSerializer(_account_state(organization=organization)).data)

    @extend_schema(
        operation_id="organization_payout_account_onboard",
        description="A vendor's owners and admins: create its Stripe Connect Express account "
        "(once) and an onboarding link.",
        request=OnboardInput,
        responses={201: OnboardingSerializer, **error_responses(400, 403, 404, 503)},
    )
    def post(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        page_url = reverse("organization_payouts", args=[organization.pk])
        return _onboard(request, page_url=page_url, organization=organization)


class OrganizationPayoutListApi(OrganizationPayoutApi):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="organization_payouts_list",
        responses={200: PayoutSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=payout_list(organization=organization),
            serializer_class=PayoutSerializer,
        )

    @extend_schema(
        operation_id="organization_payouts_request",
        description="A vendor's owners and admins: pay out (part of) its available balance.",
        request=PayoutRequestInput,
        responses={201: PayoutSerializer, **error_responses(400, 402, 403, 404, 409)},
    )
    def post(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        return _request(request, organization=organization)


class OrganizationPayoutBalanceApi(OrganizationPayoutApi):
    @extend_schema(
        operation_id="organization_payout_balances",
        responses={200: PayoutBalanceSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, organization_id: int):
        organization = self._organization(request, organization_id)
        summaries = payout_summaries(organization=organization)
        return Response(PayoutBalanceSerializer(summaries, many=True).data)
