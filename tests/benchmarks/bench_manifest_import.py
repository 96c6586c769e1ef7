"""Manifest import benchmark: 10,000, 50,000 and 100,000 text-classification lines imported
into fresh draft jobs on PostgreSQL, printing time, lines per second and memory growth.

Run with `make bench`, or: .venv/bin/python -m tests.benchmarks.bench_manifest_import
It creates the database test_groundwork_bench (BENCH_DATABASE_URL names another base
database) with Django's test machinery, and drops it at the end. Each size runs in its own
process so that one run's peak memory does not hide another's.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

SIZES = (10_000, 50_000, 100_000)
TARGET_SECONDS = 30.0
ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "Arrived two days late and the box was dented, but the headphones themselves sound "
    "clear and the battery lasts a full week of commuting. Customer service replied fast."
)


def _configure(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/14")
    import django

    django.setup()


def _write_manifest(path: Path, lines: int) -> int:
    """Write `lines` lines of about 200 characters each; return the file's size in bytes."""
    with path.open("wb") as manifest:
        for number in range(lines):
            line = {"source": f"{TEXT} #{number}", "id": number, "batch": "reviews-2026-10"}
            manifest.write(json.dumps(line).encode() + b"\n")
    return path.stat().st_size


def _peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so the next reading covers only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _fresh_job():
    """A draft text-classification job and a member to import it; unique names, as every
    size runs in its own process with factory sequences starting again at 0."""
    from tests.jobs.factories import LabelingJobFactory
    from tests.marketplace.factories import MembershipFactory, OrganizationFactory, UserFactory

    tag = uuid.uuid4().hex[:12]
    actor = UserFactory(email=f"bench-{tag}@example.com")
    organization = OrganizationFactory(name=f"Bench {tag}", slug=f"bench-{tag}", created_by=actor)
    MembershipFactory(organization=organization, user=actor)
    job = LabelingJobFactory(
        organization=organization,
        created_by=actor,
        name=f"bench-{tag}",
        task_type="text-classification",
        labels=["positive", "negative", "mixed"],
    )
    return actor, job


def run_one(lines: int) -> dict:
    """Import a `lines`-line manifest twice: timed with RSS measured, then under
    tracemalloc for the Python heap's peak (slower, not timed)."""
    from django.db import connection

    from jobs.manifests import manifest_import
    from jobs.models import DataObject

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.manifest"
        size = _write_manifest(path, lines)

        actor, job = _fresh_job()
        connection.ensure_connection()
        reset = _peak_rss_reset()
        rss_before = _rss_kib("VmRSS")
        started = time.perf_counter()
        with path.open("rb") as stream:
            result = manifest_import(actor=actor, job=job, stream=stream)
        seconds = time.perf_counter() - started
        rss_peak = _rss_kib("VmHWM") if reset else _rss_kib("ru_maxrss")
        assert result.objects == lines
        assert DataObject.objects.filter(job=job, line_number=lines).exists()

        actor, job = _fresh_job()
        tracemalloc.start()
        with path.open("rb") as stream:
            manifest_import(actor=actor, job=job, stream=stream)
        _current, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "lines": lines,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "lines_per_second": round(lines / seconds),
        "rss_growth_mib": round(max(rss_peak - rss_before, 0) / 1024, 1),
        "heap_peak_mib": round(heap_peak / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=int, help="(internal) run one size against --database")
    parser.add_argument("--database", help="(internal) the database URL to use")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    arguments = parser.parse_args()

    if arguments.one:
        _configure(arguments.database)
        print(json.dumps(run_one(arguments.one)))
        return 0

    base_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/groundwork_bench"
    )
    _configure(base_url)
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    print("Manifest import benchmark: creating the benchmark database...", flush=True)
    databases = setup_databases(verbosity=0, interactive=False)
    test_url = base_url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    rows = []
    try:
        for lines in arguments.sizes:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", __spec__.name, "--one", str(lines), "--database", test_url],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                print(completed.stdout, completed.stderr, file=sys.stderr)
                return completed.returncode
            rows.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    finally:
        teardown_databases(databases, verbosity=0)

    header = ("lines", "MB", "seconds", "lines/s", "peak RSS growth MiB", "heap peak MiB")
    print(" | ".join(header))
    for row in rows:
        print(
            f"{row['lines']:,} | {row['megabytes']} | {row['seconds']} | "
            f"{row['lines_per_second']:,} | {row['rss_growth_mib']} | {row['heap_peak_mib']}"
        )
    slowest = max(row["seconds"] for row in rows if row["lines"] == max(arguments.sizes))
    verdict = "met" if slowest < TARGET_SECONDS else "MISSED"
    print(f"Target: {max(arguments.sizes):,} lines in under {TARGET_SECONDS:.0f} s: {verdict}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
