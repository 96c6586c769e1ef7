"""Job selectors: every read scoped to the caller (other organizations' jobs and other
workers' assignments are NotFound), with their joins done in one query."""

import pytest

from jobs.selectors import (
    assignment_access_for_review,
    assignment_access_for_worker,
    assignment_list_for_review,
    assignments_access_for_review,
    hit_access_for_worker,
    job_access,
    job_list,
    worker_assignment_list,
    worker_done_count,
)
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.review import assignment_reject
from marketplace.exceptions import InvalidInput, NotFound
from tests.jobs.api_support import submitted_assignment
from tests.jobs.factories import LabelingJobFactory, PrivateWorkforceFactory
from tests.jobs.lifecycle import fresh, launched_job, requester_of, workers
from tests.marketplace.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_job_list_holds_only_the_actors_organizations_jobs(django_assert_num_queries):
    mine = LabelingJobFactory.create_batch(2)
    actor = requester_of(mine[0].organization)
    MembershipFactory(organization=mine[1].organization, user=actor)
    LabelingJobFactory()

    with django_assert_num_queries(1):
        listed = [
            (job, job.organization.name, job.workforce.kind, job.created_by.email)
            for job in job_list(actor=actor)
        ]

    assert [row[0] for row in listed] == [mine[1], mine[0]]
    assert list(job_list(actor=actor, only=mine[0].organization)) == [mine[0]]


def test_job_access_is_not_found_outside_the_actors_organizations():
    job = LabelingJobFactory()
    foreign = LabelingJobFactory()
    actor = requester_of(job.organization)

    assert job_access(actor=actor, job_id=job.pk) == job
    assert job_access(actor=actor, job_id=str(job.pk)) == job
    for job_id in (foreign.pk, "nonsense", None, 10**9):
        with pytest.raises(NotFound):
            job_access(actor=actor, job_id=job_id)
    with pytest.raises(NotFound):
        job_access(actor=actor, job_id=job.pk, only=OrganizationFactory())


def test_the_review_list_shows_submitted_work_with_filters(django_assert_num_queries):
    job, actor = launched_job(objects=2, workers_per_object=2)
    first, second = workers(2)
    done = []
    for worker in (first, second):
        assignment = assignment_claim_next(worker=worker, job=job)
        done.append(
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
        )
    assignment_claim_next(worker=first, job=job)  # accepted, not submitted: not listed
    assignment_reject(actor=actor, assignment=done[1], feedback="No")
    other_job, _ = launched_job(objects=1, organization=job.organization)
    (foreign_job, _) = launched_job(objects=1)
    for some_job in (other_job, foreign_job):
        worker = workers(1)[0]
        assignment = assignment_claim_next(worker=worker, job=some_job)
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    with django_assert_num_queries(1):
        rows = [
            (a.pk, a.hit.job.name, a.hit.data_object.line_number, a.worker.worker_id)
            for a in assignment_list_for_review(actor=actor, job=job)
        ]

    assert [row[0] for row in rows] == [done[0].pk, done[1].pk]
    assert len(assignment_list_for_review(actor=actor)) == 3
    assert list(assignment_list_for_review(actor=actor, status="Rejected")) == [done[1]]
    assert list(assignment_list_for_review(actor=actor, worker_id=first.worker_id)) == [done[0]]
    with pytest.raises(InvalidInput):
        assignment_list_for_review(actor=actor, status="Lost")


def test_review_access_is_not_found_for_other_organizations_assignments():
    job, actor = launched_job(objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    outsider = requester_of(OrganizationFactory())

    assert assignment_access_for_review(actor=actor, assignment_id=assignment.assignment_id) == (
        assignment
    )
    with pytest.raises(NotFound):
        assignment_access_for_review(actor=outsider, assignment_id=assignment.assignment_id)


def test_a_worker_reaches_only_their_own_assignments():
    job, _ = launched_job(objects=2, workers_per_object=2)
    worker, other = workers(2)
    first = assignment_claim_next(worker=worker, job=job)
    second = assignment_claim_next(worker=worker, job=job)
    theirs = assignment_claim_next(worker=other, job=job)

    assert list(worker_assignment_list(worker=worker)) == [second, first]
    assert assignment_access_for_worker(worker=worker, assignment_id=first.assignment_id) == first
    assert assignment_access_for_worker(worker=worker, assignment_id=first.pk) == first
    for assignment_id in (theirs.assignment_id, theirs.pk, "x", None, 2**70, -1):
        with pytest.raises(NotFound):
            assignment_access_for_worker(worker=worker, assignment_id=assignment_id)


def columns_of(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


@pytest.mark.parametrize("with_data", [True, False])
def test_a_workers_assignment_comes_whole_with_its_hit_and_job_in_one_query(
    with_data, django_assert_num_queries
):
    job, _ = launched_job(objects=1, workers_per_object=1)
    worker = workers(1)[0]
    claimed = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=claimed, answer={"label": "dog"})
    stored = fresh(claimed)

    with django_assert_num_queries(1):
        found = assignment_access_for_worker(
            worker=worker, assignment_id=claimed.assignment_id, with_data=with_data
        )
        values, hit_values = columns_of(found), columns_of(found.hit)
        labels = found.hit.job.labels
        if with_data:
            data = found.hit.data_object.data

    assert values == columns_of(stored)
    assert values["answer"] == {"label": "dog"}
    assert hit_values == columns_of(stored.hit)
    assert labels == stored.hit.job.labels == ["cat", "dog", "bird"]
    if with_data:
        assert data == stored.hit.data_object.data


def test_a_worker_reaches_hits_only_of_jobs_open_to_them():
    open_job, _ = launched_job(objects=1)
    team = PrivateWorkforceFactory()
    private_job, _ = launched_job(objects=1, workforce=team, organization=team.organization)
    worker = workers(1)[0]

    hit = open_job.hits.get()
    assert hit_access_for_worker(worker=worker, hit_id=hit.hit_id) == hit
    with pytest.raises(NotFound):
        hit_access_for_worker(worker=worker, hit_id=private_job.hits.get().hit_id)


def test_worker_done_count_counts_submitted_work_in_one_job():
    job, _ = launched_job(objects=3)
    other_job, _ = launched_job(objects=1)
    worker = workers(1)[0]
    for _ in range(2):
        assignment = assignment_claim_next(worker=worker, job=job)
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assignment_claim_next(worker=worker, job=job)
    assignment = assignment_claim_next(worker=worker, job=other_job)
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    assert worker_done_count(worker=worker, job=job) == 2


def test_many_assignments_for_review_come_in_one_query_in_the_order_named(
    django_assert_num_queries,
):
    job, actor = launched_job(objects=4)
    assignments = [submitted_assignment(job) for _ in range(4)]
    named = [assignments[2], assignments[0], assignments[2], assignments[3]]

    with django_assert_num_queries(1):
        found = assignments_access_for_review(
            actor=actor, assignment_ids=[a.assignment_id for a in named]
        )
        shown = [(a, a.hit.job, a.hit.data_object, a.worker) for a in found]

    assert [row[0] for row in shown] == [assignments[2], assignments[0], assignments[3]]


def test_many_assignments_for_review_with_one_not_the_actors_is_not_found():
    job, actor = launched_job(objects=1)
    other_job, _ = launched_job(objects=1)
    mine, theirs = submitted_assignment(job), submitted_assignment(other_job)

    with pytest.raises(NotFound):
        assignments_access_for_review(
            actor=actor, assignment_ids=[mine.assignment_id, theirs.assignment_id]
        )
    with pytest.raises(NotFound):
        assignments_access_for_review(
            actor=actor, assignment_ids=[mine.assignment_id], only=other_job.organization
        )
    with pytest.raises(NotFound):
        assignments_access_for_review(actor=actor, assignment_ids=["A" * 30])
