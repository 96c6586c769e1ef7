"""/healthz against the real PostgreSQL and Redis, and with each of them unreachable."""

import pytest
from django.db import connections

from marketplace.celery import app as celery_app

CLOSED_PORT = "1"  # nothing listens on port 1: connecting is refused at once


@pytest.fixture
def database_down(transactional_db):
    """Point the default connection at a closed port; a real connection attempt fails.

    Needs a transactional test: an open test transaction could not be closed and reopened.
    """
    connection = connections["default"]
    saved_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = CLOSED_PORT
    yield
    connection.close()
    connection.settings_dict["PORT"] = saved_port


@pytest.fixture
def broker_down():
    saved_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    yield
    celery_app.conf.broker_url = saved_url


def _pop_error(body: dict, check: str) -> str:
    error = body["checks"][check].pop("error")
    assert error
    return error


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "broker": {"ok": True}},
    }
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_healthz_names_the_database_when_it_is_down(client, database_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert "OperationalError" in _pop_error(body, "database")
    assert body == {
        "status": "unavailable",
        "checks": {"database": {"ok": False}, "broker": {"ok": True}},
        "failed": ["database"],
    }


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_down(client, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert "127.0.0.1:1" in _pop_error(body, "broker")
    assert body == {
        "status": "unavailable",
        "checks": {"database": {"ok": True}, "broker": {"ok": False}},
        "failed": ["broker"],
    }


def test_healthz_names_both_when_both_are_down(client, database_down, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    _pop_error(body, "database")
    _pop_error(body, "broker")
    assert body == {
        "status": "unavailable",
        "checks": {"database": {"ok": False}, "broker": {"ok": False}},
        "failed": ["broker", "database"],
    }


@pytest.mark.django_db
def test_healthz_refuses_other_methods(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET"
