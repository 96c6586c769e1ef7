"""Reconciliation: cached balances are compared with their entries and mismatches reported,
never fixed silently; the beat task wraps it."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from payments.balances import account_balance_from_entries, ledger_reconcile
from payments.models import Account
from payments.tasks import ledger_reconcile_task
from tests.payments.factories import OrganizationAccountFactory, WorkerAccountFactory, top_up

pytestmark = pytest.mark.django_db


def test_a_consistent_ledger_reconciles_clean():
    top_up(OrganizationAccountFactory(), "3.0000")
    WorkerAccountFactory()  # an account without entries balances at zero

    assert ledger_reconcile() == []
    assert ledger_reconcile_task.delay().get() == []


def test_a_cached_balance_tampered_with_in_sql_is_reported_and_left_alone(caplog):
    organization = OrganizationAccountFactory()
    top_up(organization, "3.0000")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_account SET balance = 7 WHERE id = %s", [organization.pk])

    with caplog.at_level(logging.ERROR, logger="payments.balances"):
        mismatches = ledger_reconcile(batch_size=1)  # batches cover every account

    assert [(m.account_id, m.cached, m.from_entries) for m in mismatches] == [
        (organization.pk, Decimal("7.0000"), Decimal("3.0000"))
    ]
    assert "Ledger balance mismatch" in caplog.text
    assert Account.objects.get(pk=organization.pk).balance == Decimal("7.0000")
    assert account_balance_from_entries(account=organization) == Decimal("3.0000")
    assert ledger_reconcile_task.delay().get() == [
        {
            "account_id": str(organization.pk),
            "kind": "organization_available",
            "currency": "USD",
            "cached": "7.0000",
            "from_entries": "3.0000",
        }
    ]


def test_the_reconcile_task_runs_under_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["payments-reconcile-ledger"]

    assert entry["task"] == ledger_reconcile_task.name
    assert entry["options"]["expires"] < entry["schedule"]
