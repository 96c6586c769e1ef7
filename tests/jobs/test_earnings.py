"""A worker's earnings, on /worker/earnings/ and GET /api/v1/work/earnings/: per currency and
per job, what awaits review, was approved and was rejected, as Decimal strings summed in
the database, in a fixed number of queries; only the worker's own work."""

from decimal import Decimal

import pytest
from django.urls import reverse

from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.review import assignment_approve, assignment_reject
from tests.jobs.lifecycle import launched_job, workers
from tests.jobs.test_pages_work import client_for
from tests.marketplace.api_support import (
    SESSION_ONLY,
    error,
    key_client,
    make_world,
    session_client,
)
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/work/earnings/"
# A balance where nothing has been released, paid out or is on its way.
NOTHING_YET = {"available": "0.0000", "in_transit": "0.0000", "paid": "0.0000"}


def work(worker, job, requester, outcome: str):
    assignment = assignment_claim_next(worker=worker, job=job)
    if outcome == "accepted":
        return assignment
    assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    if outcome == "approved":
        assignment_approve(actor=requester, assignment=assignment)
    elif outcome == "rejected":
        assignment_reject(actor=requester, assignment=assignment, feedback="Wrong.")
    return assignment


def figures(pending=(0, "0.0000"), approved=(0, "0.0000"), rejected=(0, "0.0000")) -> dict:
    return {
        "pending": {"count": pending[0], "amount": pending[1]},
        "approved": {"count": approved[0], "amount": approved[1]},
        "rejected": {"count": rejected[0], "amount": rejected[1]},
    }


@pytest.fixture
def earning_worker():
    """A worker with work in two USD jobs and a EUR one, in every state; another worker's
    approved work in the same job must not count."""
    (worker,) = workers(1)
    cats, cats_requester = launched_job(
        objects=4, workers_per_object=2, title="Cats", reward=Decimal("0.0500")
    )
    dogs, dogs_requester = launched_job(
        objects=2, workers_per_object=1, title="Dogs", reward=Decimal("0.0125")
    )
    euros, euros_requester = launched_job(
        objects=1,
        workers_per_object=1,
        title="Euro birds",
        reward=Decimal("1.5000"),
        currency="EUR",
    )
    for outcome in ("approved", "approved", "rejected", "submitted"):
        work(worker, cats, cats_requester, outcome)
    work(worker, dogs, dogs_requester, "submitted")
    work(worker, dogs, dogs_requester, "accepted")  # not submitted: earns nothing yet
    work(worker, euros, euros_requester, "approved")
    work(workers(1)[0], cats, cats_requester, "approved")
    return worker, {"cats": cats, "dogs": dogs, "euros": euros}


def test_the_earnings_api_sums_each_state_per_currency_and_per_job(earning_worker):
    worker, jobs = earning_worker

    response = session_client(worker.user).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "totals": [
            {"currency": "EUR", **figures(approved=(1, "1.5000"))},
            {
                "currency": "USD",
                **figures(pending=(2, "0.0625"), approved=(2, "0.1000"), rejected=(1, "0.0500")),
            },
        ],
        "jobs": [
            {
                "job_id": jobs["euros"].pk,
                "title": "Euro birds",
                "requester": jobs["euros"].organization.name,
                "currency": "EUR",
                **figures(approved=(1, "1.5000")),
            },
            {
                "job_id": jobs["dogs"].pk,
                "title": "Dogs",
                "requester": jobs["dogs"].organization.name,
                "currency": "USD",
                **figures(pending=(1, "0.0125")),
            },
            {
                "job_id": jobs["cats"].pk,
                "title": "Cats",
                "requester": jobs["cats"].organization.name,
                "currency": "USD",
                **figures(pending=(1, "0.0500"), approved=(2, "0.1000"), rejected=(1, "0.0500")),
            },
        ],
        # Approved work was paid to the pending balance: 2 x 0.05 USD and the EUR job's.
        "balances": [
            {**NOTHING_YET, "currency": "EUR", "pending": "1.5000"},
            {**NOTHING_YET, "currency": "USD", "pending": "0.1000"},
        ],
    }


def test_a_new_worker_has_no_earnings():
    response = session_client(WorkerProfileFactory().user).get(URL)

    assert response.status_code == 200
    assert response.json() == {"totals": [], "jobs": [], "balances": []}


def test_the_earnings_api_is_for_logged_in_workers():
    not_worker = session_client(UserFactory()).get(URL)
    assert not_worker.status_code == 403
    assert not_worker.json()["code"] == "not_a_worker"
    world = make_world()
    WorkerProfileFactory(user=world.owner)
    with_key = key_client(world.raw_key).get(URL)
    assert with_key.status_code == 403
    assert with_key.json() == SESSION_ONLY
    anonymous = session_client(UserFactory())
    anonymous.logout()
    assert anonymous.get(URL).json() == error(
        "not_authenticated", "Authentication credentials were not provided."
    )


@pytest.mark.parametrize("jobs", [1, 6])
def test_earnings_take_a_fixed_number_of_queries(jobs, django_assert_num_queries):
    (worker,) = workers(1)
    for _ in range(jobs):
        job, requester = launched_job(objects=2, workers_per_object=1)
        work(worker, job, requester, "approved")
        work(worker, job, requester, "submitted")
    api, page = session_client(worker.user), client_for(worker.user)
    # The session, the user with their worker profile, the totals, the per-job rows and
    # the balances (ledger accounts and payouts in one query).
    with django_assert_num_queries(4):
        assert len(api.get(URL).json()["jobs"]) == jobs
    # The page also reads the worker profile, counts the per-job rows for its pages and
    # reads the latest ledger lines.
    with django_assert_num_queries(7):
        content = page.get(reverse("worker_earnings")).content.decode()
    assert content.count("data-job-id=") == jobs


def test_the_earnings_page_shows_totals_jobs_and_the_payments_note(earning_worker):
    worker, jobs = earning_worker

    response = client_for(worker.user).get(reverse("worker_earnings"))

    content = response.content.decode()
    assert response.status_code == 200
    usd = content.split('data-currency="USD"')[1].split("</tr>")[0]
    assert '<td data-pending>0.0625 <span class="muted small">(2)</span></td>' in usd
    assert '<td data-approved>0.10 <span class="muted small">(2)</span></td>' in usd
    assert '<td data-rejected>0.05 <span class="muted small">(1)</span></td>' in usd
    cats = content.split(f'data-job-id="{jobs["cats"].pk}"')[1].split("</tr>")[0]
    assert "Cats" in cats
    assert jobs["cats"].organization.name in cats
    assert "2 · 0.10 USD" in cats
    assert "1.50" in content.split('data-currency="EUR"')[1].split("</tr>")[0]
    assert 'href="/worker/payouts/"' in content


def test_earnings_show_only_my_own_work(earning_worker):
    _worker, jobs = earning_worker
    (someone,) = workers(1)

    response = client_for(someone.user).get(reverse("worker_earnings"))

    content = response.content.decode()
    assert "Nothing yet" in content
    assert jobs["cats"].title not in content
