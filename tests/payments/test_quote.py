"""The quote: GET /api/v1/jobs/<id>/quote/ and the job page's budget card, before and after
launch, scoped to the job's organization; a launch refused for funds on the API and page."""

from decimal import Decimal

import pytest
from django.test import Client

from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch
from jobs.services.review import assignment_approve, assignment_reject
from marketplace.models import MembershipRole
from marketplace.services import api_key_create
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import fresh, workers
from tests.marketplace.api_support import (
    NOT_FOUND,
    key_client,
    organization_with_owner,
    session_client,
    snapshot,
)
from tests.marketplace.factories import FUNDED_BALANCE, MembershipFactory

pytestmark = pytest.mark.django_db

D = Decimal


def draft_job(organization, *, objects: int = 4, **job_kwargs):
    job_kwargs.setdefault("reward", D("0.05"))
    job_kwargs.setdefault("workers_per_object", 3)
    job = LabelingJobFactory(organization=organization, **job_kwargs)
    DataObjectFactory.create_batch(objects, job=job)
    return job


def quote_body(**overrides) -> dict:
    body = {
        "currency": "USD",
        "data_objects": 4,
        "assignments_per_object": 3,
        "gold_assignments": 0,
        "assignments": 12,
        "reward": "0.0500",
        "fee_per_assignment": "0.0100",
        "fee_percent": "20",
        "price_per_object": None,
        "vendor_fee_per_object": None,
        "total": "0.7200",
        "available": "0.5000",
        "shortfall": "0.2200",
        "top_up": "0.22",
        "launched": False,
        "budget": None,
    }
    body.update(overrides)
    return body


def test_a_draft_jobs_quote_names_the_maximum_cost_balance_and_shortfall():
    organization, owner = organization_with_owner(funded=D("0.50"))
    job = draft_job(organization)

    response = session_client(owner).get(f"/api/v1/jobs/{job.pk}/quote/")

    assert response.status_code == 200
    assert response.json() == quote_body()


def test_an_api_key_of_the_jobs_organization_reads_the_quote_of_a_funded_draft():
    organization, owner = organization_with_owner(funded=True)
    _key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")
    job = draft_job(organization, objects=2, workers_per_object=1, reward=D("0.125"))

    response = key_client(raw_key).get(f"/api/v1/jobs/{job.pk}/quote/")

    assert response.status_code == 200
    assert response.json() == quote_body(
        data_objects=2,
        assignments_per_object=1,
        assignments=2,
        reward="0.1250",
        fee_per_assignment="0.0300",
        total="0.3100",
        available=f"{FUNDED_BALANCE:.4f}",
        shortfall="0.0000",
        top_up="0.00",
    )


def test_a_launched_jobs_quote_shows_its_budget_held_spent_returned_and_on_hold():
    organization, owner = organization_with_owner(funded=True)
    job = job_launch(actor=owner, job=draft_job(organization, objects=2, workers_per_object=1))
    paid, rejected = workers(2)
    answers = []
    for worker in (paid, rejected):
        assignment = assignment_claim_next(worker=worker, job=job)
        answers.append(
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
        )
    assignment_approve(actor=owner, assignment=answers[0])
    assignment_reject(actor=owner, assignment=answers[1], feedback="Wrong")

    response = session_client(owner).get(f"/api/v1/jobs/{job.pk}/quote/")

    assert response.status_code == 200
    assert response.json() == quote_body(
        data_objects=2,
        assignments_per_object=1,
        assignments=2,
        total="0.1200",
        available=f"{FUNDED_BALANCE - D('0.06'):.4f}",
        shortfall=None,
        top_up=None,
        launched=True,
        budget={
            "held": "0.1200",
            "spent": "0.0600",
            "spent_beyond_hold": "0.0000",
            "returned": "0.0600",
            "on_hold": "0.0000",
        },
    )


def test_another_organizations_job_quote_is_404():
    organization, _owner = organization_with_owner()
    _other, outsider = organization_with_owner()
    job = draft_job(organization)

    response = session_client(outsider).get(f"/api/v1/jobs/{job.pk}/quote/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_an_api_key_of_another_organization_gets_404_for_a_job_its_owner_can_see():
    organization, owner = organization_with_owner()
    other, _ = organization_with_owner()
    MembershipFactory(organization=other, user=owner, role=MembershipRole.OWNER)
    _key, raw_key = api_key_create(actor=owner, organization=other, name="CI")
    job = draft_job(organization)

    response = key_client(raw_key).get(f"/api/v1/jobs/{job.pk}/quote/")

    assert response.status_code == 404


def test_launching_through_the_api_without_funds_is_402_and_changes_nothing():
    organization, owner = organization_with_owner(funded=D("0.50"))
    job = draft_job(organization)
    client = session_client(owner)
    before = snapshot()

    response = client.post(f"/api/v1/jobs/{job.pk}/launch/")

    assert response.status_code == 402
    message = (
        "Launching holds the job's maximum cost, 0.72 USD, but the organization's available "
        "balance is 0.50 USD: top up 0.22 USD."
    )
    assert response.json() == {
        "code": "insufficient_funds",
        "message": message,
        "fields": {"balance": [message]},
    }
    assert snapshot() == before
    assert fresh(job).status == "draft"


# The page.


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_job_page_shows_a_drafts_quote_and_shortfall():
    organization, owner = organization_with_owner(funded=D("0.50"))
    job = draft_job(organization)

    page = page_client(owner).get(f"/jobs/{job.pk}/").content.decode()

    assert "Launching holds up to <strong>0.72 USD</strong>" in page
    assert "12 assignments × (0.05 reward + 0.01 fee, 20%)" in page
    assert "4 objects × 3 workers" in page
    assert "0.50 USD" in page
    assert "short by 0.22 USD: top up 0.22 USD before launching" in page


def test_the_job_page_shows_a_launched_jobs_budget():
    organization, owner = organization_with_owner(funded=True)
    job = job_launch(actor=owner, job=draft_job(organization, objects=2, workers_per_object=1))

    page = page_client(owner).get(f"/jobs/{job.pk}/").content.decode()

    assert 'data-money="held">0.12<' in page
    assert 'data-money="spent">0.00<' in page
    assert 'data-money="on_hold">0.12<' in page
    assert "Launching holds" not in page


def test_a_launch_refused_for_funds_on_the_page_shows_the_402_message():
    organization, owner = organization_with_owner(funded=D("0.50"))
    job = draft_job(organization)

    response = page_client(owner).post(f"/jobs/{job.pk}/launch/")

    assert response.status_code == 402
    assert "top up 0.22 USD" in response.content.decode()
    assert fresh(job).status == "draft"
