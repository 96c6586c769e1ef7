"""Reads of the vendor marketplace: browsing published listings, a vendor's own listings,
engagements from either side, jobs routed to a vendor, ratings and turnaround."""

import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from jobs.models import JobStatus, LabelingJob
from marketplace.exceptions import NotFound
from marketplace.models import (
    Engagement,
    ListingStatus,
    Membership,
    Organization,
    User,
    VendorListing,
    VendorListingPrice,
    VendorProfile,
    VendorRating,
)

# Job statuses after which a requester may rate the vendor's work on the job.
FINISHED_JOB_STATUSES = (JobStatus.COMPLETED, JobStatus.STOPPED)
# Browse orderings, by name: the first field also positions the API's cursor.
LISTING_ORDERINGS = {
    "newest": ("-published_at", "-id"),
    "price": ("sort_price", "id"),
    "-price": ("-sort_price", "-id"),
    "rating": ("-sort_rating", "-id"),
}
DEFAULT_LISTING_ORDERING = "newest"


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _listings() -> QuerySet[VendorListing]:
    return VendorListing.objects.select_related("vendor__organization").prefetch_related(
        Prefetch("prices", queryset=VendorListingPrice.objects.order_by("task_type"))
    )


# Listings.


def listing_browse(
    *,
    task_type: str | None = None,
    language: str | None = None,
    max_price: Decimal | None = None,
    min_rating: Decimal | None = None,
    q: str | None = None,
    ordering: str = DEFAULT_LISTING_ORDERING,
) -> QuerySet[VendorListing]:
    """Published listings matching the filters, in one query plus one for the prices.

    `max_price` bounds the price of `task_type` if given, else any of the listing's prices;
    `min_rating` is the lowest average rating (unrated listings never match it). Each row
    carries `sort_price` (its lowest matching price) and `sort_rating` (average × 10000,
    -1 when unrated) so that the orderings and the API's cursor work on exact values.
    """
    prices = VendorListingPrice.objects.filter(listing=OuterRef("pk"))
    if task_type:
        prices = prices.filter(task_type=task_type)
    queryset = _listings().filter(status=ListingStatus.PUBLISHED)
    if task_type:
        queryset = queryset.filter(Exists(prices))
    if max_price is not None:
        queryset = queryset.filter(Exists(prices.filter(price_per_object__lte=max_price)))
    if language:
        if connection.features.supports_json_field_contains:
            queryset = queryset.filter(languages__contains=[language])
        else:  # SQLite (the demo): match the quoted tag in the JSON text
            queryset = queryset.filter(languages__icontains=f'"{language}"')
    if min_rating is not None:
        queryset = queryset.filter(
            rating_count__gt=0, rating_total__gte=F("rating_count") * min_rating
        )
    if q:
        queryset = queryset.filter(
            Q(title__icontains=q)
            | Q(description__icontains=q)
            | Q(vendor__display_name__icontains=q)
        )
    lowest = prices.order_by("price_per_object").values("price_per_object")[:1]
    queryset = queryset.annotate(
        sort_price=Subquery(lowest),
        sort_rating=Case(
            When(rating_count=0, then=Value(-1)),
            default=Cast(F("rating_total") * 10000 / F("rating_count"), IntegerField()),
            output_field=IntegerField(),
        ),
    )
    return queryset.order_by(*LISTING_ORDERINGS.get(ordering, LISTING_ORDERINGS["newest"]))


def listing_access(
    *, actor: User | None, listing_id, only: Organization | None = None
) -> VendorListing:
    """A listing anyone may see once published; before that (or once suspended) only the
    vendor's own members, else NotFound. `only` bounds an API-key request to its
    organization's view."""
    listing = _listings().filter(pk=_pk(listing_id)).first()
    if listing is None:
        raise NotFound()
    if listing.status == ListingStatus.PUBLISHED:
        return listing
    organization_id = listing.vendor.organization_id
    is_member = (
        actor is not None
        and actor.is_authenticated
        and (only is None or only.pk == organization_id)
        and Membership.objects.filter(user=actor, organization_id=organization_id).exists()
    )
    if not is_member:
        raise NotFound()
    return listing


def vendor_listing_list(*, vendor: VendorProfile) -> QuerySet[VendorListing]:
    """All of a vendor's listings, whatever their status, newest first (its members see
    them; the caller has checked membership)."""
    return _listings().filter(vendor=vendor).order_by("-created_at", "-id")


def vendor_listing_access(*, vendor: VendorProfile, listing_id) -> VendorListing:
    try:
        return vendor_listing_list(vendor=vendor).get(pk=_pk(listing_id))
    except VendorListing.DoesNotExist:
        raise NotFound() from None


def listing_events(*, listing: VendorListing):
    return listing.events.select_related("actor").order_by("-created_at", "-id")


# Turnaround and ratings.


@dataclass(frozen=True)
class Turnaround:
    """How a listing's vendor kept its promise, over the jobs finished through it."""

    promised_hours: int
    jobs_measured: int
    median_hours: float | None
    on_time_share: float | None


def listing_turnarounds(listings) -> dict[int, Turnaround]:
    """Turnaround of each listing, in one query: over its completed jobs (through its
    engagements), hours from launch to end, their median and the share within the
    promised hours."""
    listings = list(listings)
    durations: dict[int, list[float]] = {listing.pk: [] for listing in listings}
    if listings:
        rows = LabelingJob.objects.filter(
            engagement__listing_id__in=list(durations),
            status=JobStatus.COMPLETED,
            launched_at__isnull=False,
            ended_at__isnull=False,
        ).values_list("engagement__listing_id", "launched_at", "ended_at")
        for listing_id, launched_at, ended_at in rows:
            durations[listing_id].append((ended_at - launched_at).total_seconds() / 3600)
    result = {}
    for listing in listings:
        hours = durations[listing.pk]
        on_time = sum(1 for value in hours if value <= listing.turnaround_hours)
        result[listing.pk] = Turnaround(
            promised_hours=listing.turnaround_hours,
            jobs_measured=len(hours),
            median_hours=round(statistics.median(hours), 2) if hours else None,
            on_time_share=round(on_time / len(hours), 4) if hours else None,
        )
    return result


def vendor_rating_get(*, job: LabelingJob) -> VendorRating:
    rating = VendorRating.objects.filter(job=job).select_related("rated_by").first()
    if rating is None:
        raise NotFound("This job has not been rated.")
    return rating


def organization_job_access(*, organization: Organization, job_id) -> LabelingJob:
    """A job of `organization` (the requester), or NotFound."""
    job = (
        LabelingJob.objects.select_related("engagement__listing", "engagement__vendor")
        .filter(pk=_pk(job_id), organization=organization)
        .first()
    )
    if job is None:
        raise NotFound()
    return job


def jobs_to_rate(*, organization: Organization) -> QuerySet[LabelingJob]:
    """The organization's finished jobs routed through a vendor and not rated yet."""
    return (
        LabelingJob.objects.filter(
            organization=organization,
            engagement__isnull=False,
            status__in=FINISHED_JOB_STATUSES,
            vendor_rating__isnull=True,
        )
        .select_related("engagement__vendor", "engagement__listing")
        .order_by("-ended_at", "-id")
    )


# Engagements.


def engagement_list(*, organization: Organization, role: str | None = None) -> QuerySet:
    """Engagements the organization asked for (role "requester"), received as a vendor
    (role "vendor"), or both; newest first."""
    sides = {
        "requester": Q(requester=organization),
        "vendor": Q(vendor__organization=organization),
    }
    condition = sides[role] if role else sides["requester"] | sides["vendor"]
    return (
        Engagement.objects.filter(condition)
        .select_related("listing", "requester", "vendor__organization")
        .order_by("-created_at", "-id")
    )


def engagement_access(*, organization: Organization, engagement_id) -> Engagement:
    """An engagement on either side of which `organization` stands, or NotFound."""
    try:
        return engagement_list(organization=organization).get(pk=_pk(engagement_id))
    except Engagement.DoesNotExist:
        raise NotFound() from None


# Jobs routed to a vendor.


def vendor_job_list(*, organization: Organization) -> QuerySet[LabelingJob]:
    """Jobs other organizations routed to `organization`'s vendor workforce through an
    engagement, newest first. Callers show only the job's settings and counters: the
    requester's data objects and answers stay out of reach."""
    return (
        LabelingJob.objects.filter(engagement__vendor__organization=organization)
        .select_related("organization", "engagement")
        .order_by("-created_at", "-id")
    )


def vendor_job_eligible_workers(*, job: LabelingJob):
    """The vendor's workers who may do `job` (the one eligibility rule of workforce/)."""
    from workforce.eligibility import workers_eligible_for_job

    return workers_eligible_for_job(job=job)
