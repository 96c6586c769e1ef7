"""/healthz: 200 when the database and the Celery broker both answer, 503 naming what failed."""

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.celery import app as celery_app


def database_status(alias: str = "default") -> str | None:
    """None when the database answers, else the error."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        return f"{type(error).__name__}: {error}".strip()[:300]
    return None


def broker_status() -> str | None:
    """None when the Celery broker accepts a connection, else the error."""
    try:
        with celery_app.connection_for_write() as connection:
            # One quick retry: a blip is not an outage, but a load balancer must not wait long.
            connection.ensure_connection(max_retries=1, interval_start=0.2, timeout=2)
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}".strip()[:300]
    return None


@never_cache
@require_GET
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status()}
    failed = sorted(name for name, error in checks.items() if error)
    body = {
        "status": "ok" if not failed else "unavailable",
        "checks": {
            name: ({"ok": True} if error is None else {"ok": False, "error": error})
            for name, error in checks.items()
        },
    }
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=200 if not failed else 503)
