"""A first check that the core services work against PostgreSQL."""

import pytest

from marketplace.models import Membership, MembershipRole
from marketplace.services import organization_create
from tests.marketplace.factories import UserFactory


@pytest.mark.django_db
def test_organization_create_makes_the_creator_its_owner():
    user = UserFactory()
    organization = organization_create(actor=user, name="Acme Labeling")
    membership = Membership.objects.get(organization=organization)
    assert membership.user == user
    assert membership.role == MembershipRole.OWNER
    assert organization.slug == "acme-labeling"
