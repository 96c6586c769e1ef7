"""GET /api/v1/: who the request is authenticated as, and where the resources are."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from marketplace.api.permissions import request_api_key
from marketplace.api.serializers import error_responses


class ApiKeyIdentitySerializer(serializers.Serializer):
    prefix = serializers.CharField()
    organization_id = serializers.IntegerField()


class RootSerializer(serializers.Serializer):
    version = serializers.CharField()
    authenticated_as = serializers.EmailField()
    api_key = ApiKeyIdentitySerializer(allow_null=True, help_text="Set when a key was used.")
    links = serializers.DictField(child=serializers.URLField())


class ApiRootApi(APIView):
    @extend_schema(tags=["root"], responses={200: RootSerializer, **error_responses(401)})
    def get(self, request):
        api_key = request_api_key(request)
        links = {
            name: reverse(url_name, request=request)
            for name, url_name in (
                ("me", "api-me"),
                ("worker_profile", "api-worker-profile"),
                ("organizations", "api-organizations"),
                ("schema", "api-schema"),
                ("docs", "api-docs"),
            )
        }
        body = {
            "version": "v1",
            "authenticated_as": request.user.email,
            "api_key": (
                {"prefix": api_key.prefix, "organization_id": api_key.organization_id}
                if api_key
                else None
            ),
            "links": links,
        }
        return Response(RootSerializer(body).data)
