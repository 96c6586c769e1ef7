"""The qualifications API: types, grants and revokes, system types, a job's requirements
and a worker's own qualifications, in Mechanical Turk's shapes; strangers get 404."""

import pytest

from tests.jobs.factories import LabelingJobFactory
from tests.jobs.lifecycle import launched_job
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
    QualificationFactory,
    QualificationTypeFactory,
    WorkerProfileFactory,
)
from workforce.models import Qualification, QualificationType, SystemQualification
from workforce.qualifications import system_qualification_type

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def world():
    return make_world()


def types_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/qualification-types/"


def type_body(qualification_type) -> dict:
    qualification_type.refresh_from_db()
    return {
        "QualificationTypeId": qualification_type.type_id,
        "CreationTime": iso(qualification_type.created_at),
        "Name": qualification_type.name,
        "Description": qualification_type.description,
        "Keywords": qualification_type.keywords,
        "QualificationTypeStatus": qualification_type.status,
        "RetryDelayInSeconds": qualification_type.retry_delay_seconds,
        "AutoGranted": qualification_type.auto_granted,
        "AutoGrantedValue": qualification_type.auto_granted_value,
        "IsSystem": qualification_type.owner_id is None,
        "Test": qualification_type.test,
        "AnswerKey": qualification_type.answer_key,
        "TestDurationInSeconds": qualification_type.test_duration_seconds,
    }


def test_a_member_creates_lists_reads_and_changes_a_type(world):
    client = session_client(world.member)

    created = client.post(
        types_url(world.organization),
        {"Name": "Birds", "Description": "Knows birds.", "Keywords": "birds, ornithology"},
        format="json",
    )

    assert created.status_code == 201
    stored = QualificationType.objects.get(type_id=created.json()["QualificationTypeId"])
    assert created.json() == type_body(stored)
    assert stored.owner == world.organization
    listed = client.get(types_url(world.organization)).json()["results"]
    assert listed == [type_body(stored)]
    detail = client.get(f"{types_url(world.organization)}{stored.type_id}/")
    assert detail.json() == type_body(stored)
    changed = client.patch(
        f"{types_url(world.organization)}{stored.type_id}/",
        {"QualificationTypeStatus": "Inactive", "RetryDelayInSeconds": 3600},
        format="json",
    )
    assert changed.status_code == 200
    assert (changed.json()["QualificationTypeStatus"], changed.json()["RetryDelayInSeconds"]) == (
        "Inactive",
        3600,
    )


def test_an_api_key_works_for_its_own_organization_only(world):
    client = key_client(world.raw_key)

    assert client.get(types_url(world.organization)).status_code == 200
    assert client.get(types_url(world.other_organization)).json() == NOT_FOUND


TOO_LONG = ["Ensure this field has no more than 200 characters."]
TAKEN = ["You already have a qualification type with this name."]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"Description": "x"}, {"Name": ["This field is required."]}),
        ({"Name": "x" * 201, "Description": "x"}, {"Name": TOO_LONG}),
        ({"Name": "Birds", "Description": "x", "Colour": "red"}, {"Colour": ["Unknown field."]}),
        (
            {"Name": "Birds", "Description": "x", "QualificationTypeStatus": "Retired"},
            {"QualificationTypeStatus": ['"Retired" is not a valid choice.']},
        ),
        ({"Name": "Taken", "Description": "x"}, {"Name": TAKEN}),
    ],
)
def test_bad_types_are_refused_by_field_and_change_nothing(world, body, fields):
    QualificationTypeFactory(owner=world.organization, name="Taken")
    client = session_client(world.member)
    before = snapshot()

    response = client.post(types_url(world.organization), body, format="json")

    assert response.status_code == 400
    assert response.json() == error("invalid", INVALID, fields)
    assert snapshot() == before


def test_grant_list_and_revoke_by_worker_id(world):
    skill = QualificationTypeFactory(owner=world.organization)
    worker = WorkerProfileFactory()
    client = session_client(world.member)
    grants = f"{types_url(world.organization)}{skill.type_id}/grants/"

    granted = client.post(grants, {"WorkerId": worker.worker_id, "IntegerValue": 85}, format="json")

    assert granted.status_code == 201
    held = Qualification.objects.get(worker=worker, qualification_type=skill)
    expected = {
        "QualificationTypeId": skill.type_id,
        "Name": skill.name,
        "WorkerId": worker.worker_id,
        "GrantTime": iso(held.granted_at),
        "IntegerValue": 85,
        "LocaleValue": None,
        "Status": "Granted",
        "RevokeReason": "",
    }
    assert granted.json() == expected
    assert client.get(grants).json()["results"] == [expected]

    revoked = client.post(
        f"{grants}{worker.worker_id}/revoke/", {"Reason": "Too many mistakes."}, format="json"
    )
    assert revoked.status_code == 200
    assert (revoked.json()["Status"], revoked.json()["RevokeReason"]) == (
        "Revoked",
        "Too many mistakes.",
    )
    mine = session_client(worker.user).get("/api/v1/work/qualifications/")
    assert mine.json()["results"] == [
        {**expected, "Status": "Revoked", "RevokeReason": "Too many mistakes."}
    ]


def test_grant_errors(world):
    skill = QualificationTypeFactory(owner=world.organization)
    client = session_client(world.member)
    grants = f"{types_url(world.organization)}{skill.type_id}/grants/"
    before = snapshot()

    unknown = client.post(grants, {"WorkerId": "ANOSUCHWORKER00"}, format="json")
    bad_value = client.post(grants, {"WorkerId": "A1", "IntegerValue": "lots"}, format="json")
    too_big = client.post(grants, {"WorkerId": "A1", "IntegerValue": 2**31}, format="json")
    not_held = client.post(f"{grants}ANOSUCHWORKER00/revoke/", {"Reason": "x"}, format="json")
    no_reason = client.post(f"{grants}ANOSUCHWORKER00/revoke/", {}, format="json")

    assert unknown.status_code == 404
    assert list(bad_value.json()["fields"]) == ["IntegerValue"]
    assert list(too_big.json()["fields"]) == ["IntegerValue"]
    assert not_held.status_code == 404
    assert no_reason.json()["fields"] == {"Reason": ["This field is required."]}
    assert snapshot() == before


def test_another_organizations_types_and_grants_are_not_found(world):
    theirs = QualificationTypeFactory(owner=world.other_organization)
    worker = QualificationFactory(qualification_type=theirs).worker
    client = session_client(world.member)
    before = snapshot()

    their_url = f"{types_url(world.other_organization)}{theirs.type_id}/"
    via_mine = f"{types_url(world.organization)}{theirs.type_id}/"
    responses = [
        client.get(types_url(world.other_organization)),
        client.post(types_url(world.other_organization), {"Name": "x", "Description": "y"}),
        client.get(their_url),
        client.patch(their_url, {"Name": "Mine"}, format="json"),
        client.get(via_mine),
        client.get(f"{via_mine}grants/"),
        client.post(f"{via_mine}grants/", {"WorkerId": worker.worker_id}, format="json"),
        client.post(f"{via_mine}grants/{worker.worker_id}/revoke/", {"Reason": "x"}),
    ]

    assert [response.json() for response in responses] == [NOT_FOUND] * len(responses)
    assert snapshot() == before


def test_system_types_are_listed_for_anyone_logged_in(world):
    locale = system_qualification_type(SystemQualification.LOCALE)

    response = session_client(world.outsider).get("/api/v1/qualification-types/system/")

    assert response.status_code == 200
    assert type_body(locale) in response.json()
    assert {body["Name"] for body in response.json()} >= {
        "Worker_Locale",
        "Worker_PercentAssignmentsApproved",
        "Worker_NumberHITsApproved",
        "Worker_Adult",
    }
    assert all(body["IsSystem"] for body in response.json())


def test_a_drafts_requirements_are_replaced_and_read_back(world):
    job = LabelingJobFactory(organization=world.organization)
    skill = QualificationTypeFactory(owner=world.organization)
    locale = system_qualification_type(SystemQualification.LOCALE)
    url = f"/api/v1/jobs/{job.pk}/qualification-requirements/"
    requirements = [
        {
            "QualificationTypeId": skill.type_id,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [90],
            "LocaleValues": [],
            "ActionsGuarded": "Accept",
        },
        {
            "QualificationTypeId": locale.type_id,
            "Comparator": "In",
            "IntegerValues": [],
            "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}],
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
    ]
    client = session_client(world.member)

    response = client.put(url, {"requirements": requirements}, format="json")

    assert response.status_code == 200
    assert response.json() == {"requirements": requirements}
    assert client.get(url).json() == {"requirements": requirements}


def test_bad_requirements_are_refused_by_field_and_change_nothing(world):
    job = LabelingJobFactory(organization=world.organization)
    client = session_client(world.member)
    url = f"/api/v1/jobs/{job.pk}/qualification-requirements/"
    before = snapshot()

    response = client.put(
        url,
        {"requirements": [{"QualificationTypeId": "NOPE00000000000000000", "Comparator": "Near"}]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {
        "requirements[0].QualificationTypeId",
        "requirements[0].Comparator",
    }
    assert client.put(url, {"requirements": [{}] * 11}, format="json").status_code == 400
    assert client.put(url, {"requirement": []}, format="json").status_code == 400
    assert snapshot() == before


def test_a_launched_jobs_requirements_are_fixed_and_strangers_see_nothing(world):
    job, _ = launched_job(objects=1, organization=world.organization)
    url = f"/api/v1/jobs/{job.pk}/qualification-requirements/"

    fixed = session_client(world.member).put(url, {"requirements": []}, format="json")
    stranger = session_client(world.outsider)

    assert fixed.status_code == 409
    assert stranger.get(url).json() == NOT_FOUND
    assert stranger.put(url, {"requirements": []}, format="json").json() == NOT_FOUND


def test_only_workers_have_a_qualifications_list(world):
    response = session_client(world.member).get("/api/v1/work/qualifications/")

    assert response.status_code == 403
