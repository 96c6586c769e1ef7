"""The workforce management pages: the list and create form, one workforce's members,
invitations and teams, every change through a form; field errors shown, other
organizations' workforces 404, a vendor's plain members see no actions and are refused
(403); and the WorkTeam admin."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from marketplace.models import MembershipRole
from tests.jobs.factories import RunningJobFactory
from tests.marketplace.api_support import organization_with_owner, snapshot
from tests.marketplace.factories import MembershipFactory
from tests.workforce.factories import (
    WorkerProfileFactory,
    WorkforceFactory,
    WorkforceMemberFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    vendor_workforce_of,
)
from workforce.models import (
    Workforce,
    WorkforceInvitation,
    WorkforceInvitationStatus,
    WorkforceKind,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organization, owner = organization_with_owner(name="Acme Labeling")
    member = MembershipFactory(organization=organization, role=MembershipRole.MEMBER).user
    return organization, owner, member


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(name: str, *args) -> str:
    return reverse(name, args=args)


def detail_url(workforce) -> str:
    return page_url("organization_workforce_detail", workforce.organization_id, workforce.pk)


def test_the_organization_page_links_to_workforces_and_the_list_shows_kinds_and_counts(org):
    organization, _owner, member = org
    private = WorkforceFactory(organization=organization, name="In-house")
    WorkTeamMemberFactory.create_batch(2, team__workforce=private)
    vendor = vendor_workforce_of(organization)
    WorkforceFactory(name="Somebody else's")
    client = browser(member)

    organization_page = client.get(page_url("organization_detail", organization.pk)).content
    response = client.get(page_url("organization_workforces", organization.pk))

    assert page_url("organization_workforces", organization.pk).encode() in organization_page
    assert response.status_code == 200
    page = response.content.decode()
    assert "In-house" in page
    assert vendor.name in page
    assert "Somebody else" not in page
    assert "Private workforce" in page
    assert "Vendor workforce" in page
    assert [(w.name, w.member_count, w.team_count) for w in response.context["workforces"]] == [
        (vendor.name, 0, 0),
        ("In-house", 2, 2),
    ]


def test_a_member_creates_a_private_workforce_and_a_taken_name_is_shown_as_an_error(org):
    organization, _owner, member = org
    client = browser(member)
    url = page_url("organization_workforces", organization.pk)

    created = client.post(url, {"name": "Night shift"})

    workforce = Workforce.objects.get(name="Night shift")
    assert workforce.kind == WorkforceKind.PRIVATE
    assert created.status_code == 302
    assert created["Location"] == detail_url(workforce)
    before = snapshot()
    taken = client.post(url, {"name": "Night shift"})
    empty = client.post(url, {"name": ""})
    assert (taken.status_code, empty.status_code) == (400, 200)
    assert taken.context["form"].errors == {
        "name": ["The organization already has a workforce with this name."]
    }
    assert empty.context["form"].errors == {"name": ["This field is required."]}
    assert "The organization already has a workforce with this name." in taken.content.decode()
    assert snapshot() == before


def test_the_detail_page_shows_members_invitations_and_teams(org, django_assert_max_num_queries):
    organization, owner, member = org
    workforce = WorkforceFactory(organization=organization, name="Annotators")
    place = WorkTeamMemberFactory(team__workforce=workforce, team__name="Medical")
    WorkforceMemberFactory.create_batch(3, workforce=workforce)
    WorkTeamMemberFactory.create_batch(3, team__workforce=workforce)
    WorkforceInvitation.objects.create(
        workforce=workforce,
        email="soon@example.com",
        invited_by=owner,
        expires_at=workforce.created_at.replace(year=2100),
    )
    client = browser(member)

    with django_assert_max_num_queries(12):
        response = client.get(detail_url(workforce))

    page = response.content.decode()
    assert response.status_code == 200
    assert place.worker.worker_id in page
    assert "Medical" in page
    assert "soon@example.com" in page
    assert "Send invitation" in page
    assert "Create team" in page
    assert "Add to team" in page
    assert len(response.context["members"]) == 7
    assert len(response.context["teams"]) == 4


def test_invite_withdraw_and_remove_through_the_page(org, django_capture_on_commit_callbacks):
    organization, _owner, member = org
    workforce = WorkforceFactory(organization=organization)
    place = WorkTeamMemberFactory(team__workforce=workforce)
    client = browser(member)

    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(
            page_url("organization_workforce_invite", organization.pk, workforce.pk),
            {"email": "Ada@Example.com"},
        )

    assert invited.status_code == 302
    assert mail.outbox[-1].to == ["ada@example.com"]
    invitation = WorkforceInvitation.objects.get()
    withdrawn = client.post(
        page_url(
            "organization_workforce_invitation_withdraw",
            organization.pk,
            workforce.pk,
            invitation.pk,
        )
    )
    assert withdrawn.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == WorkforceInvitationStatus.REVOKED
    before = snapshot()
    bad = client.post(
        page_url("organization_workforce_invite", organization.pk, workforce.pk),
        {"email": "not an address"},
    )
    assert bad.status_code == 200
    assert list(bad.context["invite_form"].errors) == ["email"]
    assert snapshot() == before

    removed = client.post(
        page_url(
            "organization_workforce_member_remove",
            organization.pk,
            workforce.pk,
            place.worker.worker_id,
        )
    )
    assert removed.status_code == 302
    assert not WorkforceMember.objects.filter(workforce=workforce).exists()
    assert not WorkTeamMember.objects.exists()


def test_teams_are_created_renamed_filled_emptied_and_deleted_through_the_page(org):
    organization, _owner, member = org
    workforce = WorkforceFactory(organization=organization)
    worker = WorkforceMemberFactory(workforce=workforce).worker
    client = browser(member)

    created = client.post(
        page_url("organization_workforce_team_create", organization.pk, workforce.pk),
        {"name": "Medical", "description": "Radiology images"},
    )
    team = WorkTeam.objects.get()
    assert created.status_code == 302
    assert (team.name, team.description) == ("Medical", "Radiology images")
    team_args = (organization.pk, workforce.pk, team.pk)
    renamed = client.post(
        page_url("organization_workforce_team_update", *team_args),
        {"name": "Radiology", "description": ""},
    )
    team.refresh_from_db()
    assert renamed.status_code == 302
    assert (team.name, team.description) == ("Radiology", "")
    added = client.post(
        page_url("organization_workforce_team_member_add", *team_args),
        {"worker_id": worker.worker_id},
    )
    assert added.status_code == 302
    assert list(WorkTeamMember.objects.values_list("team", "worker")) == [(team.pk, worker.pk)]
    page = client.get(detail_url(workforce)).content.decode()
    assert "Take out" in page
    taken_out = client.post(
        page_url("organization_workforce_team_member_remove", *team_args, worker.worker_id)
    )
    assert taken_out.status_code == 302
    assert not WorkTeamMember.objects.exists()
    deleted = client.post(page_url("organization_workforce_team_delete", *team_args))
    assert deleted.status_code == 302
    assert not WorkTeam.objects.exists()


def test_bad_team_input_shows_field_errors_and_changes_nothing(org):
    organization, _owner, member = org
    workforce = WorkforceFactory(organization=organization)
    team = WorkTeamFactory(workforce=workforce, name="Taken")
    other = WorkTeamFactory(workforce=workforce, name="Other")
    stranger = WorkerProfileFactory()
    client = browser(member)
    before = snapshot()

    duplicate = client.post(
        page_url("organization_workforce_team_create", organization.pk, workforce.pk),
        {"name": "Taken"},
    )
    renamed = client.post(
        page_url("organization_workforce_team_update", organization.pk, workforce.pk, other.pk),
        {"name": "Taken"},
    )
    add_url = page_url(
        "organization_workforce_team_member_add", organization.pk, workforce.pk, team.pk
    )
    unknown = client.post(add_url, {"worker_id": "ANOSUCHWORKER1"})
    outside = client.post(add_url, {"worker_id": stranger.worker_id})

    taken = ["The workforce already has a team with this name."]
    assert duplicate.status_code == 400
    assert duplicate.context["team_form"].errors == {"name": taken}
    assert renamed.status_code == 400
    failed = {t.pk: t for t in renamed.context["teams"]}[other.pk]
    assert failed.rename_form.errors == {"name": taken}
    assert unknown.status_code == 400
    assert {t.pk: t for t in unknown.context["teams"]}[team.pk].add_form.errors == {
        "worker_id": ["No worker has this id."]
    }
    assert "This worker is not a member of the team&#x27;s workforce." in outside.content.decode()
    assert snapshot() == before


def test_a_team_a_running_job_targets_is_not_deleted_from_the_page(org):
    organization, _owner, member = org
    workforce = WorkforceFactory(organization=organization)
    team = WorkTeamFactory(workforce=workforce)
    RunningJobFactory(organization=organization, workforce=workforce).teams.add(team)
    client = browser(member)
    before = snapshot()

    response = client.post(
        page_url("organization_workforce_team_delete", organization.pk, workforce.pk, team.pk)
    )

    assert response.status_code == 409
    assert "A draft, running or paused job targets this team" in response.content.decode()
    assert snapshot() == before


def test_a_vendor_s_plain_member_sees_no_actions_and_is_refused(org):
    organization, owner, member = org
    workforce = vendor_workforce_of(organization)
    team = WorkTeamFactory(workforce=workforce)
    worker = WorkforceMemberFactory(workforce=workforce).worker
    WorkTeamMember.objects.create(team=team, worker=worker)
    client = browser(member)
    before = snapshot()

    page = client.get(detail_url(workforce)).content.decode()
    args = (organization.pk, workforce.pk)
    team_args = (*args, team.pk)
    posts = {
        "rename": (page_url("organization_workforce_rename", *args), {"name": "Mine"}),
        "invite": (page_url("organization_workforce_invite", *args), {"email": "e@example.com"}),
        "remove": (
            page_url("organization_workforce_member_remove", *args, worker.worker_id),
            {},
        ),
        "team create": (page_url("organization_workforce_team_create", *args), {"name": "Mine"}),
        "team update": (page_url("organization_workforce_team_update", *team_args), {"name": "M"}),
        "team delete": (page_url("organization_workforce_team_delete", *team_args), {}),
        "team add": (
            page_url("organization_workforce_team_member_add", *team_args),
            {"worker_id": worker.worker_id},
        ),
        "team remove": (
            page_url("organization_workforce_team_member_remove", *team_args, worker.worker_id),
            {},
        ),
    }
    statuses = {name: client.post(url, data).status_code for name, (url, data) in posts.items()}

    for action in ("Send invitation", "Create team", "Add to team", "Remove", "Rename", "Delete"):
        assert action not in page
    assert "Only owners and admins of Acme Labeling manage its vendor workforce." in page
    assert statuses == dict.fromkeys(posts, 403)
    assert snapshot() == before
    owner_page = browser(owner).get(detail_url(workforce)).content.decode()
    assert "Send invitation" in owner_page
    assert "Delete team" in owner_page


def test_other_organizations_workforces_and_teams_are_404(org):
    organization, _owner, member = org
    theirs = WorkforceFactory()
    their_team = WorkTeamFactory(workforce=theirs)
    mine = WorkforceFactory(organization=organization)
    client = browser(member)
    before = snapshot()

    responses = [
        client.get(page_url("organization_workforces", theirs.organization_id)),
        client.get(detail_url(theirs)),
        client.get(page_url("organization_workforce_detail", organization.pk, theirs.pk)),
        client.post(
            page_url("organization_workforce_team_create", organization.pk, theirs.pk),
            {"name": "Mine"},
        ),
        client.post(
            page_url("organization_workforce_team_delete", organization.pk, mine.pk, their_team.pk)
        ),
        client.post(
            page_url("organization_workforce_invite", theirs.organization_id, theirs.pk),
            {"email": "x@example.com"},
        ),
    ]

    assert [response.status_code for response in responses] == [404] * 6
    assert snapshot() == before


def test_the_work_team_admin_shows_teams_with_members_and_workforces_filter_by_kind(
    staff_client,
):
    place = WorkTeamMemberFactory(team__name="Medical")
    vendor = vendor_workforce_of(WorkforceFactory().organization)

    changelist = staff_client.get(reverse("admin:workforce_workteam_changelist"))
    change = staff_client.get(reverse("admin:workforce_workteam_change", args=[place.team.pk]))
    by_kind = staff_client.get(
        reverse("admin:workforce_workforce_changelist"), {"kind__exact": "vendor"}
    )

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [place.team]
    assert change.status_code == 200
    assert place.worker.worker_id in change.content.decode()
    assert list(by_kind.context["cl"].result_list) == [vendor]
