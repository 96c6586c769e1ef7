"""Pages of the vendor marketplace: browsing listings and engaging a vendor; a vendor's
listings, its incoming requests and the jobs routed to it; a requester's engagements and
ratings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from jobs.tasktypes import task_type_choices
from marketplace import engagements, listings
from marketplace.exceptions import DomainError, NotFound
from marketplace.models import MANAGER_ROLES, EngagementStatus
from marketplace.pages.forms import (
    EngageForm,
    ListingFilterForm,
    ListingForm,
    ReasonForm,
    VendorRatingForm,
)
from marketplace.pages.views import _posted, _submit, domain_errors_as_pages
from marketplace.selectors import organization_access, organization_list, vendor_profile_get
from marketplace.vendor_selectors import (
    engagement_list,
    jobs_to_rate,
    listing_access,
    listing_browse,
    listing_events,
    listing_turnarounds,
    vendor_job_eligible_workers,
    vendor_job_list,
    vendor_listing_access,
    vendor_listing_list,
)

BROWSE_PAGE_SIZE = 20
LIST_PAGE_SIZE = 50


def _page(request, queryset, size: int):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _vendor_or_none(organization):
    try:
        return vendor_profile_get(organization=organization)
    except NotFound:
        return None


# Browsing.


def marketplace_browse(request):
    """Published listings, filtered by a GET form; open to anyone."""
    form = ListingFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    queryset = listing_browse(**filters) if not form.is_bound or form.is_valid() else None
    page = _page(request, queryset, BROWSE_PAGE_SIZE) if queryset is not None else None
    query = urlencode(
        [(key, value) for key, value in request.GET.items() if key != "page" and value]
    )
    return render(
        request,
        "vendors/browse.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "task_type_names": dict(task_type_choices()),
        },
        status=200 if page is not None else 400,
    )


def _engage_organizations(request, listing):
    """The user's organizations that may engage `listing`: all but the vendor's own."""
    if not request.user.is_authenticated:
        return []
    return [
        organization
        for organization in organization_list(actor=request.user).order_by("name")
        if organization.pk != listing.vendor.organization_id
    ]


def _listing_detail(request, listing, *, engage_form=None, status: int = 200):
    organizations = _engage_organizations(request, listing)
    if engage_form is None and organizations and listing.status == "published":
        engage_form = EngageForm(organizations=organizations, listing=listing)
    return render(
        request,
        "vendors/listing_detail.html",
        {
            "listing": listing,
            "turnaround": listing_turnarounds([listing])[listing.pk],
            "engage_form": engage_form,
            "task_type_names": dict(task_type_choices()),
        },
        status=status,
    )


@domain_errors_as_pages
def marketplace_listing(request, listing_id):
    """A published listing (or, for its vendor's members, one in any status)."""
    listing = listing_access(actor=request.user, listing_id=listing_id)
    return _listing_detail(request, listing)


@login_required
@require_POST
@domain_errors_as_pages
def marketplace_engage(request, listing_id):
    listing = listing_access(actor=request.user, listing_id=listing_id)
    organizations = _engage_organizations(request, listing)
    if not organizations:
        raise NotFound()
    form = EngageForm(request.POST, organizations=organizations, listing=listing)

    def call(data):
        requester, _membership = organization_access(
            actor=request.user, organization_id=data["organization"]
        )
        return engagements.engagement_request(
            actor=request.user,
            requester=requester,
            listing_id=listing.pk,
            task_type=data["task_type"],
            expected_objects=data["expected_objects"],
            message=data["message"],
        )

    status, engagement = _submit(form, call)
    if status is None:
        messages.success(request, f"Your request was sent to {listing.vendor.display_name}.")
        return redirect("organization_engagements", organization_id=engagement.requester_id)
    return _listing_detail(request, listing, engage_form=form, status=status)


# A vendor's listings.


def _vendor_access(request, organization_id, *, manage: bool):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id, manage=manage
    )
    return organization, membership, vendor_profile_get(organization=organization)


def _listings_url(organization) -> str:
    return reverse("vendor_listings", kwargs={"organization_id": organization.pk})


@login_required
@domain_errors_as_pages
def vendor_listings(request, organization_id):
    organization, membership, vendor = _vendor_access(request, organization_id, manage=False)
    return render(
        request,
        "vendors/listing_list.html",
        {
            "organization": organization,
            "vendor": vendor,
            "can_manage": membership.role in MANAGER_ROLES,
            "page": _page(request, vendor_listing_list(vendor=vendor), LIST_PAGE_SIZE),
            "task_type_names": dict(task_type_choices()),
        },
    )


def _listing_form_page(request, organization, *, listing=None):
    initial = ListingForm.initial_for(listing) if listing else {"currency": "USD"}
    form = ListingForm(_posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        vendor = vendor_profile_get(organization=organization)
        if listing is None:
            status, saved = _submit(
                form,
                lambda data: listings.listing_create(
                    actor=request.user, vendor=vendor, **form.service_fields()
                ),
            )
        else:
            status, saved = _submit(
                form,
                lambda data: listings.listing_update(
                    actor=request.user, listing=listing, **form.service_fields()
                ),
            )
        if status is None:
            messages.success(request, f"“{saved.title}” was saved.")
            return redirect(_listings_url(organization))
    return render(
        request,
        "vendors/listing_form.html",
        {
            "organization": organization,
            "listing": listing,
            "form": form,
            "events": listing_events(listing=listing)[:10] if listing else [],
        },
        status=status,
    )


@login_required
@domain_errors_as_pages
def vendor_listing_new(request, organization_id):
    organization, _membership, _vendor = _vendor_access(request, organization_id, manage=True)
    return _listing_form_page(request, organization)


@login_required
@domain_errors_as_pages
def vendor_listing_edit(request, organization_id, listing_id):
    organization, _membership, vendor = _vendor_access(request, organization_id, manage=True)
    listing = vendor_listing_access(vendor=vendor, listing_id=listing_id)
    return _listing_form_page(request, organization, listing=listing)


LISTING_ACTIONS = {
    "submit": (listings.listing_submit, "was sent for review"),
    "withdraw": (listings.listing_withdraw, "is back to draft"),
}


@login_required
@require_POST
@domain_errors_as_pages
def vendor_listing_action(request, organization_id, listing_id, action):
    if action not in LISTING_ACTIONS:
        raise Http404()
    organization, _membership, vendor = _vendor_access(request, organization_id, manage=True)
    listing = vendor_listing_access(vendor=vendor, listing_id=listing_id)
    service, done = LISTING_ACTIONS[action]
    try:
        service(actor=request.user, listing=listing)
    except DomainError as error:
        if error.status_code != 409:
            raise
        messages.error(request, error.message)
        return redirect(_listings_url(organization))
    messages.success(request, f"“{listing.title}” {done}.")
    return redirect(_listings_url(organization))


# Engagements (both sides) and ratings.


def _engagements_url(organization) -> str:
    return reverse("organization_engagements", kwargs={"organization_id": organization.pk})


@login_required
@domain_errors_as_pages
def organization_engagements(request, organization_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    vendor = _vendor_or_none(organization)
    incoming = (
        list(engagement_list(organization=organization, role="vendor")[:LIST_PAGE_SIZE])
        if vendor
        else []
    )
    return render(
        request,
        "vendors/engagements.html",
        {
            "organization": organization,
            "vendor": vendor,
            "can_manage": membership.role in MANAGER_ROLES,
            "incoming": incoming,
            "outgoing": engagement_list(organization=organization, role="requester")[
                :LIST_PAGE_SIZE
            ],
            "to_rate": jobs_to_rate(organization=organization)[:LIST_PAGE_SIZE],
            "rating_form": VendorRatingForm(),
            "decline_form": ReasonForm(),
            "statuses": EngagementStatus,
        },
    )


ENGAGEMENT_ACTIONS = {
    "accept": (engagements.engagement_accept, "accepted", False),
    "decline": (engagements.engagement_decline, "declined", True),
    "cancel": (engagements.engagement_cancel, "cancelled", False),
    "end": (engagements.engagement_end, "ended", True),
}


@login_required
@require_POST
@domain_errors_as_pages
def engagement_action(request, organization_id, engagement_id, action):
    if action not in ENGAGEMENT_ACTIONS:
        raise Http404()
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    service, done, takes_reason = ENGAGEMENT_ACTIONS[action]
    extra = {}
    if takes_reason:
        form = ReasonForm(request.POST)
        extra["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        engagement = service(
            actor=request.user, organization=organization, engagement_id=engagement_id, **extra
        )
    except DomainError as error:
        if error.status_code not in (400, 409):
            raise
        messages.error(request, error.message)
        return redirect(_engagements_url(organization))
    messages.success(
        request, f"The engagement with {_other_side(engagement, organization)} {done}."
    )
    return redirect(_engagements_url(organization))


def _other_side(engagement, organization) -> str:
    if engagement.requester_id == organization.pk:
        return engagement.vendor.display_name
    return engagement.requester.name


@login_required
@require_POST
@domain_errors_as_pages
def vendor_rating_page(request, organization_id, job_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    form = VendorRatingForm(request.POST)
    status, _rating = _submit(
        form,
        lambda data: engagements.vendor_rating_create(
            actor=request.user,
            organization=organization,
            job_id=job_id,
            score=data["score"],
            comment=data["comment"],
        ),
    )
    if status is None:
        messages.success(request, "Thank you: the vendor's rating was recorded.")
    else:
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, " ".join(errors))
    return redirect(_engagements_url(organization))


# Jobs routed to the vendor.


@login_required
@domain_errors_as_pages
def vendor_jobs(request, organization_id):
    organization, _membership, vendor = _vendor_access(request, organization_id, manage=True)
    page = _page(request, vendor_job_list(organization=organization), LIST_PAGE_SIZE)
    rows = [{"job": job, "workers": list(vendor_job_eligible_workers(job=job))} for job in page]
    return render(
        request,
        "vendors/vendor_jobs.html",
        {"organization": organization, "vendor": vendor, "page": page, "rows": rows},
    )
