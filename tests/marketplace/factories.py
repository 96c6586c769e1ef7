"""Factories for users, organizations, memberships, invitations, keys and vendor profiles."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from marketplace.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    User,
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


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    created_by = factory.SubFactory(UserFactory)


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
