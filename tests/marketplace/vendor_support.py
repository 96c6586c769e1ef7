"""Helpers shared by the vendor marketplace tests: a vendor, a requester, an outsider.

It holds no tests itself.
"""

from types import SimpleNamespace

from marketplace.models import MembershipRole, VendorListing
from tests.marketplace.api_support import iso, organization_with_owner
from tests.marketplace.factories import MembershipFactory, UserFactory, VendorProfileFactory

LISTING_BODY = {
    "title": "Medical image classification",
    "description": "Radiology-trained labelers.",
    "prices": [
        {"task_type": "image-classification", "price_per_object": "0.0800"},
        {"task_type": "text-classification", "price_per_object": "0.0250"},
    ],
    "minimum_order_objects": 500,
    "turnaround_hours": 72,
    "capacity_objects_per_day": 20000,
    "languages": ["en", "de"],
    "sample_outputs": [
        {"title": "Chest X-rays", "description": "Two classes.", "url": "https://example.com/x"}
    ],
}


def make_vendor_world() -> SimpleNamespace:
    """A vendor organization (owner, admin, member, profile), a requester organization
    (owner, member) and an outsider with an organization of their own; plus staff."""
    vendor_organization, vendor_owner = organization_with_owner(name="LabelCo")
    vendor_admin = MembershipFactory(
        organization=vendor_organization, role=MembershipRole.ADMIN
    ).user
    vendor_member = MembershipFactory(
        organization=vendor_organization, role=MembershipRole.MEMBER
    ).user
    vendor = VendorProfileFactory(organization=vendor_organization, display_name="LabelCo")
    requester, requester_owner = organization_with_owner(name="Acme Vision")
    requester_member = MembershipFactory(organization=requester, role=MembershipRole.MEMBER).user
    outsider_organization, outsider = organization_with_owner(name="Elsewhere")
    staff = UserFactory(is_staff=True)
    return SimpleNamespace(
        vendor_organization=vendor_organization,
        vendor_owner=vendor_owner,
        vendor_admin=vendor_admin,
        vendor_member=vendor_member,
        vendor=vendor,
        requester=requester,
        requester_owner=requester_owner,
        requester_member=requester_member,
        outsider_organization=outsider_organization,
        outsider=outsider,
        staff=staff,
    )


def listing_body(listing: VendorListing, *, turnaround: dict | None = None) -> dict:
    """A listing as the API renders it."""
    listing.refresh_from_db()
    vendor = listing.vendor
    average = listing.rating_average
    return {
        "id": listing.pk,
        "vendor": {
            "organization_id": vendor.organization_id,
            "display_name": vendor.display_name,
            "website": vendor.website,
            "certifications": vendor.certifications,
        },
        "title": listing.title,
        "description": listing.description,
        "status": listing.status,
        "status_reason": listing.status_reason,
        "prices": [
            {
                "task_type": price.task_type,
                "price_per_object": f"{price.price_per_object:.4f}",
                "currency": price.currency,
            }
            for price in listing.prices.order_by("task_type")
        ],
        "minimum_order_objects": listing.minimum_order_objects,
        "turnaround_hours": listing.turnaround_hours,
        "capacity_objects_per_day": listing.capacity_objects_per_day,
        "languages": listing.languages,
        "sample_outputs": listing.sample_outputs,
        "rating": {
            "count": listing.rating_count,
            "average": round(average, 2) if average is not None else None,
        },
        "turnaround": turnaround
        or {
            "promised_hours": listing.turnaround_hours,
            "jobs_measured": 0,
            "median_hours": None,
            "on_time_share": None,
        },
        "published_at": iso(listing.published_at),
        "created_at": iso(listing.created_at),
        "updated_at": iso(listing.updated_at),
    }


def engagement_body(engagement) -> dict:
    engagement.refresh_from_db()
    return {
        "id": engagement.pk,
        "listing": {"id": engagement.listing_id, "title": engagement.listing.title},
        "requester": {"id": engagement.requester_id, "name": engagement.requester.name},
        "vendor": {
            "organization_id": engagement.vendor.organization_id,
            "display_name": engagement.vendor.display_name,
        },
        "task_type": engagement.task_type,
        "price_per_object": f"{engagement.price_per_object:.4f}",
        "currency": engagement.currency,
        "expected_objects": engagement.expected_objects,
        "message": engagement.message,
        "status": engagement.status,
        "response_reason": engagement.response_reason,
        "responded_at": iso(engagement.responded_at),
        "ended_at": iso(engagement.ended_at),
        "created_at": iso(engagement.created_at),
        "updated_at": iso(engagement.updated_at),
    }
