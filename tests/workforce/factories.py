"""Factories for workers, their qualifications, workforces and work teams."""

import factory
from django.utils import timezone

from tests.marketplace.factories import OrganizationFactory, UserFactory
from workforce.models import (
    Qualification,
    QualificationType,
    WorkerProfile,
    Workforce,
    WorkforceKind,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)


class WorkerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("first_name")
    country = "US"
    languages = factory.LazyFunction(lambda: ["en"])


class QualificationTypeFactory(factory.django.DjangoModelFactory):
    """A requester organization's active qualification type."""

    class Meta:
        model = QualificationType

    owner = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Skill {n}")
    description = "Knows the domain."


class QualificationFactory(factory.django.DjangoModelFactory):
    """A granted qualification (value 1 unless given)."""

    class Meta:
        model = Qualification

    qualification_type = factory.SubFactory(QualificationTypeFactory)
    worker = factory.SubFactory(WorkerProfileFactory)
    integer_value = 1
    granted_at = factory.LazyFunction(timezone.now)


class WorkforceFactory(factory.django.DjangoModelFactory):
    """An organization's private workforce."""

    class Meta:
        model = Workforce

    kind = WorkforceKind.PRIVATE
    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Workforce {n}")


class WorkforceMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkforceMember

    workforce = factory.SubFactory(WorkforceFactory)
    worker = factory.SubFactory(WorkerProfileFactory)


class WorkTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkTeam

    workforce = factory.SubFactory(WorkforceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class WorkTeamMemberFactory(factory.django.DjangoModelFactory):
    """A place in a team for a worker who is (made) a member of the team's workforce."""

    class Meta:
        model = WorkTeamMember

    team = factory.SubFactory(WorkTeamFactory)
    worker = factory.LazyAttribute(
        lambda place: WorkforceMemberFactory(workforce=place.team.workforce).worker
    )


def vendor_workforce_of(organization) -> Workforce:
    """The organization's vendor workforce (made when its vendor profile is; made here
    too, so tests need not care which factory created the profile)."""
    return Workforce.objects.get_or_create(
        organization=organization,
        kind=WorkforceKind.VENDOR,
        defaults={"name": f"{organization.name} (vendor)"[:100]},
    )[0]
