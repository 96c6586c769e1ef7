"""The vendor marketplace in the Django admin: listings moderated through the services,
engagements and ratings read-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from jobs.models import JobStatus
from marketplace.models import (
    EngagementStatus,
    ListingEvent,
    ListingStatus,
    VendorRating,
)
from tests.jobs.factories import LabelingJobFactory
from tests.marketplace.factories import (
    AcceptedEngagementFactory,
    PublishedListingFactory,
    VendorListingFactory,
)

pytestmark = pytest.mark.django_db


def admin_url(model: str, view: str, *args) -> str:
    return reverse(f"admin:marketplace_{model}_{view}", args=args)


def changelist_action(client, action: str, listings, **extra):
    return client.post(
        admin_url("vendorlisting", "changelist"),
        {"action": action, "_selected_action": [listing.pk for listing in listings], **extra},
        follow=True,
    )


def test_listing_pages_render_with_prices_and_history(staff_client):
    listing = PublishedListingFactory(title="Radiology")
    ListingEvent.objects.create(
        listing=listing, from_status="pending_review", to_status="published"
    )

    changelist = staff_client.get(admin_url("vendorlisting", "changelist"), {"status": "published"})
    change = staff_client.get(admin_url("vendorlisting", "change", listing.pk))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [listing]
    assert change.status_code == 200
    form_fields = change.context["adminform"].form.fields
    assert "status" not in form_fields
    assert "status_reason" not in form_fields
    assert "image-classification" in change.content.decode()
    assert "Pending review" in change.content.decode()


def test_approve_action_publishes_pending_listings_through_the_service(staff_client, staff):
    pending = VendorListingFactory(status=ListingStatus.PENDING_REVIEW)
    draft = VendorListingFactory()

    response = changelist_action(staff_client, "approve", [pending, draft])

    pending.refresh_from_db()
    draft.refresh_from_db()
    assert pending.status == ListingStatus.PUBLISHED
    assert pending.published_at is not None
    assert draft.status == ListingStatus.DRAFT
    event = ListingEvent.objects.get()
    assert (event.listing, event.actor, event.to_status) == (pending, staff, "published")
    assert [str(m) for m in response.context["messages"]] == ["Approved 1 of 1."]


def test_reject_asks_for_a_reason_then_rejects(staff_client):
    pending = VendorListingFactory(status=ListingStatus.PENDING_REVIEW, title="Needs work")

    asked = changelist_action(staff_client, "reject", [pending])
    assert asked.status_code == 200
    assert "Needs work" in asked.content.decode()
    pending.refresh_from_db()
    assert pending.status == ListingStatus.PENDING_REVIEW

    no_reason = changelist_action(staff_client, "reject", [pending], apply="1", reason="")
    assert "This field is required." in no_reason.content.decode()
    done = changelist_action(
        staff_client, "reject", [pending], apply="1", reason="Add samples of your work."
    )

    pending.refresh_from_db()
    assert (pending.status, pending.status_reason) == (
        ListingStatus.DRAFT,
        "Add samples of your work.",
    )
    assert [str(m) for m in done.context["messages"]] == ["Rejected 1 of 1."]


def test_suspend_then_reinstate(staff_client):
    listing = PublishedListingFactory()

    changelist_action(staff_client, "suspend", [listing], apply="1", reason="Complaints.")
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == (ListingStatus.SUSPENDED, "Complaints.")
    changelist_action(staff_client, "reinstate", [listing])
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == (ListingStatus.PUBLISHED, "")
    assert list(
        ListingEvent.objects.filter(listing=listing).order_by("id").values_list("to_status")
    ) == [("suspended",), ("published",)]


def change_form_data(listing, price, **changes) -> dict:
    return {
        "title": "New",
        "description": listing.description,
        "minimum_order_objects": 100,
        "turnaround_hours": 48,
        "capacity_objects_per_day": 5000,
        "languages": '["en"]',
        "sample_outputs": "[]",
        "status": ListingStatus.DRAFT,
        "prices-TOTAL_FORMS": 1,
        "prices-INITIAL_FORMS": 1,
        "prices-MIN_NUM_FORMS": 1,
        "prices-MAX_NUM_FORMS": 1000,
        "prices-0-id": price.pk,
        "prices-0-listing": listing.pk,
        "prices-0-task_type": "image-classification",
        "prices-0-price_per_object": "0.0900",
        "prices-0-currency": "USD",
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
        **changes,
    }


def test_saving_the_change_form_never_changes_the_status(staff_client):
    listing = PublishedListingFactory(title="Old")
    data = change_form_data(listing, listing.prices.get())

    response = staff_client.post(admin_url("vendorlisting", "change", listing.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("New", ListingStatus.PUBLISHED)


def test_a_negative_price_in_the_change_form_is_refused(staff_client):
    listing = PublishedListingFactory()
    price = listing.prices.get()
    data = change_form_data(listing, price, **{"prices-0-price_per_object": "-1"})

    response = staff_client.post(admin_url("vendorlisting", "change", listing.pk), data)

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    price.refresh_from_db()
    assert price.price_per_object == Decimal("0.0800")


def test_engagements_and_ratings_are_read_only(staff_client):
    engagement = AcceptedEngagementFactory()
    job = LabelingJobFactory(
        organization=engagement.requester, engagement=engagement, status=JobStatus.COMPLETED
    )
    rating = VendorRating.objects.create(
        engagement=engagement, job=job, score=4, rated_by=engagement.requested_by
    )

    for model, row in (("engagement", engagement), ("vendorrating", rating)):
        assert staff_client.get(admin_url(model, "changelist")).status_code == 200
        assert staff_client.get(admin_url(model, "change", row.pk)).status_code == 200
        assert staff_client.get(admin_url(model, "add")).status_code == 403
        deleted = staff_client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
        assert deleted.status_code == 403
    changed = staff_client.post(admin_url("engagement", "change", engagement.pk), {"status": "x"})
    assert changed.status_code == 403
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ACCEPTED
