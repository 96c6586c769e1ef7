"""API of money in: an organization's balance, card top-ups, refunds, and Stripe's webhook."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import (
    SessionOnlyForWrites,
    request_api_key,
    request_bound_organization,
    request_organization,
)
from marketplace.api.serializers import (
    OutputSerializer,
    StrictInputSerializer,
    error_responses,
)
from marketplace.selectors import organization_access
from payments.money import DEFAULT_CURRENCY
from payments.refunds import refund_create, refund_list
from payments.topups import organization_balances, top_up_access, top_up_create, top_up_list
from payments.webhooks import stripe_webhook_receive

MONEY_HELP = 'A decimal string in whole cents, such as "25.00".'


class TopUpSerializer(OutputSerializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=4)
    currency = serializers.CharField()
    provider = serializers.CharField(help_text="stripe (card) or manual (recorded by staff).")
    status = serializers.CharField(help_text="pending, succeeded (credited), failed, canceled.")
    amount_refunded = serializers.DecimalField(max_digits=20, decimal_places=4)
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)


class TopUpCheckoutSerializer(serializers.Serializer):
    top_up = TopUpSerializer()
    client_secret = serializers.CharField(
        allow_null=True,
        help_text="Give it to Stripe.js confirmCardPayment(); null once the top-up is no "
        "longer payable.",
    )
    publishable_key = serializers.CharField()


class BalanceSerializer(OutputSerializer):
    currency = serializers.CharField()
    available = serializers.DecimalField(max_digits=20, decimal_places=4)
    on_hold = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="Held for its running jobs' budgets."
    )


class RefundSerializer(OutputSerializer):
    id = serializers.IntegerField()
    top_up = serializers.IntegerField(source="top_up_id")
    amount = serializers.DecimalField(max_digits=20, decimal_places=4)
    currency = serializers.CharField()
    status = serializers.CharField(help_text="pending (sent to Stripe), succeeded, failed.")
    reason = serializers.CharField()
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class TopUpListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, coerce_to_string=True, help_text=MONEY_HELP
        )
        currency = serializers.CharField(max_length=3, default=DEFAULT_CURRENCY)
        idempotency_key = serializers.CharField(
            max_length=255,
            required=False,
            help_text="Repeat a request with the same key to get the same top-up back. "
            "Required with an API key; a session without one gets a new top-up each time.",
        )

    @extend_schema(
        operation_id="top_ups_list",
        responses={200: TopUpSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        organization = request_organization(request, organization_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=top_up_list(organization=organization),
            serializer_class=TopUpSerializer,
        )

    @extend_schema(
        operation_id="top_ups_create",
        description="Start a card top-up: the server creates a Stripe PaymentIntent for "
        "the amount and returns its client secret for Stripe.js. The balance is credited "
        "when Stripe's payment_intent.succeeded webhook arrives, not before. 409 "
        "card_top_ups_off when Stripe is not configured (staff record payments instead); "
        "503 stripe_unavailable when Stripe cannot be reached (the top-up is failed).",
        request=InputSerializer,
        responses={
            201: TopUpCheckoutSerializer,
            200: OpenApiResponse(TopUpCheckoutSerializer, description="A repeated key."),
            **error_responses(400, 404, 409, 503),
        },
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = request_organization(request, organization_id)
        checkout = top_up_create(
            actor=request.user,
            organization=organization,
            idempotency_key_required=request_api_key(request) is not None,
            **serializer.validated_data,
        )
        body = TopUpCheckoutSerializer(
            {
                "top_up": checkout.top_up,
                "client_secret": checkout.client_secret,
                "publishable_key": checkout.publishable_key,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED if checkout.created else 200)


class TopUpDetailApi(APIView):
    @extend_schema(
        operation_id="top_ups_retrieve",
        responses={200: TopUpSerializer, **error_responses(404)},
    )
    def get(self, request, organization_id: int, top_up_id: int):
        organization = request_organization(request, organization_id)
        top_up = top_up_access(organization=organization, top_up_id=top_up_id)
        return Response(TopUpSerializer(top_up).data)


class BalanceApi(APIView):
    @extend_schema(
        operation_id="organization_balance",
        description="The available balance and what running jobs hold, per currency.",
        responses={200: BalanceSerializer(many=True), **error_responses(404)},
    )
    def get(self, request, organization_id: int):
        organization = request_organization(request, organization_id)
        balances = organization_balances(organization=organization)
        return Response(BalanceSerializer(balances, many=True).data)


class RefundListApi(APIView):
    permission_classes = [SessionOnlyForWrites]
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        amount = serializers.DecimalField(
            max_digits=12, decimal_places=2, coerce_to_string=True, help_text=MONEY_HELP
        )
        currency = serializers.CharField(max_length=3, default=DEFAULT_CURRENCY)
        reason = serializers.CharField(
            max_length=1000, required=False, default="", allow_blank=True
        )
        idempotency_key = serializers.CharField(max_length=255)

    @extend_schema(
        operation_id="refunds_list",
        responses={200: RefundSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        organization = request_organization(request, organization_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=refund_list(organization=organization),
            serializer_class=RefundSerializer,
        )

    @extend_schema(
        operation_id="refunds_create",
        description="Refund unused prepaid money to the cards it came from (owners and "
        "admins). Split across the newest Stripe top-ups first, one refund each; the money "
        "leaves the available balance at once and returns if Stripe refuses. 402 above the "
        "available balance (the shortfall named), 400 above what its card top-ups can "
        "still refund.",
        request=InputSerializer,
        responses={
            201: RefundSerializer(many=True),
            200: OpenApiResponse(RefundSerializer(many=True), description="A repeated key."),
            **error_responses(400, 402, 403, 404, 409),
        },
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=organization_id,
            manage=True,
            only=request_bound_organization(request),
        )
        refunds, created = refund_create(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        return Response(
            RefundSerializer(refunds, many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class StripeWebhookApi(APIView):
    """Stripe's deliveries: no session, no CSRF, no throttle; the signature is the check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    # Stripe's endpoint, not part of the client API: left out of the schema (the
    # signature scheme and responses are in docs/payments.md).
    @extend_schema(exclude=True)
    def post(self, request):
        # The raw bytes, as signed: request.data (parsed) is never read here.
        event, created = stripe_webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response({"received": True, "event": event.event_id, "duplicate": not created})
