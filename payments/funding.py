"""Manual top-ups: money recorded by hand (demo data, test fixtures, operators without
Stripe) credited to an organization's available balance from manual clearing."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from marketplace.exceptions import InvalidInput
from payments.ledger import ledger_post, organization_account, platform_account
from payments.models import AccountKind, Provider, TopUp, TopUpStatus, TransactionKind
from payments.money import money_quantize


@transaction.atomic
def top_up_manual_record(
    *, organization, amount: Decimal, idempotency_key: str, currency: str = "USD", actor=None
) -> TopUp:
    """A succeeded manual top-up and its `top_up` posting (manual_clearing -> available,
    key `top-up:<pk>`). Idempotent per (organization, idempotency_key): a repeat returns
    the first top-up and credits nothing more."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput(fields={"amount": ["Give a positive decimal amount."]})
    amount = money_quantize(amount)
    top_up, created = TopUp.objects.get_or_create(
        organization=organization,
        idempotency_key=idempotency_key,
        defaults={
            "amount": amount,
            "currency": currency,
            "provider": Provider.MANUAL,
            "status": TopUpStatus.SUCCEEDED,
            "succeeded_at": timezone.now(),
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if not created:
        return top_up
    ledger_post(
        idempotency_key=f"top-up:{top_up.pk}",
        entries=[
            (platform_account(kind=AccountKind.MANUAL_CLEARING, currency=currency), -amount),
            (
                organization_account(
                    organization=organization,
                    kind=AccountKind.ORGANIZATION_AVAILABLE,
                    currency=currency,
                ),
                amount,
            ),
        ],
        kind=TransactionKind.TOP_UP,
        reference=f"top_up:{top_up.pk}",
        actor=actor,
    )
    return top_up
