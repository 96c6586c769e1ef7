"""The ledger in admin: every page renders for staff, and nothing can be added, changed or
deleted there."""

import pytest
from django.urls import reverse

from payments.models import Account, LedgerEntry, LedgerTransaction
from tests.payments.factories import OrganizationAccountFactory, top_up

pytestmark = pytest.mark.django_db

MODELS = [Account, LedgerTransaction, LedgerEntry]


@pytest.fixture
def posted():
    top_up(OrganizationAccountFactory(), "2.0000")
    return LedgerTransaction.objects.get()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_ledger_pages_render_read_only(staff_client, posted, model):
    name = f"admin:payments_{model._meta.model_name}"
    obj = model.objects.first()

    changelist = staff_client.get(reverse(f"{name}_changelist"))
    change = staff_client.get(reverse(f"{name}_change", args=[obj.pk]))
    add = staff_client.get(reverse(f"{name}_add"))
    delete = staff_client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"})

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert add.status_code == 403
    assert delete.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_transaction_page_shows_its_entries(staff_client, posted):
    response = staff_client.get(
        reverse("admin:payments_ledgertransaction_change", args=[posted.pk])
    )

    assert response.status_code == 200
    assert b"-2.0000" in response.content
