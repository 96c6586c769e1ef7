"""Reads of payouts and the owner helpers the payout services share: a payout belongs to
a worker or to a vendor organization."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, QuerySet, Sum

from marketplace.exceptions import NotFound, PermissionDenied
from payments.ledger import organization_account, worker_account
from payments.models import (
    Account,
    AccountKind,
    Payout,
    PayoutAccount,
    PayoutStatus,
)

CENT = Decimal("0.01")
MAX_NOTE_LENGTH = 1000

# Owners: a worker, or a vendor organization.


def _one_owner(worker, organization) -> None:
    if (worker is None) == (organization is None):
        raise ValueError("Give exactly one of worker and organization.")


def _owner_prefix(*, worker=None, organization=None) -> str:
    return f"worker:{worker.pk}" if worker is not None else f"organization:{organization.pk}"


def _available_account(*, worker=None, organization=None, currency: str) -> Account:
    if worker is not None:
        return worker_account(worker=worker, kind=AccountKind.WORKER_AVAILABLE, currency=currency)
    return organization_account(
        organization=organization, kind=AccountKind.VENDOR_AVAILABLE, currency=currency
    )


def _payout_owner_available(payout: Payout) -> Account:
    return _available_account(
        worker=payout.worker, organization=payout.organization, currency=payout.currency
    )


def _require_vendor(organization) -> None:
    if not hasattr(organization, "vendor_profile"):
        raise PermissionDenied(
            "Only a vendor organization is paid out; create its vendor profile first.",
            code="not_a_vendor",
        )


def _require_staff(actor) -> None:
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can settle payouts by hand.")


# Reads.


def payout_account_get(*, worker=None, organization=None) -> PayoutAccount | None:
    _one_owner(worker, organization)
    owner = {"worker": worker} if worker is not None else {"organization": organization}
    return PayoutAccount.objects.filter(**owner).first()


def payout_list(*, worker=None, organization=None) -> QuerySet[Payout]:
    """The owner's payouts, newest first."""
    _one_owner(worker, organization)
    owner = {"worker": worker} if worker is not None else {"organization": organization}
    return Payout.objects.filter(**owner).order_by("-created_at", "-id")


def payout_access(*, payout_id, worker=None, organization=None) -> Payout:
    """The owner's payout `payout_id`; NotFound for anyone else's."""
    try:
        return payout_list(worker=worker, organization=organization).get(pk=int(payout_id))
    except (Payout.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


@dataclass
class PayoutSummary:
    """One currency of an owner's money: what can be paid out and where the rest is."""

    currency: str
    available: Decimal
    payable: Decimal  # available rounded down to the cent: what one payout can take
    pending: Decimal | None  # workers only: earnings still in the hold period
    in_transit: Decimal
    paid: Decimal


def payout_summaries(*, worker=None, organization=None) -> list[PayoutSummary]:
    """Per currency: available (and pending for a worker) from the ledger accounts, in
    transit and paid from the payouts. Three queries."""
    _one_owner(worker, organization)
    if worker is not None:
        kinds = (AccountKind.WORKER_AVAILABLE, AccountKind.WORKER_PENDING)
        accounts = Account.objects.filter(worker=worker, kind__in=kinds)
    else:
        accounts = Account.objects.filter(
            organization=organization, kind=AccountKind.VENDOR_AVAILABLE
        )
    balances = {(a.currency, a.kind): a.balance for a in accounts}
    totals = {
        (row["currency"], row["status"]): row["total"]
        for row in payout_list(worker=worker, organization=organization)
        .filter(status__in=[PayoutStatus.IN_TRANSIT, PayoutStatus.PAID])
        .order_by()
        .values("currency", "status")
        .annotate(total=Sum("amount"), count=Count("id"))
    }
    currencies = sorted({currency for currency, _ in balances} | {c for c, _ in totals})
    zero = Decimal("0.0000")
    summaries = []
    for currency in currencies:
        available_kind = (
            AccountKind.WORKER_AVAILABLE if worker is not None else AccountKind.VENDOR_AVAILABLE
        )
        available = balances.get((currency, available_kind), zero)
        summaries.append(
            PayoutSummary(
                currency=currency,
                available=available,
                payable=available.quantize(CENT, rounding=ROUND_DOWN),
                pending=balances.get((currency, AccountKind.WORKER_PENDING), zero)
                if worker is not None
                else None,
                in_transit=totals.get((currency, PayoutStatus.IN_TRANSIT), zero),
                paid=totals.get((currency, PayoutStatus.PAID), zero),
            )
        )
    return summaries
