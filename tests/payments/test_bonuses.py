"""Bonuses: the service and POST/GET /api/v1/organizations/<id>/bonuses/, with every refusal
leaving the money where it was, and parallel bonuses never overdrawing one balance."""

from decimal import Decimal

import pytest
from django.utils import timezone

from jobs.models import AssignmentStatus
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from payments.balances import ledger_reconcile
from payments.bonuses import bonus_send
from payments.exceptions import InsufficientFunds
from payments.ledger import organization_account, platform_account, worker_account
from payments.models import Account, AccountKind, Bonus, LedgerEntry, LedgerTransaction
from tests.concurrency import run_at_once
from tests.jobs.factories import AssignmentFactory, HITFactory, RunningJobFactory
from tests.marketplace.factories import MembershipFactory, OrganizationFactory
from tests.payments.factories import top_up
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


def submitted(job=None, status=AssignmentStatus.SUBMITTED, **extra):
    """An assignment of `job` (a new running job if None) in `status`."""
    hit = HITFactory(job=job) if job is not None else HITFactory()
    if status == AssignmentStatus.ACCEPTED:
        return AssignmentFactory(hit=hit, status=status, **extra)
    return AssignmentFactory(
        hit=hit,
        status=status,
        submitted_at=timezone.now(),
        answer={"label": "cat"},
        **extra,
    )


def available(organization, currency="USD") -> Account:
    return organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=currency
    )


def funded(organization, amount="10.0000", currency="USD") -> Account:
    account = available(organization, currency)
    top_up(account, amount)
    return account


def money_state() -> tuple:
    return (
        Bonus.objects.count(),
        LedgerTransaction.objects.count(),
        LedgerEntry.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
    )


@pytest.fixture
def assignment():
    return submitted()


@pytest.fixture
def organization(assignment):
    organization = assignment.hit.job.organization
    funded(organization)
    return organization


def send(assignment, organization, **overrides):
    arguments = {
        "actor": organization.created_by,
        "organization": organization,
        "worker_id": assignment.worker.worker_id,
        "assignment_id": assignment.assignment_id,
        "amount": Decimal("1.00"),
        "reason": "Careful work",
        "unique_request_token": "token-1",
        **overrides,
    }
    return bonus_send(**arguments)


# The service.


def test_a_bonus_moves_amount_and_fee_from_available_to_pending_and_fee_revenue(
    assignment, organization
):
    bonus, created = send(assignment, organization, amount=Decimal("1.23"))

    assert created
    assert (bonus.amount, bonus.fee, bonus.currency) == (
        Decimal("1.2300"),
        Decimal("0.2500"),  # 20% of 1.23 = 0.246, half up to 0.25
        "USD",
    )
    assert bonus.worker == assignment.worker
    assert bonus.created_by == organization.created_by
    posted = LedgerTransaction.objects.get(idempotency_key=f"bonus:{bonus.pk}")
    assert (posted.kind, posted.reference, posted.job) == (
        "bonus",
        f"bonus:{bonus.pk}",
        assignment.hit.job,
    )
    assert sorted(
        (entry.account.kind, entry.amount) for entry in posted.entries.select_related("account")
    ) == [
        ("organization_available", Decimal("-1.4800")),
        ("platform_fee_revenue", Decimal("0.2500")),
        ("worker_pending", Decimal("1.2300")),
    ]
    assert available(organization).balance == Decimal("8.5200")
    pending = worker_account(worker=assignment.worker, kind="worker_pending", currency="USD")
    assert pending.balance == Decimal("1.2300")
    assert ledger_reconcile() == []


def test_the_minimum_fee_is_one_cent(assignment, organization):
    bonus, _ = send(assignment, organization, amount=Decimal("0.01"))

    assert bonus.fee == Decimal("0.0100")
    assert available(organization).balance == Decimal("9.9800")


@pytest.mark.parametrize(
    "status", [AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]
)
def test_submitted_approved_and_rejected_work_can_get_a_bonus(status):
    assignment = submitted(status=status)
    organization = assignment.hit.job.organization
    funded(organization)

    bonus, created = send(assignment, organization)

    assert created
    assert bonus.assignment == assignment


def test_the_same_token_and_fields_return_the_first_bonus_and_post_once(assignment, organization):
    first, _ = send(assignment, organization)
    before = money_state()

    again, created = send(assignment, organization)

    assert again == first
    assert not created
    assert money_state() == before


@pytest.mark.parametrize(
    "change",
    [{"amount": Decimal("2.00")}, {"reason": "Another reason"}, "other assignment"],
    ids=["amount", "reason", "assignment"],
)
def test_the_same_token_with_other_fields_is_a_conflict_and_moves_nothing(
    assignment, organization, change
):
    send(assignment, organization)
    if change == "other assignment":
        other = submitted(job=assignment.hit.job)
        change = {"assignment_id": other.assignment_id, "worker_id": other.worker.worker_id}
    before = money_state()

    with pytest.raises(Conflict) as raised:
        send(assignment, organization, **change)

    assert raised.value.code == "idempotency_key_reused"
    assert money_state() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("-1.00"), "more than zero"),
        (Decimal("0"), "more than zero"),
        (Decimal("0.001"), "at most 2 decimal places"),
        (Decimal("1.005"), "at most 2 decimal places"),
        (Decimal("1000000000000"), "digits before the point"),
        (1.5, "decimal string"),
    ],
)
def test_a_bad_amount_is_refused_and_moves_nothing(assignment, organization, amount, message):
    before = money_state()

    with pytest.raises(InvalidInput) as raised:
        send(assignment, organization, amount=amount)

    assert message in raised.value.fields["amount"][0]
    assert money_state() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 1025}, "reason"),
        ({"unique_request_token": ""}, "unique_request_token"),
        ({"unique_request_token": "x" * 65}, "unique_request_token"),
        ({"worker_id": "nobody"}, "worker_id"),
        ({"assignment_id": "lower-case"}, "assignment_id"),
        ({"currency": "usd"}, "currency"),
    ],
)
def test_bad_fields_are_refused_by_name_and_move_nothing(
    assignment, organization, overrides, field
):
    before = money_state()

    with pytest.raises(InvalidInput) as raised:
        send(assignment, organization, **overrides)

    assert list(raised.value.fields) == [field]
    assert money_state() == before


def test_a_currency_other_than_the_jobs_is_refused(assignment, organization):
    funded(organization, currency="EUR")
    before = money_state()

    with pytest.raises(InvalidInput) as raised:
        send(assignment, organization, currency="EUR")

    assert raised.value.fields == {"currency": ["Use USD, the job's currency."]}
    assert money_state() == before


def test_a_worker_who_never_worked_for_the_requester_is_not_found(assignment, organization):
    stranger = WorkerProfileFactory()
    before = money_state()

    with pytest.raises(NotFound):
        send(assignment, organization, worker_id=stranger.worker_id)

    assert money_state() == before


def test_another_workers_assignment_in_the_same_job_is_not_found(assignment, organization):
    other = submitted(job=assignment.hit.job)
    before = money_state()

    with pytest.raises(NotFound):
        send(assignment, organization, assignment_id=other.assignment_id)

    assert money_state() == before


def test_another_organizations_assignment_is_not_found(assignment, organization):
    elsewhere = submitted()
    before = money_state()

    with pytest.raises(NotFound):
        send(
            elsewhere,
            organization,
            worker_id=elsewhere.worker.worker_id,
            assignment_id=elsewhere.assignment_id,
        )

    assert money_state() == before


@pytest.mark.parametrize(
    "status",
    [
        AssignmentStatus.ACCEPTED,
        AssignmentStatus.RETURNED,
        AssignmentStatus.ABANDONED,
        AssignmentStatus.EXPIRED,
    ],
)
def test_work_in_flight_or_never_submitted_gets_no_bonus(status):
    assignment = submitted(status=status)
    organization = assignment.hit.job.organization
    funded(organization)
    before = money_state()

    with pytest.raises(Conflict) as raised:
        send(assignment, organization)

    assert raised.value.code == "assignment_not_submitted"
    assert money_state() == before


def test_a_short_balance_is_refused_with_the_shortfall_and_moves_nothing():
    assignment = submitted()
    organization = assignment.hit.job.organization
    funded(organization, "1.0000")
    before = money_state()

    with pytest.raises(InsufficientFunds) as raised:
        send(assignment, organization, amount=Decimal("1.00"))  # costs 1.20

    assert raised.value.status_code == 402
    assert raised.value.fields == {"amount": ["Short by 0.2000 USD."]}
    assert "top up 0.2000 USD more" in raised.value.message
    assert money_state() == before


def test_an_organization_with_no_money_at_all_is_refused():
    assignment = submitted()

    with pytest.raises(InsufficientFunds) as raised:
        send(assignment, assignment.hit.job.organization)

    assert raised.value.fields == {"amount": ["Short by 1.2000 USD."]}
    assert not Bonus.objects.exists()
    assert not LedgerTransaction.objects.exists()


# The API.


def _member_client(api_client, organization):
    membership = MembershipFactory(organization=organization, role="member")
    api_client.force_login(membership.user)
    return api_client


def _url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/bonuses/"


def _body(bonus) -> dict:
    return {
        "id": bonus.pk,
        "WorkerId": bonus.worker.worker_id,
        "AssignmentId": bonus.assignment.assignment_id,
        "BonusAmount": str(bonus.amount),
        "Reason": bonus.reason,
        "GrantTime": bonus.created_at.isoformat().replace("+00:00", "Z"),
        "UniqueRequestToken": bonus.unique_request_token,
        "fee": str(bonus.fee),
        "currency": bonus.currency,
    }


def test_the_api_sends_a_bonus_with_mechanical_turks_names(api_client, assignment, organization):
    client = _member_client(api_client, organization)

    response = client.post(
        _url(organization),
        {
            "WorkerId": assignment.worker.worker_id,
            "AssignmentId": assignment.assignment_id,
            "BonusAmount": "5",
            "Reason": "Great job",
            "UniqueRequestToken": "abc",
        },
    )

    assert response.status_code == 201, response.json()
    bonus = Bonus.objects.get()
    assert response.json() == _body(bonus)
    assert response.json()["BonusAmount"] == "5.0000"
    assert response.json()["fee"] == "1.0000"
    assert available(organization).balance == Decimal("4.0000")


def test_the_api_sends_a_bonus_with_its_own_names_and_a_repeat_is_200(
    api_client, assignment, organization
):
    client = _member_client(api_client, organization)
    body = {
        "worker_id": assignment.worker.worker_id,
        "assignment_id": assignment.assignment_id,
        "amount": "0.50",
        "currency": "USD",
        "reason": "Thanks",
        "unique_request_token": "abc",
    }

    first = client.post(_url(organization), body)
    again = client.post(_url(organization), body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Bonus.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 1


def test_the_api_repeat_with_other_fields_is_409(api_client, assignment, organization):
    client = _member_client(api_client, organization)
    body = {
        "WorkerId": assignment.worker.worker_id,
        "AssignmentId": assignment.assignment_id,
        "BonusAmount": "1",
        "Reason": "Thanks",
        "UniqueRequestToken": "abc",
    }
    client.post(_url(organization), body)
    before = money_state()

    response = client.post(_url(organization), {**body, "BonusAmount": "2"})

    assert response.status_code == 409
    assert response.json() == {
        "code": "idempotency_key_reused",
        "message": "This UniqueRequestToken was already used for a different bonus.",
        "fields": {"unique_request_token": ["Already used with other parameters."]},
    }
    assert money_state() == before


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"BonusAmount": "-1"}, ["BonusAmount"]),
        ({"BonusAmount": "1.005"}, ["BonusAmount"]),
        ({"BonusAmount": 1.5}, ["BonusAmount"]),
        ({"BonusAmount": "0"}, ["amount"]),
        ({"BonusAmount": None, "amount": "0.001"}, ["amount"]),
        ({"BonusAmount": None, "amount": -1}, ["amount"]),
        ({"Reason": None}, ["reason"]),
        ({"UniqueRequestToken": "x" * 65}, ["UniqueRequestToken"]),
        ({"reason": "twice"}, ["Reason"]),
        ({"Bogus": 1}, ["Bogus"]),
        ({"currency": "EUR"}, ["currency"]),
    ],
)
def test_the_api_refuses_bad_input_with_field_messages(
    api_client, assignment, organization, change, fields
):
    client = _member_client(api_client, organization)
    body = {
        "WorkerId": assignment.worker.worker_id,
        "AssignmentId": assignment.assignment_id,
        "BonusAmount": "1",
        "Reason": "Thanks",
        "UniqueRequestToken": "abc",
    }
    body.update(change)
    body = {name: value for name, value in body.items() if value is not None}
    before = money_state()

    response = client.post(_url(organization), body)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert sorted(response.json()["fields"]) == fields
    assert money_state() == before


def test_the_api_short_balance_is_402_naming_the_shortfall(api_client):
    assignment = submitted()
    organization = assignment.hit.job.organization
    funded(organization, "0.5000")
    client = _member_client(api_client, organization)

    response = client.post(
        _url(organization),
        {
            "WorkerId": assignment.worker.worker_id,
            "AssignmentId": assignment.assignment_id,
            "BonusAmount": "1",
            "Reason": "Thanks",
            "UniqueRequestToken": "abc",
        },
    )

    assert response.status_code == 402
    assert response.json() == {
        "code": "insufficient_funds",
        "message": "The bonus costs 1.2000 USD (1.0000 plus a 0.2000 fee); the available "
        "balance is 0.5000 USD: top up 0.7000 USD more.",
        "fields": {"amount": ["Short by 0.7000 USD."]},
    }
    assert not Bonus.objects.exists()


def test_the_api_hides_other_organizations(api_client, assignment, organization):
    outsider = OrganizationFactory()
    client = _member_client(api_client, outsider)
    funded(outsider)
    before = money_state()

    # Another organization's id in the URL, and this organization's assignment in the body.
    elsewhere = client.post(_url(organization), {"WorkerId": "A" + "1" * 13})
    foreign_assignment = client.post(
        _url(outsider),
        {
            "WorkerId": assignment.worker.worker_id,
            "AssignmentId": assignment.assignment_id,
            "BonusAmount": "1",
            "Reason": "Thanks",
            "UniqueRequestToken": "abc",
        },
    )

    assert elsewhere.status_code == 400  # the body is checked first, then the access
    assert foreign_assignment.status_code == 404
    assert foreign_assignment.json()["code"] == "not_found"
    assert client.get(_url(organization)).status_code == 404
    assert money_state() == before


def test_the_api_lists_the_organizations_bonuses_newest_first(
    api_client, assignment, organization, django_assert_max_num_queries
):
    first, _ = send(assignment, organization, unique_request_token="a")
    other = submitted(job=assignment.hit.job)
    second, _ = send(
        other,
        organization,
        unique_request_token="b",
        worker_id=other.worker.worker_id,
        assignment_id=other.assignment_id,
    )
    elsewhere = submitted()
    funded(elsewhere.hit.job.organization)
    send(elsewhere, elsewhere.hit.job.organization, unique_request_token="a")
    client = _member_client(api_client, organization)

    with django_assert_max_num_queries(6):
        listed = client.get(_url(organization))
    filtered = client.get(_url(organization), {"assignment_id": assignment.assignment_id})

    assert listed.status_code == 200
    assert listed.json()["results"] == [_body(second), _body(first)]
    assert filtered.json()["results"] == [_body(first)]


# Concurrency.


@pytest.mark.django_db(transaction=True)
def test_parallel_bonuses_against_one_balance_never_overdraw():
    job = RunningJobFactory()
    assignments = [submitted(job=job) for _ in range(10)]
    organization = job.organization
    funded(organization, "5.0000")  # affords 4 bonuses of 1.00 + 0.20, 0.20 left

    outcomes = run_at_once(
        *(
            (lambda a=a, i=i: send(a, organization, unique_request_token=f"t{i}"))
            for i, a in enumerate(assignments)
        )
    )

    sent = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientFunds)]
    assert len(sent) == 4, outcomes
    assert len(refused) == 6
    assert Bonus.objects.count() == 4
    assert available(organization).balance == Decimal("0.2000")
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")
    assert fees.balance == Decimal("0.8000")
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_one_token_sent_from_many_threads_makes_one_bonus():
    assignment = submitted()
    organization = assignment.hit.job.organization
    funded(organization)

    outcomes = run_at_once(*(lambda: send(assignment, organization) for _ in range(8)))

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert len({bonus.pk for bonus, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 1
    assert available(organization).balance == Decimal("8.8000")
