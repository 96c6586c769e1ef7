"""The vendor marketplace in a real browser (issue 4's acceptance test): a vendor publishes
a listing, staff approves it, a requester engages the vendor and targets a job at it, and a
vendor worker completes a HIT. Each person has their own browser context; every step is
done on the pages. A public-crowd worker never sees the routed job."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from jobs.models import Assignment, AssignmentStatus, LabelingJob
from jobs.services.jobs import job_launch
from marketplace.models import Engagement, EngagementStatus, ListingStatus, VendorListing
from marketplace.services import vendor_profile_create
from tests.browser.test_labeling import SCREENSHOTS, SUBMIT, label_with_keys, log_in, png_of_digit
from tests.browser.test_walkthrough import link_in, totp_code
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory, UserFactory
from workforce.models import Workforce, WorkforceKind, WorkforceMember
from workforce.services import worker_profile_create

PASSWORD = "correct horse battery staple"  # UserFactory's
LISTING_TITLE = "Handwritten digit classification"
JOB_TITLE = "Which digit is it"
CROWD_JOB_TITLE = "Is it a sentence"


def status_of(page, title: str):
    """The status cell of the listing `title` on the vendor's listings page."""
    return page.locator("tr", has_text=title).locator("td").nth(2)


@pytest.fixture
def new_page(browser):
    """Pages in browser contexts of their own (one per person), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_a_vendor_worker_completes_a_hit_of_a_job_routed_through_an_engagement(
    new_page, live_server, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    vendor_org = OrganizationFactory(name="LabelWorks Ltd")
    owner = requester_of(vendor_org, role="owner")
    vendor_profile_create(
        actor=owner,
        organization=vendor_org,
        display_name="LabelWorks",
        contact_email="sales@labelworks.example.com",
    )
    vendor_workforce = Workforce.objects.get(kind=WorkforceKind.VENDOR, organization=vendor_org)
    requester_org = OrganizationFactory(name="Acme Vision")
    requester = requester_of(requester_org)
    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    worker_user = UserFactory(email="ana@labelworks.example.com")
    crowd_worker = worker_profile_create(actor=UserFactory(), country="PT", is_adult=True)
    # A public-crowd job of the requester, so the crowd worker's find-work page is not empty.
    crowd_job = LabelingJobFactory(
        organization=requester_org,
        created_by=requester,
        task_type="text-classification",
        labels=["yes", "no"],
        title=CROWD_JOB_TITLE,
        workers_per_object=1,
    )
    DataObjectFactory(job=crowd_job, data={"source": "Is this a sentence?"})
    job_launch(actor=requester, job=crowd_job)

    # 1. The vendor creates a listing and submits it for review.
    vendor = new_page()
    log_in(vendor, live_server, owner)
    vendor.goto(f"{live_server.url}/organizations/{vendor_org.pk}/listings/new/")
    vendor.fill("input[name=title]", LISTING_TITLE)
    vendor.fill("textarea[name=description]", "Trained labelers, double-checked digits.")
    vendor.fill("input[name=minimum_order_objects]", "1")
    vendor.fill("input[name=turnaround_hours]", "48")
    vendor.fill("input[name=capacity_objects_per_day]", "5000")
    vendor.fill("input[name=languages]", "en, de")
    vendor.fill("input[name='price_image-classification']", "0.0800")
    vendor.click("button:has-text('Create draft')")
    vendor.wait_for_url(f"{live_server.url}/organizations/{vendor_org.pk}/listings/")
    expect(status_of(vendor, LISTING_TITLE)).to_have_text("Draft")
    listing_row = vendor.locator("tr", has_text=LISTING_TITLE)
    listing_row.get_by_role("button", name="Submit for review").click()
    expect(vendor.locator("main")).to_contain_text(f"“{LISTING_TITLE}” was sent for review.")
    expect(status_of(vendor, LISTING_TITLE)).to_have_text("Pending review")
    listing = VendorListing.objects.get(title=LISTING_TITLE)
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert [(p.task_type, str(p.price_per_object)) for p in listing.prices.all()] == [
        ("image-classification", "0.0800")
    ]

    # 2. Staff log in with password and two-factor code and approve it in the admin.
    admin = new_page()
    changelist = f"{live_server.url}/admin/marketplace/vendorlisting/"
    admin.goto(changelist)
    admin.wait_for_url("**/accounts/login/**")
    admin.fill("input[name=login]", staff.email)
    admin.fill("input[name=password]", PASSWORD)
    admin.click(SUBMIT)
    admin.wait_for_url("**/2fa/authenticate/**")
    admin.fill("input[name=code]", totp_code(secret))
    admin.click(SUBMIT)
    admin.wait_for_url(changelist)
    admin.check(f"input[name=_selected_action][value='{listing.pk}']")
    admin.select_option("select[name=action]", label="Approve (publish) selected listings")
    admin.click("button[name=index]")
    expect(admin.locator(".messagelist")).to_contain_text("Approved 1 of 1.")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.published_at is not None

    # 3. The requester finds the listing and engages the vendor; the vendor accepts.
    buyer = new_page()
    log_in(buyer, live_server, requester)
    buyer.goto(f"{live_server.url}/marketplace/")
    buyer.locator(".listing-card", has_text="LabelWorks").get_by_role(
        "link", name=LISTING_TITLE
    ).click()
    buyer.wait_for_url(f"{live_server.url}/marketplace/listings/{listing.pk}/")
    engage = buyer.locator("#engage")
    engage.get_by_label("Task type").select_option("image-classification")
    engage.get_by_label("Expected objects").fill("1")
    engage.get_by_label("Message").fill("Handwritten digits, one label each.")
    engage.get_by_role("button", name="Send request").click()
    buyer.wait_for_url(f"{live_server.url}/organizations/{requester_org.pk}/engagements/")
    expect(buyer.locator("main")).to_contain_text("Your request was sent to LabelWorks.")
    engagement = Engagement.objects.get(listing=listing, requester=requester_org)
    assert engagement.status == EngagementStatus.REQUESTED

    vendor.goto(f"{live_server.url}/organizations/{vendor_org.pk}/engagements/")
    request_row = vendor.locator("#incoming tr", has_text="Acme Vision")
    expect(request_row).to_contain_text("Handwritten digits, one label each.")
    request_row.get_by_role("button", name="Accept").click()
    expect(vendor.locator("main")).to_contain_text("The engagement with Acme Vision accepted.")
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ACCEPTED

    # The requester creates a job aimed at the vendor, uploads its manifest and launches it.
    buyer.goto(f"{live_server.url}/jobs/new/")
    buyer.fill("input[name=name]", "vendor-digits")
    buyer.select_option("select[name=task_type]", "image-classification")
    buyer.fill("textarea[name=labels]", "one\ntwo\nseven")
    buyer.fill("input[name=title]", JOB_TITLE)
    buyer.fill("input[name=description]", "Pick the digit you see.")
    buyer.fill("input[name=workers_per_object]", "1")
    buyer.select_option("select[name=workforce]", f"engagement:{engagement.pk}")
    buyer.click("button:has-text('Create job')")
    buyer.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    job = LabelingJob.objects.get(name="vendor-digits")
    assert job.engagement_id == engagement.pk
    image = default_storage.save(f"jobs/{job.pk}/digit-7.png", ContentFile(png_of_digit("7")))
    buyer.set_input_files(
        "input[name=manifest]",
        files=[
            {
                "name": "digits.manifest",
                "mimeType": "application/x-ndjson",
                "buffer": f'{{"source-ref": "{image}"}}\n'.encode(),
            }
        ],
    )
    buyer.click("button:has-text('Upload manifest')")
    expect(buyer.locator("main")).to_contain_text("Imported 1 data object (lines 1–1).")
    buyer.get_by_role("button", name="Launch").click()
    expect(buyer.locator("main")).to_contain_text("The job is running")
    job.refresh_from_db()
    assert job.status == "running"
    assert job.workforce_id == vendor_workforce.pk

    # 4. The vendor invites a worker to its workforce; she accepts from the email.
    vendor.goto(
        f"{live_server.url}/organizations/{vendor_org.pk}/workforces/{vendor_workforce.pk}/"
    )
    invitations = vendor.locator("#invitations")
    invitations.get_by_label("Email").fill(worker_user.email)
    invitations.get_by_role("button", name="Send invitation").click()
    expect(vendor.locator("main")).to_contain_text(f"Invitation sent to {worker_user.email}.")
    assert mail.outbox[-1].to == [worker_user.email]

    worker = new_page()
    log_in(worker, live_server, worker_user)
    worker.goto(link_in(mail.outbox[-1]))
    expect(worker.locator("h1")).to_have_text(f"Work in {vendor_workforce.name}")
    worker.get_by_role("button", name="Accept invitation").click()
    worker.wait_for_url(f"{live_server.url}/work/")
    expect(worker.locator("main")).to_contain_text(f"You now work in {vendor_workforce.name}.")
    member = WorkforceMember.objects.get(workforce=vendor_workforce, worker__user=worker_user)

    # 5. A public-crowd worker does not see the routed job.
    crowd = new_page()
    log_in(crowd, live_server, crowd_worker.user)
    crowd.goto(f"{live_server.url}/work/")
    expect(crowd.locator(".work-card", has_text=CROWD_JOB_TITLE)).to_be_visible()
    assert JOB_TITLE not in crowd.inner_text("main")

    # The vendor's routed-jobs page lists the job and names the worker who may do it.
    vendor.goto(f"{live_server.url}/organizations/{vendor_org.pk}/vendor-jobs/")
    job_row = vendor.locator("tr", has_text="vendor-digits")
    expect(job_row).to_contain_text("Acme Vision")
    expect(job_row).to_contain_text(member.worker.worker_id)
    vendor.screenshot(path=f"{SCREENSHOTS}/groundwork-vendor-jobs.png", full_page=True)

    # The vendor worker finds the job, labels its one task and submits.
    card = worker.locator(".work-card", has_text=JOB_TITLE)
    card.get_by_role("button", name="Start").click()
    worker.wait_for_url(re.compile(r".*/work/tasks/[A-Z0-9]{30}/$"))
    worker.wait_for_function("document.querySelector('img.task-image').naturalWidth > 0")
    label_with_keys(worker, key="3", label="seven", expected_done=0)
    assert worker.url == f"{live_server.url}/work/"
    expect(worker.locator("main")).to_contain_text("No more tasks in this job")

    assignment = Assignment.objects.get(hit__job=job)
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.worker_id == member.worker_id
    assert assignment.answer == {"label": "seven"}
