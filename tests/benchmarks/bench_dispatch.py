"""Dispatch benchmark: 16 and 64 concurrent workers claiming and submitting through the
service layer and over HTTP (gunicorn on loopback), beside a raw-SQL FOR UPDATE SKIP
LOCKED claim loop on the same database (the floor), then the correctness checks.

Run with `make bench`, or: .venv/bin/python -m tests.benchmarks.bench_dispatch
It creates the database test_groundwork_bench_dispatch (BENCH_DISPATCH_DATABASE_URL names
another base database) with Django's test machinery and drops it at the end. Every worker
is its own forked process with its own connection (no shared GIL). Each (mode, workers)
run gets its own freshly launched job, so every run starts from the same state. Exits
non-zero when a correctness check fails; a missed speed target is reported, not fatal.
"""

import argparse
import http.client
import json
import os
import sys
import time
from pathlib import Path

WORKER_COUNTS = (16, 64)
# http-floor is a reference, not dispatch: each cycle is two GET /api/v1/ (the lightest
# authenticated request: session, user, throttles, a small body), the most any cycle of
# two requests through this stack can do on the machine.
MODES = ("raw-sql", "service", "http", "http-floor")
HTTP_MODES = ("http", "http-floor")
SECONDS = 10.0
# Each client works this long before the timed window (first queries, imports, gunicorn's
# first requests); that work is checked for correctness but not counted in the figures.
WARMUP_SECONDS = 1.5
OBJECTS = 20_000
WORKERS_PER_OBJECT = 3
MAX_CONCURRENT_TASKS = 5_000
LABELS = ["cat", "dog", "bird"]
# Targets from the issue: claims/s as a share of the raw-SQL floor, and claim p99.
SERVICE_FLOOR_SHARE = 0.50
HTTP_FLOOR_SHARE = 0.25
P99_TARGET_MS = 50.0
P99_TARGET_WORKERS = 16
ROOT = Path(__file__).resolve().parents[2]


def _configure(*, database_url: str, redis_url: str) -> None:
    """Test settings, but with Celery sending to Redis as in production (nothing consumes
    the queue during the run; it is purged at the end) instead of running tasks eagerly."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CACHE_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()


# Seeding (not measured).


def _seed_people(*, workers: int):
    from tests.marketplace.factories import MembershipFactory, OrganizationFactory
    from tests.workforce.factories import WorkerProfileFactory

    organization = OrganizationFactory(name="Dispatch bench", slug="dispatch-bench")
    requester = MembershipFactory(organization=organization).user
    profiles = [
        WorkerProfileFactory(user__email=f"bench-worker-{number}@example.com")
        for number in range(workers)
    ]
    return organization, requester, profiles


def _seed_job(*, organization, requester, name: str, objects: int):
    """A running image-classification job: `objects` data objects, the first
    MAX_CONCURRENT_TASKS of them released as HITs by job_launch."""
    from jobs.models import DataObject
    from jobs.services.jobs import job_launch
    from tests.jobs.factories import LabelingJobFactory

    job = LabelingJobFactory(
        organization=organization,
        created_by=requester,
        name=name,
        labels=LABELS,
        workers_per_object=WORKERS_PER_OBJECT,
        max_concurrent_tasks=MAX_CONCURRENT_TASKS,
        task_time_limit_seconds=600,
    )
    DataObject.objects.bulk_create(
        (
            DataObject(
                job=job,
                line_number=line,
                data={"source-ref": f"https://images.example.com/bench/{line}.png"},
            )
            for line in range(1, objects + 1)
        ),
        batch_size=5_000,
    )
    return job_launch(actor=requester, job=job)


# The three client loops. Each runs in its own process, gets ready, waits for the others,
# then claims and submits until `seconds` have passed, timing every claim.


def _outcome(label: str) -> dict:
    return {
        "label": label,
        "started": None,
        "ended": None,
        "claim_seconds": [],
        "submitted": [],
        "no_work": 0,
        "errors": [],
        "cpu_seconds": 0.0,
    }


class _Window:
    """Warm up, then time `seconds`: `open` says whether to keep going, and on the first
    call after the warm-up it forgets the warm-up's timings and marks the start."""

    def __init__(self, outcome: dict, seconds: float) -> None:
        self.outcome = outcome
        self.warm_until = time.monotonic() + WARMUP_SECONDS
        self.stop_at = self.warm_until + seconds
        self.cpu_started = 0.0

    def open(self) -> bool:
        now = time.monotonic()
        if self.outcome["started"] is None and now >= self.warm_until:
            self.outcome["started"] = now
            self.outcome["claim_seconds"].clear()
            self.outcome["no_work"] = 0
            self.cpu_started = time.process_time()
        if now < self.stop_at:
            return True
        self.close()
        return False

    def close(self) -> None:
        """Mark the end (also when a client stops early)."""
        if self.outcome["ended"] is None:
            self.outcome["ended"] = time.monotonic()
            if self.outcome["started"] is not None:
                self.outcome["cpu_seconds"] = time.process_time() - self.cpu_started


def _drive(cycle, *, label: str, seconds: float, ready) -> dict:
    """Run `cycle()` (one claim and its submit; returns the claim's seconds and the
    submitted assignment's id, or None for no work) once before the barrier, so that each
    process has connected and run its first queries before any clock starts, then in a
    loop for the warm-up and the timed window."""
    outcome = _outcome(label)
    window = None
    try:
        _claim_seconds, submitted = cycle()
        if submitted is not None:
            outcome["submitted"].append(submitted)
        ready.wait(timeout=120)
        window = _Window(outcome, seconds)
        while window.open():
            claim_seconds, submitted = cycle()
            outcome["claim_seconds"].append(claim_seconds)
            if submitted is None:
                outcome["no_work"] += 1
                break
            outcome["submitted"].append(submitted)
    except Exception as error:  # reported; the parent fails the run
        outcome["errors"].append(f"{type(error).__name__}: {error}")
        ready.abort()
    if window is not None:
        window.close()
    return outcome


def _service_client(job_id: int, worker_id: int, label: str, seconds: float, *, ready) -> dict:
    from django.db import connection

    from jobs.models import LabelingJob
    from jobs.services.dispatch import assignment_claim_next, assignment_submit
    from marketplace.celery import app as celery_app
    from workforce.models import WorkerProfile

    worker = WorkerProfile.objects.select_related("user").get(pk=worker_id)
    job = LabelingJob.objects.get(pk=job_id)
    # The process's broker connection, opened before the clock as its database one is: a
    # process pays about 0.1 s of CPU for it once, on its first task sent.
    with celery_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection()

    def cycle():
        started = time.perf_counter()
        assignment = assignment_claim_next(worker=worker, job=job)
        claim_seconds = time.perf_counter() - started
        if assignment is None:
            return claim_seconds, None
        assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
        return claim_seconds, assignment.assignment_id

    outcome = _drive(cycle, label=label, seconds=seconds, ready=ready)
    connection.close()
    return outcome


RAW_CLAIM = """
SELECT id FROM jobs_hit
WHERE job_id = %(job)s AND status = 'Assignable'
  AND NOT EXISTS (
    SELECT 1 FROM jobs_assignment a WHERE a.hit_id = jobs_hit.id AND a.worker_id = %(worker)s
  )
ORDER BY job_id, id
LIMIT 1
FOR UPDATE SKIP LOCKED
"""
RAW_INSERT = """
INSERT INTO jobs_assignment (assignment_id, hit_id, worker_id, status, accepted_at, deadline,
                             requester_feedback, created_at, updated_at)
VALUES (%(assignment)s, %(hit)s, %(worker)s, 'Accepted', now(), now() + interval '600 seconds',
        '', now(), now())
RETURNING id
"""
RAW_HIT_TAKEN = """
UPDATE jobs_hit
SET assignments_pending = assignments_pending + 1,
    status = CASE WHEN assignments_pending + 1 + assignments_completed >= max_assignments
                  THEN 'Unassignable' ELSE status END,
    updated_at = now()
WHERE id = %(hit)s
"""
RAW_HIT_SUBMITTED = """
UPDATE jobs_hit
SET assignments_pending = assignments_pending - 1,
    assignments_completed = assignments_completed + 1,
    status = CASE WHEN assignments_completed + 1 >= max_assignments
                  THEN 'Reviewable' ELSE status END,
    updated_at = now()
WHERE id = %(hit)s
"""
RAW_SUBMIT = """
UPDATE jobs_assignment
SET status = 'Submitted', answer = %(answer)s, submitted_at = now(),
    auto_approval_at = now() + interval '3 days', updated_at = now()
WHERE id = %(id)s AND status = 'Accepted'
"""


def _raw_client(
    job_id: int, worker_id: int, label: str, seconds: float, conninfo: str, *, ready
) -> dict:
    import psycopg
    from psycopg.types.json import Jsonb

    from jobs.models import new_entity_id

    with psycopg.connect(conninfo, autocommit=True) as connection:

        def cycle():
            started = time.perf_counter()
            public_id = new_entity_id()
            with connection.transaction():
                row = connection.execute(RAW_CLAIM, {"job": job_id, "worker": worker_id}).fetchone()
                if row is not None:
                    hit_id = row[0]
                    (assignment_pk,) = connection.execute(
                        RAW_INSERT, {"assignment": public_id, "hit": hit_id, "worker": worker_id}
                    ).fetchone()
                    connection.execute(RAW_HIT_TAKEN, {"hit": hit_id})
            claim_seconds = time.perf_counter() - started
            if row is None:
                return claim_seconds, None
            with connection.transaction():
                connection.execute(RAW_HIT_SUBMITTED, {"hit": hit_id})
                connection.execute(
                    RAW_SUBMIT, {"answer": Jsonb({"label": label}), "id": assignment_pk}
                )
            return claim_seconds, public_id

        return _drive(cycle, label=label, seconds=seconds, ready=ready)


def _http_client(
    job_id: int,
    cookie: str,
    csrf: str,
    label: str,
    seconds: float,
    port: int,
    floor: bool,
    *,
    ready,
) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": cookie,
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    claim_body = json.dumps({"job_id": job_id})
    submit_body = json.dumps({"answer": {"label": label}})
    connection.connect()

    def floor_cycle():
        seconds = []
        for _ in range(2):
            started = time.perf_counter()
            connection.request("GET", "/api/v1/", headers=headers)
            response = connection.getresponse()
            body = response.read()
            seconds.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"root: HTTP {response.status} {body[:300]!r}")
        return seconds[0], "floor"

    def cycle():
        started = time.perf_counter()
        connection.request("POST", "/api/v1/work/next/", claim_body, headers)
        response = connection.getresponse()
        body = response.read()
        claim_seconds = time.perf_counter() - started
        if response.status == 204:
            return claim_seconds, None
        if response.status != 201:
            raise RuntimeError(f"claim: HTTP {response.status} {body[:300]!r}")
        assignment_id = json.loads(body)["assignment_id"]
        connection.request(
            "POST", f"/api/v1/work/assignments/{assignment_id}/submit/", submit_body, headers
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"submit: HTTP {response.status} {body[:300]!r}")
        return claim_seconds, assignment_id

    outcome = _drive(floor_cycle if floor else cycle, label=label, seconds=seconds, ready=ready)
    connection.close()
    return outcome


# Figures and checks.


def _figures(mode: str, workers: int, outcomes: list[dict]) -> dict:
    from tests.benchmarks.support import percentile

    crashed = [outcome["crashed"] for outcome in outcomes if "crashed" in outcome]
    finished = [outcome for outcome in outcomes if "crashed" not in outcome]
    timed = [outcome for outcome in finished if outcome["started"] is not None]
    claims = sorted(seconds for outcome in timed for seconds in outcome["claim_seconds"])
    no_work = sum(outcome["no_work"] for outcome in timed)
    wall = (
        max(outcome["ended"] for outcome in timed) - min(outcome["started"] for outcome in timed)
        if timed
        else 0.0
    )
    succeeded = len(claims) - no_work
    return {
        "mode": mode,
        "workers": workers,
        "claims": succeeded,
        "seconds": wall,
        "claims_per_second": succeeded / wall if wall else 0.0,
        "client_cpu_ms": (
            1000 * sum(outcome["cpu_seconds"] for outcome in timed) / len(claims) if claims else 0
        ),
        "p50_ms": percentile(claims, 0.50) * 1000,
        "p99_ms": percentile(claims, 0.99) * 1000,
        "no_work": no_work,
        "errors": crashed + [error for outcome in finished for error in outcome["errors"]],
        "clients_without_timed_work": len(finished) - len(timed),
        "submitted": [
            (public_id, outcome["label"])
            for outcome in finished
            for public_id in outcome["submitted"]
        ],
    }


CHECKS = {
    "duplicate (HIT, worker) pairs": """
        SELECT count(*) FROM (
          SELECT a.hit_id, a.worker_id FROM jobs_assignment a
          JOIN jobs_hit h ON h.id = a.hit_id WHERE h.job_id = %(job)s
          GROUP BY a.hit_id, a.worker_id HAVING count(*) > 1
        ) duplicates""",
    "HITs over their maximum": """
        SELECT count(*) FROM (
          SELECT h.id FROM jobs_hit h
          JOIN jobs_assignment a ON a.hit_id = h.id
           AND a.status IN ('Accepted', 'Submitted', 'Approved', 'Rejected')
          WHERE h.job_id = %(job)s
          GROUP BY h.id, h.max_assignments HAVING count(*) > h.max_assignments
        ) over_maximum""",
    "HITs whose counters disagree with their rows": """
        SELECT count(*) FROM jobs_hit h
        LEFT JOIN LATERAL (
          SELECT count(*) FILTER (WHERE a.status = 'Accepted') AS live,
                 count(*) FILTER (WHERE a.status IN ('Submitted', 'Approved', 'Rejected'))
                   AS done
          FROM jobs_assignment a WHERE a.hit_id = h.id
        ) counted ON true
        WHERE h.job_id = %(job)s
          AND (h.assignments_pending, h.assignments_completed) <> (counted.live, counted.done)""",
    "submits seen by clients but not stored with their answer": """
        SELECT count(*)
        FROM unnest(%(submitted)s::text[], %(labels)s::text[]) AS seen(assignment_id, label)
        WHERE NOT EXISTS (
          SELECT 1 FROM jobs_assignment a
          WHERE a.assignment_id = seen.assignment_id AND a.status = 'Submitted'
            AND a.answer = jsonb_build_object('label', seen.label)
            AND a.submitted_at IS NOT NULL
        )""",
    "submitted assignments stored": """
        SELECT count(*) FROM jobs_assignment a JOIN jobs_hit h ON h.id = a.hit_id
        WHERE h.job_id = %(job)s AND a.status = 'Submitted'""",
    "assignments left accepted": """
        SELECT count(*) FROM jobs_assignment a JOIN jobs_hit h ON h.id = a.hit_id
        WHERE h.job_id = %(job)s AND a.status = 'Accepted'""",
}


def _check(*, job_id: int, submitted: list[tuple[str, str]]) -> dict[str, int]:
    """Counts of what went wrong (all zero when the run was correct)."""
    from django.db import connection

    parameters = {
        "job": job_id,
        "submitted": [assignment_id for assignment_id, _label in submitted],
        "labels": [label for _assignment_id, label in submitted],
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in CHECKS.items():
            cursor.execute(sql, parameters)
            found[name] = cursor.fetchone()[0]
    connection.close()
    # Every stored submit is one a client saw succeed, counted once.
    stored = found.pop("submitted assignments stored")
    missing = found["submits seen by clients but not stored with their answer"]
    found["submits seen twice by clients"] = len(submitted) - len(set(parameters["submitted"]))
    found["stored submits no client saw succeed"] = stored - (len(submitted) - missing)
    return found


def _http_route_missing() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/work/next/")
        resolve("/api/v1/work/assignments/" + "A" * 30 + "/submit/")
    except Resolver404:
        return True
    return False


def _run(mode: str, workers: int, job, profiles, cookies, conninfo, seconds, port) -> dict:
    from django.db import connections

    from tests.benchmarks.support import WaitSampler, csrf_token_of, run_processes

    labels = [LABELS[number % len(LABELS)] for number in range(workers)]
    connections.close_all()
    if mode == "service":
        target = _service_client
        arguments = [
            (job.pk, profile.pk, label, seconds)
            for profile, label in zip(profiles[:workers], labels, strict=True)
        ]
    elif mode == "raw-sql":
        target = _raw_client
        arguments = [
            (job.pk, profile.pk, label, seconds, conninfo)
            for profile, label in zip(profiles[:workers], labels, strict=True)
        ]
    else:
        target = _http_client
        arguments = [
            (job and job.pk, cookie, csrf_token_of(cookie), label, seconds, port, job is None)
            for cookie, label in zip(cookies[:workers], labels, strict=True)
        ]
    sampler = WaitSampler(conninfo=conninfo)
    row = _figures(mode, workers, run_processes(target, arguments, observer=sampler))
    row["database_time"] = sampler.summary()
    row["cpu_busy"] = sampler.cpu_busy
    return row


def _print_table(rows: list[dict]) -> None:
    floors = {row["workers"]: row for row in rows if row["mode"] == "raw-sql"}
    print()
    print("mode | workers | claims | claims/s | p50 ms | p99 ms | share of raw-SQL floor")
    for row in rows:
        floor = floors.get(row["workers"])
        share = (
            f"{row['claims_per_second'] / floor['claims_per_second']:.0%}"
            if floor and floor["claims_per_second"]
            else "-"
        )
        print(
            f"{row['mode']} | {row['workers']} | {row['claims']:,} | "
            f"{row['claims_per_second']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{share}"
        )


def _verdicts(rows: list[dict]) -> list[str]:
    floors = {row["workers"]: row["claims_per_second"] for row in rows if row["mode"] == "raw-sql"}
    lines = []
    for row in rows:
        floor = floors.get(row["workers"])
        wanted = {"service": SERVICE_FLOOR_SHARE, "http": HTTP_FLOOR_SHARE}.get(row["mode"])
        if wanted is not None and floor:
            share = row["claims_per_second"] / floor
            verdict = "met" if share >= wanted else "MISSED"
            lines.append(
                f"{row['mode']} at {row['workers']} workers: {share:.0%} of the floor "
                f"(target >= {wanted:.0%}): {verdict}"
            )
        if row["mode"] in ("service", "http") and row["workers"] == P99_TARGET_WORKERS:
            verdict = "met" if row["p99_ms"] < P99_TARGET_MS else "MISSED"
            lines.append(
                f"{row['mode']} at {row['workers']} workers: claim p99 {row['p99_ms']:.1f} ms "
                f"(target < {P99_TARGET_MS:.0f} ms): {verdict}"
            )
    return lines


def _purge_queue() -> int:
    from marketplace.celery import app

    return app.control.purge() or 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per run")
    parser.add_argument("--objects", type=int, default=OBJECTS, help="per job")
    parser.add_argument("--http-processes", type=int, default=6, help="gunicorn workers")
    parser.add_argument(
        "--http-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (1: the sync worker; more: gthread)",
    )
    arguments = parser.parse_args()

    base_url = os.environ.get(
        "BENCH_DISPATCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/groundwork_bench_dispatch",
    )
    redis_url = os.environ.get("BENCH_DISPATCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    _configure(database_url=base_url, redis_url=redis_url)
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    import jobs.tasks  # noqa: F401 - loaded once here, not by every forked client mid-run
    from tests.benchmarks.support import database_conninfo, gunicorn_server, session_cookie

    started = time.monotonic()
    print("Dispatch benchmark: creating and migrating the benchmark database...", flush=True)
    databases = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    database_url = base_url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    modes = list(arguments.modes)
    rows: list[dict] = []
    failures: list[str] = []
    if "http" in modes and _http_route_missing():
        failures.append("http: /api/v1/work/next/ or the submit route is not routed")
        modes.remove("http")
    try:
        workers_max = max(arguments.workers)
        organization, requester, profiles = _seed_people(workers=workers_max)
        cookies = [session_cookie(user=profile.user) for profile in profiles]
        plan = [(workers, mode) for workers in arguments.workers for mode in modes]
        print(
            f"Seeding {len(plan)} running jobs of {arguments.objects:,} objects "
            f"({MAX_CONCURRENT_TASKS:,} HITs out, {WORKERS_PER_OBJECT} workers each) and "
            f"{workers_max} workers...",
            flush=True,
        )
        jobs = {
            (workers, mode): _seed_job(
                organization=organization,
                requester=requester,
                name=f"dispatch-{mode}-{workers}",
                objects=arguments.objects,
            )
            for workers, mode in plan
            if mode != "http-floor"
        }
        # Statistics as autovacuum keeps them on a live site (it would analyze these
        # freshly loaded tables within a minute; the runs below start sooner than that).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        conninfo = database_conninfo()
        server_environment = {
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
            "DATABASE_URL": database_url,
            "CACHE_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
            # Throttles stay on (their Redis round trips are measured), with limits no
            # benchmark client reaches: every client here shares one address.
            "THROTTLE_USER_RATE": "1000000/min",
            "THROTTLE_IP_RATE": "1000000/min",
        }
        for workers, mode in plan:
            job = jobs.get((workers, mode))
            print(
                f"Running {mode} with {workers} workers for {arguments.seconds:g} s...", flush=True
            )
            if mode in HTTP_MODES:
                with gunicorn_server(
                    environment=server_environment,
                    processes=arguments.http_processes,
                    threads=arguments.http_threads,
                ) as port:
                    row = _run(
                        mode, workers, job, profiles, cookies, conninfo, arguments.seconds, port
                    )
            else:
                row = _run(mode, workers, job, profiles, cookies, conninfo, arguments.seconds, None)
            submitted = row.pop("submitted")
            row["checks"] = (
                {} if mode == "http-floor" else _check(job_id=job.pk, submitted=submitted)
            )
            rows.append(row)
            problems = {name: count for name, count in row["checks"].items() if count}
            status = "ok" if not problems and not row["errors"] else "FAILED"
            print(
                f"  {row['claims']:,} claims in {row['seconds']:.1f} s; checks {status}: "
                + ", ".join(f"{name} {count}" for name, count in row["checks"].items()),
                flush=True,
            )
            print(
                f"  machine CPU busy {row['cpu_busy']:.0%}; client CPU "
                f"{row['client_cpu_ms']:.1f} ms per claim and submit; database backends: "
                f"{row['database_time']}",
                flush=True,
            )
            for error in row["errors"][:5]:
                print(f"  error: {error}")
            if row["no_work"] or row["clients_without_timed_work"]:
                print(
                    f"  warning: {row['no_work'] + row['clients_without_timed_work']} clients "
                    "ran out of work before the end"
                )
            if problems or row["errors"]:
                failures.append(f"{mode} at {workers} workers: {problems or row['errors'][:3]}")
        print(f"Discarded {_purge_queue():,} queued follow-up tasks (consolidation, releases).")
    finally:
        connection.close()
        teardown_databases(databases, verbosity=0)

    _print_table(rows)
    for line in _verdicts(rows):
        print(line)
    print(
        f"Processes: one per client (fork); gunicorn --workers {arguments.http_processes} "
        + (
            f"--threads {arguments.http_threads} (gthread); "
            if arguments.http_threads > 1
            else "(sync); "
        )
        + f"{os.cpu_count()} CPUs; "
        f"total {time.monotonic() - started:.0f} s."
    )
    if failures:
        print("CORRECTNESS FAILED:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(
        "Correctness: no duplicate (HIT, worker) pair, no HIT over its maximum, every "
        "answer a client saw accepted is stored."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
