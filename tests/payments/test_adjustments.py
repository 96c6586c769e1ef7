"""Staff corrections: ledger_adjust and ledger_transaction_reverse need staff and a reason,
record the staff user, refuse taking a guarded balance negative; their admin pages render
and post; and the "Send bonus" page of the review queue."""

from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from marketplace.exceptions import Conflict, InvalidInput, PermissionDenied
from payments.adjustments import ledger_adjust, ledger_transaction_reverse
from payments.balances import ledger_reconcile
from payments.exceptions import InsufficientFunds
from payments.ledger import organization_account, platform_account, worker_account
from payments.models import AccountKind, Bonus, LedgerTransaction, TransactionKind
from tests.marketplace.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.payments.factories import top_up
from tests.payments.test_bonuses import funded, money_state, submitted
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db
D = Decimal


def adjust(actor, **overrides):
    if "organization" not in overrides and "worker" not in overrides:
        overrides["organization"] = OrganizationFactory()
    arguments = {
        "actor": actor,
        "kind": AccountKind.ORGANIZATION_AVAILABLE,
        "amount": D("5.0000"),
        "currency": "USD",
        "reason": "Goodwill credit",
        "idempotency_key": "k1",
        **overrides,
    }
    return ledger_adjust(**arguments)


def test_an_adjustment_moves_money_against_the_adjustments_account(staff):
    organization = OrganizationFactory()

    posted = adjust(staff, organization=organization)

    assert (posted.kind, posted.reference, posted.reason, posted.created_by) == (
        TransactionKind.ADJUSTMENT,
        f"organization:{organization.pk}",
        "Goodwill credit",
        staff,
    )
    assert posted.idempotency_key == "adjustment:k1"
    available = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    assert available.balance == D("5.0000")
    adjustments = platform_account(kind=AccountKind.ADJUSTMENTS, currency="USD")
    assert adjustments.balance == D("-5.0000")
    assert ledger_reconcile() == []


def test_a_worker_adjustment_and_a_repeat_posts_once(staff):
    worker = WorkerProfileFactory()
    arguments = {"worker": worker, "kind": AccountKind.WORKER_AVAILABLE}

    first = adjust(staff, **arguments)
    again = adjust(staff, **arguments)

    assert again == first
    assert first.reference == f"worker:{worker.pk}"
    assert worker_account(worker=worker, kind="worker_available", currency="USD").balance == D(
        "5.0000"
    )
    with pytest.raises(Conflict):
        adjust(staff, **arguments, amount=D("6.0000"))


def test_a_negative_adjustment_cannot_take_a_guarded_balance_below_zero(staff):
    organization = OrganizationFactory()
    top_up(
        organization_account(
            organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
        ),
        "2.0000",
    )
    before = money_state()

    with pytest.raises(InsufficientFunds) as raised:
        adjust(staff, organization=organization, amount=D("-3.0000"))

    assert raised.value.status_code == 402
    assert "1.0000 USD more is needed" in raised.value.message
    assert money_state() == before
    taken = adjust(staff, organization=organization, amount=D("-2.0000"), idempotency_key="k2")
    assert taken.entries.get(account__kind="organization_available").amount == D("-2.0000")


def test_non_staff_cannot_adjust_or_reverse(staff):
    member = UserFactory()
    posted = adjust(staff)
    before = money_state()

    with pytest.raises(PermissionDenied):
        adjust(member, idempotency_key="k9")
    with pytest.raises(PermissionDenied):
        ledger_transaction_reverse(actor=member, transaction=posted, reason="Mistake")

    assert money_state() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
        ({"amount": D("0")}, "amount"),
        ({"amount": D("0.00001")}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"kind": AccountKind.ORGANIZATION_ON_HOLD}, "kind"),
        ({"kind": AccountKind.WORKER_AVAILABLE}, "kind"),
    ],
)
def test_bad_adjustments_are_refused_by_field_and_move_nothing(staff, overrides, field):
    before = money_state()

    with pytest.raises(InvalidInput) as raised:
        adjust(staff, **overrides)

    assert list(raised.value.fields) == [field]
    assert money_state() == before


def test_a_reversal_negates_every_entry_with_the_reason_and_staff_user(staff):
    posted = adjust(staff)

    reversal = ledger_transaction_reverse(actor=staff, transaction=posted, reason="Wrong org")
    again = ledger_transaction_reverse(actor=staff, transaction=posted, reason="Wrong org")

    assert again == reversal
    assert (reversal.kind, reversal.corrects, reversal.reason, reversal.created_by) == (
        TransactionKind.CORRECTION,
        posted,
        "Wrong org",
        staff,
    )
    assert sorted(reversal.entries.values_list("amount", flat=True)) == [D("-5"), D("5")]
    assert ledger_reconcile() == []
    with pytest.raises(Conflict) as raised:
        ledger_transaction_reverse(actor=staff, transaction=posted, reason="Other reason")
    assert raised.value.code == "already_reversed"
    with pytest.raises(InvalidInput):
        ledger_transaction_reverse(actor=staff, transaction=reversal, reason="")


def test_a_reversal_is_refused_once_the_money_has_moved_on(staff):
    organization = OrganizationFactory()
    posted = adjust(staff, organization=organization)
    adjust(staff, organization=organization, amount=D("-4.0000"), idempotency_key="k2")
    before = money_state()

    with pytest.raises(InsufficientFunds):
        ledger_transaction_reverse(actor=staff, transaction=posted, reason="Mistake")

    assert money_state() == before


# Admin pages.


def test_the_adjust_page_renders_and_posts_with_the_staff_user(staff_client, staff):
    organization = OrganizationFactory()
    account = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency="USD"
    )
    url = reverse("admin:payments_account_adjust", args=[account.pk])

    page = staff_client.get(url)
    changelist = staff_client.get(reverse("admin:payments_account_changelist"))
    missing_reason = staff_client.post(url, {"amount": "2.50", "idempotency_key": "a1"})
    posted = staff_client.post(
        url, {"amount": "2.50", "reason": "Credit for an outage", "idempotency_key": "a1"}
    )

    assert page.status_code == 200
    assert b'name="reason"' in page.content
    assert url.encode() in changelist.content
    assert missing_reason.status_code == 400
    assert posted.status_code == 302
    adjustment = LedgerTransaction.objects.get(kind=TransactionKind.ADJUSTMENT)
    assert (adjustment.reason, adjustment.created_by) == ("Credit for an outage", staff)
    account.refresh_from_db()
    assert account.balance == D("2.5000")
    repeated = staff_client.post(
        url, {"amount": "2.50", "reason": "Credit for an outage", "idempotency_key": "a1"}
    )
    assert repeated.status_code == 302
    assert LedgerTransaction.objects.filter(kind=TransactionKind.ADJUSTMENT).count() == 1


def test_the_adjust_page_shows_a_refusal_and_moves_nothing(staff_client):
    account = organization_account(
        organization=OrganizationFactory(),
        kind=AccountKind.ORGANIZATION_AVAILABLE,
        currency="USD",
    )
    before = money_state()

    response = staff_client.post(
        reverse("admin:payments_account_adjust", args=[account.pk]),
        {"amount": "-1", "reason": "Claw back", "idempotency_key": "a2"},
    )

    assert response.status_code == 400
    assert b"more is needed" in response.content
    assert money_state() == before


def test_the_reverse_page_renders_and_posts(staff_client, staff):
    posted = adjust(staff)
    url = reverse("admin:payments_ledgertransaction_reverse", args=[posted.pk])

    page = staff_client.get(url)
    missing_reason = staff_client.post(url, {"reason": ""})
    reversed_ = staff_client.post(url, {"reason": "Posted to the wrong organization"})

    assert page.status_code == 200
    assert b"5.0000 USD" in page.content  # the entries to be negated
    assert missing_reason.status_code == 400
    assert reversed_.status_code == 302
    correction = LedgerTransaction.objects.get(kind=TransactionKind.CORRECTION)
    assert (correction.corrects, correction.created_by) == (posted, staff)


def test_staff_without_the_permission_cannot_use_the_pages(staff):
    clerk = UserFactory(is_staff=True)
    TOTP.activate(clerk, generate_totp_secret())
    client = Client()
    client.force_login(clerk)
    posted = adjust(staff)
    account = posted.entries.get(account__kind="organization_available").account
    before = money_state()

    adjust_page = client.post(
        reverse("admin:payments_account_adjust", args=[account.pk]),
        {"amount": "1", "reason": "x", "idempotency_key": "z"},
    )
    reverse_page = client.post(
        reverse("admin:payments_ledgertransaction_reverse", args=[posted.pk]), {"reason": "x"}
    )

    assert adjust_page.status_code == 403
    assert reverse_page.status_code == 403
    assert money_state() == before
    clerk.user_permissions.add(Permission.objects.get(codename="add_ledgertransaction"))
    granted = Client()
    granted.force_login(clerk)
    assert (
        granted.get(reverse("admin:payments_account_adjust", args=[account.pk])).status_code == 200
    )


# The "Send bonus" page.


def test_the_bonus_page_sends_a_bonus_once_and_the_review_queue_links_it():
    assignment = submitted()
    job = assignment.hit.job
    organization = job.organization
    funded(organization)
    client = Client()
    client.force_login(organization.created_by)
    MembershipFactory(organization=organization, user=organization.created_by, role="owner")
    url = reverse("bonus_send", args=[job.pk, assignment.assignment_id])

    review = client.get(reverse("job_review", args=[job.pk]))
    page = client.get(url)
    bad = client.post(url, {"amount": "0.001", "reason": "x", "unique_request_token": "t"})
    sent = client.post(url, {"amount": "1.50", "reason": "Great", "unique_request_token": "t"})
    again = client.post(url, {"amount": "1.50", "reason": "Great", "unique_request_token": "t"})

    assert url.encode() in review.content
    assert page.status_code == 200
    assert b'name="unique_request_token"' in page.content
    assert bad.status_code == 400
    assert sent.status_code == 302
    assert again.status_code == 302
    bonus = Bonus.objects.get()
    assert (bonus.amount, bonus.fee, bonus.reason) == (D("1.5000"), D("0.3000"), "Great")
    assert b"Great" in client.get(url).content


def test_the_bonus_page_is_a_404_for_another_organizations_assignment():
    assignment = submitted()
    outsider = UserFactory()
    other = MembershipFactory(user=outsider, role="owner").organization
    funded(other)
    client = Client()
    client.force_login(outsider)
    before = money_state()

    response = client.post(
        reverse("bonus_send", args=[assignment.hit.job.pk, assignment.assignment_id]),
        {"amount": "1.00", "reason": "x", "unique_request_token": "t"},
    )

    assert response.status_code == 404
    assert money_state() == before
