"""The vendor marketplace pages: browse and engage, a vendor's listings, engagements on
both sides with ratings, and the jobs routed to a vendor."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import JobStatus
from marketplace.models import (
    Engagement,
    EngagementStatus,
    ListingStatus,
    VendorListing,
    VendorRating,
)
from tests.jobs.factories import LabelingJobFactory, RunningJobFactory
from tests.marketplace.factories import (
    AcceptedEngagementFactory,
    EngagementFactory,
    PublishedListingFactory,
    VendorListingFactory,
    VendorProfileFactory,
)
from tests.marketplace.vendor_support import make_vendor_world
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import Workforce, WorkforceKind, WorkforceMember

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


# Browsing and engaging.


def test_anyone_browses_published_listings_with_filters():
    world = make_vendor_world()
    PublishedListingFactory(vendor=world.vendor, title="Radiology images")
    PublishedListingFactory(
        vendor=VendorProfileFactory(display_name="Wordsmiths"),
        title="Sentiment texts",
        prices={"text-classification": "0.0200"},
    )
    VendorListingFactory(vendor=world.vendor, title="Secret draft")

    everything = Client().get(reverse("marketplace_browse"))
    texts = Client().get(reverse("marketplace_browse"), {"task_type": "text-classification"})
    bad = Client().get(reverse("marketplace_browse"), {"max_price": "-3"})

    assert everything.status_code == 200
    assert "Radiology images" in page(everything)
    assert "Sentiment texts" in page(everything)
    assert "Secret draft" not in page(everything)
    assert "Sentiment texts" in page(texts)
    assert "Radiology images" not in page(texts)
    assert bad.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in page(bad)


def test_the_listing_page_shows_the_offer_and_an_engage_form_to_members():
    world = make_vendor_world()
    listing = PublishedListingFactory(
        vendor=world.vendor, title="Radiology images", rating_count=2, rating_total=9
    )

    anonymous = Client().get(reverse("marketplace_listing", args=[listing.pk]))
    member = logged_in(world.requester_member).get(
        reverse("marketplace_listing", args=[listing.pk])
    )
    own = logged_in(world.vendor_owner).get(reverse("marketplace_listing", args=[listing.pk]))

    assert anonymous.status_code == 200
    assert "0.0800 USD" in page(anonymous)
    assert "★ 4.5 (2)" in page(anonymous)
    assert "Promised: <strong>48 hours</strong>" in page(anonymous)
    assert "Engage this vendor" not in page(anonymous)
    assert "Engage this vendor" in page(member)
    assert "Acme Vision" in page(member)
    assert "Engage this vendor" not in page(own)


def test_a_draft_listing_page_is_a_404_for_others():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor)

    outsider = logged_in(world.outsider).get(reverse("marketplace_listing", args=[listing.pk]))
    member = logged_in(world.vendor_member).get(reverse("marketplace_listing", args=[listing.pk]))

    assert outsider.status_code == 404
    assert member.status_code == 200


def test_a_member_engages_a_vendor_from_the_listing_page():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    response = logged_in(world.requester_member).post(
        reverse("marketplace_engage", args=[listing.pk]),
        {
            "organization": world.requester.pk,
            "task_type": "image-classification",
            "expected_objects": "500",
            "message": "Soon.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("organization_engagements", args=[world.requester.pk])
    engagement = Engagement.objects.get()
    assert (engagement.requester, engagement.expected_objects, engagement.message) == (
        world.requester,
        500,
        "Soon.",
    )


def test_too_few_objects_re_renders_the_form_and_changes_nothing():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    client = logged_in(world.requester_member)
    before = database_snapshot()

    response = client.post(
        reverse("marketplace_engage", args=[listing.pk]),
        {
            "organization": world.requester.pk,
            "task_type": "image-classification",
            "expected_objects": "5",
        },
    )

    # The service refused it (InvalidInput): the form comes back with its 400.
    assert response.status_code == 400
    assert "Order at least 100 objects, the listing&#x27;s minimum." in page(response)
    assert database_snapshot() == before


# A vendor's listings.


def listing_post(**changes) -> dict:
    return {
        "title": "Bounding-free classification",
        "description": "Fast.",
        "currency": "USD",
        "minimum_order_objects": "100",
        "turnaround_hours": "24",
        "capacity_objects_per_day": "1000",
        "languages": "en, de",
        "sample_outputs": "Cats | https://example.com/cats | Cat breeds\nDogs",
        "price_image-classification": "0.0500",
        "price_text-classification": "",
        **changes,
    }


def test_an_admin_creates_a_listing_and_submits_it_from_the_pages():
    world = make_vendor_world()
    client = logged_in(world.vendor_admin)

    created = client.post(
        reverse("vendor_listing_new", args=[world.vendor_organization.pk]), listing_post()
    )
    listing = VendorListing.objects.get()
    submitted = client.post(
        reverse("vendor_listing_action", args=[world.vendor_organization.pk, listing.pk, "submit"])
    )
    listed = client.get(reverse("vendor_listings", args=[world.vendor_organization.pk]))

    assert created.status_code == 302
    assert submitted.status_code == 302
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert listing.languages == ["en", "de"]
    assert listing.sample_outputs == [
        {"title": "Cats", "url": "https://example.com/cats", "description": "Cat breeds"},
        {"title": "Dogs", "url": "", "description": ""},
    ]
    assert [(p.task_type, p.price_per_object) for p in listing.prices.all()] == [
        ("image-classification", Decimal("0.0500"))
    ]
    assert "Pending review" in page(listed)


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"price_image-classification": ""}, 200, "Give a price for at least one task type."),
        (
            {"price_image-classification": "-1"},
            200,
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"minimum_order_objects": "0"}, 200, "Ensure this value is greater than or equal to 1."),
        # Refused by the service, whose InvalidInput status the page keeps.
        ({"sample_outputs": "Cats | ftp://example.com"}, 400, "Enter a valid http or https URL."),
        ({"languages": "english!"}, 200, "is not a language tag such as en or pt-BR."),
    ],
)
def test_bad_listing_forms_are_re_rendered_and_change_nothing(changes, status, message):
    world = make_vendor_world()
    client = logged_in(world.vendor_owner)
    before = database_snapshot()

    response = client.post(
        reverse("vendor_listing_new", args=[world.vendor_organization.pk]), listing_post(**changes)
    )

    assert response.status_code == status
    assert message in page(response)
    assert database_snapshot() == before


def test_the_vendor_sees_the_rejection_reason_and_edits_the_listing():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status_reason="Prices look wrong.")
    client = logged_in(world.vendor_owner)

    listed = client.get(reverse("vendor_listings", args=[world.vendor_organization.pk]))
    form = client.get(
        reverse("vendor_listing_edit", args=[world.vendor_organization.pk, listing.pk])
    )
    saved = client.post(
        reverse("vendor_listing_edit", args=[world.vendor_organization.pk, listing.pk]),
        listing_post(title="Fixed"),
    )

    assert "Reason: Prices look wrong." in page(listed)
    assert 'value="0.0800"' in page(form)
    assert saved.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Fixed"


def test_plain_members_read_listings_but_cannot_manage_and_outsiders_get_404():
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor)
    member = logged_in(world.vendor_member)

    assert (
        member.get(reverse("vendor_listings", args=[world.vendor_organization.pk])).status_code
        == 200
    )
    assert (
        member.get(reverse("vendor_listing_new", args=[world.vendor_organization.pk])).status_code
        == 403
    )
    refused = member.post(
        reverse("vendor_listing_action", args=[world.vendor_organization.pk, listing.pk, "submit"])
    )
    outsider = logged_in(world.outsider).get(
        reverse("vendor_listings", args=[world.vendor_organization.pk])
    )

    assert refused.status_code == 403
    assert outsider.status_code == 404
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


# Engagements and ratings.


def test_the_vendor_accepts_and_declines_on_the_engagements_page():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    first = EngagementFactory(listing=listing, requester=world.requester, message="Hello vendor")
    second = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))
    client = logged_in(world.vendor_admin)
    url = reverse("organization_engagements", args=[world.vendor_organization.pk])

    shown = client.get(url)
    accepted = client.post(
        reverse("engagement_action", args=[world.vendor_organization.pk, first.pk, "accept"])
    )
    declined = client.post(
        reverse("engagement_action", args=[world.vendor_organization.pk, second.pk, "decline"]),
        {"reason": "Booked."},
    )

    assert "Hello vendor" in page(shown)
    assert (accepted.status_code, declined.status_code) == (302, 302)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.response_reason) == (
        EngagementStatus.ACCEPTED,
        EngagementStatus.DECLINED,
        "Booked.",
    )


def test_an_illegal_move_on_the_page_says_why_and_changes_nothing():
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), status=EngagementStatus.CANCELLED
    )
    client = logged_in(world.vendor_owner)
    before = database_snapshot(leave_out=("sessions.Session",))

    response = client.post(
        reverse("engagement_action", args=[world.vendor_organization.pk, engagement.pk, "accept"]),
        follow=True,
    )

    assert "Only a pending request can be accepted." in page(response)
    assert database_snapshot(leave_out=("sessions.Session",)) == before


def test_someone_elses_engagement_is_a_404_on_the_pages():
    world = make_vendor_world()
    engagement = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))

    response = logged_in(world.outsider).post(
        reverse("engagement_action", args=[world.outsider_organization.pk, engagement.pk, "accept"])
    )

    assert response.status_code == 404
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.REQUESTED


def test_the_requester_cancels_and_rates_a_finished_job():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    pending = EngagementFactory(listing=listing, requester=world.requester)
    accepted = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = LabelingJobFactory(
        organization=world.requester, engagement=accepted, status=JobStatus.COMPLETED
    )
    client = logged_in(world.requester_member)
    url = reverse("organization_engagements", args=[world.requester.pk])

    shown = client.get(url)
    client.post(reverse("engagement_action", args=[world.requester.pk, pending.pk, "cancel"]))
    rated = client.post(
        reverse("vendor_rating", args=[world.requester.pk, job.pk]),
        {"score": "4", "comment": "Good work."},
    )
    after = client.get(url)

    assert job.name in page(shown)
    assert rated.status_code == 302
    pending.refresh_from_db()
    assert pending.status == EngagementStatus.CANCELLED
    rating = VendorRating.objects.get()
    assert (rating.score, rating.comment, rating.job) == (4, "Good work.", job)
    assert "Nothing to rate." in page(after)


# Routed jobs.


def test_the_vendor_sees_routed_jobs_with_eligible_workers():
    world = make_vendor_world()
    workforce = Workforce.objects.create(
        kind=WorkforceKind.VENDOR, organization=world.vendor_organization, name="Team"
    )
    worker = WorkerProfileFactory(display_name="Ann")
    WorkforceMember.objects.create(workforce=workforce, worker=worker)
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = RunningJobFactory(
        organization=world.requester, engagement=engagement, workforce=workforce
    )

    response = logged_in(world.vendor_owner).get(
        reverse("vendor_jobs", args=[world.vendor_organization.pk])
    )
    member = logged_in(world.vendor_member).get(
        reverse("vendor_jobs", args=[world.vendor_organization.pk])
    )

    assert response.status_code == 200
    assert job.name in page(response)
    assert "Acme Vision" in page(response)
    assert worker.worker_id in page(response)
    assert member.status_code == 403


def test_the_organization_page_links_to_the_vendor_pages():
    world = make_vendor_world()

    response = logged_in(world.vendor_owner).get(
        reverse("organization_detail", args=[world.vendor_organization.pk])
    )

    assert reverse("vendor_listings", args=[world.vendor_organization.pk]) in page(response)
    assert reverse("organization_engagements", args=[world.vendor_organization.pk]) in page(
        response
    )
    assert reverse("vendor_jobs", args=[world.vendor_organization.pk]) in page(response)


def test_the_vendor_profile_page_saves_certifications():
    world = make_vendor_world()

    response = logged_in(world.vendor_owner).post(
        reverse("vendor_profile", args=[world.vendor_organization.pk]),
        {
            "display_name": "LabelCo",
            "contact_email": "sales@labelco.example.com",
            "languages": "en",
            "certifications": "ISO 27001, SOC 2",
        },
    )

    assert response.status_code == 302
    world.vendor.refresh_from_db()
    assert world.vendor.certifications == ["ISO 27001", "SOC 2"]


def test_the_browse_page_takes_the_same_queries_for_one_listing_or_many():
    world = make_vendor_world()
    PublishedListingFactory(vendor=world.vendor)
    client = Client()
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("marketplace_browse")).status_code == 200
    for _ in range(8):
        PublishedListingFactory(
            vendor=VendorProfileFactory(),
            prices={"image-classification": "0.1", "text-classification": "0.2"},
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("marketplace_browse"))
    assert page(response).count('class="card listing-card"') == 9
    assert len(many) == len(one)


def test_the_main_menu_leads_everyone_to_the_vendors():
    world = make_vendor_world()
    signed_in = Client()
    signed_in.force_login(world.requester_member)

    for client in (Client(), signed_in):
        page = client.get(reverse("marketplace_browse")).content.decode()
        assert f'<a href="{reverse("marketplace_browse")}" class="active">Vendors</a>' in page
