"""Qualification tests and requests: a worker takes a test scored by its answer key and is
granted the score (which unlocks a job), or waits for review by hand; auto-granted types;
Mechanical Turk's retry rules; deadlines; bad answers; the answer key never shown."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.services.jobs import job_launch
from marketplace.exceptions import InvalidInput
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of
from tests.marketplace.api_support import NOT_FOUND, make_world, session_client, snapshot
from tests.workforce.factories import QualificationTypeFactory, WorkerProfileFactory
from workforce.models import Qualification, QualificationRequest
from workforce.qualifications import job_requirements_set, qualification_type_create

pytestmark = pytest.mark.django_db

TEST = {
    "questions": [
        {
            "id": "q1",
            "text": "Which is a bird?",
            "options": [{"id": "a", "text": "Robin"}, {"id": "b", "text": "Trout"}],
        },
        {
            "id": "q2",
            "text": "Which can fly?",
            "options": [{"id": "a", "text": "Penguin"}, {"id": "b", "text": "Swallow"}],
        },
    ]
}
KEY = {"q1": {"a": 50, "b": 0}, "q2": {"a": 0, "b": 50}}
RIGHT = {"q1": "a", "q2": "b"}


@pytest.fixture
def world():
    return make_world()


def birds(world, **fields):
    return QualificationTypeFactory(
        owner=world.organization,
        name=fields.pop("name", "Birds"),
        test=TEST,
        answer_key=fields.pop("answer_key", KEY),
        test_duration_seconds=600,
        **fields,
    )


def start(client, qualification_type):
    return client.post(f"/api/v1/work/qualification-types/{qualification_type.type_id}/request/")


def submit(client, request_id, answers):
    return client.post(
        f"/api/v1/work/qualification-requests/{request_id}/submit/",
        {"Answers": answers},
        format="json",
    )


def test_a_worker_passes_a_scored_test_and_then_finds_the_job_it_unlocks(world):
    qualification_type = birds(world)
    job = LabelingJobFactory(organization=world.organization)
    DataObjectFactory.create_batch(2, job=job)
    job_requirements_set(
        actor=world.member,
        job=job,
        requirements=[
            {
                "QualificationTypeId": qualification_type.type_id,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [100],
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        ],
    )
    job_launch(actor=world.member, job=job)
    worker = WorkerProfileFactory()
    client = session_client(worker.user)
    assert client.get("/api/v1/work/jobs/").json()["results"] == []

    listed = client.get("/api/v1/work/qualification-types/").json()["results"]
    started = start(client, qualification_type)

    assert [body["QualificationTypeId"] for body in listed] == [qualification_type.type_id]
    assert started.status_code == 201
    body = started.json()
    assert (body["Status"], body["Test"], body["Score"]) == ("InProgress", TEST, None)
    assert body["Deadline"] is not None
    assert "AnswerKey" not in json.dumps([listed, body])
    finished = submit(client, body["QualificationRequestId"], RIGHT)
    assert finished.status_code == 200
    assert (finished.json()["Status"], finished.json()["Score"]) == ("Granted", 100)
    held = Qualification.objects.get(worker=worker, qualification_type=qualification_type)
    assert (held.integer_value, held.status) == (100, "Granted")
    assert [body["id"] for body in client.get("/api/v1/work/jobs/").json()["results"]] == [job.pk]
    assert client.post("/api/v1/work/next/", {"job_id": job.pk}, format="json").status_code == 201


def test_a_low_score_is_granted_as_its_value_and_unlocks_nothing(world):
    qualification_type = birds(world)
    worker = WorkerProfileFactory()
    client = session_client(worker.user)

    request_id = start(client, qualification_type).json()["QualificationRequestId"]
    finished = submit(client, request_id, {"q1": "a", "q2": "a"})

    assert finished.json()["Score"] == 50
    assert Qualification.objects.get(worker=worker).integer_value == 50


@pytest.mark.parametrize(
    "answers",
    [
        {"q1": "a"},
        {"q1": "a", "q2": "b", "q3": "a"},
        {"q1": "a", "q2": "z"},
    ],
)
def test_bad_answers_are_refused_and_the_attempt_stays_open(world, answers):
    qualification_type = birds(world)
    client = session_client(WorkerProfileFactory().user)
    request_id = start(client, qualification_type).json()["QualificationRequestId"]
    before = snapshot()

    response = submit(client, request_id, answers)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["Answers"]
    assert snapshot() == before
    assert submit(client, request_id, RIGHT).json()["Status"] == "Granted"


def test_a_late_test_is_rejected_and_nothing_granted(world):
    qualification_type = birds(world)
    worker = WorkerProfileFactory()
    client = session_client(worker.user)
    request_id = start(client, qualification_type).json()["QualificationRequestId"]
    QualificationRequest.objects.filter(request_id=request_id).update(
        started_at=timezone.now() - timedelta(seconds=601)
    )

    response = submit(client, request_id, RIGHT)

    assert (response.json()["Status"], response.json()["Reason"]) == (
        "Rejected",
        "The test's time ran out.",
    )
    assert not Qualification.objects.filter(worker=worker).exists()
    assert submit(client, request_id, RIGHT).status_code == 409


def test_without_an_answer_key_the_requester_reviews_by_hand(world):
    qualification_type = birds(world, answer_key=None)
    first, second = WorkerProfileFactory.create_batch(2)
    ids = []
    for worker in (first, second):
        client = session_client(worker.user)
        request_id = start(client, qualification_type).json()["QualificationRequestId"]
        assert submit(client, request_id, RIGHT).json()["Status"] == "Pending"
        ids.append(request_id)
    requester = session_client(world.member)
    base = (
        f"/api/v1/organizations/{world.organization.pk}/qualification-types/"
        f"{qualification_type.type_id}/requests/"
    )

    queue = requester.get(f"{base}?status=Pending").json()["results"]
    accepted = requester.post(f"{base}{ids[0]}/accept/", {"IntegerValue": 7}, format="json")
    rejected = requester.post(f"{base}{ids[1]}/reject/", {"Reason": "Guessing."}, format="json")

    assert [body["QualificationRequestId"] for body in queue] == ids[::-1]  # newest first
    assert queue[0]["Answer"] == RIGHT
    assert rejected.json()["Status"] == "Rejected"
    assert (accepted.json()["Status"], accepted.json()["Score"]) == ("Granted", 7)
    assert Qualification.objects.get(worker=first).integer_value == 7
    assert not Qualification.objects.filter(worker=second).exists()
    mine = session_client(second.user).get("/api/v1/work/qualification-requests/")
    assert (mine.json()["results"][0]["Status"], mine.json()["results"][0]["Reason"]) == (
        "Rejected",
        "Guessing.",
    )
    assert requester.post(f"{base}{ids[0]}/reject/", {"Reason": "x"}).status_code == 409
    assert requester.get(f"{base}?status=Waiting").status_code == 400


def test_an_auto_granted_type_is_granted_on_request(world):
    qualification_type = QualificationTypeFactory(
        owner=world.organization, auto_granted=True, auto_granted_value=3
    )
    worker = WorkerProfileFactory()
    client = session_client(worker.user)

    response = start(client, qualification_type)

    assert (response.json()["Status"], response.json()["Test"]) == ("Granted", None)
    assert Qualification.objects.get(worker=worker).integer_value == 3
    assert start(client, qualification_type).json()["code"] == "already_qualified"


def test_retry_rules(world):
    once = birds(world, name="Once")
    retry = birds(world, name="Retry", retry_delay_seconds=3600)
    client = session_client(WorkerProfileFactory().user)

    open_id = start(client, once).json()["QualificationRequestId"]
    assert start(client, once).json()["code"] == "request_open"
    submit(client, open_id, {"q1": "b", "q2": "a"})  # scored 0: granted with value 0
    Qualification.objects.all().delete()
    assert start(client, once).json()["code"] == "no_retry"

    first = start(client, retry).json()["QualificationRequestId"]
    submit(client, first, {"q1": "b", "q2": "a"})
    Qualification.objects.all().delete()
    assert start(client, retry).json()["code"] == "retry_delay"
    QualificationRequest.objects.filter(request_id=first).update(
        submitted_at=timezone.now() - timedelta(seconds=3601)
    )
    assert start(client, retry).status_code == 201


def test_what_cannot_be_requested_or_reached(world):
    inactive = birds(world, status="Inactive")
    manual_only = QualificationTypeFactory(owner=world.organization)  # no test, not auto
    worker, other = WorkerProfileFactory.create_batch(2)
    client = session_client(worker.user)
    mine = birds(world, name="Mine")
    request_id = start(client, mine).json()["QualificationRequestId"]
    theirs = (
        f"/api/v1/organizations/{world.other_organization.pk}/qualification-types/"
        f"{mine.type_id}/requests/"
    )

    assert start(client, inactive).json() == NOT_FOUND
    assert start(client, manual_only).json() == NOT_FOUND
    assert client.post("/api/v1/work/qualification-types/00000000000000000071/request/").json() == (
        NOT_FOUND
    )
    assert submit(session_client(other.user), request_id, RIGHT).json() == NOT_FOUND
    assert session_client(world.outsider).get(theirs).json() == NOT_FOUND
    requester_base = (
        f"/api/v1/organizations/{world.organization.pk}/qualification-types/{mine.type_id}/"
    )
    outsider = session_client(world.outsider)
    assert outsider.get(f"{requester_base}requests/").json() == NOT_FOUND
    assert outsider.post(f"{requester_base}requests/{request_id}/accept/").json() == NOT_FOUND


ONE_OPTION = {"questions": [{"id": "q1", "text": "x", "options": [{"id": "a", "text": "A"}]}]}
TIMED = {"test": TEST, "test_duration_seconds": 600}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"test": TEST}, "test_duration_seconds"),
        ({**TIMED, "auto_granted": True}, "auto_granted"),
        ({"answer_key": KEY}, "answer_key"),
        ({"test": {"questions": []}, "test_duration_seconds": 600}, "test"),
        ({"test": ONE_OPTION, "test_duration_seconds": 600}, "test"),
        ({"test": {"questions": TEST["questions"] * 2}, "test_duration_seconds": 600}, "test"),
        ({**TIMED, "answer_key": {"q1": {"a": 1, "b": 0}}}, "answer_key"),
        ({**TIMED, "answer_key": {**KEY, "q2": {"a": "ten", "b": 0}}}, "answer_key"),
        ({"test": "Which is a bird?", "test_duration_seconds": 600}, "test"),
    ],
)
def test_bad_tests_are_refused_by_field_and_change_nothing(world, fields, field):
    before = snapshot()

    with pytest.raises(InvalidInput) as error:
        qualification_type_create(
            actor=requester_of(world.organization),
            organization=world.organization,
            name="Birds",
            description="d",
            **fields,
        )

    assert field in error.value.fields
    assert snapshot()["workforce.QualificationType"] == before["workforce.QualificationType"]
