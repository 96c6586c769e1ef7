"""Factories and helpers for ledger accounts and funded balances."""

from decimal import Decimal
from itertools import count

import factory

from payments.ledger import ledger_post, organization_account, platform_account, worker_account
from payments.models import Account, AccountKind, TransactionKind
from tests.marketplace.factories import OrganizationFactory
from tests.workforce.factories import WorkerProfileFactory

_keys = count()


class OrganizationAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    kind = AccountKind.ORGANIZATION_AVAILABLE
    organization = factory.SubFactory(OrganizationFactory, funded=False)
    currency = "USD"


class WorkerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    kind = AccountKind.WORKER_AVAILABLE
    worker = factory.SubFactory(WorkerProfileFactory)
    currency = "USD"


def clearing(currency: str = "USD") -> Account:
    return platform_account(kind=AccountKind.STRIPE_CLEARING, currency=currency)


def new_key(prefix: str = "test") -> str:
    return f"{prefix}:{next(_keys)}"


def top_up(account: Account, amount: str) -> None:
    """Fund `account` from Stripe clearing, as a top-up would."""
    ledger_post(
        idempotency_key=new_key("top-up"),
        entries=[(clearing(account.currency), -Decimal(amount)), (account, Decimal(amount))],
        kind=TransactionKind.TOP_UP,
        reference="stripe_event:test",
    )


__all__ = [
    "OrganizationAccountFactory",
    "WorkerAccountFactory",
    "clearing",
    "new_key",
    "organization_account",
    "top_up",
    "worker_account",
]
