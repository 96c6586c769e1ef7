"""Listing services: creating and editing with their prices, and the moderation states."""

from decimal import Decimal

import pytest

from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.listings import (
    listing_approve,
    listing_create,
    listing_reinstate,
    listing_reject,
    listing_submit,
    listing_suspend,
    listing_update,
    listing_withdraw,
)
from marketplace.models import ListingEvent, ListingStatus, VendorListing, VendorListingPrice
from tests.marketplace.api_support import snapshot
from tests.marketplace.factories import PublishedListingFactory, VendorListingFactory
from tests.marketplace.vendor_support import LISTING_BODY, make_vendor_world

pytestmark = pytest.mark.django_db


def fields(**changes) -> dict:
    body = {**LISTING_BODY, **changes}
    return {
        **body,
        "prices": [dict(price) for price in body["prices"]],
        "sample_outputs": [dict(sample) for sample in body["sample_outputs"]],
    }


def events(listing) -> list[tuple[str, str, str]]:
    return [
        (event.from_status, event.to_status, event.reason)
        for event in ListingEvent.objects.filter(listing=listing).order_by("created_at", "id")
    ]


def test_an_admin_creates_a_draft_listing_with_its_prices():
    world = make_vendor_world()

    listing = listing_create(actor=world.vendor_admin, vendor=world.vendor, **fields())

    assert listing.status == ListingStatus.DRAFT
    assert listing.published_at is None
    assert list(listing.prices.values_list("task_type", "price_per_object", "currency")) == [
        ("image-classification", Decimal("0.0800"), "USD"),
        ("text-classification", Decimal("0.0250"), "USD"),
    ]
    assert listing.sample_outputs == LISTING_BODY["sample_outputs"]
    assert events(listing) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"prices": []}, {"prices": ["List at least one task type with its price."]}),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "-1"}]},
            {"prices.0.price_per_object": ["A price cannot be negative."]},
        ),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "0.00001"}]},
            {"prices.0.price_per_object": ["At most 4 decimal places."]},
        ),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "lots"}]},
            {"prices.0.price_per_object": ['Enter a number, e.g. "0.0800".']},
        ),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": 0.5}]},
            {"prices.0.price_per_object": ['Give the price as a decimal string, e.g. "0.0800".']},
        ),
        (
            {"prices": [{"task_type": "poetry", "price_per_object": "1"}]},
            {
                "prices.0.task_type": [
                    'Unknown task type "poetry". Known task types: "image-classification", '
                    '"text-classification", "label-verification", "label-adjustment".'
                ]
            },
        ),
        (
            {
                "prices": [
                    {"task_type": "image-classification", "price_per_object": "1"},
                    {"task_type": "image-classification", "price_per_object": "2"},
                ]
            },
            {"prices.1.task_type": ["This task type is priced twice."]},
        ),
        ({"currency": "usd"}, {"currency": ["Give a three-letter currency code such as USD."]}),
        (
            {"minimum_order_objects": 0},
            {"minimum_order_objects": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"languages": ["english!"]}, {"languages": ["'english!' is not a BCP 47 language tag."]}),
        (
            {"sample_outputs": [{"title": "x", "url": "ftp://example.com/a"}]},
            {"sample_outputs.0.url": ["Enter a valid http or https URL."]},
        ),
        (
            {"sample_outputs": [{"title": f"s{n}"} for n in range(11)]},
            {"sample_outputs": ["At most 10 samples."]},
        ),
        ({"title": "  "}, {"title": ["This field cannot be blank."]}),
    ],
)
def test_bad_listing_input_is_refused_field_by_field_and_changes_nothing(changes, expected):
    world = make_vendor_world()
    before = snapshot()

    with pytest.raises(InvalidInput) as raised:
        listing_create(actor=world.vendor_owner, vendor=world.vendor, **fields(**changes))

    assert raised.value.fields == expected
    assert snapshot() == before


def test_a_plain_member_cannot_create_a_listing_and_an_outsider_learns_nothing():
    world = make_vendor_world()

    with pytest.raises(PermissionDenied):
        listing_create(actor=world.vendor_member, vendor=world.vendor, **fields())
    with pytest.raises(NotFound):
        listing_create(actor=world.outsider, vendor=world.vendor, **fields())
    assert not VendorListing.objects.exists()


def test_the_moderation_round_trip_records_every_move():
    world = make_vendor_world()
    listing = listing_create(actor=world.vendor_owner, vendor=world.vendor, **fields())

    listing_submit(actor=world.vendor_owner, listing=listing)
    listing_reject(actor=world.staff, listing=listing, reason="Add sample outputs.")
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == (ListingStatus.DRAFT, "Add sample outputs.")
    listing_submit(actor=world.vendor_admin, listing=listing)
    listing = listing_approve(actor=world.staff, listing=listing)
    published_at = listing.published_at
    assert listing.status == ListingStatus.PUBLISHED
    assert published_at is not None
    listing_suspend(actor=world.staff, listing=listing, reason="Complaints.")
    listing = listing_reinstate(actor=world.staff, listing=listing)

    assert listing.status == ListingStatus.PUBLISHED
    assert listing.published_at == published_at
    assert events(listing) == [
        ("draft", "pending_review", ""),
        ("pending_review", "draft", "Add sample outputs."),
        ("draft", "pending_review", ""),
        ("pending_review", "published", ""),
        ("published", "suspended", "Complaints."),
        ("suspended", "published", ""),
    ]


def test_moves_already_done_change_nothing():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    listing_approve(actor=world.staff, listing=listing)
    listing_reinstate(actor=world.staff, listing=listing)
    listing = VendorListingFactory(vendor=world.vendor)
    listing_withdraw(actor=world.vendor_owner, listing=listing)
    listing_reject(actor=world.staff, listing=listing, reason="Nope.")

    assert not ListingEvent.objects.exists()


@pytest.mark.parametrize(
    ("status", "move", "code"),
    [
        (ListingStatus.DRAFT, "approve", "listing_not_pending"),
        (ListingStatus.DRAFT, "suspend", "listing_not_published"),
        (ListingStatus.DRAFT, "reinstate", "listing_not_suspended"),
        (ListingStatus.PUBLISHED, "submit", "listing_not_submittable"),
        (ListingStatus.PUBLISHED, "reject", "listing_not_pending"),
        (ListingStatus.SUSPENDED, "approve", "listing_not_pending"),
        (ListingStatus.SUSPENDED, "submit", "listing_not_submittable"),
        (ListingStatus.SUSPENDED, "withdraw", "listing_not_withdrawable"),
        (ListingStatus.PENDING_REVIEW, "suspend", "listing_not_published"),
    ],
)
def test_illegal_moves_are_conflicts_and_change_nothing(status, move, code):
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=status)
    calls = {
        "approve": lambda: listing_approve(actor=world.staff, listing=listing),
        "reject": lambda: listing_reject(actor=world.staff, listing=listing, reason="x"),
        "suspend": lambda: listing_suspend(actor=world.staff, listing=listing, reason="x"),
        "reinstate": lambda: listing_reinstate(actor=world.staff, listing=listing),
        "submit": lambda: listing_submit(actor=world.vendor_owner, listing=listing),
        "withdraw": lambda: listing_withdraw(actor=world.vendor_owner, listing=listing),
    }
    before = snapshot()

    with pytest.raises(Conflict) as raised:
        calls[move]()

    assert raised.value.code == code
    assert snapshot() == before


def test_reject_and_suspend_need_a_reason_and_staff():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=ListingStatus.PENDING_REVIEW)

    with pytest.raises(InvalidInput) as raised:
        listing_reject(actor=world.staff, listing=listing, reason=" ")
    assert raised.value.fields == {"reason": ["Give the reason (1-1024 characters)."]}
    with pytest.raises(PermissionDenied):
        listing_approve(actor=world.vendor_owner, listing=listing)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW


def test_editing_a_published_listing_sends_it_back_to_review():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    listing_update(
        actor=world.vendor_admin,
        listing=listing,
        title="New title",
        prices=[{"task_type": "text-classification", "price_per_object": "0.1"}],
    )

    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("New title", ListingStatus.PENDING_REVIEW)
    assert list(VendorListingPrice.objects.filter(listing=listing).values_list("task_type")) == [
        ("text-classification",)
    ]
    assert events(listing) == [("published", "pending_review", "")]


def test_an_edit_that_changes_nothing_keeps_a_published_listing_published():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor, title="Same")

    listing_update(
        actor=world.vendor_admin,
        listing=listing,
        title="Same",
        prices=[{"task_type": "image-classification", "price_per_object": "0.08"}],
    )

    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert not ListingEvent.objects.exists()


def test_editing_a_suspended_listing_keeps_it_suspended():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=ListingStatus.SUSPENDED)

    listing_update(actor=world.vendor_owner, listing=listing, description="Fixed.")

    listing.refresh_from_db()
    assert (listing.description, listing.status) == ("Fixed.", ListingStatus.SUSPENDED)


def test_a_published_listing_is_withdrawn_to_draft():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    listing_withdraw(actor=world.vendor_owner, listing=listing)

    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
    assert events(listing) == [("published", "draft", "")]
