"""The OpenAPI 3 schema and the Swagger UI, which must work offline."""

import re

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/": {"get"},
    "/api/v1/me/": {"get", "patch"},
    "/api/v1/me/worker-profile/": {"get", "post", "patch"},
    "/api/v1/organizations/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/": {"get", "patch"},
    "/api/v1/organizations/{organization_id}/members/": {"get"},
    "/api/v1/organizations/{organization_id}/members/{membership_id}/": {"patch", "delete"},
    "/api/v1/organizations/{organization_id}/invitations/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/invitations/{invitation_id}/": {"delete"},
    "/api/v1/organizations/{organization_id}/api-keys/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/api-keys/{api_key_id}/": {"delete"},
    "/api/v1/organizations/{organization_id}/vendor-profile/": {"get", "post", "patch"},
    "/api/v1/listings/": {"get"},
    "/api/v1/listings/{listing_id}/": {"get"},
    "/api/v1/organizations/{organization_id}/listings/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/listings/{listing_id}/": {"get", "patch"},
    "/api/v1/organizations/{organization_id}/listings/{listing_id}/submit/": {"post"},
    "/api/v1/organizations/{organization_id}/listings/{listing_id}/withdraw/": {"post"},
    "/api/v1/organizations/{organization_id}/engagements/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/engagements/{engagement_id}/": {"get"},
    "/api/v1/organizations/{organization_id}/engagements/{engagement_id}/accept/": {"post"},
    "/api/v1/organizations/{organization_id}/engagements/{engagement_id}/decline/": {"post"},
    "/api/v1/organizations/{organization_id}/engagements/{engagement_id}/cancel/": {"post"},
    "/api/v1/organizations/{organization_id}/engagements/{engagement_id}/end/": {"post"},
    "/api/v1/organizations/{organization_id}/vendor-jobs/": {"get"},
    "/api/v1/organizations/{organization_id}/jobs/{job_id}/vendor-rating/": {"get", "post"},
    "/api/v1/invitations/{token}/": {"get"},
    "/api/v1/invitations/{token}/accept/": {"post"},
    "/api/v1/jobs/": {"get", "post"},
    "/api/v1/jobs/{job_id}/": {"get", "patch"},
    "/api/v1/jobs/{job_id}/manifest/": {"post"},
    "/api/v1/jobs/{job_id}/files/": {"post"},
    "/api/v1/jobs/{job_id}/launch/": {"post"},
    "/api/v1/jobs/{job_id}/pause/": {"post"},
    "/api/v1/jobs/{job_id}/resume/": {"post"},
    "/api/v1/jobs/{job_id}/stop/": {"post"},
    "/api/v1/jobs/{job_id}/quality/": {"get"},
    "/api/v1/jobs/{job_id}/quality/workers/": {"get"},
    "/api/v1/jobs/{job_id}/quality-rules/": {"get", "post"},
    "/api/v1/jobs/{job_id}/quality-rules/{rule_id}/": {"get", "patch", "delete"},
    "/api/v1/jobs/{job_id}/quality-actions/": {"get"},
    "/api/v1/jobs/{job_id}/objects/": {"get"},
    "/api/v1/jobs/{job_id}/hits/": {"get"},
    "/api/v1/jobs/{job_id}/output/": {"get"},
    "/api/v1/jobs/{job_id}/responses/": {"get"},
    "/api/v1/jobs/{job_id}/quote/": {"get"},
    "/api/v1/jobs/{job_id}/chain/": {"post"},
    "/api/v1/jobs/{job_id}/gold/": {"get", "post"},
    "/api/v1/jobs/{job_id}/gold/{gold_id}/": {"get", "delete"},
    "/api/v1/gold-sets/": {"get", "post"},
    "/api/v1/gold-sets/{gold_set_id}/": {"get", "delete"},
    "/api/v1/gold-sets/{gold_set_id}/questions/": {"get", "post"},
    "/api/v1/gold-sets/{gold_set_id}/questions/{gold_id}/": {"get", "delete"},
    "/api/v1/hits/{hit_id}/": {"get"},
    "/api/v1/assignments/": {"get"},
    "/api/v1/assignments/approve/": {"post"},
    "/api/v1/assignments/reject/": {"post"},
    "/api/v1/assignments/{assignment_id}/": {"get"},
    "/api/v1/assignments/{assignment_id}/approve/": {"post"},
    "/api/v1/assignments/{assignment_id}/reject/": {"post"},
    "/api/v1/work/jobs/": {"get"},
    "/api/v1/work/jobs/{job_id}/": {"get"},
    "/api/v1/work/next/": {"post"},
    "/api/v1/work/hits/{hit_id}/accept/": {"post"},
    "/api/v1/work/assignments/": {"get"},
    "/api/v1/work/assignments/{assignment_id}/": {"get"},
    "/api/v1/work/assignments/{assignment_id}/submit/": {"post"},
    "/api/v1/work/assignments/{assignment_id}/return/": {"post"},
    "/api/v1/work/earnings/": {"get"},
    "/api/v1/work/notices/": {"get"},
    "/api/v1/work/qualifications/": {"get"},
    "/api/v1/organizations/{organization_id}/qualification-types/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/": {"get", "patch"},
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/grants/": {
        "get",
        "post",
    },
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/grants/"
    "{worker_id}/revoke/": {"post"},
    "/api/v1/qualification-types/system/": {"get"},
    "/api/v1/jobs/{job_id}/qualification-requirements/": {"get", "put"},
    "/api/v1/organizations/{organization_id}/worker-blocks/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/requests/": {"get"},
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/requests/"
    "{request_id}/accept/": {"post"},
    "/api/v1/organizations/{organization_id}/qualification-types/{type_id}/requests/"
    "{request_id}/reject/": {"post"},
    "/api/v1/work/qualification-types/": {"get"},
    "/api/v1/organizations/{organization_id}/workforces/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/": {"get", "patch"},
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/members/": {"get"},
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/members/{worker_id}/": {
        "delete"
    },
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/invitations/": {
        "get",
        "post",
    },
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/invitations/"
    "{invitation_id}/": {"delete"},
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/teams/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/teams/{team_id}/": {
        "get",
        "patch",
        "delete",
    },
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/teams/{team_id}/members/": {
        "get",
        "post",
    },
    "/api/v1/organizations/{organization_id}/workforces/{workforce_id}/teams/{team_id}/"
    "members/{worker_id}/": {"delete"},
    "/api/v1/workforce-invitations/{token}/accept/": {"post"},
    "/api/v1/work/qualification-types/{type_id}/request/": {"post"},
    "/api/v1/work/qualification-requests/": {"get"},
    "/api/v1/work/qualification-requests/{request_id}/submit/": {"post"},
    "/api/v1/organizations/{organization_id}/worker-blocks/{worker_id}/": {"delete"},
    "/api/v1/organizations/{organization_id}/notify-workers/": {"post"},
    "/api/v1/organizations/{organization_id}/webhooks/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/": {"get", "patch", "delete"},
    "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/rotate-secret/": {"post"},
    "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/deliveries/": {"get"},
    "/api/v1/organizations/{organization_id}/balance/": {"get"},
    "/api/v1/organizations/{organization_id}/top-ups/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/top-ups/{top_up_id}/": {"get"},
    "/api/v1/organizations/{organization_id}/refunds/": {"get", "post"},
    # Payouts (payments/api/payouts.py).
    "/api/v1/work/payout-account/": {"get", "post"},
    "/api/v1/work/payouts/": {"get", "post"},
    "/api/v1/work/payout-balances/": {"get"},
    "/api/v1/organizations/{organization_id}/payout-account/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/payouts/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/payout-balances/": {"get"},
}
# Payments: bonuses and statements.
ENDPOINTS |= {
    "/api/v1/organizations/{organization_id}/bonuses/": {"get", "post"},
    "/api/v1/organizations/{organization_id}/statement/": {"get"},
    "/api/v1/organizations/{organization_id}/statement.csv": {"get"},
    "/api/v1/work/statement/": {"get"},
    "/api/v1/work/statement.csv": {"get"},
}


@pytest.fixture
def schema(logged_in_client):
    response = logged_in_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_a_valid_openapi_3_document(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_lists_every_endpoint_and_method(schema):
    assert {
        path: set(operations) - {"parameters"} for path, operations in schema["paths"].items()
    } == ENDPOINTS


def test_every_error_response_uses_the_error_format(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            assert {"401", "429"} <= set(errors), (method, path)
            for response in errors.values():
                reference = response["content"]["application/json"]["schema"]["$ref"]
                assert reference == "#/components/schemas/Error", (method, path)


def test_lists_are_paginated_by_cursor(schema):
    operation = schema["paths"]["/api/v1/organizations/"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"cursor", "page_size"}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/PaginatedOrganizationList"}


def test_api_keys_are_a_security_scheme(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'An organization API key, sent as "Api-Key <key>".',
    }


def test_the_docs_page_uses_only_local_assets(logged_in_client):
    response = logged_in_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "swagger-ui" in page
    assert re.findall(r"https?://", page) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets
