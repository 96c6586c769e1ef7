"""Factories for users, organizations, memberships, invitations, keys, vendor profiles,
listings, engagements and ratings."""

from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from marketplace.models import (
    Engagement,
    EngagementStatus,
    Invitation,
    ListingStatus,
    Membership,
    MembershipRole,
    Organization,
    User,
    VendorListing,
    VendorListingPrice,
    VendorProfile,
)


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose email is verified (pass `verified=False` for one who has not clicked)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):  # noqa: N805
        obj.save()
        if create:
            EmailAddress.objects.create(
                user=obj, email=obj.email, primary=True, verified=extracted is not False
            )


# What a funded organization has available: launching a job holds its maximum cost.
FUNDED_BALANCE = Decimal("1000000.00")
# Whether an OrganizationFactory without `funded=` is funded. The payments tests, which
# count every posting, turn it off (tests/payments/conftest.py `unfunded_by_default`).
FUND_BY_DEFAULT = True


def organization_fund(
    organization: Organization, amount: Decimal = FUNDED_BALANCE, *, currency: str = "USD"
) -> None:
    """Credit `amount` to the organization's available balance through a real manual
    top-up posting (manual_clearing -> organization_available)."""
    from payments.topups import top_up_manual_credit

    top_up_manual_credit(
        organization=organization,
        amount=Decimal(amount),
        currency=currency,
        reason="Test funds",
        idempotency_key=f"test-funds:{organization.pk}:{amount}:{currency}",
    )


class OrganizationFactory(factory.django.DjangoModelFactory):
    """An organization with FUNDED_BALANCE USD available (a manual top-up), so that its
    jobs can launch; `funded=False` for an empty one, `funded=Decimal(...)` for a sum."""

    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def funded(obj, create, extracted, **kwargs):  # noqa: N805
        if extracted is None:
            extracted = FUND_BY_DEFAULT
        if not create or extracted is False:
            return
        organization_fund(obj, FUNDED_BALANCE if extracted is True else extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = MembershipRole.MEMBER
    invited_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class VendorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorProfile

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"Vendor {n}")
    contact_email = factory.Sequence(lambda n: f"sales{n}@vendor.example.com")
    languages = factory.LazyFunction(lambda: ["en"])


class VendorListingFactory(factory.django.DjangoModelFactory):
    """A draft listing offering image classification at 0.0800 USD per object (pass
    `prices={"text-classification": Decimal(...)}` for others)."""

    class Meta:
        model = VendorListing
        skip_postgeneration_save = True

    vendor = factory.SubFactory(VendorProfileFactory)
    title = factory.Sequence(lambda n: f"Listing {n}")
    description = "Careful labeling by a trained team."
    minimum_order_objects = 100
    turnaround_hours = 48
    capacity_objects_per_day = 5000
    languages = factory.LazyFunction(lambda: ["en"])
    status = ListingStatus.DRAFT

    @factory.post_generation
    def prices(obj, create, extracted, **kwargs):  # noqa: N805
        if not create:
            return
        prices = extracted if extracted is not None else {"image-classification": "0.0800"}
        for task_type, price in prices.items():
            VendorListingPrice.objects.create(
                listing=obj, task_type=task_type, price_per_object=Decimal(price), currency="USD"
            )


class PublishedListingFactory(VendorListingFactory):
    status = ListingStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class EngagementFactory(factory.django.DjangoModelFactory):
    """A pending request on a published listing, for its first task type."""

    class Meta:
        model = Engagement

    listing = factory.SubFactory(PublishedListingFactory)
    requester = factory.SubFactory(OrganizationFactory)
    vendor = factory.LazyAttribute(lambda engagement: engagement.listing.vendor)
    task_type = factory.LazyAttribute(
        lambda engagement: engagement.listing.prices.first().task_type
    )
    price_per_object = factory.LazyAttribute(
        lambda engagement: engagement.listing.prices.first().price_per_object
    )
    currency = "USD"
    expected_objects = 1000
    requested_by = factory.SubFactory(UserFactory)
    status = EngagementStatus.REQUESTED


class AcceptedEngagementFactory(EngagementFactory):
    status = EngagementStatus.ACCEPTED
    responded_at = factory.LazyFunction(timezone.now)
