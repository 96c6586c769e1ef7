"""Requesters' notification API: email workers who worked for the organization
(NotifyWorkers), and manage the organization's webhook endpoints and read their delivery
log. Members of the organization only; anyone else gets a 404."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_organization
from marketplace.api.serializers import StrictInputSerializer, error_responses
from notifications.models import (
    MAX_WORKERS_PER_NOTIFICATION,
    MESSAGE_MAX,
    SUBJECT_MAX,
    URL_MAX,
    DeliveryStatus,
    WebhookEndpoint,
    WebhookEventType,
)
from notifications.selectors import (
    webhook_delivery_list,
    webhook_endpoint_access,
    webhook_endpoint_list,
)
from notifications.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    workers_notify,
)

# Emails to workers.


class NotifyWorkersFailureSerializer(serializers.Serializer):
    NotifyWorkersFailureCode = serializers.ChoiceField(choices=["SoftFailure", "HardFailure"])
    NotifyWorkersFailureMessage = serializers.CharField()
    WorkerId = serializers.CharField()


class NotifyWorkersResultSerializer(serializers.Serializer):
    NotifyWorkersFailureStatuses = NotifyWorkersFailureSerializer(many=True)
    notification_id = serializers.IntegerField(
        allow_null=True, help_text="The record of what was sent; null when nobody was emailed."
    )


class NotifyWorkersApi(APIView):
    class InputSerializer(StrictInputSerializer):
        subject = serializers.CharField(max_length=SUBJECT_MAX)
        message = serializers.CharField(max_length=MESSAGE_MAX, trim_whitespace=False)
        worker_ids = serializers.ListField(
            child=serializers.CharField(max_length=64),
            min_length=1,
            help_text=f"Public worker ids; at most {MAX_WORKERS_PER_NOTIFICATION} distinct. "
            "Only workers who have worked for the organization are emailed.",
        )

        def validate_subject(self, value: str) -> str:
            if "\n" in value or "\r" in value:
                raise serializers.ValidationError("The subject must be one line.")
            return value

        def validate_message(self, value: str) -> str:
            if not value.strip():
                raise serializers.ValidationError("This field may not be blank.")
            return value

        def validate_worker_ids(self, value: list[str]) -> list[str]:
            if len(set(value)) > MAX_WORKERS_PER_NOTIFICATION:
                raise serializers.ValidationError(
                    f"At most {MAX_WORKERS_PER_NOTIFICATION} workers per call."
                )
            return value

    @extend_schema(
        operation_id="organizations_notify_workers",
        description="Email workers who have worked for the organization (Mechanical Turk's "
        "NotifyWorkers). Each worker who will not get the email is listed with a "
        "HardFailure (unknown id, never worked for you) or a SoftFailure (account off).",
        request=InputSerializer,
        responses={200: NotifyWorkersResultSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = request_organization(request, organization_id)
        notification, failures = workers_notify(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        return Response(
            NotifyWorkersResultSerializer(
                {
                    "NotifyWorkersFailureStatuses": failures,
                    "notification_id": notification.pk if notification else None,
                }
            ).data
        )


# Webhook endpoints.


class WebhookEndpointSerializer(serializers.Serializer):
    """An endpoint; its secret is only in the answers that make a new one."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret. Shown only now: store it (rotate it if it is lost)."
    )


class WebhookAttemptSerializer(serializers.Serializer):
    attempt_number = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()
    next_retry_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.event_id")
    event_type = serializers.CharField(source="event.event_type")
    payload = serializers.JSONField(source="event.payload")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    attempt_log = WebhookAttemptSerializer(many=True)


EVENT_TYPES_HELP = f"Any of: {', '.join(WebhookEventType.values)}."


class WebhookEndpointInputSerializer(StrictInputSerializer):
    url = serializers.CharField(
        max_length=URL_MAX,
        help_text="An http:// or https:// URL without credentials, on a public address.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        min_length=1,
        help_text=EVENT_TYPES_HELP,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


def _endpoint(request, organization_id, endpoint_id) -> WebhookEndpoint:
    return webhook_endpoint_access(
        organization=request_organization(request, organization_id), endpoint_id=endpoint_id
    )


class WebhookEndpointListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(WebhookEndpointInputSerializer):
        pass

    @extend_schema(
        operation_id="webhooks_list",
        responses={200: WebhookEndpointSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        organization = request_organization(request, organization_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=webhook_endpoint_list(organization=organization),
            serializer_class=WebhookEndpointSerializer,
        )

    @extend_schema(
        operation_id="webhooks_create",
        request=InputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **error_responses(400, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = request_organization(request, organization_id)
        endpoint = webhook_endpoint_create(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetailApi(APIView):
    class InputSerializer(WebhookEndpointInputSerializer):
        pass

    @extend_schema(responses={200: WebhookEndpointSerializer, **error_responses(404)})
    def get(self, request, organization_id: int, endpoint_id: int):
        endpoint = _endpoint(request, organization_id, endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: WebhookEndpointSerializer, **error_responses(400, 404)},
    )
    def patch(self, request, organization_id: int, endpoint_id: int):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = _endpoint(request, organization_id, endpoint_id)
        endpoint = webhook_endpoint_update(
            actor=request.user, endpoint=endpoint, **serializer.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted."), **error_responses(404)})
    def delete(self, request, organization_id: int, endpoint_id: int):
        endpoint = _endpoint(request, organization_id, endpoint_id)
        webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(APIView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        description="A new signing secret, shown once. For 24 hours deliveries carry a "
        "signature with the old secret too, so a receiver can switch over.",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **error_responses(404)},
    )
    def post(self, request, organization_id: int, endpoint_id: int):
        endpoint = _endpoint(request, organization_id, endpoint_id)
        endpoint = webhook_endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookDeliveryListApi(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        description="The endpoint's deliveries, newest first, each with its attempt log.",
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int, endpoint_id: int):
        endpoint = _endpoint(request, organization_id, endpoint_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=webhook_delivery_list(endpoint=endpoint),
            serializer_class=WebhookDeliverySerializer,
        )
