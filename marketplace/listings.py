"""Writes of vendor listings: the vendor creates, edits, submits and withdraws them; staff
approve, reject, suspend and reinstate them. Every status change goes through
`_transition`, which the caller reaches holding the listing's row lock.

Lock order: the listing row, then its price rows (replaced as a whole on edit).
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jobs.tasktypes import REGISTRY
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.models import (
    LISTING_TRANSITIONS,
    ListingEvent,
    ListingStatus,
    User,
    VendorListing,
    VendorListingPrice,
    VendorProfile,
    validate_language_tags,
)
from marketplace.models.vendors import sample_output_errors
from marketplace.services import (
    fields_require_known,
    instance_validate,
    manager_require,
    reason_clean,
    user_require_verified_email,
)
from payments.money import DEFAULT_CURRENCY, money_quantize

# The content a vendor writes; `prices` and `currency` become VendorListingPrice rows.
LISTING_CONTENT_FIELDS = (
    "title",
    "description",
    "minimum_order_objects",
    "turnaround_hours",
    "capacity_objects_per_day",
    "languages",
    "sample_outputs",
)
LISTING_FIELDS = (*LISTING_CONTENT_FIELDS, "prices", "currency")
LISTING_REQUIRED_FIELDS = ("title", "prices", "turnaround_hours", "capacity_objects_per_day")
MAX_PRICES = len(REGISTRY)
MAX_PRICE = Decimal("99999999999999.9999")  # 18 digits, 4 of them after the point
CURRENCY_REGEX = re.compile(r"^[A-Z]{3}$")

# Codes of the refusals, per target status, when a move is not in LISTING_TRANSITIONS.
ILLEGAL_MOVE = {
    ListingStatus.PENDING_REVIEW: (
        "listing_not_submittable",
        "Only a draft listing can be sent for review.",
    ),
    ListingStatus.DRAFT: (
        "listing_not_withdrawable",
        "A suspended listing cannot be withdrawn; staff must reinstate it first.",
    ),
    ListingStatus.PUBLISHED: (
        "listing_not_pending",
        "Only a listing pending review can be approved.",
    ),
    ListingStatus.SUSPENDED: (
        "listing_not_published",
        "Only a published listing can be suspended.",
    ),
}


# Input checks.


def _price_clean(value, *, field: str) -> Decimal:
    """A price as a Decimal of at most 4 places, from 0 up; never a float."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise InvalidInput(fields={field: ['Give the price as a decimal string, e.g. "0.0800".']})
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(fields={field: ['Enter a number, e.g. "0.0800".']}) from None
    if not price.is_finite():
        raise InvalidInput(fields={field: ['Enter a number, e.g. "0.0800".']})
    if price < 0:
        raise InvalidInput(fields={field: ["A price cannot be negative."]})
    if price.as_tuple().exponent < -4:
        raise InvalidInput(fields={field: ["At most 4 decimal places."]})
    if price > MAX_PRICE:
        raise InvalidInput(fields={field: ["The price is too large."]})
    return money_quantize(price)


def prices_clean(prices) -> dict[str, Decimal]:
    """[{"task_type", "price_per_object"}] as {task type: price}; at least one, each a
    registered task type listed once."""
    if not isinstance(prices, list) or not prices:
        raise InvalidInput(fields={"prices": ["List at least one task type with its price."]})
    if len(prices) > MAX_PRICES:
        raise InvalidInput(fields={"prices": [f"At most {MAX_PRICES} prices."]})
    cleaned: dict[str, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for index, entry in enumerate(prices):
        where = f"prices.{index}"
        if not isinstance(entry, dict):
            errors[where] = ['Give {"task_type", "price_per_object"}.']
            continue
        for key in sorted(set(entry) - {"task_type", "price_per_object"}):
            errors[f"{where}.{key}"] = ["Unknown field."]
        task_type = entry.get("task_type")
        if task_type not in REGISTRY:
            known = ", ".join(f'"{name}"' for name in REGISTRY)
            errors[f"{where}.task_type"] = [
                f'Unknown task type "{task_type}". Known task types: {known}.'
            ]
        elif task_type in cleaned:
            errors[f"{where}.task_type"] = ["This task type is priced twice."]
        if "price_per_object" not in entry:
            errors[f"{where}.price_per_object"] = ["This field is required."]
        else:
            try:
                price = _price_clean(entry["price_per_object"], field=f"{where}.price_per_object")
            except InvalidInput as error:
                errors.update(error.fields)
                continue
            if isinstance(task_type, str) and task_type in REGISTRY:
                cleaned.setdefault(task_type, price)
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _currency_clean(currency) -> str:
    if not isinstance(currency, str) or not CURRENCY_REGEX.match(currency):
        raise InvalidInput(fields={"currency": ["Give a three-letter currency code such as USD."]})
    return currency


def _samples_clean(samples) -> list[dict]:
    """Field-level errors per sample ("sample_outputs.2.url"); trimmed values kept."""
    if not isinstance(samples, list):
        raise InvalidInput(fields={"sample_outputs": ["Enter a list of samples."]})
    errors: dict[str, list[str]] = {}
    cleaned = []
    for index, sample in enumerate(samples):
        for key, messages in sample_output_errors(sample).items():
            errors[f"sample_outputs.{index}" + (f".{key}" if key else "")] = messages
        if isinstance(sample, dict) and not errors:
            cleaned.append(
                {
                    "title": str(sample.get("title", "")).strip(),
                    "description": str(sample.get("description", "")).strip(),
                    "url": str(sample.get("url", "")).strip(),
                }
            )
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _vendor_manager_require(*, actor: User, vendor: VendorProfile) -> None:
    manager_require(actor=actor, organization=vendor.organization)


def _lock_listing(listing_id: int, **filters) -> VendorListing:
    try:
        return (
            VendorListing.objects.select_for_update(of=("self",))
            .select_related("vendor__organization")
            .get(pk=listing_id, **filters)
        )
    except (VendorListing.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _transition(
    listing: VendorListing, *, actor: User | None, to_status: str, reason: str = ""
) -> VendorListing:
    """Move a locked listing to `to_status`, recording a ListingEvent. Caller holds the lock
    and has checked that the move is legal."""
    now = timezone.now()
    from_status = listing.status
    listing.status = to_status
    listing.status_changed_at = now
    listing.status_reason = reason
    update_fields = ["status", "status_changed_at", "status_reason", "updated_at"]
    if to_status == ListingStatus.PUBLISHED and listing.published_at is None:
        listing.published_at = now
        update_fields.append("published_at")
    listing.save(update_fields=update_fields)
    ListingEvent.objects.create(
        listing=listing,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        created_at=now,
    )
    return listing


def _move(
    listing: VendorListing,
    *,
    actor: User | None,
    to_status: str,
    reason: str = "",
    allowed_from: tuple[str, ...] | None = None,
) -> VendorListing:
    """The one transition check: idempotent if already there, Conflict if not in the map
    (or not among `allowed_from`, for moves the map allows to someone else)."""
    if listing.status == to_status:
        return listing
    legal = to_status in LISTING_TRANSITIONS[ListingStatus(listing.status)]
    if not legal or (allowed_from is not None and listing.status not in allowed_from):
        code, message = ILLEGAL_MOVE[ListingStatus(to_status)]
        raise Conflict(message, code=code)
    return _transition(listing, actor=actor, to_status=to_status, reason=reason)


def _prices_replace(listing: VendorListing, prices: dict[str, Decimal], currency: str) -> None:
    listing.prices.all().delete()
    VendorListingPrice.objects.bulk_create(
        VendorListingPrice(
            listing=listing, task_type=task_type, price_per_object=price, currency=currency
        )
        for task_type, price in prices.items()
    )


def _content_clean(fields: dict) -> dict:
    if "languages" in fields:
        # Checked here: the model field would name JSON, not the tag, in its message.
        try:
            validate_language_tags(fields["languages"])
        except ValidationError as error:
            raise InvalidInput(fields={"languages": error.messages}) from None
    if "sample_outputs" in fields:
        fields["sample_outputs"] = _samples_clean(fields["sample_outputs"])
    for name in ("title", "description"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    return fields


# The vendor's side.


@transaction.atomic
def listing_create(*, actor: User, vendor: VendorProfile, **fields) -> VendorListing:
    """A new draft listing of `vendor`, with its prices (one currency for all of them)."""
    user_require_verified_email(user=actor)
    fields_require_known(fields=fields, allowed=LISTING_FIELDS)
    missing = [name for name in LISTING_REQUIRED_FIELDS if name not in fields]
    if missing:
        raise InvalidInput(fields={name: ["This field is required."] for name in missing})
    _vendor_manager_require(actor=actor, vendor=vendor)
    prices = prices_clean(fields.pop("prices"))
    currency = _currency_clean(fields.pop("currency", DEFAULT_CURRENCY))
    fields = _content_clean(fields)
    listing = VendorListing(vendor=vendor, **fields)
    instance_validate(instance=listing, fields=LISTING_CONTENT_FIELDS)
    listing.save(force_insert=True)
    _prices_replace(listing, prices, currency)
    return listing


@transaction.atomic
def listing_update(*, actor: User, listing: VendorListing, **fields) -> VendorListing:
    """Change a listing's content. A published listing goes back to review (its buyers
    see the reviewed version only); a suspended one stays suspended."""
    fields_require_known(fields=fields, allowed=LISTING_FIELDS)
    listing = _lock_listing(listing.pk)
    _vendor_manager_require(actor=actor, vendor=listing.vendor)
    prices = prices_clean(fields.pop("prices")) if "prices" in fields else None
    currency = _currency_clean(fields.pop("currency")) if "currency" in fields else None
    fields = _content_clean(fields)
    changed = [name for name, value in fields.items() if getattr(listing, name) != value]
    for name in changed:
        setattr(listing, name, fields[name])
    instance_validate(instance=listing, fields=changed)
    rows = list(listing.prices.all())
    old_prices = {row.task_type: row.price_per_object for row in rows}
    old_currency = rows[0].currency if rows else DEFAULT_CURRENCY
    new_prices = old_prices if prices is None else prices
    new_currency = currency or old_currency
    prices_changed = new_prices != old_prices or new_currency != old_currency
    if not changed and not prices_changed:
        return listing
    if changed:
        listing.save(update_fields=[*changed, "updated_at"])
    if prices_changed:
        _prices_replace(listing, new_prices, new_currency)
        if not changed:
            listing.save(update_fields=["updated_at"])
    if listing.status == ListingStatus.PUBLISHED:
        _transition(listing, actor=actor, to_status=ListingStatus.PENDING_REVIEW)
    return listing


@transaction.atomic
def listing_submit(*, actor: User, listing: VendorListing) -> VendorListing:
    """Send a draft for staff review; a listing already pending stays as it is."""
    user_require_verified_email(user=actor)
    listing = _lock_listing(listing.pk)
    _vendor_manager_require(actor=actor, vendor=listing.vendor)
    return _move(
        listing,
        actor=actor,
        to_status=ListingStatus.PENDING_REVIEW,
        allowed_from=(ListingStatus.DRAFT,),
    )


@transaction.atomic
def listing_withdraw(*, actor: User, listing: VendorListing) -> VendorListing:
    """Back to draft: out of review, or off the marketplace (open engagements go on)."""
    listing = _lock_listing(listing.pk)
    _vendor_manager_require(actor=actor, vendor=listing.vendor)
    if listing.status == ListingStatus.SUSPENDED:
        code, message = ILLEGAL_MOVE[ListingStatus.DRAFT]
        raise Conflict(message, code=code)
    return _move(listing, actor=actor, to_status=ListingStatus.DRAFT)


# Staff moderation.


def _staff_require(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff moderate listings.")


@transaction.atomic
def listing_approve(*, actor: User, listing: VendorListing) -> VendorListing:
    """Publish a listing pending review (sets published_at the first time)."""
    _staff_require(actor)
    listing = _lock_listing(listing.pk)
    return _move(
        listing,
        actor=actor,
        to_status=ListingStatus.PUBLISHED,
        allowed_from=(ListingStatus.PENDING_REVIEW,),
    )


@transaction.atomic
def listing_reject(*, actor: User, listing: VendorListing, reason: str) -> VendorListing:
    """Send a listing pending review back to draft; the vendor sees `reason`."""
    _staff_require(actor)
    reason = reason_clean(reason)
    listing = _lock_listing(listing.pk)
    if listing.status == ListingStatus.DRAFT:
        return listing
    if listing.status != ListingStatus.PENDING_REVIEW:
        raise Conflict("Only a listing pending review can be rejected.", code="listing_not_pending")
    return _transition(listing, actor=actor, to_status=ListingStatus.DRAFT, reason=reason)


@transaction.atomic
def listing_suspend(*, actor: User, listing: VendorListing, reason: str) -> VendorListing:
    """Take a published listing off the marketplace; the vendor sees `reason`."""
    _staff_require(actor)
    reason = reason_clean(reason)
    listing = _lock_listing(listing.pk)
    return _move(listing, actor=actor, to_status=ListingStatus.SUSPENDED, reason=reason)


@transaction.atomic
def listing_reinstate(*, actor: User, listing: VendorListing) -> VendorListing:
    """Publish a suspended listing again."""
    _staff_require(actor)
    listing = _lock_listing(listing.pk)
    if listing.status == ListingStatus.PUBLISHED:
        return listing
    if listing.status != ListingStatus.SUSPENDED:
        raise Conflict("Only a suspended listing can be reinstated.", code="listing_not_suspended")
    return _transition(listing, actor=actor, to_status=ListingStatus.PUBLISHED)
