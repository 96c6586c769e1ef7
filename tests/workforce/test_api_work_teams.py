"""The work team API: teams of a workforce and their members, whole bodies, bad input,
other organizations' workforces and teams (404), and query counts of the lists."""

import pytest

from jobs.models import JobStatus
from tests.jobs.factories import RunningJobFactory
from tests.marketplace.api_support import (
    NOT_FOUND,
    error,
    iso,
    key_client,
    make_world,
    session_client,
    snapshot,
)
from tests.workforce.factories import (
    WorkerProfileFactory,
    WorkforceFactory,
    WorkforceMemberFactory,
    WorkTeamFactory,
    WorkTeamMemberFactory,
)
from workforce.models import WorkTeam, WorkTeamMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world()
    world.workforce = WorkforceFactory(organization=world.organization, name="Annotators")
    return world


def teams_url(workforce) -> str:
    return f"/api/v1/organizations/{workforce.organization_id}/workforces/{workforce.pk}/teams/"


def team_body(team, member_count=0) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "description": team.description,
        "member_count": member_count,
        "created_at": iso(team.created_at),
    }


def member_body(worker, joined) -> dict:
    return {
        "WorkerId": worker.worker_id,
        "email": worker.user.email,
        "display_name": worker.display_name,
        "joined_at": iso(joined),
    }


def test_create_read_rename_and_delete_a_team(world):
    client = session_client(world.member)

    created = client.post(
        teams_url(world.workforce),
        {"name": "Night shift", "description": "Works late."},
        format="json",
    )

    assert created.status_code == 201
    team = WorkTeam.objects.get()
    assert created.json() == {
        "id": team.pk,
        "name": "Night shift",
        "description": "Works late.",
        "member_count": 0,
        "created_at": iso(team.created_at),
    }
    url = f"{teams_url(world.workforce)}{team.pk}/"
    assert client.get(url).json() == team_body(team)
    WorkTeamMemberFactory(team=team)
    renamed = client.patch(url, {"name": "Day shift"}, format="json")
    assert renamed.status_code == 200
    team.refresh_from_db()
    assert renamed.json() == {**team_body(team, member_count=1), "name": "Day shift"}
    deleted = client.delete(url)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert not WorkTeam.objects.exists()
    assert not WorkTeamMember.objects.exists()


def test_the_team_list_is_newest_first_and_costs_the_same_queries_at_one_and_many(
    world, django_assert_num_queries
):
    client = session_client(world.member)
    first = WorkTeamFactory(workforce=world.workforce)
    WorkTeamMemberFactory(team=first)
    WorkTeamFactory(workforce=WorkforceFactory(organization=world.organization))

    # Session, the organization, the workforce with its counts, the page of teams.
    with django_assert_num_queries(4):
        one = client.get(teams_url(world.workforce))
    assert one.json() == {"next": None, "previous": None, "results": [team_body(first, 1)]}

    more = WorkTeamFactory.create_batch(5, workforce=world.workforce)
    for team in more:
        WorkTeamMemberFactory.create_batch(2, team=team)
    with django_assert_num_queries(4):
        many = client.get(teams_url(world.workforce))
    assert many.json()["results"] == [team_body(team, 2) for team in reversed(more)] + [
        team_body(first, 1)
    ]


def test_team_members_are_added_listed_and_removed_by_worker_id(world, django_assert_num_queries):
    client = session_client(world.member)
    team = WorkTeamFactory(workforce=world.workforce)
    membership = WorkforceMemberFactory(workforce=world.workforce)
    worker = membership.worker
    url = f"{teams_url(world.workforce)}{team.pk}/members/"

    added = client.post(url, {"worker_id": worker.worker_id}, format="json")

    assert added.status_code == 201
    place = WorkTeamMember.objects.get()
    assert added.json() == member_body(worker, place.created_at)
    again = client.post(url, {"worker_id": worker.worker_id}, format="json")
    assert (again.status_code, again.json()) == (201, added.json())
    assert WorkTeamMember.objects.count() == 1
    with django_assert_num_queries(5):
        listed = client.get(url)
    assert listed.json()["results"] == [member_body(worker, place.created_at)]
    others = [WorkTeamMemberFactory(team=team) for _ in range(4)]
    with django_assert_num_queries(5):
        listed = client.get(url)
    assert [body["WorkerId"] for body in listed.json()["results"]] == [
        other.worker.worker_id for other in reversed(others)
    ] + [worker.worker_id]

    removed = client.delete(f"{url}{worker.worker_id}/")
    assert (removed.status_code, removed.content) == (204, b"")
    assert not WorkTeamMember.objects.filter(worker=worker).exists()
    again = client.delete(f"{url}{worker.worker_id}/")
    assert again.status_code == 204


def test_bad_team_input_is_a_400_on_the_field_and_changes_nothing(world):
    client = session_client(world.member)
    team = WorkTeamFactory(workforce=world.workforce, name="Taken")
    outsider_worker = WorkforceMemberFactory(workforce=WorkforceFactory()).worker
    not_a_member = WorkerProfileFactory()
    url = teams_url(world.workforce)
    before = snapshot()

    responses = {
        "duplicate": client.post(url, {"name": "Taken"}, format="json"),
        "empty": client.post(url, {"name": ""}, format="json"),
        "missing": client.post(url, {}, format="json"),
        "long description": client.post(
            url, {"name": "Fine", "description": "x" * 1001}, format="json"
        ),
        "unknown field": client.post(url, {"name": "Fine", "kind": "vendor"}, format="json"),
        "rename to taken": client.patch(
            f"{url}{WorkTeamFactory(workforce=world.workforce).pk}/",
            {"name": "Taken"},
            format="json",
        ),
        "bad worker id": client.post(
            f"{url}{team.pk}/members/", {"worker_id": "nobody"}, format="json"
        ),
        "unknown worker": client.post(
            f"{url}{team.pk}/members/", {"worker_id": "A" + "Z" * 13}, format="json"
        ),
        "not in the workforce": client.post(
            f"{url}{team.pk}/members/", {"worker_id": not_a_member.worker_id}, format="json"
        ),
        "in another workforce": client.post(
            f"{url}{team.pk}/members/", {"worker_id": outsider_worker.worker_id}, format="json"
        ),
    }

    invalid = "The request has invalid fields."
    not_a_member_message = ["This worker is not a member of the team's workforce."]
    assert {name: (r.status_code, r.json()) for name, r in responses.items()} == {
        "duplicate": (
            400,
            error(
                "invalid", invalid, {"name": ["The workforce already has a team with this name."]}
            ),
        ),
        "empty": (400, error("invalid", invalid, {"name": ["This field may not be blank."]})),
        "missing": (400, error("invalid", invalid, {"name": ["This field is required."]})),
        "long description": (
            400,
            error(
                "invalid",
                invalid,
                {"description": ["Ensure this field has no more than 1000 characters."]},
            ),
        ),
        "unknown field": (400, error("invalid", invalid, {"kind": ["Unknown field."]})),
        "rename to taken": (
            400,
            error(
                "invalid", invalid, {"name": ["The workforce already has a team with this name."]}
            ),
        ),
        "bad worker id": (
            400,
            error(
                "invalid",
                invalid,
                {"worker_id": ["A worker id is A followed by 12 to 20 A-Z or 0-9."]},
            ),
        ),
        "unknown worker": (
            400,
            error("invalid", invalid, {"worker_id": ["No worker has this id."]}),
        ),
        "not in the workforce": (
            400,
            error("invalid", invalid, {"worker_id": not_a_member_message}),
        ),
        "in another workforce": (
            400,
            error("invalid", invalid, {"worker_id": not_a_member_message}),
        ),
    }
    # The rename target was made after the snapshot; everything else is as it was.
    after = snapshot()
    after["workforce.WorkTeam"] = after["workforce.WorkTeam"][:1]
    assert after == before


def test_a_team_a_running_job_targets_is_not_deleted(world):
    team = WorkTeamFactory(workforce=world.workforce)
    job = RunningJobFactory(organization=world.organization, workforce=world.workforce)
    job.teams.add(team)
    client = session_client(world.member)
    before = snapshot()

    response = client.delete(f"{teams_url(world.workforce)}{team.pk}/")

    assert (response.status_code, response.json()) == (
        409,
        error(
            "team_in_use",
            (
                "A draft, running or paused job targets this team: "
                "take it off the draft or stop the job first."
            ),
        ),
    )
    assert snapshot() == before
    job.status = JobStatus.COMPLETED
    job.save(update_fields=["status"])
    assert client.delete(f"{teams_url(world.workforce)}{team.pk}/").status_code == 204


def test_other_organizations_workforces_and_teams_are_404(world):
    theirs = WorkforceFactory(organization=world.other_organization)
    their_team = WorkTeamMemberFactory(team__workforce=theirs).team
    my_team = WorkTeamFactory(workforce=world.workforce)
    worker = WorkforceMemberFactory(workforce=world.workforce).worker
    client = session_client(world.member)
    outsider = session_client(world.outsider)
    # Their team through my workforce's path, their workforce through my organization's.
    crossed = f"{teams_url(world.workforce)}{their_team.pk}/"
    mixed = f"/api/v1/organizations/{world.organization.pk}/workforces/{theirs.pk}/teams/"
    mine = f"{teams_url(world.workforce)}{my_team.pk}/"
    before = snapshot()

    responses = [
        client.get(teams_url(theirs)),
        client.post(teams_url(theirs), {"name": "Mine"}, format="json"),
        client.get(mixed),
        client.get(crossed),
        client.patch(crossed, {"name": "Mine"}, format="json"),
        client.delete(crossed),
        client.get(f"{crossed}members/"),
        client.post(f"{crossed}members/", {"worker_id": worker.worker_id}, format="json"),
        client.delete(f"{crossed}members/{worker.worker_id}/"),
        client.get(f"{teams_url(world.workforce)}999999/"),
        outsider.get(mine),
        outsider.patch(mine, {"name": "Mine"}, format="json"),
        outsider.delete(mine),
        outsider.post(f"{mine}members/", {"worker_id": worker.worker_id}, format="json"),
        client.delete(f"{mine}members/ANOSUCHWORKER1/"),
    ]

    assert [(r.status_code, r.json()) for r in responses] == [(404, NOT_FOUND)] * 14 + [
        (404, error("not_found", "No worker has this id."))
    ]
    assert snapshot() == before


def test_an_api_key_reads_and_manages_its_organization_s_private_teams(world):
    client = key_client(world.raw_key)

    created = client.post(teams_url(world.workforce), {"name": "Scripted"}, format="json")

    assert created.status_code == 201
    assert client.get(teams_url(world.workforce)).json()["results"] == [created.json()]
