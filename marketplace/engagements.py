"""Writes of engagements (a requester hiring a vendor on a listing) and of vendor ratings.

Each transition locks the engagement row, refuses moves ENGAGEMENT_TRANSITIONS does not
allow, returns early when already done, and writes an EngagementEvent. Lock order: the
listing row (when requesting), then the engagement row; a rating locks the job row.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import LabelingJob
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import (
    ENGAGEMENT_TRANSITIONS,
    OPEN_ENGAGEMENT_STATUSES,
    Engagement,
    EngagementEvent,
    EngagementStatus,
    ListingStatus,
    Organization,
    User,
    VendorListing,
    VendorRating,
)
from marketplace.services import (
    instance_validate,
    manager_require,
    member_require,
    user_require_verified_email,
)
from marketplace.vendor_selectors import FINISHED_JOB_STATUSES

MAX_EXPECTED_OBJECTS = 100_000_000
MAX_REASON_LENGTH = 1024

ILLEGAL_MOVE = {
    EngagementStatus.ACCEPTED: (
        "engagement_not_requested",
        "Only a pending request can be accepted.",
    ),
    EngagementStatus.DECLINED: (
        "engagement_not_requested",
        "Only a pending request can be declined.",
    ),
    EngagementStatus.CANCELLED: (
        "engagement_not_requested",
        "Only a request the vendor has not answered can be cancelled.",
    ),
    EngagementStatus.ENDED: (
        "engagement_not_accepted",
        "Only an accepted engagement can be ended.",
    ),
}


def _event(engagement: Engagement, actor: User, from_status: str, reason: str = "") -> None:
    EngagementEvent.objects.create(
        engagement=engagement,
        actor=actor,
        from_status=from_status,
        to_status=engagement.status,
        reason=reason,
    )


def _lock_engagement(engagement_id, **filters) -> Engagement:
    try:
        return (
            Engagement.objects.select_for_update(of=("self",))
            .select_related("listing", "requester", "vendor__organization")
            .get(pk=int(engagement_id), **filters)
        )
    except (Engagement.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _move_allowed(engagement: Engagement, to_status: str) -> bool:
    """True to go ahead, False when already there; Conflict when the move is illegal."""
    if engagement.status == to_status:
        return False
    if to_status not in ENGAGEMENT_TRANSITIONS[EngagementStatus(engagement.status)]:
        code, message = ILLEGAL_MOVE[EngagementStatus(to_status)]
        raise Conflict(message, code=code)
    return True


def _reason_clean(reason) -> str:
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(fields={"reason": [f"At most {MAX_REASON_LENGTH} characters."]})
    return reason.strip()


@transaction.atomic
def engagement_request(
    *,
    actor: User,
    requester: Organization,
    listing_id,
    task_type: str,
    expected_objects: int,
    message: str = "",
) -> Engagement:
    """Ask a vendor, on one of its published listings, to label `expected_objects` of
    `task_type` at the listing's current price. Any member of the requester may ask."""
    user_require_verified_email(user=actor)
    member_require(actor=actor, organization_id=requester.pk)
    try:
        listing = (
            VendorListing.objects.select_for_update(of=("self",))
            .select_related("vendor__organization")
            .get(pk=int(listing_id), status=ListingStatus.PUBLISHED)
        )
    except (VendorListing.DoesNotExist, TypeError, ValueError):
        # A draft or suspended listing is not revealed to other organizations.
        raise NotFound() from None
    if listing.vendor.organization_id == requester.pk:
        raise Conflict(
            "An organization cannot engage itself on its own listing.", code="own_listing"
        )
    price = listing.prices.filter(task_type=task_type).first()
    if price is None:
        offered = ", ".join(f'"{row.task_type}"' for row in listing.prices.all())
        raise InvalidInput(
            fields={
                "task_type": [f"This listing does not offer that task type. It offers {offered}."]
            }
        )
    if (
        isinstance(expected_objects, bool)
        or not isinstance(expected_objects, int)
        or not listing.minimum_order_objects <= expected_objects <= MAX_EXPECTED_OBJECTS
    ):
        raise InvalidInput(
            fields={
                "expected_objects": [
                    f"Order at least {listing.minimum_order_objects} objects, the listing's "
                    "minimum."
                ]
            }
        )
    engagement = Engagement(
        listing=listing,
        requester=requester,
        vendor=listing.vendor,
        task_type=task_type,
        price_per_object=price.price_per_object,
        currency=price.currency,
        expected_objects=expected_objects,
        message=(message or "").strip(),
        requested_by=actor,
    )
    instance_validate(instance=engagement, fields=["message"])
    open_exists = Engagement.objects.filter(
        listing=listing,
        requester=requester,
        task_type=task_type,
        status__in=OPEN_ENGAGEMENT_STATUSES,
    ).exists()
    conflict = Conflict(
        "Your organization already has an open engagement on this listing for this task type.",
        code="engagement_open",
    )
    if open_exists:
        raise conflict
    try:
        with transaction.atomic():
            engagement.save(force_insert=True)
    except IntegrityError:  # a concurrent request of the same organization won
        raise conflict from None
    _event(engagement, actor, "")
    return engagement


def _respond(
    *, actor: User, organization: Organization, engagement_id, to_status: str, reason: str = ""
) -> Engagement:
    engagement = _lock_engagement(engagement_id, vendor__organization=organization)
    manager_require(actor=actor, organization=organization)
    if not _move_allowed(engagement, to_status):
        return engagement
    if (
        to_status == EngagementStatus.ACCEPTED
        and engagement.listing.status != ListingStatus.PUBLISHED
    ):
        raise Conflict(
            "The listing is no longer published; publish it again before accepting.",
            code="listing_not_published",
        )
    from_status = engagement.status
    engagement.status = to_status
    engagement.responded_by = actor
    engagement.responded_at = timezone.now()
    engagement.response_reason = reason
    engagement.save(
        update_fields=["status", "responded_by", "responded_at", "response_reason", "updated_at"]
    )
    _event(engagement, actor, from_status, reason)
    return engagement


@transaction.atomic
def engagement_accept(*, actor: User, organization: Organization, engagement_id) -> Engagement:
    """The vendor (its owners and admins) takes the request on; the requester's jobs of
    its task type may then target the vendor's workforce."""
    return _respond(
        actor=actor,
        organization=organization,
        engagement_id=engagement_id,
        to_status=EngagementStatus.ACCEPTED,
    )


@transaction.atomic
def engagement_decline(
    *, actor: User, organization: Organization, engagement_id, reason: str = ""
) -> Engagement:
    """The vendor turns the request down, optionally saying why."""
    reason = _reason_clean(reason)
    return _respond(
        actor=actor,
        organization=organization,
        engagement_id=engagement_id,
        to_status=EngagementStatus.DECLINED,
        reason=reason,
    )


@transaction.atomic
def engagement_cancel(*, actor: User, organization: Organization, engagement_id) -> Engagement:
    """The requester (any member) withdraws a request the vendor has not answered."""
    engagement = _lock_engagement(engagement_id, requester=organization)
    member_require(actor=actor, organization_id=organization.pk)
    if not _move_allowed(engagement, EngagementStatus.CANCELLED):
        return engagement
    from_status = engagement.status
    engagement.status = EngagementStatus.CANCELLED
    engagement.save(update_fields=["status", "updated_at"])
    _event(engagement, actor, from_status)
    return engagement


@transaction.atomic
def engagement_end(
    *, actor: User, organization: Organization, engagement_id, reason: str = ""
) -> Engagement:
    """Either side ends an accepted engagement: the requester (any member) or the vendor
    (owners and admins). Jobs already running through it finish; no new ones start."""
    reason = _reason_clean(reason)
    try:
        engagement_pk = int(engagement_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    engagement = Engagement.objects.filter(pk=engagement_pk).values_list(
        "requester_id", "vendor__organization_id"
    )
    sides = engagement.first()
    if sides is None or organization.pk not in sides:
        raise NotFound()
    engagement = _lock_engagement(engagement_pk)
    if organization.pk == engagement.requester_id:
        member_require(actor=actor, organization_id=organization.pk)
    else:
        manager_require(actor=actor, organization=organization)
    if not _move_allowed(engagement, EngagementStatus.ENDED):
        return engagement
    from_status = engagement.status
    engagement.status = EngagementStatus.ENDED
    engagement.ended_at = timezone.now()
    engagement.save(update_fields=["status", "ended_at", "updated_at"])
    _event(engagement, actor, from_status, reason)
    return engagement


# Ratings.


@transaction.atomic
def vendor_rating_create(
    *, actor: User, organization: Organization, job_id, score: int, comment: str = ""
) -> VendorRating:
    """A requester member rates the vendor's work on one finished job routed through an
    engagement, once; the listing's rating counters move in the same transaction."""
    member_require(actor=actor, organization_id=organization.pk)
    try:
        job = LabelingJob.objects.select_for_update(of=("self",)).get(
            pk=int(job_id), organization=organization
        )
    except (LabelingJob.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if job.engagement_id is None:
        raise Conflict("This job was not routed to a vendor.", code="job_not_routed")
    if VendorRating.objects.filter(job=job).exists():
        raise Conflict("This job's vendor has already been rated.", code="already_rated")
    if job.status not in FINISHED_JOB_STATUSES:
        raise Conflict(
            "Rate the vendor once the job has completed or been stopped.",
            code="job_not_finished",
        )
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(fields={"score": ["Give a whole number from 1 to 5."]})
    rating = VendorRating(
        engagement_id=job.engagement_id,
        job=job,
        score=score,
        comment=(comment or "").strip(),
        rated_by=actor,
    )
    instance_validate(instance=rating, fields=["comment"])
    rating.save(force_insert=True)
    listing_id = Engagement.objects.filter(pk=job.engagement_id).values("listing_id")
    VendorListing.objects.filter(pk__in=listing_id).update(
        rating_count=F("rating_count") + 1, rating_total=F("rating_total") + score
    )
    return rating
