"""Requesters' blocks (with Mechanical Turk's limit and semantics, over the API) and staff's
platform-wide suspension: a blocked or suspended worker sees and gets none of the work."""

import threading

import pytest
from django.db import connection

from jobs.selectors import work_job_list
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.jobs.lifecycle import launched_job, workers
from tests.marketplace.api_support import NOT_FOUND, make_world, session_client, snapshot
from tests.marketplace.factories import UserFactory
from workforce import services
from workforce.eligibility import jobs_open_to_worker
from workforce.models import WorkerBlock
from workforce.services import worker_block, worker_reinstate, worker_suspend, worker_unblock

pytestmark = pytest.mark.django_db


def sees(worker, job) -> bool:
    return job in work_job_list(worker=worker)


def test_a_blocked_worker_neither_sees_nor_gets_the_organizations_work_until_unblocked():
    job, actor = launched_job(objects=2)
    other_job, _ = launched_job(objects=2)
    worker = workers(1)[0]

    worker_block(actor=actor, organization=job.organization, worker=worker, reason="Spam.")

    assert not sees(worker, job)
    assert sees(worker, other_job)
    assert assignment_claim_next(worker=worker, job=job) is None
    assert assignment_claim_next(worker=worker, job=other_job) is not None
    worker_unblock(actor=actor, organization=job.organization, worker=worker)
    assert sees(worker, job)
    assert assignment_claim_next(worker=worker, job=job) is not None


def test_blocking_again_updates_the_reason_and_unblocking_twice_succeeds():
    job, actor = launched_job(objects=1)
    worker = workers(1)[0]

    first = worker_block(actor=actor, organization=job.organization, worker=worker, reason="A")
    again = worker_block(actor=actor, organization=job.organization, worker=worker, reason="B")

    assert (again.pk, again.reason) == (first.pk, "B")
    worker_unblock(actor=actor, organization=job.organization, worker=worker)
    worker_unblock(actor=actor, organization=job.organization, worker=worker)
    assert not WorkerBlock.objects.exists()


def test_blocks_need_a_reason_and_a_member(monkeypatch):
    job, actor = launched_job(objects=1)
    worker = workers(1)[0]

    with pytest.raises(InvalidInput):
        worker_block(actor=actor, organization=job.organization, worker=worker, reason=" ")
    with pytest.raises(NotFound):
        worker_block(actor=UserFactory(), organization=job.organization, worker=worker, reason="x")
    assert not WorkerBlock.objects.exists()


def test_an_organization_blocks_at_most_the_limit(monkeypatch):
    monkeypatch.setattr(services, "MAX_BLOCKS_PER_ORGANIZATION", 2)
    job, actor = launched_job(objects=1)
    first, second, third = workers(3)
    for worker in (first, second):
        worker_block(actor=actor, organization=job.organization, worker=worker, reason="x")

    with pytest.raises(Conflict) as error:
        worker_block(actor=actor, organization=job.organization, worker=third, reason="x")

    assert error.value.code == "block_limit"
    worker_block(actor=actor, organization=job.organization, worker=first, reason="changed")
    assert WorkerBlock.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_blocks_never_pass_the_limit(monkeypatch):
    monkeypatch.setattr(services, "MAX_BLOCKS_PER_ORGANIZATION", 3)
    job, actor = launched_job(objects=1)
    candidates = workers(8)
    barrier, outcomes = threading.Barrier(8), []

    def block(worker):
        try:
            barrier.wait(timeout=10)
            worker_block(actor=actor, organization=job.organization, worker=worker, reason="x")
            outcomes.append("blocked")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=block, args=(worker,)) for worker in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["blocked"] * 3 + ["refused"] * 5
    assert WorkerBlock.objects.count() == 3


def test_a_suspended_worker_gets_no_new_work_anywhere_but_can_submit_what_they_hold():
    job, _ = launched_job(objects=3, workers_per_object=1)
    worker = workers(1)[0]
    staff = UserFactory(is_staff=True)
    held = assignment_claim_next(worker=worker, job=job)

    worker_suspend(actor=staff, worker=worker, reason="Fraud under review.")

    assert not jobs_open_to_worker(worker=worker).exists()
    assert not sees(worker, job)
    assert assignment_claim_next(worker=worker, job=job) is None
    submitted = assignment_submit(worker=worker, assignment=held, answer={"label": "cat"})
    assert submitted.status == "Submitted"
    worker.refresh_from_db()
    assert worker.suspension_reason == "Fraud under review."
    worker_reinstate(actor=staff, worker=worker)
    assert assignment_claim_next(worker=worker, job=job) is not None


def test_only_staff_suspend():
    job, actor = launched_job(objects=1)
    worker = workers(1)[0]

    with pytest.raises(PermissionDenied):
        worker_suspend(actor=actor, worker=worker, reason="I do not like them.")
    with pytest.raises(PermissionDenied):
        worker_reinstate(actor=actor, worker=worker)
    worker.refresh_from_db()
    assert worker.suspended_at is None


# Over the API.


def blocks_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/worker-blocks/"


def test_block_list_and_unblock_over_the_api():
    world = make_world()
    worker = workers(1)[0]
    client = session_client(world.member)

    created = client.post(
        blocks_url(world.organization),
        {"WorkerId": worker.worker_id, "Reason": "Copies answers."},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["WorkerId"] == worker.worker_id
    assert created.json()["Reason"] == "Copies answers."
    listed = client.get(blocks_url(world.organization)).json()["results"]
    assert listed == [created.json()]
    deleted = client.delete(f"{blocks_url(world.organization)}{worker.worker_id}/")
    assert deleted.status_code == 204
    assert client.delete(f"{blocks_url(world.organization)}{worker.worker_id}/").status_code == 204
    assert client.get(blocks_url(world.organization)).json()["results"] == []


def test_bad_blocks_are_refused_and_strangers_get_404():
    world = make_world()
    worker = workers(1)[0]
    member, outsider = session_client(world.member), session_client(world.outsider)
    before = snapshot()

    unknown = member.post(
        blocks_url(world.organization), {"WorkerId": "ANOSUCHWORKER00", "Reason": "x"}
    )
    no_reason = member.post(blocks_url(world.organization), {"WorkerId": worker.worker_id})
    strangers = [
        outsider.get(blocks_url(world.organization)),
        outsider.post(
            blocks_url(world.organization), {"WorkerId": worker.worker_id, "Reason": "x"}
        ),
        outsider.delete(f"{blocks_url(world.organization)}{worker.worker_id}/"),
    ]

    assert unknown.json()["fields"] == {"WorkerId": ["WorkerId is invalid."]}
    assert no_reason.json()["fields"] == {"Reason": ["This field is required."]}
    assert [response.json() for response in strangers] == [NOT_FOUND] * 3
    assert snapshot() == before


def test_a_suspended_worker_sees_why_in_their_profile():
    worker = workers(1)[0]
    worker_suspend(actor=UserFactory(is_staff=True), worker=worker, reason="Under review.")

    body = session_client(worker.user).get("/api/v1/me/worker-profile/").json()

    assert (body["suspended"], body["suspension_reason"]) == (True, "Under review.")
