"""Property-based fuzzing of every API operation from its own OpenAPI schema (schemathesis):
no input may cause a 5xx, and every response must match the documented schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from marketplace.wsgi import application
from tests.marketplace.api_support import make_world

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.fixture
def api_key_header(db):
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Api-Key {make_world().raw_key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,  # the same cases every run: a failure is a bug, never bad luck
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_breaks_the_api_or_its_schema(case, api_key_header):
    # Every check but "a schema-valid request must be accepted": the schema cannot say all
    # that the validators do (Django's URL rules, for one), so a 400 there is no bug.
    response = case.call_and_validate(
        headers=api_key_header, excluded_checks=[positive_data_acceptance]
    )
    assert response.status_code < 500
