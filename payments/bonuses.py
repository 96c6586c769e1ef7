"""Bonuses (Mechanical Turk's SendBonus): extra pay to a worker for one of their assignments,
from the organization's available balance, with the platform's fee on top."""

import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from jobs.models import SUBMITTED_ASSIGNMENT_STATUSES, Assignment
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import Organization, User
from payments.exceptions import InsufficientFunds
from payments.ledger import ledger_post, organization_account, platform_account, worker_account
from payments.models import AccountKind, Bonus, TransactionKind
from payments.money import money_quantize
from payments.pricing import bonus_fee
from workforce.models import WORKER_ID_REGEX

REASON_MAX = 1024
TOKEN_MAX = 64
# Whole units before the point: the amount plus its fee must fit the ledger's columns.
AMOUNT_MAX_DIGITS = 12
CENT_PLACES = Decimal("0.01")


def _validate(*, worker_id, assignment_id, amount, currency, reason, unique_request_token):
    fields: dict[str, list[str]] = {}
    if not isinstance(worker_id, str) or not re.fullmatch(WORKER_ID_REGEX, worker_id):
        fields["worker_id"] = ["Give the worker's public id, like A1B2C3D4E5F6G7."]
    if not isinstance(assignment_id, str) or not re.fullmatch(r"[A-Z0-9]{1,64}", assignment_id):
        fields["assignment_id"] = ["Give an AssignmentId: 1-64 upper-case letters and digits."]
    if not isinstance(amount, Decimal) or not amount.is_finite():
        fields["amount"] = ['Give the amount as a decimal string, such as "0.50".']
    elif amount <= 0:
        fields["amount"] = ["The bonus must be more than zero."]
    elif amount != amount.quantize(CENT_PLACES):
        fields["amount"] = ["Use whole cents: at most 2 decimal places."]
    elif amount >= Decimal(10) ** AMOUNT_MAX_DIGITS:
        fields["amount"] = [f"Use at most {AMOUNT_MAX_DIGITS} digits before the point."]
    if currency is not None and not (
        isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)
    ):
        fields["currency"] = ["Use a three-letter upper-case ISO 4217 code, like USD."]
    if not isinstance(reason, str) or not reason.strip():
        fields["reason"] = ["Say why: the worker sees the reason."]
    elif len(reason) > REASON_MAX:
        fields["reason"] = [f"Use at most {REASON_MAX} characters."]
    if not isinstance(unique_request_token, str) or not 1 <= len(unique_request_token) <= TOKEN_MAX:
        fields["unique_request_token"] = [f"Give a token of 1-{TOKEN_MAX} characters."]
    if fields:
        raise InvalidInput(fields=fields)


def _same_request(bonus: Bonus, *, assignment: Assignment, amount: Decimal, reason: str) -> bool:
    return (
        bonus.assignment_id == assignment.pk
        and bonus.worker_id == assignment.worker_id
        and bonus.amount == amount
        and bonus.currency == assignment.hit.job.currency
        and bonus.reason == reason
    )


def _repeat(organization: Organization, token: str, **request) -> Bonus | None:
    """The bonus already sent under this token, or None; Conflict if it was sent with other
    parameters (Stripe's rule for a reused idempotency key)."""
    existing = Bonus.objects.filter(organization=organization, unique_request_token=token).first()
    if existing is not None and not _same_request(existing, **request):
        raise Conflict(
            "This UniqueRequestToken was already used for a different bonus.",
            fields={"unique_request_token": ["Already used with other parameters."]},
            code="idempotency_key_reused",
        )
    return existing


def _bonus_assignment(*, organization: Organization, worker_id: str, assignment_id: str):
    """The organization's assignment done by this worker; NotFound for anyone else's, or a
    worker who did not do it (which also covers a worker who never worked for it)."""
    assignment = (
        Assignment.objects.select_related("hit__job", "worker")
        .filter(
            assignment_id=assignment_id,
            worker__worker_id=worker_id,
            hit__job__organization=organization,
        )
        .first()
    )
    if assignment is None:
        raise NotFound(f"No assignment {assignment_id} by worker {worker_id} in your jobs.")
    return assignment


@transaction.atomic
def bonus_send(
    *,
    actor: User,
    organization: Organization,
    worker_id: str,
    assignment_id: str,
    amount: Decimal,
    reason: str,
    unique_request_token: str,
    currency: str | None = None,
) -> tuple[Bonus, bool]:
    """Pay `amount` (whole cents, in the job's currency) to the worker of one of the
    organization's submitted, approved or rejected assignments, plus the platform's fee,
    from its available balance to the worker's pending balance. Returns (bonus, created).

    A repeated `unique_request_token` with the same parameters returns the first bonus
    (created False); with different ones, Conflict. NotFound for an assignment that is not
    the organization's or not that worker's; Conflict for work still in flight (or
    returned, abandoned, expired); InsufficientFunds (402) naming the shortfall. A refusal
    changes nothing.
    """
    _validate(
        worker_id=worker_id,
        assignment_id=assignment_id,
        amount=amount,
        currency=currency,
        reason=reason,
        unique_request_token=unique_request_token,
    )
    assignment = _bonus_assignment(
        organization=organization, worker_id=worker_id, assignment_id=assignment_id
    )
    job = assignment.hit.job
    amount = money_quantize(amount)
    request = {"assignment": assignment, "amount": amount, "reason": reason}
    if currency is not None and currency != job.currency:
        raise InvalidInput(
            f"The job pays in {job.currency}; a bonus is paid in the job's currency.",
            fields={"currency": [f"Use {job.currency}, the job's currency."]},
        )
    existing = _repeat(organization, unique_request_token, **request)
    if existing is not None:
        return existing, False
    if assignment.status not in SUBMITTED_ASSIGNMENT_STATUSES:
        raise Conflict(
            f'Assignment {assignment.assignment_id} is "{assignment.status}"; a bonus is only '
            "for submitted, approved or rejected work.",
            code="assignment_not_submitted",
        )

    fee = bonus_fee(amount=amount)
    try:
        with transaction.atomic():
            bonus = Bonus.objects.create(
                organization=organization,
                worker=assignment.worker,
                assignment=assignment,
                amount=amount,
                fee=fee,
                currency=job.currency,
                reason=reason,
                unique_request_token=unique_request_token,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        # The same token committed meanwhile by a concurrent request.
        existing = _repeat(organization, unique_request_token, **request)
        if existing is None:
            raise
        return existing, False

    available = organization_account(
        organization=organization, kind=AccountKind.ORGANIZATION_AVAILABLE, currency=job.currency
    )
    try:
        ledger_post(
            idempotency_key=f"bonus:{bonus.pk}",
            entries=[
                (available, -(amount + fee)),
                (
                    worker_account(
                        worker=assignment.worker,
                        kind=AccountKind.WORKER_PENDING,
                        currency=job.currency,
                    ),
                    amount,
                ),
                (
                    platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency=job.currency),
                    fee,
                ),
            ],
            kind=TransactionKind.BONUS,
            reference=f"bonus:{bonus.pk}",
            actor=actor,
            job=job,
        )
    except InsufficientFunds:
        available.refresh_from_db(fields=["balance"])
        cost = amount + fee
        shortfall = max(cost - available.balance, Decimal("0.0001"))
        raise InsufficientFunds(
            f"The bonus costs {cost} {job.currency} ({amount} plus a {fee} fee); the "
            f"available balance is {available.balance} {job.currency}: top up "
            f"{shortfall} {job.currency} more.",
            fields={"amount": [f"Short by {shortfall} {job.currency}."]},
        ) from None
    return bonus, True


def bonus_list(*, organization: Organization, assignment_id: str | None = None) -> QuerySet[Bonus]:
    """The organization's bonuses, newest first, with what their shape shows joined."""
    queryset = Bonus.objects.filter(organization=organization).select_related(
        "worker", "assignment"
    )
    if assignment_id is not None:
        queryset = queryset.filter(assignment__assignment_id=assignment_id)
    return queryset.order_by("-created_at", "-id")
