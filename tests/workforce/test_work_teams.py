"""Work team services: create, rename, delete (not while a live job targets the team), add
and remove members; who may change them; leaving the workforce leaves its teams; two
simultaneous adds make one row."""

import pytest

from jobs.models import JobStatus
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.models import MembershipRole
from tests.concurrency import run_at_once
from tests.jobs.factories import LabelingJobFactory, RunningJobFactory
from tests.marketplace.api_support import organization_with_owner, snapshot
from tests.marketplace.factories import MembershipFactory, UserFactory
from tests.workforce.factories import (
    WorkerProfileFactory,
    WorkforceFactory,
    WorkforceMemberFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
    vendor_workforce_of,
)
from workforce.models import WorkforceMember, WorkTeam, WorkTeamMember
from workforce.private_workforces import workforce_member_remove
from workforce.selectors import public_crowd_get
from workforce.work_teams import (
    work_team_create,
    work_team_delete,
    work_team_member_add,
    work_team_member_remove,
    work_team_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    """An organization with an owner and a plain member, and its private workforce."""
    organization, owner = organization_with_owner()
    member = MembershipFactory(organization=organization, role=MembershipRole.MEMBER).user
    workforce = WorkforceFactory(organization=organization)
    return organization, owner, member, workforce


def test_a_member_creates_renames_and_deletes_a_team(tenant):
    _organization, _owner, member, workforce = tenant

    team = work_team_create(
        actor=member, workforce=workforce, name="  Night shift ", description=" Late hours "
    )
    assert (team.name, team.description, team.workforce) == ("Night shift", "Late hours", workforce)
    renamed = work_team_update(actor=member, team=team, name="Day shift")
    assert (renamed.name, renamed.description) == ("Day shift", "Late hours")
    described = work_team_update(actor=member, team=team, description="")
    assert WorkTeam.objects.values_list("name", "description").get() == ("Day shift", "")
    assert described.description == ""

    work_team_delete(actor=member, team=team)
    assert not WorkTeam.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give a name of 1 to 100 characters."),
        ({"name": "   "}, "name", "Give a name of 1 to 100 characters."),
        ({"name": "x" * 101}, "name", "Give a name of 1 to 100 characters."),
        ({"name": "Duplicate"}, "name", "The workforce already has a team with this name."),
        ({"name": "Fine", "description": "x" * 1001}, "description", "At most 1000 characters."),
    ],
)
def test_bad_team_input_is_refused_and_changes_nothing(tenant, fields, field, message):
    _organization, _owner, member, workforce = tenant
    WorkTeamFactory(workforce=workforce, name="Duplicate")
    before = snapshot()

    with pytest.raises(InvalidInput) as error:
        work_team_create(actor=member, workforce=workforce, **fields)

    assert error.value.fields == {field: [message]}
    assert snapshot() == before


def test_renaming_to_a_taken_name_is_refused_but_the_same_name_in_another_workforce_is_fine(
    tenant,
):
    organization, _owner, member, workforce = tenant
    team = WorkTeamFactory(workforce=workforce, name="Alpha")
    WorkTeamFactory(workforce=workforce, name="Beta")
    before = snapshot()

    with pytest.raises(InvalidInput) as error:
        work_team_update(actor=member, team=team, name="Beta")

    assert error.value.fields == {"name": ["The workforce already has a team with this name."]}
    assert snapshot() == before
    other = WorkforceFactory(organization=organization)
    assert work_team_create(actor=member, workforce=other, name="Beta").name == "Beta"


def test_strangers_and_the_public_crowd_get_not_found(tenant):
    _organization, _owner, _member, workforce = tenant
    team = WorkTeamFactory(workforce=workforce)
    worker = WorkforceMemberFactory(workforce=workforce).worker
    stranger = UserFactory()
    before = snapshot()

    calls = [
        lambda: work_team_create(actor=stranger, workforce=workforce, name="Mine"),
        lambda: work_team_create(actor=stranger, workforce=public_crowd_get(), name="Mine"),
        lambda: work_team_update(actor=stranger, team=team, name="Mine"),
        lambda: work_team_delete(actor=stranger, team=team),
        lambda: work_team_member_add(actor=stranger, team=team, worker=worker),
        lambda: work_team_member_remove(actor=stranger, team=team, worker=worker),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert snapshot() == before


def test_a_vendor_workforce_s_teams_are_changed_by_owners_and_admins_only():
    organization, owner = organization_with_owner()
    admin = MembershipFactory(organization=organization, role=MembershipRole.ADMIN).user
    member = MembershipFactory(organization=organization, role=MembershipRole.MEMBER).user
    workforce = vendor_workforce_of(organization)
    worker = WorkforceMemberFactory(workforce=workforce).worker
    before = snapshot()

    with pytest.raises(PermissionDenied) as error:
        work_team_create(actor=member, workforce=workforce, name="Labelers")
    assert error.value.message == "Only owners and admins of this organization can do this."
    assert snapshot() == before

    team = work_team_create(actor=admin, workforce=workforce, name="Labelers")
    work_team_member_add(actor=owner, team=team, worker=worker)
    before = snapshot()
    calls = [
        lambda: work_team_update(actor=member, team=team, name="Mine"),
        lambda: work_team_delete(actor=member, team=team),
        lambda: work_team_member_add(actor=member, team=team, worker=worker),
        lambda: work_team_member_remove(actor=member, team=team, worker=worker),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot() == before


def test_only_workforce_members_join_a_team_and_adding_twice_keeps_one_place(tenant):
    _organization, _owner, member, workforce = tenant
    team = WorkTeamFactory(workforce=workforce)
    inside = WorkforceMemberFactory(workforce=workforce).worker
    elsewhere = WorkforceMemberFactory(workforce=WorkforceFactory()).worker
    before = snapshot()

    with pytest.raises(InvalidInput) as error:
        work_team_member_add(actor=member, team=team, worker=elsewhere)

    assert error.value.fields == {
        "worker_id": ["This worker is not a member of the team's workforce."]
    }
    assert snapshot() == before
    first = work_team_member_add(actor=member, team=team, worker=inside)
    again = work_team_member_add(actor=member, team=team, worker=inside)
    assert first.pk == again.pk
    assert list(WorkTeamMember.objects.values_list("team", "worker")) == [(team.pk, inside.pk)]

    work_team_member_remove(actor=member, team=team, worker=inside)
    work_team_member_remove(actor=member, team=team, worker=inside)
    assert not WorkTeamMember.objects.exists()
    assert WorkforceMember.objects.filter(workforce=workforce, worker=inside).exists()


def test_leaving_the_workforce_leaves_its_teams_only(tenant):
    organization, _owner, member, workforce = tenant
    place = WorkTeamMemberFactory(team__workforce=workforce)
    second_team = WorkTeamFactory(workforce=workforce)
    WorkTeamMember.objects.create(team=second_team, worker=place.worker)
    other_workforce = WorkforceFactory(organization=organization)
    other_place = WorkTeamMemberFactory(team__workforce=other_workforce)
    WorkforceMember.objects.create(workforce=other_workforce, worker=place.worker)
    WorkTeamMember.objects.create(team=other_place.team, worker=place.worker)

    workforce_member_remove(actor=member, workforce=workforce, worker=place.worker)

    assert not WorkforceMember.objects.filter(workforce=workforce).exists()
    assert set(WorkTeamMember.objects.values_list("team", "worker")) == {
        (other_place.team_id, other_place.worker_id),
        (other_place.team_id, place.worker_id),
    }


@pytest.mark.parametrize("status", [JobStatus.DRAFT, JobStatus.RUNNING, JobStatus.PAUSED])
def test_a_team_a_live_job_targets_cannot_be_deleted(tenant, status):
    organization, _owner, member, workforce = tenant
    team = WorkTeamMemberFactory(team__workforce=workforce).team
    job = RunningJobFactory(organization=organization, workforce=workforce, status=status)
    job.teams.add(team)
    before = snapshot()

    with pytest.raises(Conflict) as error:
        work_team_delete(actor=member, team=team)

    assert (error.value.code, error.value.message) == (
        "team_in_use",
        (
            "A draft, running or paused job targets this team: "
            "take it off the draft or stop the job first."
        ),
    )
    assert snapshot() == before


def test_a_team_only_ended_jobs_target_can_be_deleted(tenant):
    organization, _owner, member, workforce = tenant
    team = WorkTeamFactory(workforce=workforce)
    for status in (JobStatus.COMPLETED, JobStatus.STOPPED, JobStatus.FAILED):
        LabelingJobFactory(organization=organization, workforce=workforce, status=status).teams.add(
            team
        )

    work_team_delete(actor=member, team=team)

    assert not WorkTeam.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_adds_of_the_same_worker_make_one_place():
    organization, owner = organization_with_owner()
    workforce = WorkforceFactory(organization=organization)
    team = WorkTeamFactory(workforce=workforce)
    worker = WorkforceMemberFactory(workforce=workforce).worker

    outcomes = run_at_once(
        lambda: work_team_member_add(actor=owner, team=team, worker=worker),
        lambda: work_team_member_add(actor=owner, team=team, worker=worker),
    )

    assert [type(outcome) for outcome in outcomes] == [WorkTeamMember, WorkTeamMember]
    assert outcomes[0].pk == outcomes[1].pk
    assert WorkTeamMember.objects.filter(team=team, worker=worker).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_add_racing_a_removal_from_the_workforce_leaves_no_orphan_place():
    organization, owner = organization_with_owner()
    workforce = WorkforceFactory(organization=organization)
    team = WorkTeamFactory(workforce=workforce)
    worker = WorkerProfileFactory()
    WorkforceMember.objects.create(workforce=workforce, worker=worker)

    run_at_once(
        lambda: work_team_member_add(actor=owner, team=team, worker=worker),
        lambda: workforce_member_remove(actor=owner, workforce=workforce, worker=worker),
    )

    assert not WorkforceMember.objects.filter(workforce=workforce, worker=worker).exists()
    assert not WorkTeamMember.objects.filter(team=team, worker=worker).exists()
