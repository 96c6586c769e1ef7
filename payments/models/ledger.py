"""Ledger tables: accounts with a cached balance, transactions and their immutable entries.

Sign convention (docs/ledger.md): an entry's amount is signed from the account holder's
side: positive adds to the account's balance, negative takes from it. A balance is the
sum of its entries, and every transaction's entries sum to zero per currency, so all
balances together sum to zero per currency too (the platform-side accounts, such as
Stripe clearing, go negative by what the platform holds for others).

The database enforces what it can on PostgreSQL (migration 0001): balanced transactions of
at least two entries at COMMIT, append-only entries and transactions, an entry's currency
equal to its account's.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.money import DEFAULT_CURRENCY

MONEY_DIGITS = 20
MONEY_DECIMALS = 4


class AccountKind(models.TextChoices):
    ORGANIZATION_AVAILABLE = "organization_available", "Organization: available"
    ORGANIZATION_ON_HOLD = "organization_on_hold", "Organization: on hold for jobs"
    WORKER_PENDING = "worker_pending", "Worker: pending"
    WORKER_AVAILABLE = "worker_available", "Worker: available"
    VENDOR_AVAILABLE = "vendor_available", "Vendor: available"
    PLATFORM_FEE_REVENUE = "platform_fee_revenue", "Platform: fee revenue"
    STRIPE_CLEARING = "stripe_clearing", "Platform: Stripe clearing"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Platform: payouts in transit"
    ADJUSTMENTS = "adjustments", "Platform: adjustments"
    # Money in or out by hand (the manual payout provider, demo top-ups without Stripe).
    MANUAL_CLEARING = "manual_clearing", "Platform: manual clearing"


# Which owner each kind has. A vendor is an organization with a vendor profile, so its
# account hangs on the organization, like a requester's, under its own kind. Money on hold
# is held per job: an on-hold account names its job too (payments.escrow).
ORGANIZATION_KINDS = frozenset(
    {
        AccountKind.ORGANIZATION_AVAILABLE,
        AccountKind.ORGANIZATION_ON_HOLD,
        AccountKind.VENDOR_AVAILABLE,
    }
)
WORKER_KINDS = frozenset({AccountKind.WORKER_PENDING, AccountKind.WORKER_AVAILABLE})
PLATFORM_KINDS = frozenset(set(AccountKind) - ORGANIZATION_KINDS - WORKER_KINDS)
# What someone else owns must never go below zero; platform-side accounts may.
GUARDED_KINDS = ORGANIZATION_KINDS | WORKER_KINDS


class Account(models.Model):
    """One balance: (kind, owner, currency). The owner is an organization, a worker, or
    nobody (the platform's accounts); a check constraint ties the owner to the kind."""

    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    worker = models.ForeignKey(
        "workforce.WorkerProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    job = models.ForeignKey(
        "jobs.LabelingJob",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
        help_text="The job whose budget an on-hold account holds.",
    )
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    # Platform kinds are spread over several rows (payments.shards); owned accounts are 0.
    shard = models.PositiveSmallIntegerField(default=0)
    # A cache of the sum of this account's entries, moved only by ledger_post under this
    # row's lock in the posting transaction; ledger_reconcile compares the two.
    balance = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values), name="account_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=sorted(ORGANIZATION_KINDS),
                        organization__isnull=False,
                        worker__isnull=True,
                    )
                    | Q(
                        kind__in=sorted(WORKER_KINDS),
                        organization__isnull=True,
                        worker__isnull=False,
                    )
                    | Q(
                        kind__in=sorted(PLATFORM_KINDS),
                        organization__isnull=True,
                        worker__isnull=True,
                    )
                ),
                name="account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.ORGANIZATION_ON_HOLD, job__isnull=False)
                | (~Q(kind=AccountKind.ORGANIZATION_ON_HOLD) & Q(job__isnull=True)),
                name="account_job_only_on_hold",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(GUARDED_KINDS)) | Q(balance__gte=0),
                name="account_guarded_balance_not_negative",
            ),
            # One account per (kind, owner, currency), as partial indexes because the
            # owner columns are nullable (NULLs are distinct in a plain unique index).
            models.UniqueConstraint(
                fields=["kind", "organization", "currency"],
                condition=Q(organization__isnull=False, job__isnull=True),
                name="account_once_per_organization",
            ),
            models.UniqueConstraint(
                fields=["kind", "job", "currency"],
                condition=Q(job__isnull=False),
                name="account_once_per_job",
            ),
            models.UniqueConstraint(
                fields=["kind", "worker", "currency"],
                condition=Q(worker__isnull=False),
                name="account_once_per_worker",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "shard"],
                condition=Q(organization__isnull=True, worker__isnull=True),
                name="account_once_per_platform_shard",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=sorted(PLATFORM_KINDS)) | Q(shard=0),
                name="account_shard_only_platform",
            ),
            # The target of the entries' (account, currency) foreign key (migration 0001).
            models.UniqueConstraint(fields=["id", "currency"], name="account_id_currency"),
        ]

    def __str__(self) -> str:
        owner = self.organization_id or self.worker_id or "platform"
        if self.job_id:
            owner = f"{owner} job {self.job_id}"
        return f"{self.kind} {owner} {self.currency}"

    @property
    def must_not_go_negative(self) -> bool:
        return self.kind in GUARDED_KINDS


class TransactionKind(models.TextChoices):
    """What a transaction does; later parts of the payments issue post each of these."""

    TOP_UP = "top_up", "Top-up"
    REFUND = "refund", "Refund"
    JOB_HOLD = "job_hold", "Job budget held"
    JOB_RELEASE = "job_release", "Job budget released"
    REWARD = "reward", "Reward"
    BONUS = "bonus", "Bonus"
    VENDOR_SETTLEMENT = "vendor_settlement", "Vendor settlement"
    EARNINGS_RELEASE = "earnings_release", "Pending earnings made available"
    PAYOUT = "payout", "Payout"
    PAYOUT_PAID = "payout_paid", "Payout paid"
    PAYOUT_RETURN = "payout_return", "Payout failed or reversed"
    ADJUSTMENT = "adjustment", "Adjustment"
    CORRECTION = "correction", "Correction"


class LedgerTransaction(models.Model):
    """A set of two or more entries summing to zero per currency, posted once per key.

    `reference` names what caused it as "<type>:<id>" (e.g. "assignment:3XQ...",
    "stripe_event:evt_...", "bonus:12"): plain text, so it survives the cause's deletion
    and needs no join. Rows are append-only; a mistake is undone by a new transaction
    that `corrects` it, with a reason.
    """

    idempotency_key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    reference = models.CharField(max_length=200, db_index=True)
    reason = models.CharField(max_length=1000, blank=True)
    # The job it belongs to, when it has one (its hold, releases, rewards, bonuses, vendor
    # settlements): statements add up a job's spend with this indexed column.
    job = models.ForeignKey(
        "jobs.LabelingJob",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    # SHA-256 of the posting's parameters: a repeated key must come with the same ones.
    parameters_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values), name="ledger_transaction_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(reason=""),
                name="ledger_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(idempotency_key=""), name="ledger_transaction_key_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.idempotency_key})"


class LedgerEntry(models.Model):
    """One leg of a transaction: `amount` (signed, see the module docstring) on one account,
    in the account's currency."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero"),
            models.UniqueConstraint(
                fields=["transaction", "account"], name="ledger_entry_once_per_account"
            ),
        ]
        indexes = [
            # Uses index: account_balance_from_entries and ledger_reconcile sum per account.
            models.Index(fields=["account", "amount"], name="ledger_entry_account_amount"),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.account_id}"
