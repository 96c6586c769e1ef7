"""Storefront services raced by real threads against PostgreSQL: the locks hold."""

import pytest

from marketplace.exceptions import Conflict, DomainError, PermissionDenied
from marketplace.models import Membership, MembershipRole, OrganizationEvent
from marketplace.selectors import invitation_token
from marketplace.services import invitation_accept, membership_change_role
from tests.concurrency import run_at_once
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

OWNER, ADMIN = MembershipRole.OWNER, MembershipRole.ADMIN
ROUNDS = 5  # a race that is lost only sometimes should still show up


def _errors(outcomes: list) -> list[tuple[type, str]]:
    return [(type(item), item.code) for item in outcomes if isinstance(item, DomainError)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_owners_demoting_each_other_at_once_leave_exactly_one_owner(round_number):
    organization = OrganizationFactory()
    ann = MembershipFactory(organization=organization, role=OWNER)
    bob = MembershipFactory(organization=organization, role=OWNER)

    outcomes = run_at_once(
        lambda: membership_change_role(actor=ann.user, membership=bob, role=ADMIN),
        lambda: membership_change_role(actor=bob.user, membership=ann, role=ADMIN),
    )

    assert len([item for item in outcomes if isinstance(item, Membership)]) == 1
    # The loser was demoted first, and an admin cannot take ownership away.
    assert _errors(outcomes) == [(PermissionDenied, "permission_denied")]
    assert Membership.objects.filter(organization=organization, role=OWNER).count() == 1
    assert OrganizationEvent.objects.filter(kind=OrganizationEvent.Kind.ROLE_CHANGED).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_owners_stepping_down_at_once_leave_exactly_one_owner(round_number):
    organization = OrganizationFactory()
    ann = MembershipFactory(organization=organization, role=OWNER)
    bob = MembershipFactory(organization=organization, role=OWNER)

    outcomes = run_at_once(
        lambda: membership_change_role(actor=ann.user, membership=ann, role=ADMIN),
        lambda: membership_change_role(actor=bob.user, membership=bob, role=ADMIN),
    )

    assert _errors(outcomes) == [(Conflict, "last_owner")]
    assert Membership.objects.filter(organization=organization, role=OWNER).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_one_invitation_accepted_twice_at_once_makes_one_membership(round_number):
    invitation = InvitationFactory(email="ann@example.com", role=ADMIN)
    ann = UserFactory(email="ann@example.com")
    token = invitation_token(invitation)

    outcomes = run_at_once(
        lambda: invitation_accept(actor=ann, token=token),
        lambda: invitation_accept(actor=ann, token=token),
    )

    assert len([item for item in outcomes if isinstance(item, Membership)]) == 1
    assert _errors(outcomes) == [(Conflict, "invitation_used")]
    assert list(Membership.objects.filter(user=ann).values_list("organization", "role")) == [
        (invitation.organization_id, ADMIN)
    ]
    assert OrganizationEvent.objects.filter(kind=OrganizationEvent.Kind.MEMBER_JOINED).count() == 1
