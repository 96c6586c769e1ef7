"""Stripe Connect onboarding: a worker's or vendor's Express account, its Account Links and
the `account.updated` webhook."""

import logging
from dataclasses import dataclass

import stripe
from django.db import IntegrityError, transaction

from payments.models import PayoutAccount
from payments.payouts.selectors import (
    _one_owner,
    _owner_prefix,
    _require_vendor,
    payout_account_get,
)
from payments.stripe_client import StripeUnavailable, stripe_client

logger = logging.getLogger(__name__)


def _field(stripe_object, name: str):
    """A field of a Stripe object (StripeObject from the client, dict from an event)."""
    if isinstance(stripe_object, dict):
        return stripe_object.get(name)
    return getattr(stripe_object, name, None)


def _stripe_refused(error: stripe.StripeError, doing: str) -> StripeUnavailable:
    logger.warning("Stripe refused to %s: %s", doing, error)
    return StripeUnavailable(f"Stripe could not {doing} right now; try again later.")


def _payout_account_apply(*, payout_account: PayoutAccount, stripe_account) -> PayoutAccount:
    """Copy the account's onboarding state from a Stripe Account (object or dict)."""
    details_submitted = bool(_field(stripe_account, "details_submitted"))
    payouts_enabled = bool(_field(stripe_account, "payouts_enabled"))
    with transaction.atomic():
        locked = PayoutAccount.objects.select_for_update().get(pk=payout_account.pk)
        if (locked.details_submitted, locked.payouts_enabled) != (
            details_submitted,
            payouts_enabled,
        ):
            locked.details_submitted = details_submitted
            locked.payouts_enabled = payouts_enabled
            locked.save(update_fields=["details_submitted", "payouts_enabled", "updated_at"])
    return locked


def _payout_account_create(*, worker=None, organization=None) -> PayoutAccount:
    """The owner's PayoutAccount, creating its Express account at Stripe if it has none.
    The idempotency key `payout-account:<owner>` makes a repeated or concurrent call create
    one Stripe account; the OneToOne column makes it one row."""
    existing = payout_account_get(worker=worker, organization=organization)
    if existing is not None:
        return existing
    owner = _owner_prefix(worker=worker, organization=organization)
    if worker is not None:
        metadata = {"groundwork_worker_id": worker.worker_id}
    else:
        metadata = {"groundwork_organization_id": str(organization.pk)}
    client = stripe_client()
    try:
        stripe_account = client.v1.accounts.create(
            params={
                "type": "express",
                "capabilities": {"transfers": {"requested": True}},
                "metadata": metadata,
            },
            options={"idempotency_key": f"payout-account:{owner}"},
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error, "create your payout account") from error
    try:
        with transaction.atomic():
            return PayoutAccount.objects.create(
                worker=worker,
                organization=organization,
                stripe_account_id=stripe_account.id,
                details_submitted=bool(_field(stripe_account, "details_submitted")),
                payouts_enabled=bool(_field(stripe_account, "payouts_enabled")),
            )
    except IntegrityError:
        # A concurrent call stored it first (the same Stripe account, by the key).
        return payout_account_get(worker=worker, organization=organization)


@dataclass
class Onboarding:
    payout_account: PayoutAccount
    url: str  # the Stripe-hosted onboarding page to send the user to; valid for minutes


def payout_account_onboard(
    *, actor, worker=None, organization=None, return_url: str, refresh_url: str
) -> Onboarding:
    """Give the worker or vendor organization a Stripe Connect Express account (once) and
    an Account Link to Stripe's onboarding. No database transaction is open during the
    Stripe calls. StripeUnavailable (503) when Stripe is off, unreachable or refuses."""
    _one_owner(worker, organization)
    if organization is not None:
        _require_vendor(organization)
    payout_account = _payout_account_create(worker=worker, organization=organization)
    client = stripe_client()
    try:
        link = client.v1.account_links.create(
            params={
                "account": payout_account.stripe_account_id,
                "type": "account_onboarding",
                "refresh_url": refresh_url,
                "return_url": return_url,
            }
        )
    except stripe.StripeError as error:
        raise _stripe_refused(error, "start onboarding") from error
    logger.info(
        "Onboarding link for %s made by user %s", payout_account, getattr(actor, "pk", None)
    )
    return Onboarding(payout_account=payout_account, url=link.url)


def payout_account_refresh(*, payout_account: PayoutAccount) -> PayoutAccount:
    """Read the account's onboarding state back from Stripe (the return page does this)."""
    client = stripe_client()
    try:
        stripe_account = client.v1.accounts.retrieve(payout_account.stripe_account_id)
    except stripe.StripeError as error:
        raise _stripe_refused(error, "read your payout account") from error
    return _payout_account_apply(payout_account=payout_account, stripe_account=stripe_account)


def stripe_account_updated(event: dict) -> None:
    """Webhook `account.updated`: the Connect account's details_submitted and
    payouts_enabled. An account Groundwork does not know is ignored. Idempotent."""
    stripe_account = event["data"]["object"]
    payout_account = PayoutAccount.objects.filter(stripe_account_id=stripe_account["id"]).first()
    if payout_account is None:
        logger.info("account.updated for unknown account %s ignored", stripe_account["id"])
        return
    _payout_account_apply(payout_account=payout_account, stripe_account=stripe_account)
