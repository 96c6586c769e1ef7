"""Where a job's work goes: private teams, an engaged vendor's workforce, the public crowd;
exactly the eligible workers discover, preview, accept and claim it, on both dispatch
paths; and bad targets are refused with field messages, changing nothing."""

from decimal import Decimal

import pytest

from jobs.models import LabelingJob
from jobs.services import dispatch
from jobs.services.dispatch import assignment_claim_next
from jobs.services.jobs import job_create, job_launch, job_update
from marketplace.exceptions import InvalidInput
from marketplace.models import Engagement, EngagementStatus, ListingStatus, VendorListing
from tests.jobs.api_support import create_body, job_body
from tests.jobs.factories import DataObjectFactory, PrivateWorkforceFactory
from tests.jobs.lifecycle import job_fields, requester_of, workers
from tests.marketplace.api_support import organization_with_owner, session_client
from tests.marketplace.factories import OrganizationFactory, VendorProfileFactory
from tests.snapshots import database_snapshot
from workforce.eligibility import Action, jobs_open_to_worker, workers_eligible_for_job
from workforce.models import (
    Workforce,
    WorkforceKind,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)
from workforce.services import worker_block, worker_suspend

pytestmark = pytest.mark.django_db


# Set-up helpers (the vendor and team services have their own tests).


def vendor_with_workers(count: int):
    """A vendor organization, its vendor workforce and `count` member workers."""
    profile = VendorProfileFactory()
    workforce, _ = Workforce.objects.get_or_create(
        kind=WorkforceKind.VENDOR,
        organization=profile.organization,
        defaults={"name": f"{profile.display_name} (vendor)"},
    )
    members = workers(count)
    for worker in members:
        WorkforceMember.objects.create(workforce=workforce, worker=worker)
    return profile, workforce, members


def engagement(requester, vendor, *, status=EngagementStatus.ACCEPTED, task_type=None):
    listing = VendorListing.objects.create(
        vendor=vendor,
        title="Managed image labeling",
        turnaround_hours=48,
        capacity_objects_per_day=5000,
        status=ListingStatus.PUBLISHED,
    )
    return Engagement.objects.create(
        listing=listing,
        requester=requester,
        vendor=vendor,
        task_type=task_type or "image-classification",
        price_per_object=Decimal("0.0800"),
        expected_objects=100,
        status=status,
        requested_by=requester_of(requester),
    )


def team_of(workforce, name, members=()):
    team = WorkTeam.objects.create(workforce=workforce, name=name)
    for worker in members:
        WorkforceMember.objects.get_or_create(workforce=workforce, worker=worker)
        WorkTeamMember.objects.create(team=team, worker=worker)
    return team


def launched(actor, organization, objects=2, **fields) -> LabelingJob:
    job = job_create(actor=actor, organization=organization, **job_fields(**fields))
    DataObjectFactory.create_batch(objects, job=job)
    return job_launch(actor=actor, job=job)


@pytest.fixture(params=["statement", "queryset"])
def dispatch_path(request, monkeypatch):
    """Run each claim through PostgreSQL's one-statement claim and the queryset path."""
    if request.param == "queryset":
        monkeypatch.setattr(dispatch, "_claim_in_one_statement", lambda **_kwargs: None)
    return request.param


def reaches(worker, job) -> dict:
    """What the worker may do with the job: each action, and whether a claim gives them
    one of its tasks."""
    return {
        "discover": jobs_open_to_worker(worker=worker, action=Action.DISCOVER)
        .filter(pk=job.pk)
        .exists(),
        "preview": jobs_open_to_worker(worker=worker, action=Action.PREVIEW)
        .filter(pk=job.pk)
        .exists(),
        "accept": jobs_open_to_worker(worker=worker).filter(pk=job.pk).exists(),
        "claim": assignment_claim_next(worker=worker, job=job) is not None,
    }


ALL = {"discover": True, "preview": True, "accept": True, "claim": True}
NONE = {"discover": False, "preview": False, "accept": False, "claim": False}


# Vendor routing.


def test_a_job_through_an_engagement_reaches_exactly_the_vendors_workers(dispatch_path):
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    vendor, vendor_workforce, (labeler, other_labeler) = vendor_with_workers(2)
    _other_vendor, _, (rival,) = vendor_with_workers(1)
    crowd_worker = workers(1)[0]
    hired = engagement(requester_org, vendor)

    job = launched(actor, requester_org, engagement=hired.pk)

    assert (job.workforce, job.engagement) == (vendor_workforce, hired)
    assert reaches(labeler, job) == ALL
    assert reaches(rival, job) == NONE
    assert reaches(crowd_worker, job) == NONE
    assert list(workers_eligible_for_job(job=job)) == sorted(
        [labeler, other_labeler], key=lambda worker: worker.worker_id
    )


def test_the_requesters_block_and_a_suspension_reach_vendor_workers_too(dispatch_path):
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    vendor, _, (blocked, suspended, fine) = vendor_with_workers(3)
    job = launched(actor, requester_org, engagement=engagement(requester_org, vendor).pk)
    worker_block(actor=actor, organization=requester_org, worker=blocked, reason="Spam")
    staff = requester_of(OrganizationFactory())
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    worker_suspend(actor=staff, worker=suspended, reason="Fraud")

    assert reaches(blocked, job) == NONE
    assert reaches(suspended, job)["claim"] is False
    assert reaches(fine, job) == ALL
    assert list(workers_eligible_for_job(job=job)) == [fine]


@pytest.mark.parametrize(
    ("status", "task_type", "message"),
    [
        (
            EngagementStatus.REQUESTED,
            None,
            'The engagement is "requested"; only an accepted one can take jobs.',
        ),
        (
            EngagementStatus.DECLINED,
            None,
            'The engagement is "declined"; only an accepted one can take jobs.',
        ),
        (
            EngagementStatus.ENDED,
            None,
            'The engagement is "ended"; only an accepted one can take jobs.',
        ),
        (
            EngagementStatus.ACCEPTED,
            "text-classification",
            'The engagement is for "text-classification" jobs, not "image-classification".',
        ),
    ],
)
def test_only_an_accepted_engagement_for_the_jobs_task_type_takes_jobs(status, task_type, message):
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    vendor, _, _ = vendor_with_workers(1)
    not_usable = engagement(requester_org, vendor, status=status, task_type=task_type)
    before = database_snapshot()

    with pytest.raises(InvalidInput) as refused:
        job_create(actor=actor, organization=requester_org, **job_fields(engagement=not_usable.pk))

    assert refused.value.fields == {"engagement": [message]}
    assert database_snapshot() == before


def test_another_organizations_engagement_and_a_vendor_workforce_are_not_targets():
    requester_org, stranger = OrganizationFactory(), OrganizationFactory()
    actor = requester_of(requester_org)
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    theirs = engagement(stranger, vendor)
    before = database_snapshot()

    with pytest.raises(InvalidInput) as by_engagement:
        job_create(actor=actor, organization=requester_org, **job_fields(engagement=theirs.pk))
    with pytest.raises(InvalidInput) as by_workforce:
        job_create(
            actor=actor, organization=requester_org, **job_fields(workforce=vendor_workforce.pk)
        )

    assert by_engagement.value.fields == {
        "engagement": ["No such engagement in this organization."]
    }
    assert by_workforce.value.fields == {"workforce": ["No such workforce in this organization."]}
    assert database_snapshot() == before


def test_an_engagement_sets_the_workforce_so_another_one_is_refused():
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    own = PrivateWorkforceFactory(organization=requester_org)
    vendor, _, _ = vendor_with_workers(1)
    hired = engagement(requester_org, vendor)
    before = database_snapshot()

    with pytest.raises(InvalidInput) as refused:
        job_create(
            actor=actor,
            organization=requester_org,
            **job_fields(engagement=hired.pk, workforce=own.pk),
        )

    assert refused.value.fields == {
        "workforce": ["Leave out the workforce: the engagement sets it."]
    }
    assert database_snapshot() == before


def test_personal_data_may_go_to_a_vendor_but_never_to_the_crowd():
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    hired = engagement(requester_org, vendor)

    job = job_create(
        actor=actor,
        organization=requester_org,
        **job_fields(engagement=hired.pk, contains_personal_information=True),
    )
    with pytest.raises(InvalidInput) as refused:
        job_update(actor=actor, job=job, engagement=None)

    assert refused.value.fields == {
        "contains_personal_information": [
            "Data with personal information cannot go to the public crowd; choose a private "
            "workforce or a vendor."
        ]
    }
    job.refresh_from_db()
    assert (job.workforce, job.engagement) == (vendor_workforce, hired)


def test_a_draft_moves_from_a_vendor_to_its_own_workforce_and_back():
    requester_org = OrganizationFactory()
    actor = requester_of(requester_org)
    own = PrivateWorkforceFactory(organization=requester_org)
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    hired = engagement(requester_org, vendor)
    job = job_create(actor=actor, organization=requester_org, **job_fields(engagement=hired.pk))

    job = job_update(actor=actor, job=job, workforce=own.pk)
    assert (job.workforce, job.engagement) == (own, None)
    job = job_update(actor=actor, job=job, engagement=hired.pk)
    assert (job.workforce, job.engagement) == (vendor_workforce, hired)
    job = job_update(actor=actor, job=job, engagement=None)
    assert (job.workforce.kind, job.engagement) == (WorkforceKind.PUBLIC, None)
    assert list(job.events.values_list("data__fields", flat=True).order_by("pk")) == [
        None,
        ["engagement", "workforce"],
        ["engagement", "workforce"],
        ["engagement", "workforce"],
    ]


# Teams.


def test_a_job_for_some_teams_reaches_only_their_members(dispatch_path):
    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    day, night, outside = workers(3)
    day_team = team_of(workforce, "Day", [day])
    team_of(workforce, "Night", [night])
    WorkforceMember.objects.create(workforce=workforce, worker=outside)  # in no team

    job = launched(actor, organization, workforce=workforce.pk, teams=[day_team.pk])

    assert list(job.teams.all()) == [day_team]
    assert reaches(day, job) == ALL
    assert reaches(night, job) == NONE
    assert reaches(outside, job) == NONE
    assert list(workers_eligible_for_job(job=job)) == [day]


def test_a_job_for_no_team_reaches_the_whole_workforce(dispatch_path):
    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    in_team, no_team = workers(2)
    team_of(workforce, "Day", [in_team])
    WorkforceMember.objects.create(workforce=workforce, worker=no_team)
    stranger = workers(1)[0]

    job = launched(actor, organization, workforce=workforce.pk)

    assert reaches(in_team, job) == ALL
    assert reaches(no_team, job) == ALL
    assert reaches(stranger, job) == NONE
    assert set(workers_eligible_for_job(job=job)) == {in_team, no_team}


def test_a_team_member_removed_from_the_team_loses_the_jobs_work():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    (worker,) = workers(1)
    team = team_of(workforce, "Day", [worker])
    job = launched(actor, organization, workforce=workforce.pk, teams=[team.pk])
    assert reaches(worker, job)["accept"] is True

    WorkTeamMember.objects.filter(team=team, worker=worker).delete()

    assert reaches(worker, job) == NONE


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        ("day", "Give a list of team ids."),
        ([True], "Give a list of team ids."),
        (["1"], "Give a list of team ids."),
        ("twice", "A team is listed twice."),
        ("foreign", "No team {foreign} in the job's workforce."),
        ("sibling", "No team {sibling} in the job's workforce."),
    ],
)
def test_bad_teams_are_refused_and_nothing_changes(teams, message):
    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    sibling_workforce = PrivateWorkforceFactory(organization=organization)
    day = team_of(workforce, "Day")
    foreign = team_of(PrivateWorkforceFactory(), "Theirs")
    sibling = team_of(sibling_workforce, "Sibling")
    chosen = (
        {
            "twice": [day.pk, day.pk],
            "foreign": [day.pk, foreign.pk],
            "sibling": [sibling.pk],
        }.get(teams, teams)
        if isinstance(teams, str)
        else teams
    )
    before = database_snapshot()

    with pytest.raises(InvalidInput) as refused:
        job_create(
            actor=actor,
            organization=organization,
            **job_fields(workforce=workforce.pk, teams=chosen),
        )

    assert refused.value.fields == {
        "teams": [message.format(foreign=foreign.pk, sibling=sibling.pk)]
    }
    assert database_snapshot() == before


def test_teams_are_only_for_a_private_workforce():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    vendor_team = team_of(vendor_workforce, "Vendor's own")
    hired = engagement(organization, vendor)

    for target in ({}, {"engagement": hired.pk}):
        with pytest.raises(InvalidInput) as refused:
            job_create(
                actor=actor,
                organization=organization,
                **job_fields(teams=[vendor_team.pk], **target),
            )
        assert refused.value.fields == {
            "teams": ["Only a private workforce's jobs go to some of its teams."]
        }


def test_the_claims_team_flag_follows_the_jobs_teams():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    team = team_of(workforce, "Day")

    job = job_create(
        actor=actor,
        organization=organization,
        **job_fields(workforce=workforce.pk, teams=[team.pk]),
    )
    assert LabelingJob.objects.get(pk=job.pk).routed_to_teams is True
    job = job_update(actor=actor, job=job, teams=[])
    assert LabelingJob.objects.get(pk=job.pk).routed_to_teams is False
    job = job_update(actor=actor, job=job, teams=[team.pk])
    job = job_update(actor=actor, job=job, workforce=None)
    assert (LabelingJob.objects.get(pk=job.pk).routed_to_teams, list(job.teams.all())) == (
        False,
        [],
    )


def test_changing_a_drafts_workforce_drops_its_teams():
    organization = OrganizationFactory()
    actor = requester_of(organization)
    first, second = PrivateWorkforceFactory.create_batch(2, organization=organization)
    team = team_of(first, "Day")
    job = job_create(
        actor=actor, organization=organization, **job_fields(workforce=first.pk, teams=[team.pk])
    )

    job = job_update(actor=actor, job=job, workforce=second.pk)

    assert (job.workforce, list(job.teams.all())) == (second, [])
    assert job.events.order_by("-pk").first().data == {"fields": ["teams", "workforce"]}


# The API and the page.


def test_the_api_creates_a_job_for_teams_and_for_an_engagement():
    organization, owner = organization_with_owner()
    workforce = PrivateWorkforceFactory(organization=organization)
    team = team_of(workforce, "Day")
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    hired = engagement(organization, vendor)
    client = session_client(owner)

    for_team = client.post(
        "/api/v1/jobs/",
        create_body(organization, name="for-team", workforce=workforce.pk, teams=[team.pk]),
        format="json",
    )
    for_vendor = client.post(
        "/api/v1/jobs/",
        create_body(organization, name="for-vendor", engagement=hired.pk),
        format="json",
    )

    assert for_team.status_code == 201
    assert for_team.json() == job_body(LabelingJob.objects.get(name="for-team"))
    assert (for_team.json()["workforce"], for_team.json()["teams"]) == (workforce.pk, [team.pk])
    assert for_vendor.status_code == 201
    assert for_vendor.json() == job_body(LabelingJob.objects.get(name="for-vendor"))
    assert (for_vendor.json()["workforce"], for_vendor.json()["engagement"]) == (
        vendor_workforce.pk,
        hired.pk,
    )


def test_the_api_refuses_a_foreign_engagement_with_a_field_message():
    organization, owner = organization_with_owner()
    vendor, _, _ = vendor_with_workers(1)
    theirs = engagement(OrganizationFactory(), vendor)
    client = session_client(owner)
    before = database_snapshot()

    response = client.post(
        "/api/v1/jobs/", create_body(organization, engagement=theirs.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"engagement": ["No such engagement in this organization."]}
    assert database_snapshot() == before


def test_the_create_page_offers_engaged_vendors_and_teams(client):
    from django.urls import reverse

    from tests.jobs.test_pages_jobs import create_form

    organization = OrganizationFactory()
    requester = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization, name="Staff")
    team = team_of(workforce, "Night shift")
    vendor, vendor_workforce, _ = vendor_with_workers(1)
    hired = engagement(organization, vendor)
    pending = engagement(OrganizationFactory(), vendor)
    client.force_login(requester)

    page = client.get(reverse("job_create")).content.decode()
    response = client.post(reverse("job_create"), create_form(workforce=f"engagement:{hired.pk}"))

    assert f'value="engagement:{hired.pk}"' in page
    assert f'value="engagement:{pending.pk}"' not in page
    assert f'value="{team.pk}"' in page
    assert "Staff: Night shift" in page
    assert response.status_code == 302
    job = LabelingJob.objects.get(organization=organization)
    assert (job.workforce, job.engagement) == (vendor_workforce, hired)


def test_the_job_page_names_the_vendor_and_the_teams(client):
    from django.urls import reverse

    organization = OrganizationFactory()
    actor = requester_of(organization)
    workforce = PrivateWorkforceFactory(organization=organization)
    team = team_of(workforce, "Night shift")
    vendor, _, _ = vendor_with_workers(1)
    for_team = job_create(
        actor=actor,
        organization=organization,
        **job_fields(name="for-team", workforce=workforce.pk, teams=[team.pk]),
    )
    for_vendor = job_create(
        actor=actor,
        organization=organization,
        **job_fields(name="for-vendor", engagement=engagement(organization, vendor).pk),
    )
    client.force_login(actor)

    team_page = client.get(reverse("job_detail", args=[for_team.pk])).content.decode()
    vendor_page = client.get(reverse("job_detail", args=[for_vendor.pk])).content.decode()

    assert '<dt>Teams</dt><dd><span class="badge">Night shift</span>' in team_page
    assert f"Vendor {vendor.display_name} (0.0800 USD per object)" in vendor_page
