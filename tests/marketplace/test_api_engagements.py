"""Engagements, ratings and routed jobs through the API."""

import pytest

from jobs.models import JobStatus
from marketplace.models import Engagement, EngagementStatus, ListingStatus, VendorRating
from tests.jobs.factories import LabelingJobFactory, RunningJobFactory
from tests.marketplace.api_support import (
    NOT_FOUND,
    NOT_MANAGER,
    error,
    iso,
    session_client,
    snapshot,
)
from tests.marketplace.factories import (
    AcceptedEngagementFactory,
    EngagementFactory,
    PublishedListingFactory,
    VendorListingFactory,
)
from tests.marketplace.vendor_support import engagement_body, make_vendor_world
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import Workforce, WorkforceKind, WorkforceMember

pytestmark = pytest.mark.django_db


def url(organization, *parts) -> str:
    suffix = "".join(f"{part}/" for part in parts)
    return f"/api/v1/organizations/{organization.pk}/engagements/{suffix}"


def rating_url(organization, job) -> str:
    return f"/api/v1/organizations/{organization.pk}/jobs/{job.pk}/vendor-rating/"


def test_a_member_requests_an_engagement():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    response = session_client(world.requester_member).post(
        url(world.requester),
        {
            "listing": listing.pk,
            "task_type": "image-classification",
            "expected_objects": 2000,
            "message": "Dogs and cats.",
        },
        format="json",
    )

    assert response.status_code == 201
    engagement = Engagement.objects.get()
    assert response.json() == engagement_body(engagement)
    assert response.json()["status"] == "requested"
    assert response.json()["price_per_object"] == "0.0800"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"task_type": "image-classification", "expected_objects": 10},
            400,
            error(
                "invalid",
                "The request has invalid fields.",
                {"expected_objects": ["Order at least 100 objects, the listing's minimum."]},
            ),
        ),
        (
            {"task_type": "poetry", "expected_objects": 1000},
            400,
            error(
                "invalid",
                "The request has invalid fields.",
                {"task_type": ['"poetry" is not a valid choice.']},
            ),
        ),
        (
            {"task_type": "image-classification", "expected_objects": 0},
            400,
            error(
                "invalid",
                "The request has invalid fields.",
                {"expected_objects": ["Ensure this value is greater than or equal to 1."]},
            ),
        ),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(body, status, expected):
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    client = session_client(world.requester_member)
    before = snapshot()

    response = client.post(url(world.requester), {"listing": listing.pk, **body}, format="json")

    assert (response.status_code, response.json()) == (status, expected)
    assert snapshot() == before


@pytest.mark.parametrize("status", [ListingStatus.DRAFT, ListingStatus.SUSPENDED])
def test_engaging_an_unpublished_listing_is_a_404(status):
    world = make_vendor_world()
    listing = VendorListingFactory(vendor=world.vendor, status=status)
    client = session_client(world.requester_member)
    before = snapshot()

    response = client.post(
        url(world.requester),
        {"listing": listing.pk, "task_type": "image-classification", "expected_objects": 500},
        format="json",
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot() == before


def test_engaging_your_own_listing_is_a_409():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)

    response = session_client(world.vendor_owner).post(
        url(world.vendor_organization),
        {"listing": listing.pk, "task_type": "image-classification", "expected_objects": 500},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(
        "own_listing", "An organization cannot engage itself on its own listing."
    )


def test_each_side_lists_its_engagements_by_role():
    world = make_vendor_world()
    incoming = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    EngagementFactory()  # someone else's
    vendor_client = session_client(world.vendor_member)
    requester_client = session_client(world.requester_member)

    as_vendor = vendor_client.get(url(world.vendor_organization), {"role": "vendor"})
    as_requester = vendor_client.get(url(world.vendor_organization), {"role": "requester"})
    outgoing = requester_client.get(url(world.requester))

    assert as_vendor.json() == {
        "next": None,
        "previous": None,
        "results": [engagement_body(incoming)],
    }
    assert as_requester.json()["results"] == []
    assert outgoing.json()["results"] == [engagement_body(incoming)]
    bad = requester_client.get(url(world.requester), {"role": "boss"})
    assert bad.status_code == 400
    assert bad.json() == error(
        "invalid", "The request has invalid fields.", {"role": ['"boss" is not a valid choice.']}
    )


def test_the_vendor_accepts_and_the_requester_reads_it():
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )

    accepted = session_client(world.vendor_admin).post(
        url(world.vendor_organization, engagement.pk, "accept")
    )
    read = session_client(world.requester_member).get(url(world.requester, engagement.pk))

    assert accepted.status_code == 200
    assert accepted.json() == engagement_body(engagement)
    assert accepted.json()["status"] == "accepted"
    assert read.json() == accepted.json()


def test_the_vendor_declines_with_a_reason():
    world = make_vendor_world()
    engagement = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))

    response = session_client(world.vendor_owner).post(
        url(world.vendor_organization, engagement.pk, "decline"),
        {"reason": "No capacity in May."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["response_reason"] == "No capacity in May."
    assert response.json() == engagement_body(engagement)


def test_a_plain_vendor_member_cannot_accept():
    world = make_vendor_world()
    engagement = EngagementFactory(listing=PublishedListingFactory(vendor=world.vendor))
    client = session_client(world.vendor_member)
    before = snapshot()

    response = client.post(url(world.vendor_organization, engagement.pk, "accept"))

    assert (response.status_code, response.json()) == (403, NOT_MANAGER)
    assert snapshot() == before


def test_accepting_someone_elses_engagement_is_a_404():
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    requester_client = session_client(world.requester_owner)
    outsider_client = session_client(world.outsider)
    before = snapshot()

    own_request = requester_client.post(url(world.requester, engagement.pk, "accept"))
    foreign = outsider_client.post(url(world.outsider_organization, engagement.pk, "accept"))
    foreign_read = outsider_client.get(url(world.outsider_organization, engagement.pk))
    not_member = outsider_client.post(url(world.vendor_organization, engagement.pk, "accept"))

    for response in (own_request, foreign, foreign_read, not_member):
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot() == before


def test_cancel_then_accept_is_a_409():
    world = make_vendor_world()
    engagement = EngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )

    cancelled = session_client(world.requester_member).post(
        url(world.requester, engagement.pk, "cancel")
    )
    client = session_client(world.vendor_owner)
    before = snapshot()
    late = client.post(url(world.vendor_organization, engagement.pk, "accept"))

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert late.status_code == 409
    assert late.json() == error(
        "engagement_not_requested", "Only a pending request can be accepted."
    )
    assert snapshot() == before


def test_either_side_ends_an_accepted_engagement():
    world = make_vendor_world()
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )

    response = session_client(world.vendor_owner).post(
        url(world.vendor_organization, engagement.pk, "end"), {"reason": "Done."}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == engagement_body(engagement)
    assert response.json()["status"] == EngagementStatus.ENDED


# Ratings.


def test_a_requester_rates_a_completed_job_and_reads_the_rating():
    world = make_vendor_world()
    listing = PublishedListingFactory(vendor=world.vendor)
    engagement = AcceptedEngagementFactory(listing=listing, requester=world.requester)
    job = LabelingJobFactory(
        organization=world.requester, engagement=engagement, status=JobStatus.COMPLETED
    )
    client = session_client(world.requester_member)

    created = client.post(
        rating_url(world.requester, job), {"score": 4, "comment": "Fast."}, format="json"
    )
    read = client.get(rating_url(world.requester, job))

    rating = VendorRating.objects.get()
    expected = {
        "job": job.pk,
        "engagement": engagement.pk,
        "score": 4,
        "comment": "Fast.",
        "created_at": iso(rating.created_at),
    }
    assert (created.status_code, created.json()) == (201, expected)
    assert (read.status_code, read.json()) == (200, expected)
    listing.refresh_from_db()
    assert (listing.rating_count, listing.rating_total) == (1, 4)


def test_rating_twice_or_a_running_job_is_a_409_and_a_bad_score_a_400():
    world = make_vendor_world()
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    done = LabelingJobFactory(
        organization=world.requester, engagement=engagement, status=JobStatus.COMPLETED
    )
    running = LabelingJobFactory(
        organization=world.requester, engagement=engagement, status=JobStatus.RUNNING
    )
    client = session_client(world.requester_owner)
    assert client.post(rating_url(world.requester, done), {"score": 5}).status_code == 201
    before = snapshot()

    twice = client.post(rating_url(world.requester, done), {"score": 1})
    early = client.post(rating_url(world.requester, running), {"score": 3})
    bad = client.post(rating_url(world.requester, running), {"score": 0})
    unrated = client.get(rating_url(world.requester, running))

    assert (twice.status_code, twice.json()) == (
        409,
        error("already_rated", "This job's vendor has already been rated."),
    )
    assert (early.status_code, early.json()) == (
        409,
        error("job_not_finished", "Rate the vendor once the job has completed or been stopped."),
    )
    assert (bad.status_code, bad.json()) == (
        400,
        error(
            "invalid",
            "The request has invalid fields.",
            {"score": ["Ensure this value is greater than or equal to 1."]},
        ),
    )
    assert (unrated.status_code, unrated.json()) == (
        404,
        error("not_found", "This job has not been rated."),
    )
    assert snapshot() == before


def test_the_vendor_cannot_rate_or_see_the_requesters_job_ratings():
    world = make_vendor_world()
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = LabelingJobFactory(
        organization=world.requester, engagement=engagement, status=JobStatus.COMPLETED
    )
    client = session_client(world.vendor_owner)

    response = client.post(rating_url(world.vendor_organization, job), {"score": 5})

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not VendorRating.objects.exists()


# Jobs routed to the vendor.


def test_vendor_managers_see_routed_jobs_with_their_eligible_workers_and_nothing_more():
    world = make_vendor_world()
    workforce = Workforce.objects.create(
        kind=WorkforceKind.VENDOR, organization=world.vendor_organization, name="LabelCo team"
    )
    in_team = WorkerProfileFactory(display_name="Ann")
    WorkforceMember.objects.create(workforce=workforce, worker=in_team)
    WorkerProfileFactory(display_name="Not in the team")
    engagement = AcceptedEngagementFactory(
        listing=PublishedListingFactory(vendor=world.vendor), requester=world.requester
    )
    job = RunningJobFactory(
        organization=world.requester,
        engagement=engagement,
        workforce=workforce,
        total_objects=100,
        human_labeled=40,
    )
    LabelingJobFactory(organization=world.requester)  # not routed to the vendor

    response = session_client(world.vendor_admin).get(
        f"/api/v1/organizations/{world.vendor_organization.pk}/vendor-jobs/"
    )

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": job.pk,
                "name": job.name,
                "title": job.title,
                "task_type": "image-classification",
                "status": "running",
                "requester": {"id": world.requester.pk, "name": "Acme Vision"},
                "engagement": engagement.pk,
                "total_objects": 100,
                "human_labeled": 40,
                "machine_labeled": 0,
                "failed_objects": 0,
                "open_hits": 0,
                "launched_at": iso(job.launched_at),
                "ended_at": None,
                "created_at": iso(job.created_at),
                "eligible_workers": [{"worker_id": in_team.worker_id, "display_name": "Ann"}],
            }
        ],
    }


def test_routed_jobs_are_for_the_vendors_managers_only():
    world = make_vendor_world()
    path = "/api/v1/organizations/{}/vendor-jobs/"

    member = session_client(world.vendor_member).get(path.format(world.vendor_organization.pk))
    outsider = session_client(world.outsider).get(path.format(world.vendor_organization.pk))
    not_vendor = session_client(world.requester_owner).get(path.format(world.requester.pk))

    assert (member.status_code, member.json()) == (403, NOT_MANAGER)
    assert (outsider.status_code, outsider.json()) == (404, NOT_FOUND)
    assert (not_vendor.status_code, not_vendor.json()) == (
        404,
        error("not_found", "This organization has no vendor profile."),
    )
