"""API for an organization's requester API keys: create (secret shown once), list, revoke."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import SessionOnly
from marketplace.api.serializers import StrictInputSerializer, error_responses
from marketplace.selectors import api_key_access, api_key_list, organization_access
from marketplace.services import api_key_create, api_key_revoke


class ApiKeySerializer(serializers.Serializer):
    """A key as listed: its prefix identifies it; the secret and its hash never leave."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class CreatedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        help_text='The secret, shown only in this response. Send it as "Api-Key <key>".'
    )


class ApiKeyListApi(APIView):
    permission_classes = [SessionOnly]
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(responses={200: ApiKeySerializer(many=True), **error_responses(400, 403, 404)})
    def get(self, request, organization_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=api_key_list(organization=organization),
            serializer_class=ApiKeySerializer,
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: CreatedApiKeySerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        api_key, raw_key = api_key_create(
            actor=request.user, organization=organization, **serializer.validated_data
        )
        api_key.key = raw_key
        return Response(CreatedApiKeySerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        description="Revoke the key at once; requests with it then get 401. Idempotent.",
        responses={200: ApiKeySerializer, **error_responses(403, 404)},
    )
    def delete(self, request, organization_id: int, api_key_id: int):
        organization, _membership = organization_access(
            actor=request.user, organization_id=organization_id, manage=True
        )
        api_key = api_key_access(organization=organization, api_key_id=api_key_id)
        api_key = api_key_revoke(actor=request.user, api_key=api_key)
        return Response(ApiKeySerializer(api_key).data)
