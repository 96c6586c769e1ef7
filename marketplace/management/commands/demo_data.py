"""`manage.py demo_data`: demo users, organizations, a vendor, workers, an invitation, and
two running labeling jobs with some work already done.

Idempotent: what already exists is left as it is, so running it again changes nothing.
"""

from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jobs.demo import demo_jobs_create
from jobs.models import LabelingJob
from marketplace.emails import invitation_url
from marketplace.engagements import engagement_accept, engagement_request
from marketplace.exceptions import DomainError
from marketplace.listings import listing_approve, listing_create, listing_submit
from marketplace.models import (
    Engagement,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    User,
    VendorListing,
    VendorProfile,
)
from marketplace.services import invitation_create, organization_create, vendor_profile_create
from payments.demo import demo_top_up
from workforce.models import WorkerProfile, Workforce, WorkforceKind, WorkforceMember
from workforce.services import worker_profile_create

DOMAIN = "demo.groundwork.test"
PASSWORD = "groundwork-demo"  # noqa: S105 - printed for the demo, refused in production
ADMIN_EMAIL = f"admin@{DOMAIN}"
REQUESTER_ORGANIZATION = "Acme Vision"
VENDOR_ORGANIZATION = "LabelWorks"
INVITEE_EMAIL = f"invitee@{DOMAIN}"
# Acme's prepaid balance (a manual top-up): enough for its demo jobs and more to launch.
DEMO_TOP_UP = Decimal("500.00")

# (email, full name, role) per organization; the first is the owner who creates it.
MEMBERS = {
    REQUESTER_ORGANIZATION: [
        (f"owner@{DOMAIN}", "Olivia Owner", MembershipRole.OWNER),
        (f"member@{DOMAIN}", "Max Member", MembershipRole.MEMBER),
    ],
    VENDOR_ORGANIZATION: [
        (f"vendor@{DOMAIN}", "Vera Vendor", MembershipRole.OWNER),
        (f"annotator@{DOMAIN}", "Arjun Annotator", MembershipRole.ADMIN),
    ],
}
VENDOR_PROFILE = {
    "display_name": "LabelWorks",
    "description": "Managed image, text and video labeling with trained, audited teams.",
    "website": "https://labelworks.example",
    "contact_email": f"sales@{DOMAIN}",
    "languages": ["en", "de", "hi"],
}
VENDOR_LISTING = {
    "title": "Image and text classification by trained teams",
    "description": "Audited labelers in three languages; gold questions on every batch.",
    "prices": [
        {"task_type": "image-classification", "price_per_object": "0.0600"},
        {"task_type": "text-classification", "price_per_object": "0.0400"},
    ],
    "minimum_order_objects": 100,
    "turnaround_hours": 48,
    "capacity_objects_per_day": 10000,
    "languages": ["en", "de", "hi"],
    "sample_outputs": [
        {"title": "Handwritten digits", "description": "Ten classes, three labelers each."}
    ],
}
# (email, full name, country, languages)
WORKERS = [
    (f"worker1@{DOMAIN}", "Amara Okafor", "NG", ["en", "yo"]),
    (f"worker2@{DOMAIN}", "Lukas Schmidt", "DE", ["de", "en"]),
    (f"worker3@{DOMAIN}", "Priya Nair", "IN", ["en", "hi", "ml"]),
    (f"worker4@{DOMAIN}", "Sofia Martinez", "MX", ["es", "en"]),
    (f"worker5@{DOMAIN}", "Kenji Watanabe", "JP", ["ja", "en"]),
]
VENDOR_LABELER_EMAIL = f"worker5@{DOMAIN}"  # also in LabelWorks' vendor workforce


def demo_user(*, email: str, full_name: str, is_superuser: bool = False) -> User:
    """The user with this email, created with the demo password and a verified address."""
    user = User.objects.filter(email=email).first()
    if user is None:
        create = User.objects.create_superuser if is_superuser else User.objects.create_user
        user = create(email, PASSWORD, full_name=full_name)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_vendor_engagement(*, acme: Organization, vendor: VendorProfile, labeler) -> None:
    """Acme Vision's accepted engagement of LabelWorks for image classification, so that a
    new Acme job can go to the vendor, and one labeler in LabelWorks' vendor workforce."""
    workforce = Workforce.objects.get(kind=WorkforceKind.VENDOR, organization=vendor.organization)
    WorkforceMember.objects.get_or_create(workforce=workforce, worker=labeler)
    if Engagement.objects.filter(requester=acme, vendor=vendor).exists():
        return
    engagement = engagement_request(
        actor=acme.created_by,
        requester=acme,
        listing_id=vendor.listings.get().pk,
        task_type="image-classification",
        expected_objects=VENDOR_LISTING["minimum_order_objects"],
        message="Digits, three labelers each, audited.",
    )
    engagement_accept(
        actor=vendor.organization.created_by,
        organization=vendor.organization,
        engagement_id=engagement.pk,
    )


def demo_organization(name: str) -> Organization:
    """The organization `name`, created by its owner through the service, with its members."""
    (owner_email, owner_name, _role), *others = MEMBERS[name]
    owner = demo_user(email=owner_email, full_name=owner_name)
    organization = Organization.objects.filter(name=name, created_by=owner).first()
    if organization is None:
        organization = organization_create(actor=owner, name=name)
    for email, full_name, role in others:
        user = demo_user(email=email, full_name=full_name)
        Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": role}
        )
    return organization


class Command(BaseCommand):
    help = (
        "Create demo users, organizations, a vendor, workers, an invitation and two running"
        " labeling jobs (idempotent)."
    )

    def handle(self, *args, **options):
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("demo_data creates accounts with a known password: not here.")
        with transaction.atomic():
            admin = demo_user(email=ADMIN_EMAIL, full_name="Ada Admin", is_superuser=True)
            acme = demo_organization(REQUESTER_ORGANIZATION)
            # Launching holds a job's budget: Acme's prepaid balance, recorded by hand.
            demo_top_up(admin=admin, organization=acme, amount=DEMO_TOP_UP)
            labelworks = demo_organization(VENDOR_ORGANIZATION)
            vendor_owner = labelworks.created_by
            if not VendorProfile.objects.filter(organization=labelworks).exists():
                vendor_profile_create(actor=vendor_owner, organization=labelworks, **VENDOR_PROFILE)
            vendor = VendorProfile.objects.get(organization=labelworks)
            if not VendorListing.objects.filter(vendor=vendor).exists():
                listing = listing_create(actor=vendor_owner, vendor=vendor, **VENDOR_LISTING)
                listing_submit(actor=vendor_owner, listing=listing)
                listing_approve(actor=admin, listing=listing)
            for email, full_name, country, languages in WORKERS:
                user = demo_user(email=email, full_name=full_name)
                if not WorkerProfile.objects.filter(user=user).exists():
                    worker_profile_create(
                        actor=user,
                        display_name=full_name.split(" ")[0],
                        country=country,
                        languages=languages,
                    )
            demo_vendor_engagement(
                acme=acme,
                vendor=vendor,
                labeler=WorkerProfile.objects.get(user__email=VENDOR_LABELER_EMAIL),
            )
            invitation = Invitation.objects.filter(
                organization=acme, email=INVITEE_EMAIL, status=InvitationStatus.PENDING
            ).first()
            if invitation is None or invitation.is_expired:
                invitation = invitation_create(
                    actor=acme.created_by,
                    organization=acme,
                    email=INVITEE_EMAIL,
                    role=MembershipRole.MEMBER,
                )
        # Outside the transaction above: dispatch and submit own their transactions.
        workers = [WorkerProfile.objects.get(user__email=email) for email, *_rest in WORKERS]
        try:
            jobs = demo_jobs_create(owner=acme.created_by, organization=acme, workers=workers)
        except DomainError as error:
            problems = [
                f"{field}: {message}"
                for field, messages in error.fields.items()
                for message in messages[:3]
            ]
            raise CommandError(
                "\n  ".join([f"The demo jobs could not be set up: {error}", *problems])
            ) from None
        self.print_summary(invitation, jobs)

    def print_summary(self, invitation: Invitation, jobs: list[LabelingJob]) -> None:
        site = settings.SITE_URL.rstrip("/")
        write = self.stdout.write
        write(self.style.SUCCESS("\nGroundwork demo data is ready.\n"))
        write("Open:")
        for label, path in [
            ("Site", "/"),
            ("API", "/api/v1/"),
            ("API docs", "/api/docs/"),
            ("Admin", "/admin/"),
            ("Health", "/healthz"),
        ]:
            write(f"  {label + ':':10} {site}{path}")
        write(f"\nLog in with any of these (password for all: {PASSWORD}):")
        write(f"  {ADMIN_EMAIL:32} staff superuser (Django admin)")
        for name, people in MEMBERS.items():
            for email, _full_name, role in people:
                write(f"  {email:32} {role} of {name}")
        for email, *_rest in WORKERS:
            write(f"  {email:32} worker")
        write(
            f"\nRunning labeling jobs of {REQUESTER_ORGANIZATION} (log in as its owner or member):"
        )
        for job in jobs:
            write(
                f'  "{job.name}" ({job.task_type}, {job.status}): {job.total_objects} objects,'
                f" {job.total_labeled} labeled so far"
            )
            write(f"    progress: {site}/jobs/{job.pk}/   review: {site}/jobs/{job.pk}/review/")
        write(f"Find work as a worker (worker4 and worker5 have done none yet): {site}/work/")
        write(f"\nPending invitation to {REQUESTER_ORGANIZATION} for {INVITEE_EMAIL}:")
        write(f"  {invitation_url(invitation)}")
        write(
            "\nThe staff user is asked to set up two-factor authentication (an authenticator"
            " app) on first login.\nEmails, such as verification and password-reset links,"
            " are printed on this console."
        )
