"""Quality rules' API: requesters' rules CRUD and action log per job (bad input, ended jobs,
other organizations), and the workers' notices of what rules did to them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import (
    AssignmentStatus,
    JobStatus,
    LabelingJob,
    QualityActionRecord,
    QualityRule,
)
from jobs.services.quality_rules import quality_rule_create, rules_check_worker
from tests.jobs.api_support import requester_world
from tests.jobs.factories import AssignmentFactory, HITFactory, RunningJobFactory
from tests.jobs.lifecycle import fresh
from tests.marketplace.api_support import (
    NOT_FOUND,
    error,
    iso,
    key_client,
    session_client,
    snapshot,
)
from tests.workforce.factories import QualificationTypeFactory, WorkerProfileFactory

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def world():
    return requester_world()


@pytest.fixture
def client(world):
    return session_client(world.owner)


@pytest.fixture
def job(world):
    return RunningJobFactory(organization=world.organization)


def url(job, rest=""):
    return f"/api/v1/jobs/{job.pk}/quality-rules/{rest}"


def valid_body(**overrides):
    return {
        "collector": "gold_accuracy",
        "params": {"history_size": 20},
        "operator": "lt",
        "value": 0.6,
        "min_answers": 5,
        "action": "remove_from_job",
        "reason": "Too many gold questions answered wrong.",
        **overrides,
    }


def rule_body(rule: QualityRule) -> dict:
    rule = fresh(rule)
    return {
        "id": rule.pk,
        "job": rule.job_id,
        "collector": rule.collector,
        "params": rule.params,
        "operator": rule.operator,
        "value": rule.value,
        "min_answers": rule.min_answers,
        "action": rule.action,
        "action_params": rule.action_params,
        "reason": rule.reason,
        "active": rule.active,
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }


def make_rule(world, job, **fields):
    return quality_rule_create(actor=world.owner, job=job, **{**valid_body(), **fields})


def submitted(job, worker, *, ago=timedelta(minutes=1)):
    now = timezone.now()
    return AssignmentFactory(
        hit=HITFactory(job=job),
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        accepted_at=now - ago - timedelta(seconds=2),
        submitted_at=now - ago,
        answer={"label": "cat"},
    )


# Rules CRUD.


def test_create_a_rule(client, job):
    response = client.post(url(job), valid_body(), format="json")

    assert response.status_code == 201
    rule = QualityRule.objects.get()
    assert response.json() == rule_body(rule)
    assert (rule.collector, rule.params, rule.value, rule.min_answers) == (
        "gold_accuracy",
        {"history_size": 20},
        0.6,
        5,
    )
    assert fresh(job).has_quality_rules


def test_create_with_an_api_key_of_the_organization(world, job):
    response = key_client(world.raw_key).post(url(job), valid_body(), format="json")

    assert response.status_code == 201


def test_list_and_read_rules(world, client, job):
    first = make_rule(world, job)
    second = make_rule(world, job, collector="submissions_24h", params={}, operator="gt", value=100)
    make_rule(world, RunningJobFactory(organization=world.organization))  # another job's

    listed = client.get(url(job))
    one = client.get(url(job, f"{first.pk}/"))

    assert listed.status_code == 200
    assert listed.json()["results"] == [rule_body(second), rule_body(first)]
    assert one.status_code == 200
    assert one.json() == rule_body(first)


def test_patch_turns_a_rule_off_and_on(world, client, job):
    rule = make_rule(world, job)

    off = client.patch(url(job, f"{rule.pk}/"), {"active": False}, format="json")
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert not fresh(job).has_quality_rules

    on = client.patch(url(job, f"{rule.pk}/"), {"active": True}, format="json")
    assert on.json()["active"] is True
    assert fresh(job).has_quality_rules


def test_patch_takes_only_active(world, client, job):
    rule = make_rule(world, job)
    before = snapshot()

    response = client.patch(url(job, f"{rule.pk}/"), {"value": 0.1}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"value": ["Unknown field."]}
    assert snapshot() == before


def test_delete_turns_the_rule_off_and_keeps_it(world, client, job):
    rule = make_rule(world, job)

    response = client.delete(url(job, f"{rule.pk}/"))
    again = client.delete(url(job, f"{rule.pk}/"))

    assert (response.status_code, again.status_code) == (204, 204)
    assert fresh(rule).active is False
    assert not fresh(job).has_quality_rules


def test_an_ended_job_takes_no_rule_change(world, client, job):
    rule = make_rule(world, job)
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
    before = snapshot()

    created = client.post(url(job), valid_body(), format="json")
    patched = client.patch(url(job, f"{rule.pk}/"), {"active": False}, format="json")
    deleted = client.delete(url(job, f"{rule.pk}/"))

    message = 'The job is "completed": its quality rules can no longer change.'
    for response in (created, patched, deleted):
        assert response.status_code == 409
        assert response.json() == error("job_ended", message)
    assert snapshot() == before


# Bad input: 400 with field messages, nothing changes.


BAD_INPUT = [
    ({"collector": "speed"}, "collector"),
    ({"operator": "eq"}, "operator"),
    ({"action": "fine"}, "action"),
    ({"value": 1.5}, "value"),
    ({"value": -0.1}, "value"),
    ({"operator": "lt", "value": 0}, "value"),
    ({"operator": "gt", "value": 1}, "value"),
    ({"collector": "majority_agreement", "operator": "gt", "value": 1}, "value"),
    (
        {
            "collector": "fast_responses",
            "params": {"threshold_seconds": 5, "measure": "share"},
            "value": 2,
        },
        "value",
    ),
    ({"collector": "submissions_24h", "params": {}, "value": -1}, "value"),
    ({"collector": "returns_in_row", "params": {}, "operator": "lt", "value": 0}, "value"),
    (
        {"collector": "fast_responses", "params": {}, "operator": "gt", "value": 3},
        "params.threshold_seconds",
    ),
    (
        {"collector": "fast_responses", "params": {"threshold_seconds": 0}, "value": 3},
        "params.threshold_seconds",
    ),
    (
        {"collector": "fast_responses", "params": {"threshold_seconds": 5, "measure": "mean"}},
        "params.measure",
    ),
    ({"params": {"history_size": 0}}, "params.history_size"),
    ({"params": {"history_size": 2.5}}, "params.history_size"),
    ({"params": {"window": 3}}, "params.window"),
    (
        {"collector": "submissions_24h", "params": {"history_size": 3}, "value": 3},
        "params.history_size",
    ),
    ({"min_answers": 0}, "min_answers"),
    ({"reason": "   "}, "reason"),
    ({"action": "change_overlap"}, "action_params.extra"),
    ({"action": "change_overlap", "action_params": {"extra": 0}}, "action_params.extra"),
    (
        {"action": "change_overlap", "action_params": {"extra": 1, "relabel": "yes"}},
        "action_params.relabel",
    ),
    ({"action": "set_skill", "action_params": {"value": 3}}, "action_params.qualification_type_id"),
    ({"action": "block", "action_params": {"extra": 1}}, "action_params.extra"),
    ({"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
def test_bad_rules_are_refused_with_field_messages(client, job, overrides, field):
    before = snapshot()

    response = client.post(url(job), valid_body(**overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert snapshot() == before
    assert not fresh(job).has_quality_rules


def test_an_impossible_share_condition_says_why(client, job):
    response = client.post(url(job), valid_body(operator="gt", value=1), format="json")

    assert response.json() == error(
        "invalid",
        INVALID,
        {"value": ["A share is never below 0 or above 1: this rule could never act."]},
    )


def test_set_skill_needs_a_qualification_type_of_the_jobs_organization(world, client, job):
    theirs = QualificationTypeFactory(owner=world.other_organization)
    mine = QualificationTypeFactory(owner=world.organization)
    before = snapshot()

    refused = client.post(
        url(job),
        valid_body(
            action="set_skill", action_params={"qualification_type_id": theirs.type_id, "value": 1}
        ),
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "action_params.qualification_type_id": [
            "The job's organization has no qualification type with this id."
        ]
    }
    assert snapshot() == before

    accepted = client.post(
        url(job),
        valid_body(
            action="set_skill", action_params={"qualification_type_id": mine.type_id, "value": 1}
        ),
        format="json",
    )
    assert accepted.status_code == 201


# Other organizations: 404, nothing changes.


def test_another_organizations_job_and_rules_are_not_found(world, job):
    rule = make_rule(world, job)
    outsider = session_client(world.outsider)
    before = snapshot()

    responses = [
        outsider.get(url(job)),
        outsider.post(url(job), valid_body(), format="json"),
        outsider.get(url(job, f"{rule.pk}/")),
        outsider.patch(url(job, f"{rule.pk}/"), {"active": False}, format="json"),
        outsider.delete(url(job, f"{rule.pk}/")),
        outsider.get(f"/api/v1/jobs/{job.pk}/quality-actions/"),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert snapshot() == before


def test_a_rule_of_another_job_is_not_found_under_this_one(world, client, job):
    other_job = RunningJobFactory(organization=world.organization)
    rule = make_rule(world, other_job)

    assert client.get(url(job, f"{rule.pk}/")).status_code == 404
    assert (
        client.patch(url(job, f"{rule.pk}/"), {"active": False}, format="json").status_code == 404
    )
    assert fresh(rule).active


def test_an_api_key_of_another_organization_sees_nothing(world, job):
    other = requester_world()
    response = key_client(other.raw_key).get(url(job))

    assert response.status_code == 404


# The action log.


def test_the_log_lists_actions_newest_first_with_evidence(world, client, job):
    make_rule(
        world, job, collector="submissions_24h", params={}, operator="gte", value=1, min_answers=1
    )
    first_worker, second_worker = WorkerProfileFactory(), WorkerProfileFactory()
    first_answer = submitted(job, first_worker)
    rules_check_worker(job_id=job.pk, worker_id=first_worker.pk)
    submitted(job, second_worker)
    rules_check_worker(job_id=job.pk, worker_id=second_worker.pk)
    first, second = QualityActionRecord.objects.order_by("pk")

    response = client.get(f"/api/v1/jobs/{job.pk}/quality-actions/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["id"] for item in results] == [second.pk, first.pk]
    assert results[1] == {
        "id": first.pk,
        "rule": first.rule_id,
        "worker": first_worker.worker_id,
        "action": "remove_from_job",
        "evidence": {
            "collector": "submissions_24h",
            "params": {},
            "condition": {"operator": "gte", "value": 1.0},
            "min_answers": 1,
            "figure": 1,
            "count": 1,
            "assignment_ids": [first_answer.assignment_id],
        },
        "result": {"removed": True},
        "reason": "Too many gold questions answered wrong.",
        "created_at": iso(first.created_at),
    }


def test_the_log_reads_in_constant_queries(world, client, job, django_assert_max_num_queries):
    make_rule(world, job, collector="submissions_24h", params={}, operator="gte", value=1)

    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/jobs/{job.pk}/quality-actions/").status_code == 200
        return len(captured)

    worker = WorkerProfileFactory()
    submitted(job, worker)
    rules_check_worker(job_id=job.pk, worker_id=worker.pk)
    one = page_queries()
    for _ in range(4):
        worker = WorkerProfileFactory()
        submitted(job, worker)
        rules_check_worker(job_id=job.pk, worker_id=worker.pk)
    assert page_queries() == one


# Workers' notices.


def test_a_worker_sees_what_rules_did_to_them_and_why(world, job):
    make_rule(
        world,
        job,
        collector="submissions_24h",
        params={},
        operator="gte",
        value=1,
        min_answers=1,
        reason="You answered faster than anyone can read.",
    )
    worker = WorkerProfileFactory()
    submitted(job, worker)
    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)

    response = session_client(worker.user).get("/api/v1/work/notices/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": record.pk,
                "job_id": job.pk,
                "job_title": job.title,
                "action": "remove_from_job",
                "what_happened": "You were removed from this job: you get no more of its tasks.",
                "reason": "You answered faster than anyone can read.",
                "created_at": iso(record.created_at),
            }
        ],
    }
    assert (
        session_client(WorkerProfileFactory().user).get("/api/v1/work/notices/").json()["results"]
        == []
    )


def test_notices_need_a_worker_profile(world):
    response = session_client(world.owner).get("/api/v1/work/notices/")

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_worker"


def test_a_removed_workers_next_task_in_that_job_is_204(world, job):
    from jobs.models import JobWorker
    from jobs.services.jobs import job_launch
    from tests.jobs.factories import DataObjectFactory, LabelingJobFactory

    draft = LabelingJobFactory(organization=world.organization, workers_per_object=1)
    DataObjectFactory.create_batch(2, job=draft)
    launched = job_launch(actor=world.owner, job=draft)
    worker = WorkerProfileFactory()
    JobWorker.objects.create(job=launched, worker=worker, removed_at=timezone.now())
    client = session_client(worker.user)

    response = client.post("/api/v1/work/next/", {"job_id": launched.pk}, format="json")
    listed = client.get("/api/v1/work/jobs/")

    assert response.status_code == 204
    assert launched.pk not in [item["id"] for item in listed.json()["results"]]
