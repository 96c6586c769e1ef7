"""A vendor's workforce over the workforce API: listed with the private ones (`kind`),
managed by the vendor organization's owners and admins only (plain members look), never
created, clashed with or deleted through the API, invisible to other organizations."""

import re

import pytest
from django.core import mail

from tests.marketplace.api_support import (
    NOT_FOUND,
    NOT_MANAGER,
    error,
    iso,
    make_world,
    session_client,
    snapshot,
)
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import (
    WorkforceFactory,
    WorkforceMemberFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    vendor_workforce_of,
)
from workforce.models import (
    WorkerProfile,
    WorkforceInvitation,
    WorkforceInvitationStatus,
    WorkforceMember,
    WorkTeamMember,
)
from workforce.selectors import private_workforce_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world()
    world.vendor_workforce = vendor_workforce_of(world.organization)
    return world


def workforces_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/workforces/"


def vendor_url(world) -> str:
    return f"{workforces_url(world.organization)}{world.vendor_workforce.pk}/"


def workforce_body(workforce, *, members=0, teams=0) -> dict:
    return {
        "id": workforce.pk,
        "name": workforce.name,
        "kind": workforce.kind,
        "member_count": members,
        "team_count": teams,
        "created_at": iso(workforce.created_at),
    }


def test_the_list_shows_private_and_vendor_workforces_with_their_kind_and_counts(
    world, django_assert_num_queries
):
    private = WorkforceFactory(organization=world.organization, name="In-house")
    WorkTeamMemberFactory.create_batch(2, team__workforce=world.vendor_workforce)
    WorkforceMemberFactory(workforce=private)
    WorkforceFactory(organization=world.other_organization)
    vendor_workforce_of(world.other_organization)
    client = session_client(world.member)

    # Session, the organization, the page of workforces with both counts.
    with django_assert_num_queries(3):
        response = client.get(workforces_url(world.organization))

    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            workforce_body(private, members=1),
            workforce_body(world.vendor_workforce, members=2, teams=2),
        ],
    }
    more = WorkforceFactory.create_batch(4, organization=world.organization)
    for workforce in more:
        WorkTeamMemberFactory.create_batch(2, team__workforce=workforce)
    with django_assert_num_queries(3):
        response = client.get(workforces_url(world.organization))
    assert [body["id"] for body in response.json()["results"]] == [
        *(workforce.pk for workforce in reversed(more)),
        private.pk,
        world.vendor_workforce.pk,
    ]
    assert response.json()["results"][0] == workforce_body(more[-1], members=2, teams=2)
    assert list(private_workforce_list(organization=world.organization)) == [
        *reversed(more),
        private,
    ]


def test_plain_members_look_but_only_owners_and_admins_change_it(world):
    team = WorkTeamFactory(workforce=world.vendor_workforce)
    worker = WorkforceMemberFactory(workforce=world.vendor_workforce).worker
    invitation = WorkforceInvitation.objects.create(
        workforce=world.vendor_workforce,
        email="later@example.com",
        invited_by=world.owner,
        expires_at=world.vendor_workforce.created_at.replace(year=2100),
    )
    member = session_client(world.member)
    url = vendor_url(world)

    assert member.get(url).json() == workforce_body(world.vendor_workforce, members=1, teams=1)
    assert [body["WorkerId"] for body in member.get(f"{url}members/").json()["results"]] == [
        worker.worker_id
    ]
    assert [body["id"] for body in member.get(f"{url}invitations/").json()["results"]] == [
        invitation.pk
    ]
    assert member.get(f"{url}teams/").status_code == 200
    before = snapshot()

    responses = [
        member.patch(url, {"name": "Ours now"}, format="json"),
        member.post(f"{url}invitations/", {"email": "eve@example.com"}, format="json"),
        member.delete(f"{url}invitations/{invitation.pk}/"),
        member.delete(f"{url}members/{worker.worker_id}/"),
        member.post(f"{url}teams/", {"name": "Mine"}, format="json"),
        member.patch(f"{url}teams/{team.pk}/", {"name": "Mine"}, format="json"),
        member.delete(f"{url}teams/{team.pk}/"),
        member.post(f"{url}teams/{team.pk}/members/", {"worker_id": worker.worker_id}),
        member.delete(f"{url}teams/{team.pk}/members/{worker.worker_id}/"),
    ]

    assert [(r.status_code, r.json()) for r in responses] == [(403, NOT_MANAGER)] * 9
    assert snapshot() == before


def test_an_admin_invites_a_new_person_who_becomes_a_worker_in_the_vendor_workforce(
    world, django_capture_on_commit_callbacks
):
    admin = session_client(world.admin)
    url = vendor_url(world)

    with django_capture_on_commit_callbacks(execute=True):
        invited = admin.post(f"{url}invitations/", {"email": "new@example.com"}, format="json")

    assert invited.status_code == 201
    assert "vendor workforce" in mail.outbox[-1].body
    token = re.search(r"/workforce-invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    person = UserFactory(email="new@example.com")
    accepted = session_client(person).post(f"/api/v1/workforce-invitations/{token}/accept/")
    assert accepted.status_code == 201
    assert accepted.json() == workforce_body(world.vendor_workforce, members=1)
    worker = WorkerProfile.objects.get(user=person)
    assert WorkforceMember.objects.filter(workforce=world.vendor_workforce, worker=worker).exists()

    team = session_client(world.owner).post(f"{url}teams/", {"name": "Medical"}, format="json")
    added = admin.post(
        f"{url}teams/{team.json()['id']}/members/", {"worker_id": worker.worker_id}, format="json"
    )
    assert added.status_code == 201
    removed = admin.delete(f"{url}members/{worker.worker_id}/")
    assert removed.status_code == 204
    assert not WorkforceMember.objects.filter(workforce=world.vendor_workforce).exists()
    assert not WorkTeamMember.objects.exists()


def test_an_admin_withdraws_an_invitation_and_a_used_one_cannot_be_withdrawn(world):
    invitation = WorkforceInvitation.objects.create(
        workforce=world.vendor_workforce,
        email="later@example.com",
        invited_by=world.owner,
        expires_at=world.vendor_workforce.created_at.replace(year=2100),
    )
    admin = session_client(world.admin)
    url = f"{vendor_url(world)}invitations/{invitation.pk}/"

    withdrawn = admin.delete(url)

    assert withdrawn.json()["status"] == "revoked"
    WorkforceInvitation.objects.filter(pk=invitation.pk).update(
        status=WorkforceInvitationStatus.ACCEPTED
    )
    before = snapshot()
    used = admin.delete(url)
    assert (used.status_code, used.json()) == (
        409,
        error("invitation_used", "This invitation has already been used."),
    )
    assert snapshot() == before


def test_it_is_never_created_clashed_with_or_deleted_through_the_api(world):
    owner = session_client(world.owner)
    private = WorkforceFactory(organization=world.organization, name="In-house")
    before = snapshot()
    taken = {"name": ["The organization already has a workforce with this name."]}
    invalid = "The request has invalid fields."

    created = owner.post(
        workforces_url(world.organization), {"name": "Vendors", "kind": "vendor"}, format="json"
    )
    clash = owner.post(
        workforces_url(world.organization), {"name": world.vendor_workforce.name}, format="json"
    )
    renamed_to_clash = owner.patch(
        f"{workforces_url(world.organization)}{private.pk}/",
        {"name": world.vendor_workforce.name},
        format="json",
    )
    deleted = owner.delete(vendor_url(world))

    assert (created.status_code, created.json()) == (
        400,
        error("invalid", invalid, {"kind": ["Unknown field."]}),
    )
    assert (clash.status_code, clash.json()) == (400, error("invalid", invalid, taken))
    assert (renamed_to_clash.status_code, renamed_to_clash.json()) == (
        400,
        error("invalid", invalid, taken),
    )
    assert deleted.status_code == 405
    assert snapshot() == before


def test_an_owner_renames_it_to_a_free_name(world):
    response = session_client(world.owner).patch(
        vendor_url(world), {"name": "Acme labelers"}, format="json"
    )

    assert response.status_code == 200
    world.vendor_workforce.refresh_from_db()
    assert world.vendor_workforce.name == "Acme labelers"
    assert response.json() == workforce_body(world.vendor_workforce)


def test_other_organizations_never_see_it(world):
    outsider = session_client(world.outsider)
    url = vendor_url(world)
    their_url = f"{workforces_url(world.other_organization)}{world.vendor_workforce.pk}/"
    before = snapshot()

    responses = [
        outsider.get(url),
        outsider.get(their_url),
        outsider.get(f"{their_url}members/"),
        outsider.get(f"{their_url}teams/"),
        outsider.post(f"{their_url}teams/", {"name": "Mine"}, format="json"),
        outsider.post(f"{their_url}invitations/", {"email": "x@example.com"}, format="json"),
    ]

    assert [(r.status_code, r.json()) for r in responses] == [(404, NOT_FOUND)] * 6
    assert outsider.get(workforces_url(world.other_organization)).json()["results"] == []
    assert snapshot() == before
