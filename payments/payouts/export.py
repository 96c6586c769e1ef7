"""The CSV export of payouts for operators who pay by bank (admin action, staff download)."""

import csv
from datetime import datetime

from django.db.models import QuerySet

from payments.models import Payout
from payments.payouts.selectors import CENT

CSV_COLUMNS = (
    "id",
    "owner",
    "worker_id",
    "organization_id",
    "organization",
    "email",
    "amount",
    "currency",
    "status",
    "provider",
    "created_at",
    "settled_at",
    "bank_note",
)


def payout_export_list(
    *,
    status: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[Payout]:
    """Payouts for the CSV export, oldest first: by status and a created_at range [from, to).
    Uses index: payments_payout created_at."""
    payouts = Payout.objects.select_related(
        "worker__user", "organization__vendor_profile"
    ).order_by("created_at", "id")
    if status is not None:
        payouts = payouts.filter(status=status)
    if created_from is not None:
        payouts = payouts.filter(created_at__gte=created_from)
    if created_to is not None:
        payouts = payouts.filter(created_at__lt=created_to)
    return payouts


def _cell(value) -> str:
    """A text cell a spreadsheet won't run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(payout: Payout) -> list[str]:
    if payout.worker_id:
        owner, email = "worker", payout.worker.user.email
        worker_id, organization_id, organization = payout.worker.worker_id, "", ""
    else:
        vendor = getattr(payout.organization, "vendor_profile", None)
        owner, email = "organization", vendor.contact_email if vendor else ""
        worker_id = ""
        organization_id, organization = payout.organization_id, payout.organization.name
    return [
        str(payout.pk),
        owner,
        worker_id,
        str(organization_id),
        _cell(organization),
        _cell(email),
        str(payout.amount.quantize(CENT)),
        payout.currency,
        payout.status,
        payout.provider,
        payout.created_at.isoformat(),
        payout.settled_at.isoformat() if payout.settled_at else "",
        f"Groundwork payout {payout.pk}",
    ]


def payout_csv_write(*, payouts, out) -> None:
    """Write `payouts` as CSV to the file-like `out`: a header, then one row each. The bank
    note is the reference to quote on the bank transfer."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for payout in payouts.iterator(chunk_size=1000) if hasattr(payouts, "iterator") else payouts:
        writer.writerow(_csv_row(payout))
