"""Engagement services (request, accept, decline, cancel, end), the job-targeting selector,
vendor ratings and turnaround."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from jobs.models import JobStatus
from marketplace.engagements import (
    engagement_accept,
    engagement_cancel,
    engagement_decline,
    engagement_end,
    engagement_request,
    vendor_rating_create,
)
from marketplace.exceptions import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from marketplace.models import (
    Engagement,
    EngagementEvent,
    EngagementStatus,
    ListingStatus,
    VendorRating,
)
from marketplace.vendor_selectors import listing_turnarounds
from tests.concurrency import run_at_once
from tests.jobs.factories import LabelingJobFactory
from tests.marketplace.api_support import snapshot
from tests.marketplace.factories import (
    AcceptedEngagementFactory,
    EngagementFactory,
    PublishedListingFactory,
    VendorListingFactory,
)
from tests.marketplace.vendor_support import make_vendor_world
from workforce.models import Workforce, WorkforceKind

pytestmark = pytest.mark.django_db


def vendor_workforce(world) -> Workforce:
    return Workforce.objects.get_or_create(
        kind=WorkforceKind.VENDOR, organization=world.vendor_organization, defaults={"name": "V"}
    )[0]


def routed_job(world, engagement, **fields):
    return LabelingJobFactory(
        organization=world.requester,
        workforce=vendor_workforce(world),
        engagement=engagement,
        **fields,
    )


def request(world, listing, **changes):
    arguments = {
        "actor": world.requester_member,
        "requester": world.requester,
        "listing_id": listing.pk,
        "task_type": "image-classification",
        "expected_objects": 1000,
        "message": "  Ten thousand X-rays next month.  ",
        **changes,
    }
    return engagement_request(**arguments)


def history(engagement) -> list[tuple[str, str, str]]:
    return [
        (event.from_status, event.to_status, event.reason)
        for event in EngagementEvent.objects.filter(engagement=engagement).order_by("id")
    ]


def test_a_member_engages_a_vendor_at_the_listing_price():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor, prices={"image-classification": "0.12"})

    engagement = request(world, listing)

    assert engagement.status == EngagementStatus.REQUESTED
    assert (engagement.vendor, engagement.price_per_object, engagement.currency) == (
        world.vendor,
        Decimal("0.1200"),
        "USD",
    )
    assert engagement.message == "Ten thousand X-rays next month."
    assert history(engagement) == [("", "requested", "")]


@pytest.mark.parametrize("status", [ListingStatus.DRAFT, ListingStatus.SUSPENDED])
def test_an_unpublished_listing_cannot_be_engaged_nor_seen(status):
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=status)
    before = snapshot()

    with pytest.raises(NotFound):
        request(world, listing)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"expected_objects": 99},
            {"expected_objects": ["Order at least 100 objects, the listing's minimum."]},
        ),
        (
            {"task_type": "text-classification"},
            {
                "task_type": [
                    'This listing does not offer that task type. It offers "image-classification".'
                ]
            },
        ),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(changes, expected):
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    before = snapshot()

    with pytest.raises(InvalidInput) as raised:
        request(world, listing, **changes)

    assert raised.value.fields == expected
    assert snapshot() == before


def test_an_organization_cannot_engage_itself():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    with pytest.raises(Conflict) as raised:
        request(world, listing, actor=world.vendor_member, requester=world.vendor_organization)

    assert raised.value.code == "own_listing"
    assert not Engagement.objects.exists()


def test_an_outsider_cannot_engage_in_someone_elses_name():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    with pytest.raises(NotFound):
        request(world, listing, actor=world.outsider)
    assert not Engagement.objects.exists()


def test_one_open_engagement_per_listing_and_task_type():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    first = request(world, listing)

    with pytest.raises(Conflict) as raised:
        request(world, listing)
    assert raised.value.code == "engagement_open"

    engagement_cancel(
        actor=world.requester_member, organization=world.requester, engagement_id=first.pk
    )
    assert request(world, listing).pk != first.pk


def test_the_vendor_accepts_then_the_requester_ends():
    world = make_vendor_world()
    engagement = request(world, PublishedListingFactory(vendor=world.vendor))

    engagement = engagement_accept(
        actor=world.vendor_admin,
        organization=world.vendor_organization,
        engagement_id=engagement.pk,
    )
    assert (engagement.status, engagement.responded_by) == ("accepted", world.vendor_admin)
    again = engagement_accept(
        actor=world.vendor_owner,
        organization=world.vendor_organization,
        engagement_id=engagement.pk,
    )
    assert again.responded_by == world.vendor_admin
    engagement = engagement_end(
        actor=world.requester_member,
        organization=world.requester,
        engagement_id=engagement.pk,
        reason="Project over.",
    )

    assert engagement.status == EngagementStatus.ENDED
    assert engagement.ended_at is not None
    assert history(engagement) == [
        ("", "requested", ""),
        ("requested", "accepted", ""),
        ("accepted", "ended", "Project over."),
    ]


def test_the_vendor_declines_with_a_reason_and_may_end_an_accepted_one():
    world = make_vendor_world()
    declined = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))
    accepted = AcceptedEngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))

    declined = engagement_decline(
        actor=world.vendor_owner,
        organization=world.vendor_organization,
        engagement_id=declined.pk,
        reason="Fully booked.",
    )
    accepted = engagement_end(
        actor=world.vendor_owner, organization=world.vendor_organization, engagement_id=accepted.pk
    )

    assert (declined.status, declined.response_reason) == ("declined", "Fully booked.")
    assert accepted.status == "ended"


def test_only_the_vendors_managers_answer_and_others_learn_nothing():
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    before = snapshot()

    with pytest.raises(PermissionDenied):
        engagement_accept(
            actor=world.vendor_member,
            organization=world.vendor_organization,
            engagement_id=engagement.pk,
        )
    # The requester cannot accept its own request, nor can another organization.
    with pytest.raises(NotFound):
        engagement_accept(
            actor=world.requester_owner, organization=world.requester, engagement_id=engagement.pk
        )
    with pytest.raises(NotFound):
        engagement_decline(
            actor=world.outsider,
            organization=world.outsider_organization,
            engagement_id=engagement.pk,
        )
    with pytest.raises(NotFound):
        engagement_cancel(
            actor=world.vendor_owner,
            organization=world.vendor_organization,
            engagement_id=engagement.pk,
        )
    with pytest.raises(NotFound):
        engagement_end(
            actor=world.outsider,
            organization=world.outsider_organization,
            engagement_id=engagement.pk,
        )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("status", "move", "code"),
    [
        (EngagementStatus.DECLINED, "accept", "engagement_not_requested"),
        (EngagementStatus.CANCELLED, "decline", "engagement_not_requested"),
        (EngagementStatus.ACCEPTED, "cancel", "engagement_not_requested"),
        (EngagementStatus.REQUESTED, "end", "engagement_not_accepted"),
        (EngagementStatus.ENDED, "accept", "engagement_not_requested"),
    ],
)
def test_illegal_engagement_moves_are_conflicts(status, move, code):
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor),
        requester=world.requester,
        status=status,
    )
    vendor_side = {"actor": world.vendor_owner, "organization": world.vendor_organization}
    requester_side = {"actor": world.requester_owner, "organization": world.requester}
    calls = {
        "accept": lambda: engagement_accept(**vendor_side, engagement_id=engagement.pk),
        "decline": lambda: engagement_decline(**vendor_side, engagement_id=engagement.pk),
        "cancel": lambda: engagement_cancel(**requester_side, engagement_id=engagement.pk),
        "end": lambda: engagement_end(**requester_side, engagement_id=engagement.pk),
    }
    before = snapshot()

    with pytest.raises(Conflict) as raised:
        calls[move]()

    assert raised.value.code == code
    assert snapshot() == before


def test_a_request_on_a_listing_suspended_since_cannot_be_accepted():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    engagement = EngagementFactory(listing=listing)
    listing.status = ListingStatus.SUSPENDED
    listing.save()

    with pytest.raises(Conflict) as raised:
        engagement_accept(
            actor=world.vendor_owner,
            organization=world.vendor_organization,
            engagement_id=engagement.pk,
        )

    assert raised.value.code == "listing_not_published"
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.REQUESTED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(5))
def test_two_vendor_admins_answering_at_once_one_wins(round_number):
    world = make_vendor_world()
    engagement = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))

    outcomes = run_at_once(
        lambda: engagement_accept(
            actor=world.vendor_owner,
            organization=world.vendor_organization,
            engagement_id=engagement.pk,
        ),
        lambda: engagement_decline(
            actor=world.vendor_admin,
            organization=world.vendor_organization,
            engagement_id=engagement.pk,
            reason="Busy.",
        ),
    )

    winners = [item for item in outcomes if isinstance(item, Engagement)]
    errors = [(type(item), item.code) for item in outcomes if isinstance(item, DomainError)]
    assert len(winners) == 1
    assert errors == [(Conflict, "engagement_not_requested")]
    engagement.refresh_from_db()
    assert engagement.status == winners[0].status
    assert EngagementEvent.objects.filter(engagement=engagement).count() == 1


# Ratings and turnaround.


def test_a_requester_rates_a_finished_job_once_and_the_listing_counts_it():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    engagement = AcceptedEngagementFactory(listing=listing, requester=world.requester)
    first = routed_job(world, engagement, status=JobStatus.COMPLETED)
    second = routed_job(world, engagement, status=JobStatus.STOPPED)

    vendor_rating_create(
        actor=world.requester_member,
        organization=world.requester,
        job_id=first.pk,
        score=5,
        comment="Great.",
    )
    vendor_rating_create(
        actor=world.requester_owner, organization=world.requester, job_id=second.pk, score=2
    )

    listing.refresh_from_db()
    assert (listing.rating_count, listing.rating_total, listing.rating_average) == (2, 7, 3.5)
    before = snapshot()
    with pytest.raises(Conflict) as raised:
        vendor_rating_create(
            actor=world.requester_owner, organization=world.requester, job_id=first.pk, score=1
        )
    assert raised.value.code == "already_rated"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("status", "routed", "code"),
    [
        (JobStatus.RUNNING, True, "job_not_finished"),
        (JobStatus.DRAFT, True, "job_not_finished"),
        (JobStatus.COMPLETED, False, "job_not_routed"),
    ],
)
def test_only_finished_routed_jobs_are_rated(status, routed, code):
    world = make_vendor_world()
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = (
        routed_job(world, engagement, status=status)
        if routed
        else LabelingJobFactory(organization=world.requester, status=status)
    )
    before = snapshot()

    with pytest.raises(Conflict) as raised:
        vendor_rating_create(
            actor=world.requester_owner, organization=world.requester, job_id=job.pk, score=4
        )

    assert raised.value.code == code
    assert snapshot() == before


def test_a_bad_score_and_another_organizations_job_are_refused():
    world = make_vendor_world()
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = routed_job(world, engagement, status=JobStatus.COMPLETED)

    with pytest.raises(InvalidInput) as raised:
        vendor_rating_create(
            actor=world.requester_owner, organization=world.requester, job_id=job.pk, score=6
        )
    assert raised.value.fields == {"score": ["Give a whole number from 1 to 5."]}
    for actor, organization in (
        (world.vendor_owner, world.vendor_organization),
        (world.outsider, world.requester),
    ):
        with pytest.raises(NotFound):
            vendor_rating_create(actor=actor, organization=organization, job_id=job.pk, score=5)
    assert not VendorRating.objects.exists()


def test_turnaround_is_measured_over_completed_jobs_against_the_promise():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor, turnaround_hours=48)
    other = PublishedListingFactory(vendor=world.vendor)
    engagement = AcceptedEngagementFactory(listing=listing, requester=world.requester)
    start = timezone.now() - timedelta(days=30)
    for hours in (10, 40, 50):
        routed_job(
            world,
            engagement,
            status=JobStatus.COMPLETED,
            launched_at=start,
            ended_at=start + timedelta(hours=hours),
        )
    routed_job(world, engagement, status=JobStatus.STOPPED, launched_at=start, ended_at=start)
    routed_job(world, engagement, status=JobStatus.RUNNING, launched_at=start)

    result = listing_turnarounds([listing, other])

    assert result[listing.pk].jobs_measured == 3
    assert result[listing.pk].median_hours == 40.0
    assert result[listing.pk].on_time_share == 0.6667
    assert result[other.pk].jobs_measured == 0
    assert result[other.pk].median_hours is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(3))
def test_two_members_requesting_the_same_engagement_at_once_make_one(round_number):
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    outcomes = run_at_once(
        lambda: request(world, listing, actor=world.requester_owner),
        lambda: request(world, listing, actor=world.requester_member),
    )

    errors = [(type(item), item.code) for item in outcomes if isinstance(item, DomainError)]
    assert errors == [(Conflict, "engagement_open")]
    assert Engagement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(3))
def test_two_ratings_of_one_job_at_once_count_once(round_number):
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    engagement = AcceptedEngagementFactory(listing=listing, requester=world.requester)
    job = routed_job(world, engagement, status=JobStatus.COMPLETED)

    outcomes = run_at_once(
        lambda: vendor_rating_create(
            actor=world.requester_owner, organization=world.requester, job_id=job.pk, score=5
        ),
        lambda: vendor_rating_create(
            actor=world.requester_member, organization=world.requester, job_id=job.pk, score=1
        ),
    )

    errors = [(type(item), item.code) for item in outcomes if isinstance(item, DomainError)]
    assert errors == [(Conflict, "already_rated")]
    listing.refresh_from_db()
    rating = VendorRating.objects.get()
    assert (listing.rating_count, listing.rating_total) == (1, rating.score)
