"""Ledger benchmark: posting throughput of payments.ledger.ledger_post with 16 concurrent
writers, beside a raw-SQL insert of the same transactions and entries on the same database
in the same run (the floor), then the ledger's invariants.

Run with `make bench`, or: .venv/bin/python -m tests.benchmarks.bench_ledger
It creates the database test_groundwork_bench_ledger (BENCH_LEDGER_DATABASE_URL names
another base database) with Django's test machinery and drops it at the end. Every writer
is its own forked process with its own connection. Each writer posts approvals (a reward:
its job's on-hold account pays a worker's pending account and the platform's fee revenue,
three entries) for its own job and a rotating set of 50 workers, so the writers share only
the platform's fee revenue, as approvals across a marketplace's jobs do. The "one job"
mode has all writers approve one job's work (its on-hold account is then a hot row), as a
reference. Exits non-zero when an invariant fails; a missed speed target is reported.
"""

import argparse
import os
import sys
import time
from decimal import Decimal

WRITERS = 16
SECONDS = 8.0
WARMUP_SECONDS = 1.0
WORKERS_PER_WRITER = 50
MODES = ("raw-sql", "ledger", "ledger-one-job")
TARGET_SHARE = 0.40
REWARD = Decimal("0.0500")
FEE = Decimal("0.0100")
FUNDING = Decimal("100000000.0000")


def _configure(*, database_url: str, redis_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CACHE_URL"] = redis_url
    # Production's default (the test settings use one row per platform account).
    os.environ.setdefault("PAYMENTS_PLATFORM_ACCOUNT_SHARDS", "16")
    import django

    django.setup()


def _seed(*, writers: int) -> list[dict]:
    """One job per writer, its on-hold account funded, and its workers' pending accounts."""
    from payments.ledger import job_hold_account, ledger_post, platform_account, worker_account
    from payments.models import AccountKind, TransactionKind
    from tests.jobs.factories import LabelingJobFactory
    from tests.workforce.factories import WorkerProfileFactory

    manual = platform_account(kind=AccountKind.MANUAL_CLEARING, currency="USD")
    fees = platform_account(kind=AccountKind.PLATFORM_FEE_REVENUE, currency="USD")
    plans = []
    for writer in range(writers):
        job = LabelingJobFactory(name=f"ledger-bench-{writer}")
        hold = job_hold_account(job=job)
        ledger_post(
            idempotency_key=f"bench-fund:{writer}",
            entries=[(manual, -FUNDING), (hold, FUNDING)],
            kind=TransactionKind.JOB_HOLD,
            reference=f"job:{job.pk}",
            job=job,
        )
        pending = [
            worker_account(
                worker=WorkerProfileFactory(user__email=f"ledger-bench-{writer}-{n}@example.com"),
                kind=AccountKind.WORKER_PENDING,
                currency="USD",
            ).pk
            for n in range(WORKERS_PER_WRITER)
        ]
        plans.append({"job": job.pk, "hold": hold.pk, "pending": pending, "fees": fees.pk})
    return plans


def _drive(post, *, seconds: float, ready) -> dict:
    """Post in a loop: warm up, wait for every writer, then count for `seconds`."""
    number = 0
    warm_until = time.monotonic() + WARMUP_SECONDS
    while time.monotonic() < warm_until:
        post(number, warmup=True)
        number += 1
    ready.wait()
    latencies = []
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        began = time.perf_counter()
        post(number, warmup=False)
        latencies.append(time.perf_counter() - began)
        number += 1
    return {
        "postings": len(latencies),
        "seconds": time.monotonic() - started,
        "latencies": latencies,
    }


def _ledger_writer(mode: str, writer: int, plan: dict, seconds: float, *, ready) -> dict:
    from django.db import connection

    from jobs.models import LabelingJob
    from payments.ledger import ledger_post
    from payments.models import Account, TransactionKind

    job = LabelingJob.objects.get(pk=plan["job"])
    hold = Account.objects.get(pk=plan["hold"])
    fees = Account.objects.get(pk=plan["fees"])
    pending = list(Account.objects.filter(pk__in=plan["pending"]).order_by("pk"))

    def post(number: int, *, warmup: bool) -> None:
        ledger_post(
            idempotency_key=f"bench:{mode}:{writer}:{number}",
            entries=[
                (hold, -(REWARD + FEE)),
                (pending[number % len(pending)], REWARD),
                (fees, FEE),
            ],
            kind=TransactionKind.REWARD,
            reference=f"assignment:bench-{writer}-{number}",
            job=job,
        )

    outcome = _drive(post, seconds=seconds, ready=ready)
    connection.close()
    return outcome


RAW_TRANSACTION = """
INSERT INTO payments_ledgertransaction
    (idempotency_key, kind, reference, reason, job_id, parameters_hash, created_at)
VALUES (%s, 'reward', %s, '', %s, '', now())
RETURNING id
"""
RAW_ENTRIES = """
INSERT INTO payments_ledgerentry (transaction_id, account_id, amount, currency)
VALUES (%s, %s, %s, 'USD'), (%s, %s, %s, 'USD'), (%s, %s, %s, 'USD')
"""


def _raw_writer(conninfo: str, writer: int, plan: dict, seconds: float, *, ready) -> dict:
    """The floor: the same transaction row and three entries, two statements and a commit,
    with no idempotency check, no locks and no cached balances."""
    import psycopg

    with psycopg.connect(conninfo) as connection:
        pending = plan["pending"]

        def post(number: int, *, warmup: bool) -> None:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(
                    RAW_TRANSACTION,
                    (f"bench:raw:{writer}:{number}", f"assignment:raw-{writer}", plan["job"]),
                )
                (transaction_id,) = cursor.fetchone()
                cursor.execute(
                    RAW_ENTRIES,
                    (
                        transaction_id,
                        plan["hold"],
                        -(REWARD + FEE),
                        transaction_id,
                        pending[number % len(pending)],
                        REWARD,
                        transaction_id,
                        plan["fees"],
                        FEE,
                    ),
                )

        return _drive(post, seconds=seconds, ready=ready)


def _invariants() -> list[str]:
    """The ledger after the runs: every transaction balanced, cached balances equal to
    their entries, no guarded account negative. The raw-SQL floor's transactions are
    balanced too but skip the cached balances, so they are reversed out of the check."""
    from django.db import connection

    from payments.balances import ledger_reconcile

    failures = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM payments_ledgerentry "
            "GROUP BY transaction_id, currency HAVING sum(amount) <> 0) unbalanced"
        )
        (unbalanced,) = cursor.fetchone()
        if unbalanced:
            failures.append(f"{unbalanced} unbalanced transactions")
        cursor.execute(
            "SELECT count(*) FROM payments_account WHERE balance < 0 AND kind IN "
            "('organization_available', 'organization_on_hold', 'vendor_available', "
            "'worker_pending', 'worker_available')"
        )
        (negative,) = cursor.fetchone()
        if negative:
            failures.append(f"{negative} guarded accounts below zero")
        # The floor's rows moved no cached balance: take them out before reconciling.
        cursor.execute("ALTER TABLE payments_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(
            "DELETE FROM payments_ledgerentry WHERE transaction_id IN (SELECT id FROM "
            "payments_ledgertransaction WHERE idempotency_key LIKE 'bench:raw:%%')"
        )
        cursor.execute("ALTER TABLE payments_ledgerentry ENABLE TRIGGER USER")
    mismatches = ledger_reconcile()
    if mismatches:
        failures.append(f"{len(mismatches)} cached balances differ from their entries")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    arguments = parser.parse_args()
    base_url = os.environ.get(
        "BENCH_LEDGER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/groundwork_bench_ledger"
    )
    redis_url = os.environ.get("BENCH_LEDGER_REDIS_URL", "redis://127.0.0.1:6379/13")
    _configure(database_url=base_url, redis_url=redis_url)
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases

    from tests.benchmarks.support import database_conninfo, percentile, run_processes

    print("Ledger benchmark: creating and migrating the benchmark database...", flush=True)
    databases = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    failures: list[str] = []
    rows = []
    try:
        plans = _seed(writers=arguments.writers)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        conninfo = database_conninfo()
        for mode in arguments.modes:
            connections.close_all()
            if mode == "raw-sql":
                target, argument_lists = (
                    _raw_writer,
                    [
                        (conninfo, writer, plan, arguments.seconds)
                        for writer, plan in enumerate(plans)
                    ],
                )
            else:
                shared = mode == "ledger-one-job"
                target, argument_lists = (
                    _ledger_writer,
                    [
                        (mode, writer, plans[0] if shared else plan, arguments.seconds)
                        for writer, plan in enumerate(plans)
                    ],
                )
            outcomes = run_processes(target, argument_lists)
            crashed = [outcome["crashed"] for outcome in outcomes if "crashed" in outcome]
            if crashed:
                failures.append(f"{mode}: {crashed[0]}")
                continue
            postings = sum(outcome["postings"] for outcome in outcomes)
            seconds = max(outcome["seconds"] for outcome in outcomes)
            latencies = sorted(value for outcome in outcomes for value in outcome["latencies"])
            rows.append(
                {
                    "mode": mode,
                    "rate": postings / seconds,
                    "p50": percentile(latencies, 0.50) * 1000,
                    "p99": percentile(latencies, 0.99) * 1000,
                }
            )
        failures += _invariants()
    finally:
        connections.close_all()
        teardown_databases(databases, verbosity=0)

    floor = next((row["rate"] for row in rows if row["mode"] == "raw-sql"), None)
    print(
        f"\n{arguments.writers} writers, {arguments.seconds:.0f} s each mode, "
        "3 entries per transaction (a reward: job hold -> worker pending + fee revenue)"
    )
    print(
        f"{'mode':<16}{'postings/s':>12}{'entries/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'of floor':>10}"
    )
    for row in rows:
        share = f"{row['rate'] / floor:.0%}" if floor else "-"
        print(
            f"{row['mode']:<16}{row['rate']:>12,.0f}{row['rate'] * 3:>12,.0f}"
            f"{row['p50']:>9.2f}{row['p99']:>9.2f}{share:>10}"
        )
    ledger = next((row["rate"] for row in rows if row["mode"] == "ledger"), None)
    if floor and ledger is not None:
        verdict = "met" if ledger >= TARGET_SHARE * floor else "MISSED"
        print(f"Target: ledger at least {TARGET_SHARE:.0%} of the raw-SQL floor: {verdict}")
    if failures:
        print("INVARIANTS FAILED: " + "; ".join(failures))
        return 1
    print(
        "Invariants: every transaction balanced, cached balances equal their entries, "
        "no guarded account negative."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
