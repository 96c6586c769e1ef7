"""Statements from the ledger: a requester's spend per job for a scripted history (posted with
ledger_post by the conventions table), its period filter, CSV and page; a worker's lines,
their statuses and balances; each in a bounded number of queries."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.adjustments import ledger_adjust, ledger_transaction_reverse
from payments.bonuses import bonus_send
from payments.ledger import (
    job_hold_account,
    ledger_post,
    organization_account,
    platform_account,
    worker_account,
)
from payments.models import AccountKind, LedgerTransaction, Payout, TransactionKind
from payments.statements import Period, organization_statement
from tests.jobs.factories import RunningJobFactory
from tests.marketplace.api_support import session_client
from tests.marketplace.factories import MembershipFactory, OrganizationFactory
from tests.payments.test_bonuses import submitted
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _accounts(organization, currency="USD"):
    return {
        "available": organization_account(
            organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=currency
        ),
        "clearing": platform_account(kind=AccountKind.STRIPE_CLEARING, currency=currency),
        "fees": platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency=currency),
    }


def post_top_up(organization, amount: str, pk: int):
    a = _accounts(organization)
    return ledger_post(
        idempotency_key=f"top-up:{organization.pk}-{pk}",
        entries=[(a["clearing"], -D(amount)), (a["available"], D(amount))],
        kind=TransactionKind.TOP_UP,
        reference=f"top_up:{pk}",
    )


def post_hold(job, amount: str):
    a = _accounts(job.organization)
    return ledger_post(
        idempotency_key=f"job-hold:{job.pk}",
        entries=[(a["available"], -D(amount)), (job_hold_account(job=job), D(amount))],
        kind=TransactionKind.JOB_HOLD,
        reference=f"job:{job.pk}",
        job=job,
    )


def post_reward(assignment, reward: str, fee: str):
    job = assignment.hit.job
    a = _accounts(job.organization)
    pending = worker_account(worker=assignment.worker, kind="worker_pending", currency="USD")
    return ledger_post(
        idempotency_key=f"reward:{assignment.pk}",
        entries=[
            (job_hold_account(job=job), -(D(reward) + D(fee))),
            (pending, D(reward)),
            (a["fees"], D(fee)),
        ],
        kind=TransactionKind.REWARD,
        reference=f"assignment:{assignment.assignment_id}",
        job=job,
    )


def post_release(job, amount: str, cause: str = "completed"):
    a = _accounts(job.organization)
    return ledger_post(
        idempotency_key=f"job-release:{job.pk}:{cause}",
        entries=[(job_hold_account(job=job), -D(amount)), (a["available"], D(amount))],
        kind=TransactionKind.JOB_RELEASE,
        reference=f"job:{job.pk}",
        job=job,
    )


def post_vendor_settlement(job, vendor, price: str, fee: str, data_object_pk: int):
    vendor_available = organization_account(
        organization=vendor, kind=AccountKind.VENDOR_AVAILABLE, currency="USD"
    )
    return ledger_post(
        idempotency_key=f"vendor-settlement:{data_object_pk}",
        entries=[
            (job_hold_account(job=job), -D(price)),
            (vendor_available, D(price) - D(fee)),
            (_accounts(job.organization)["fees"], D(fee)),
        ],
        kind=TransactionKind.VENDOR_SETTLEMENT,
        reference=f"data_object:{data_object_pk}",
        job=job,
    )


def post_refund(organization, amount: str, pk: int):
    a = _accounts(organization)
    return ledger_post(
        idempotency_key=f"refund:{organization.pk}-{pk}",
        entries=[(a["available"], -D(amount)), (a["clearing"], D(amount))],
        kind=TransactionKind.REFUND,
        reference=f"refund:{pk}",
    )


def post_earnings_release(posted: LedgerTransaction, worker, amount: str):
    return ledger_post(
        idempotency_key=f"earnings-release:{posted.pk}",
        entries=[
            (worker_account(worker=worker, kind="worker_pending", currency="USD"), -D(amount)),
            (worker_account(worker=worker, kind="worker_available", currency="USD"), D(amount)),
        ],
        kind=TransactionKind.EARNINGS_RELEASE,
        reference=f"ledger_transaction:{posted.pk}",
    )


@pytest.fixture
def history(staff):
    """Organization "acme": a top-up of 100, job A (hold 30, one reward 1.00 + 0.20, a bonus
    2.00 + 0.40, 10 returned), vendor job B (hold 20, one object settled at 5.00), a refund
    of 15 and a staff adjustment of +3. Another organization's money must not show."""
    job_a = RunningJobFactory(name="job-a", title="Cats")
    organization = job_a.organization
    job_b = RunningJobFactory(organization=organization, name="job-b", title="Vendor dogs")
    vendor = OrganizationFactory()
    assignment = submitted(job=job_a)
    post_top_up(organization, "100.0000", 1)
    post_hold(job_a, "30.0000")
    reward = post_reward(assignment, "1.0000", "0.2000")
    bonus, _ = bonus_send(
        actor=organization.created_by,
        organization=organization,
        worker_id=assignment.worker.worker_id,
        assignment_id=assignment.assignment_id,
        amount=D("2.00"),
        reason="Extra careful",
        unique_request_token="b1",
    )
    post_release(job_a, "10.0000")
    post_hold(job_b, "20.0000")
    post_vendor_settlement(job_b, vendor, "5.0000", "1.0000", 7)
    post_refund(organization, "15.0000", 1)
    ledger_adjust(
        actor=staff,
        organization=organization,
        kind=AccountKind.ORGANIZATION_AVAILABLE,
        amount=D("3.0000"),
        currency="USD",
        reason="Goodwill credit",
        idempotency_key="goodwill-1",
    )
    other = RunningJobFactory()
    post_top_up(other.organization, "50.0000", 2)
    post_hold(other, "40.0000")
    return {
        "organization": organization,
        "job_a": job_a,
        "job_b": job_b,
        "assignment": assignment,
        "reward": reward,
        "bonus": bonus,
    }


def _zero_line(**values) -> dict:
    line = {
        name: "0.0000"
        for name in (
            "held",
            "rewards",
            "fees",
            "bonuses",
            "bonus_fees",
            "vendor_charges",
            "returned",
            "top_ups",
            "refunds",
            "adjustments",
            "spent",
        )
    }
    line.update(values)
    return line


def expected_lines(history) -> list[dict]:
    job_a, job_b = history["job_a"], history["job_b"]
    return [
        {
            "job": job_b.pk,
            "name": "job-b",
            "title": "Vendor dogs",
            "currency": "USD",
            **_zero_line(held="20.0000", vendor_charges="5.0000", spent="5.0000"),
        },
        {
            "job": job_a.pk,
            "name": "job-a",
            "title": "Cats",
            "currency": "USD",
            **_zero_line(
                held="30.0000",
                rewards="1.0000",
                fees="0.2000",
                bonuses="2.0000",
                bonus_fees="0.4000",
                returned="10.0000",
                spent="3.6000",
            ),
        },
        {
            "job": None,
            "name": "Organization",
            "title": "",
            "currency": "USD",
            **_zero_line(top_ups="100.0000", refunds="15.0000", adjustments="3.0000"),
        },
    ]


EXPECTED_TOTAL = {
    "currency": "USD",
    **_zero_line(
        held="50.0000",
        rewards="1.0000",
        fees="0.2000",
        bonuses="2.0000",
        bonus_fees="0.4000",
        vendor_charges="5.0000",
        returned="10.0000",
        top_ups="100.0000",
        refunds="15.0000",
        adjustments="3.0000",
        spent="8.6000",
    ),
}
# 100 - 30 - 2.40 + 10 - 20 - 15 + 3 available; 30 - 1.20 - 10 + 20 - 5 on hold.
EXPECTED_BALANCES = [{"currency": "USD", "available": "45.6000", "on_hold": "33.8000"}]


def _member(organization):
    return session_client(MembershipFactory(organization=organization, role="member").user)


def _url(organization, suffix="statement/") -> str:
    return f"/api/v1/organizations/{organization.pk}/{suffix}"


def test_the_statement_adds_up_each_job_and_the_organization_line(history):
    organization = history["organization"]

    response = _member(organization).get(_url(organization))

    assert response.status_code == 200
    assert response.json() == {
        "organization": organization.pk,
        "from": None,
        "to": None,
        "lines": expected_lines(history),
        "totals": [EXPECTED_TOTAL],
        "balances": EXPECTED_BALANCES,
    }


def test_a_reversed_reward_lowers_the_rewards_and_fees_of_its_job(history, staff):
    ledger_transaction_reverse(actor=staff, transaction=history["reward"], reason="Paid twice")

    statement = organization_statement(organization=history["organization"], period=Period())

    job_a = next(line for line in statement.lines if line.job_id == history["job_a"].pk)
    assert job_a.amounts["rewards"] == D("0")
    assert job_a.amounts["fees"] == D("0")
    assert job_a.spent == D("2.4000")


def test_the_period_keeps_what_happened_in_it(history):
    organization = history["organization"]
    last_year = datetime(2024, 3, 10, 12, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=last_year):
        post_top_up(organization, "7.0000", 99)
    client = _member(organization)
    today = timezone.now().date()

    old = client.get(_url(organization), {"from": "2024-03-10", "to": "2024-03-10"})
    recent = client.get(_url(organization), {"from": today.isoformat()})
    before = client.get(_url(organization), {"to": "2024-03-09"})

    assert old.status_code == 200
    assert old.json()["lines"] == [
        {
            "job": None,
            "name": "Organization",
            "title": "",
            "currency": "USD",
            **_zero_line(top_ups="7.0000"),
        }
    ]
    assert old.json()["balances"] == [
        {"currency": "USD", "available": "7.0000", "on_hold": "0.0000"}
    ]
    assert recent.json()["lines"] == expected_lines(history)
    assert before.json()["lines"] == []
    assert before.json()["balances"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2024-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-03-10", "to": "2024-03-09"}, "to"),
    ],
)
def test_a_bad_period_is_a_400_on_its_field(history, query, field):
    organization = history["organization"]

    response = _member(organization).get(_url(organization), query)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_another_organizations_statement_is_not_found(history):
    outsider = _member(OrganizationFactory())
    organization = history["organization"]

    assert outsider.get(_url(organization)).status_code == 404
    assert outsider.get(_url(organization, "statement.csv")).status_code == 404
    page = reverse("org_billing_statement", kwargs={"organization_id": organization.pk})
    assert outsider.get(page).status_code == 404


def test_the_statement_csv_has_a_row_per_line_and_a_total(history):
    organization = history["organization"]

    response = _member(organization).get(_url(organization, "statement.csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["name"] for row in rows] == ["job-b", "job-a", "Organization", "Total"]
    assert rows[1]["spent"] == "3.6000"
    assert rows[1]["bonus_fees"] == "0.4000"
    assert rows[2]["job"] == ""
    assert rows[3] == {
        "job": "",
        "name": "Total",
        "title": "",
        **EXPECTED_TOTAL,
    }


def test_csv_cells_that_look_like_formulas_are_quoted(history):
    job = history["job_a"]
    job.title = "=HYPERLINK(1)"
    job.save(update_fields=["title"])
    organization = history["organization"]

    response = _member(organization).get(_url(organization, "statement.csv"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[1]["title"] == "'=HYPERLINK(1)"
    assert rows[3]["refunds"] == "15.0000"


def _add_job_with_money(organization, index: int):
    job = RunningJobFactory(organization=organization)
    assignment = submitted(job=job)
    post_hold(job, "2.0000")
    post_reward(assignment, "0.0500", "0.0100")
    post_release(job, "1.0000")
    post_top_up(organization, "1.0000", 1000 + index)


def test_the_statement_takes_a_fixed_number_of_queries(django_assert_num_queries):
    organization = RunningJobFactory().organization
    post_top_up(organization, "50.0000", 1)
    client = _member(organization)
    _add_job_with_money(organization, 0)
    # The user (the session is in the cache), the membership, and the statement's three:
    # the entries grouped, the jobs' names, the balances.
    with django_assert_num_queries(5) as one_job:
        assert len(client.get(_url(organization)).json()["lines"]) == 2
    for index in range(1, 8):
        _add_job_with_money(organization, index)

    with django_assert_num_queries(len(one_job)):
        assert len(client.get(_url(organization)).json()["lines"]) == 9


def test_the_statement_page_shows_lines_totals_and_the_csv_link(history):
    organization = history["organization"]
    client = _member(organization)
    url = reverse("org_billing_statement", kwargs={"organization_id": organization.pk})

    response = client.get(url, {"from": "2024-01-01"})
    bad = client.get(url, {"from": "2024-02-01", "to": "2024-01-01"})

    content = response.content.decode()
    assert response.status_code == 200
    assert f'data-job="{history["job_a"].pk}"' in content
    assert 'data-job="organization"' in content
    total = content.split('data-total="USD"')[1].split("</tr>")[0]
    assert "8.60" in total
    assert "100.00" in total
    assert (
        f'href="/organizations/{organization.pk}/billing/statement.csv?from=2024-01-01"' in content
    )
    assert "45.60" in content.split('id="statement-balances"')[1]
    assert bad.status_code == 400
    assert "Give a date on or after from." in bad.content.decode()


def test_the_statement_page_csv_downloads(history):
    organization = history["organization"]
    url = reverse("org_billing_statement_csv", kwargs={"organization_id": organization.pk})

    response = _member(organization).get(url)

    assert response.status_code == 200
    assert response.content.decode().splitlines()[0].startswith("job,name,title,currency,held")


# A worker's statement.


@pytest.fixture
def worker_history(history):
    """The worker of job A: a reward (released: available) and a bonus (pending), plus a
    payout in transit and a paid one."""
    assignment = history["assignment"]
    worker = assignment.worker
    post_earnings_release(history["reward"], worker, "1.0000")
    Payout.objects.create(
        worker=worker, amount=D("0.5000"), currency="USD", provider="manual", idempotency_key="p1"
    )
    Payout.objects.create(
        worker=worker,
        amount=D("0.2500"),
        currency="USD",
        provider="manual",
        idempotency_key="p2",
        status="paid",
    )
    return worker


WORK_URL = "/api/v1/work/statement/"


def test_a_workers_lines_trace_to_their_assignment_or_bonus(history, worker_history):
    worker = worker_history
    bonus, reward = history["bonus"], history["reward"]
    assignment = history["assignment"]

    response = session_client(worker.user).get(WORK_URL)

    assert response.status_code == 200
    lines = response.json()["results"]
    assert [
        (line["kind"], line["amount"], line["status"], line["assignment_id"], line["job"])
        for line in lines
    ] == [
        ("bonus", "2.0000", "pending", assignment.assignment_id, history["job_a"].pk),
        ("reward", "1.0000", "available", assignment.assignment_id, history["job_a"].pk),
    ]
    bonus_line, reward_line = lines
    assert bonus_line["bonus"] == bonus.pk
    assert bonus_line["reason"] == "Extra careful"
    assert bonus_line["reference"] == f"bonus:{bonus.pk}"
    assert bonus_line["job_title"] == "Cats"
    hold = timedelta(seconds=259200)
    expected = (bonus.created_at + hold).isoformat().replace("+00:00", "Z")
    assert bonus_line["available_at"][:19] == expected[:19]
    assert reward_line["bonus"] is None
    assert reward_line["reference"] == f"assignment:{assignment.assignment_id}"
    released = LedgerTransaction.objects.get(idempotency_key=f"earnings-release:{reward.pk}")
    assert reward_line["available_at"] == released.created_at.isoformat().replace("+00:00", "Z")


def test_a_workers_balances_are_in_the_earnings_api(worker_history):
    response = session_client(worker_history.user).get("/api/v1/work/earnings/")

    assert response.json()["balances"] == [
        {
            "currency": "USD",
            "pending": "2.0000",
            "available": "1.0000",
            "in_transit": "0.5000",
            "paid": "0.2500",
        }
    ]


def test_a_worker_sees_only_their_own_lines(worker_history):
    someone = WorkerProfileFactory()

    response = session_client(someone.user).get(WORK_URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_workers_statement_csv(history, worker_history):
    response = session_client(worker_history.user).get("/api/v1/work/statement.csv")
    page = session_client(worker_history.user).get(reverse("worker_statement_csv"))

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["kind"], row["status"], row["bonus"]) for row in rows] == [
        ("bonus", "pending", str(history["bonus"].pk)),
        ("reward", "available", ""),
    ]
    assert page.status_code == 200
    assert page.content == response.content


def test_a_workers_statement_takes_a_fixed_number_of_queries(django_assert_num_queries):
    job = RunningJobFactory()
    organization = job.organization
    post_top_up(organization, "100.0000", 1)
    post_hold(job, "50.0000")
    worker = WorkerProfileFactory()
    client = session_client(worker.user)

    def earn(index: int):
        assignment = submitted(job=job, worker=worker)
        posted = post_reward(assignment, "0.0500", "0.0100")
        if index % 2:
            post_earnings_release(posted, worker, "0.0500")
        bonus_send(
            actor=organization.created_by,
            organization=organization,
            worker_id=worker.worker_id,
            assignment_id=assignment.assignment_id,
            amount=D("0.10"),
            reason=f"Bonus {index}",
            unique_request_token=f"t{index}",
        )

    earn(0)
    # The user with their worker profile (the session is in the cache), the lines with
    # their release, and the lines' bonuses.
    with django_assert_num_queries(3):
        assert len(client.get(WORK_URL).json()["results"]) == 2
    for index in range(1, 10):
        earn(index)
    with django_assert_num_queries(3):
        lines = client.get(WORK_URL).json()["results"]
    assert len(lines) == 20
    assert {line["status"] for line in lines if line["kind"] == "reward"} == {
        "pending",
        "available",
    }


def test_the_earnings_page_and_profile_show_the_money(worker_history):
    client = session_client(worker_history.user)

    earnings = client.get(reverse("worker_earnings")).content.decode()
    profile = client.get(reverse("worker_profile")).content.decode()

    usd = earnings.split('data-balance="USD"')[1].split("</tr>")[0]
    assert "<td data-money-pending>2.00</td>" in usd
    assert "<td data-money-available>1.00</td>" in usd
    assert "<td data-money-in-transit>0.50</td>" in usd
    assert "<td data-money-paid>0.25</td>" in usd
    assert 'href="/worker/payouts/"' in earnings
    assert "Extra careful" in earnings.split('id="earnings-lines"')[1]
    summary = profile.split('id="earnings-summary"')[1].split("</section>")[0]
    assert "<td>2.00</td><td>1.00</td><td>0.25</td>" in summary
