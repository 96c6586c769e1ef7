"""Listings through the API: browsing and filtering the published ones, and a vendor
managing its own."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import JobStatus
from marketplace.models import ListingEvent, ListingStatus, VendorListing
from marketplace.services import api_key_create
from marketplace.vendor_selectors import listing_browse
from tests.jobs.factories import LabelingJobFactory
from tests.marketplace.api_support import (
    NOT_FOUND,
    NOT_MANAGER,
    error,
    key_client,
    session_client,
    snapshot,
)
from tests.marketplace.factories import (
    AcceptedEngagementFactory,
    MembershipFactory,
    PublishedListingFactory,
    VendorListingFactory,
    VendorProfileFactory,
)
from tests.marketplace.vendor_support import LISTING_BODY, listing_body, make_vendor_world

pytestmark = pytest.mark.django_db

BROWSE = "/api/v1/listings/"


def own_url(world, *parts) -> str:
    suffix = "".join(f"{part}/" for part in parts)
    return f"/api/v1/organizations/{world.vendor_organization.pk}/listings/{suffix}"


def browse(client, **params):
    return client.get(BROWSE, params)


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# Browsing.


def test_browse_shows_published_listings_only_newest_first():
    world = make_vendor_world()
    older = PublishedListingFactory(vendor=world.vendor, published_at=timezone.now() - timedelta(1))
    newer = PublishedListingFactory(vendor=world.vendor)
    for status in (ListingStatus.DRAFT, ListingStatus.PENDING_REVIEW, ListingStatus.SUSPENDED):
        VendorListingFactory(vendor=world.vendor, status=status)

    response = browse(session_client(world.requester_member))

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [listing_body(newer), listing_body(older)],
    }


def test_browse_filters_by_task_type_language_price_rating_and_words():
    world = make_vendor_world()
    other_vendor = VendorProfileFactory(display_name="Polyglot Labs")
    image = PublishedListingFactory(
        vendor=world.vendor, title="Images", prices={"image-classification": "0.10"}
    )
    text = PublishedListingFactory(
        vendor=other_vendor,
        title="Texts",
        languages=["de", "fr"],
        prices={"text-classification": "0.02", "image-classification": "0.50"},
        rating_count=2,
        rating_total=9,
    )
    client = session_client(world.requester_member)

    assert ids(browse(client, task_type="text-classification")) == [text.pk]
    assert ids(browse(client, language="fr")) == [text.pk]
    assert sorted(ids(browse(client, max_price="0.05"))) == [text.pk]
    assert ids(browse(client, task_type="image-classification", max_price="0.2")) == [image.pk]
    assert ids(browse(client, min_rating="4.5")) == [text.pk]
    assert ids(browse(client, min_rating="4.6")) == []
    assert ids(browse(client, q="polyglot")) == [text.pk]
    assert ids(browse(client, q="imag")) == [image.pk]
    assert ids(browse(client, ordering="price", task_type="image-classification")) == [
        image.pk,
        text.pk,
    ]
    assert ids(browse(client, ordering="-price", task_type="image-classification")) == [
        text.pk,
        image.pk,
    ]
    assert ids(browse(client, ordering="rating")) == [text.pk, image.pk]


def test_browse_pages_by_cursor_in_price_order():
    world = make_vendor_world()
    listings = [
        PublishedListingFactory(vendor=world.vendor, prices={"image-classification": price})
        for price in ("0.30", "0.10", "0.20", "0.10")
    ]
    client = session_client(world.requester_member)

    first = browse(client, ordering="price", page_size=2).json()
    second = client.get(first["next"]).json()

    seen = [row["id"] for row in first["results"] + second["results"]]
    assert seen == [listings[1].pk, listings[3].pk, listings[2].pk, listings[0].pk]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"task_type": "poetry"}, {"task_type": ['"poetry" is not a valid choice.']}),
        ({"max_price": "-1"}, {"max_price": ["Ensure this value is greater than or equal to 0."]}),
        ({"max_price": "cheap"}, {"max_price": ["A valid number is required."]}),
        ({"min_rating": "6"}, {"min_rating": ["Ensure this value is less than or equal to 5."]}),
        (
            {"language": "english!"},
            {"language": ["This value does not match the required pattern."]},
        ),
        ({"ordering": "random"}, {"ordering": ['"random" is not a valid choice.']}),
    ],
)
def test_bad_browse_filters_are_400s(params, fields):
    world = make_vendor_world()

    response = browse(session_client(world.requester_member), **params)

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)


def test_browse_takes_the_same_queries_for_one_listing_or_many(django_assert_num_queries):
    world = make_vendor_world()
    PublishedListingFactory(vendor=world.vendor)

    def run() -> list:
        rows = list(listing_browse(task_type="image-classification", ordering="rating")[:50])
        from marketplace.vendor_selectors import listing_turnarounds

        listing_turnarounds(rows)
        return [price.task_type for row in rows for price in row.prices.all()]

    # The page, its prices, its turnarounds.
    with django_assert_num_queries(3):
        assert len(run()) == 1
    for _ in range(12):
        listing = PublishedListingFactory(
            vendor=VendorProfileFactory(),
            prices={"image-classification": "0.1", "text-classification": "0.2"},
        )
        engagement = AcceptedEngagementFactory(listing=listing)
        LabelingJobFactory(
            organization=engagement.requester,
            engagement=engagement,
            status=JobStatus.COMPLETED,
            launched_at=timezone.now() - timedelta(hours=5),
            ended_at=timezone.now(),
        )
    with django_assert_num_queries(3):
        assert len(run()) == 25


def test_the_browse_endpoint_takes_a_bounded_number_of_queries():
    world = make_vendor_world()
    client = session_client(world.requester_member)
    PublishedListingFactory(vendor=world.vendor)
    with CaptureQueriesContext(connection) as one:
        assert browse(client).status_code == 200
    for _ in range(10):
        PublishedListingFactory(vendor=VendorProfileFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(ids(browse(client))) == 11
    assert len(many) == len(one)


def test_a_listing_shows_its_rating_and_turnaround():
    world = make_vendor_world()
    listing = PublishedListingFactory(
        vendor=world.vendor, turnaround_hours=24, rating_count=3, rating_total=13
    )
    engagement = AcceptedEngagementFactory(listing=listing)
    start = timezone.now() - timedelta(days=3)
    for hours in (12, 30):
        LabelingJobFactory(
            organization=engagement.requester,
            engagement=engagement,
            status=JobStatus.COMPLETED,
            launched_at=start,
            ended_at=start + timedelta(hours=hours),
        )

    response = session_client(world.outsider).get(f"{BROWSE}{listing.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["rating"] == {"count": 3, "average": 4.33}
    assert body["turnaround"] == {
        "promised_hours": 24,
        "jobs_measured": 2,
        "median_hours": 21.0,
        "on_time_share": 0.5,
    }
    assert body == listing_body(listing, turnaround=body["turnaround"])


@pytest.mark.parametrize("status", [ListingStatus.DRAFT, ListingStatus.SUSPENDED])
def test_an_unpublished_listing_is_hidden_from_others_but_not_from_its_vendor(status):
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=status)
    url = f"{BROWSE}{listing.pk}/"

    hidden = session_client(world.outsider).get(url)
    shown = session_client(world.vendor_member).get(url)

    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)
    assert (shown.status_code, shown.json()) == (200, listing_body(listing))


def test_an_api_key_of_another_organization_does_not_see_the_vendors_drafts():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor)
    # The vendor's owner also belongs to the outsider's organization, whose key is used.
    MembershipFactory(
        organization=world.outsider_organization, user=world.vendor_owner, role="admin"
    )
    _key, raw_key = api_key_create(
        actor=world.vendor_owner, organization=world.outsider_organization, name="k"
    )

    response = key_client(raw_key).get(f"{BROWSE}{listing.pk}/")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# The vendor's own listings.


def test_an_admin_creates_a_listing_and_members_list_them_all():
    world = make_vendor_world()

    created = session_client(world.vendor_admin).post(own_url(world), LISTING_BODY, format="json")

    assert created.status_code == 201
    listing = VendorListing.objects.get()
    assert created.json() == listing_body(listing)
    assert created.json()["status"] == "draft"
    assert created.json()["prices"] == [
        {"task_type": "image-classification", "price_per_object": "0.0800", "currency": "USD"},
        {"task_type": "text-classification", "price_per_object": "0.0250", "currency": "USD"},
    ]
    listed = session_client(world.vendor_member).get(own_url(world))
    assert listed.status_code == 200
    assert listed.json() == {"next": None, "previous": None, "results": [listing_body(listing)]}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "-0.01"}]},
            {"prices.0.price_per_object": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "0.00001"}]},
            {"prices.0.price_per_object": ["Ensure that there are no more than 4 decimal places."]},
        ),
        (
            {"prices": [{"task_type": "image-classification", "price_per_object": "abc"}]},
            {"prices.0.price_per_object": ["A valid number is required."]},
        ),
        (
            {"prices": [{"task_type": "poetry", "price_per_object": "1"}]},
            {"prices.0.task_type": ['"poetry" is not a valid choice.']},
        ),
        ({"prices": []}, {"prices": ["This list may not be empty."]}),
        (
            {"minimum_order_objects": 0},
            {"minimum_order_objects": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"languages": ["english!"]}, {"languages": ["'english!' is not a BCP 47 language tag."]}),
        (
            {"sample_outputs": [{"title": f"s{n}"} for n in range(11)]},
            {"sample_outputs": ["Ensure this field has no more than 10 elements."]},
        ),
        (
            {"sample_outputs": [{"title": "x", "url": "not a url"}]},
            {"sample_outputs.0.url": ["Enter a valid URL."]},
        ),
        (
            {"sample_outputs": [{"title": "x", "url": "ftp://example.com/a"}]},
            {"sample_outputs.0.url": ["Enter a valid http or https URL."]},
        ),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
    ],
)
def test_bad_listing_input_is_a_400_with_field_messages_and_changes_nothing(changes, fields):
    world = make_vendor_world()
    client = session_client(world.vendor_owner)
    before = snapshot()

    response = client.post(own_url(world), {**LISTING_BODY, **changes}, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)
    assert snapshot() == before


def test_a_plain_member_cannot_create_and_an_outsider_cannot_see():
    world = make_vendor_world()
    member_client, outsider_client = (
        session_client(world.vendor_member),
        session_client(world.outsider),
    )
    before = snapshot()

    member = member_client.post(own_url(world), LISTING_BODY, format="json")
    outsider = outsider_client.get(own_url(world))

    assert (member.status_code, member.json()) == (403, NOT_MANAGER)
    assert (outsider.status_code, outsider.json()) == (404, NOT_FOUND)
    assert snapshot() == before


def test_an_organization_without_a_vendor_profile_has_no_listings():
    world = make_vendor_world()

    response = session_client(world.requester_owner).get(
        f"/api/v1/organizations/{world.requester.pk}/listings/"
    )

    assert response.status_code == 404
    assert response.json() == error("not_found", "This organization has no vendor profile.")


def test_submit_withdraw_and_edit_a_published_listing_over_the_api():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor)
    client = session_client(world.vendor_owner)

    submitted = client.post(own_url(world, listing.pk, "submit"))
    assert submitted.status_code == 200
    assert submitted.json() == listing_body(listing)
    assert submitted.json()["status"] == "pending_review"
    withdrawn = client.post(own_url(world, listing.pk, "withdraw"))
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "draft")

    listing.status = ListingStatus.PUBLISHED
    listing.save()
    patched = client.patch(
        own_url(world, listing.pk),
        {"prices": [{"task_type": "image-classification", "price_per_object": "0.0900"}]},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json() == listing_body(listing)
    assert patched.json()["status"] == "pending_review"
    assert listing.prices.get().price_per_object == Decimal("0.0900")
    assert ListingEvent.objects.filter(listing=listing).count() == 3


def test_submitting_a_suspended_listing_is_a_409():
    world = make_vendor_world()
    listing = VendorListingFactory(
        vendor=world.vendor, status=ListingStatus.SUSPENDED, status_reason="Spam."
    )
    client = session_client(world.vendor_admin)
    before = snapshot()

    response = client.post(own_url(world, listing.pk, "submit"))

    assert response.status_code == 409
    assert response.json() == error(
        "listing_not_submittable", "Only a draft listing can be sent for review."
    )
    assert snapshot() == before


def test_another_vendors_listing_is_not_found_under_this_organization():
    world = make_vendor_world()
    foreign = VendorListingFactory()

    response = session_client(world.vendor_owner).patch(
        own_url(world, foreign.pk), {"title": "Mine now"}, format="json"
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
