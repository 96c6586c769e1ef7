"""Consolidation benchmark: Groundwork's jobs.inference against the crowd-kit library on
simulated crowds (accuracy, wall time, the Bayes-optimal ceiling), and dynamic overlap against
fixed overlap.

Run with `make bench`, or: .venv/bin/python -m tests.benchmarks.bench_consolidation
(--sizes 60000 1000000, --crowds ..., --seed N, --no-crowdkit, --no-dynamic, --json PATH).
crowd-kit runs in its own environment (.venv-crowdkit, `make crowdkit-venv`) as a subprocess
(tests/benchmarks/crowdkit_runner.py) on the same answers, passed through a temporary .npz
file; without that environment the benchmark reports Groundwork's figures only. Needs no
database. Missed targets are reported, not fatal.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.benchmarks.crowd_simulator import (
    CROWDS,
    Crowd,
    bayes_optimal,
    draw_answers,
    draw_workers,
    simulate,
    true_accuracies,
)

ROOT = Path(__file__).resolve().parents[2]
CROWDKIT_PYTHON = ROOT / ".venv-crowdkit" / "bin" / "python"
RUNNER = Path(__file__).resolve().parent / "crowdkit_runner.py"

SIZES = (60_000, 1_000_000)
SEED = 20_261_203
OUR_METHODS = ("majority-vote", "weighted-majority-vote", "dawid-skene", "one-coin-dawid-skene")
DEFAULT_METHOD = "dawid-skene"
CROWDKIT_METHODS = ("MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene")
# Small size only: ZeroBasedSkill took 150 s at 1,000,000 answers here (2-6 s at 60,000).
CROWDKIT_SMALL_METHODS = ("ZeroBasedSkill",)
CROWDKIT_GOLD_METHODS = ("DawidSkene+gold", "GoldMajorityVote")
# Slow in crowd-kit: run at the small size only, each in its own process with a time limit.
# MACE takes 15-25 s at 60,000 answers here, GLAD 75-270 s, so by default GLAD runs on one
# crowd only (--glad all: on every crowd, about 10 minutes more).
CROWDKIT_SLOW_METHODS = ("GLAD", "MACE")
GLAD_DEFAULT_CROWDS = ("mixed-skill",)
SLOW_SIZE_LIMIT = 100_000
SLOW_SECONDS_LIMIT = 400
SPEEDUP_TARGET = 5.0
SPEEDUP_SIZE = 500_000  # target (c) is checked at the sizes from here up (~1,000,000 answers)

# Dynamic overlap (target d).
DYNAMIC_CROWDS = ("mixed-skill", "spammers")
DYNAMIC_TASKS = 10_000
DYNAMIC_MIN, DYNAMIC_MAX = 2, 7
DYNAMIC_TARGET = 0.95
DYNAMIC_TARGET_SWEEP = (0.90, 0.95, 0.98, 0.99)
GOLD_ANSWERS_PER_WORKER = 30  # what the platform has seen of each worker before the run
SAVING_TARGET = 0.30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--crowds", nargs="+", default=list(CROWDS), choices=list(CROWDS))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-crowdkit", action="store_true", help="Groundwork's figures only")
    parser.add_argument("--no-slow", action="store_true", help="skip crowd-kit's GLAD and MACE")
    parser.add_argument(
        "--glad",
        choices=("one", "all"),
        default="one",
        help=f"crowd-kit's GLAD on {', '.join(GLAD_DEFAULT_CROWDS)} only (one) or every crowd",
    )
    parser.add_argument("--no-dynamic", action="store_true", help="skip the dynamic overlap run")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    options = parser.parse_args()

    crowdkit_version = None if options.no_crowdkit else crowdkit_available()
    print_machine(crowdkit_version)
    runs = []
    for size_index, size in enumerate(options.sizes):
        for crowd_index, name in enumerate(options.crowds):
            seed = options.seed + 1000 * size_index + crowd_index
            crowd = simulate(name, n_answers=size, seed=seed)
            slow = ()
            if not options.no_slow and size <= SLOW_SIZE_LIMIT:
                with_glad = options.glad == "all" or name in GLAD_DEFAULT_CROWDS
                slow = tuple(m for m in CROWDKIT_SLOW_METHODS if m != "GLAD" or with_glad)
            run = benchmark_crowd(
                crowd, seed=seed, with_crowdkit=crowdkit_version is not None, slow_methods=slow
            )
            print_run(run)
            runs.append(run)
    dynamic = []
    if not options.no_dynamic:
        for crowd_index, name in enumerate(DYNAMIC_CROWDS):
            result = dynamic_overlap(name, seed=options.seed + 500 + crowd_index)
            print_dynamic(result)
            dynamic.append(result)
    summary = summarize(runs, dynamic, with_crowdkit=crowdkit_version is not None)
    print_summary(summary)
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "crowdkit": crowdkit_version,
                    "runs": runs,
                    "dynamic": dynamic,
                    "summary": summary,
                },
                indent=2,
            )
        )
    return 0


# crowd-kit.


def crowdkit_available() -> str | None:
    """crowd-kit's version in .venv-crowdkit, or None (with the reason printed)."""
    if not CROWDKIT_PYTHON.exists():
        print(
            f"crowd-kit: no environment at {CROWDKIT_PYTHON.parent.parent} (build it with "
            "`make crowdkit-venv`; it needs the package index): reporting Groundwork's figures only"
        )
        return None
    probe = subprocess.run(  # noqa: S603 - our own virtual environment's interpreter
        [str(CROWDKIT_PYTHON), "-c", "import crowdkit; print(crowdkit.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        print(f"crowd-kit: cannot be imported ({probe.stderr.strip()[-300:]}); our figures only")
        return None
    return probe.stdout.strip()


def run_crowdkit(
    crowd: Crowd, methods: tuple[str, ...], *, timeout: float | None = None
) -> dict[str, dict]:
    """{method: {"seconds", "labels"} or {"error"}} from crowdkit_runner.py on this crowd."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crowd.npz"
        np.savez(
            path,
            tasks=crowd.tasks,
            workers=crowd.workers,
            labels=crowd.labels,
            n_tasks=crowd.n_tasks,
            gold_tasks=crowd.gold_tasks,
            gold_labels=crowd.gold_labels,
        )
        try:
            completed = subprocess.run(  # noqa: S603 - our runner in our own environment
                [str(CROWDKIT_PYTHON), str(RUNNER), str(path), *methods],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {name: {"error": f"over the {timeout:.0f} s limit"} for name in methods}
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        return {name: {"error": f"runner failed: {message[0]}"} for name in methods}
    return json.loads(completed.stdout)["methods"]


# One crowd.


def benchmark_crowd(
    crowd: Crowd, *, seed: int, with_crowdkit: bool, slow_methods: tuple[str, ...]
) -> dict:
    """Accuracy (non-gold tasks) and seconds of every method, without and with gold."""
    from jobs.inference import Answers, Gold, consolidate

    answers = Answers(
        tasks=crowd.tasks,
        workers=crowd.workers,
        labels=crowd.labels,
        n_tasks=crowd.n_tasks,
        n_workers=crowd.n_workers,
        n_labels=crowd.n_labels,
    )
    gold = Gold(tasks=crowd.gold_tasks, labels=crowd.gold_labels)
    ours: dict[str, dict] = {}
    for method in OUR_METHODS:
        for use_gold in (False, True):
            start = time.perf_counter()
            result = consolidate(method, answers, gold=gold if use_gold else None)
            seconds = time.perf_counter() - start
            key = f"{method}+gold" if use_gold else method
            ours[key] = {
                "accuracy": crowd.accuracy(result.labels),
                "seconds": seconds,
                "iterations": int(result.iterations),
            }
    theirs: dict[str, dict] = {}
    if with_crowdkit:
        small = CROWDKIT_SMALL_METHODS if crowd.n_answers <= SLOW_SIZE_LIMIT else ()
        raw = run_crowdkit(crowd, CROWDKIT_METHODS + small + CROWDKIT_GOLD_METHODS)
        for method in slow_methods:
            raw.update(run_crowdkit(crowd, (method,), timeout=SLOW_SECONDS_LIMIT))
        for method, outcome in raw.items():
            if "error" in outcome:
                theirs[method] = {"error": outcome["error"]}
            else:
                theirs[method] = {
                    "accuracy": crowd.accuracy(np.asarray(outcome["labels"])),
                    "seconds": outcome["seconds"],
                }
    return {
        "crowd": crowd.name,
        "seed": seed,
        "answers": crowd.n_answers,
        "tasks": crowd.n_tasks,
        "workers": int(np.unique(crowd.workers).size),
        "labels": crowd.n_labels,
        "overlap": CROWDS[crowd.name]["overlap"],
        "gold_tasks": int(crowd.gold_tasks.size),
        "bayes_optimal": crowd.accuracy(bayes_optimal(crowd)),
        "ours": ours,
        "crowdkit": theirs,
        "checks": crowd_checks(ours, theirs, size=crowd.n_answers),
    }


def crowd_checks(ours: dict, theirs: dict, *, size: int) -> dict:
    """Targets (a), (b) and, at about a million answers, (c) on one crowd."""
    checks: dict[str, dict] = {}
    measured = {name: value for name, value in theirs.items() if "accuracy" in value}
    if not measured:
        return checks
    without_gold = {n: v for n, v in measured.items() if n not in CROWDKIT_GOLD_METHODS}
    best = max(without_gold, key=lambda name: without_gold[name]["accuracy"])
    checks["a"] = {
        "ours": ours[DEFAULT_METHOD]["accuracy"],
        "best": best,
        "theirs": without_gold[best]["accuracy"],
        "met": ours[DEFAULT_METHOD]["accuracy"] >= without_gold[best]["accuracy"],
    }
    best_any = max(measured, key=lambda name: measured[name]["accuracy"])
    ours_gold = ours[f"{DEFAULT_METHOD}+gold"]["accuracy"]
    checks["b"] = {
        "ours": ours_gold,
        "best": best_any,
        "theirs": measured[best_any]["accuracy"],
        "met": ours_gold > measured[best_any]["accuracy"],
    }
    if size >= SPEEDUP_SIZE and "DawidSkene" in measured:
        speedup = measured["DawidSkene"]["seconds"] / ours["dawid-skene"]["seconds"]
        checks["c"] = {
            "ours": ours["dawid-skene"]["seconds"],
            "theirs": measured["DawidSkene"]["seconds"],
            "speedup": speedup,
            "met": speedup >= SPEEDUP_TARGET,
        }
        if "DawidSkene+gold" in measured:
            checks["c"]["speedup_with_gold"] = (
                measured["DawidSkene+gold"]["seconds"] / ours["dawid-skene+gold"]["seconds"]
            )
    return checks


# Dynamic overlap.


def dynamic_overlap(name: str, *, seed: int) -> dict:
    """Answers drawn one at a time until the posterior (Toloka's one-coin model, with each
    worker's accuracy as estimated from GOLD_ANSWERS_PER_WORKER gold answers) reaches the
    target or DYNAMIC_MAX, against fixed overlap k = 1..DYNAMIC_MAX on the same answer streams.
    Both are consolidated with our default method and scored on every task."""
    from jobs.inference import beta_skill

    pool = simulate(name, n_answers=60_000, seed=seed)
    rng = np.random.default_rng(seed + 1)
    truth = rng.choice(pool.n_labels, size=DYNAMIC_TASKS, p=pool.priors)
    # Each task's stream: up to DYNAMIC_MAX distinct workers in the order they would arrive.
    stream_workers = draw_workers(
        rng, n_rows=DYNAMIC_TASKS, per_row=DYNAMIC_MAX, activity=pool.activity
    )
    stream_labels = draw_answers(
        rng,
        true_labels=np.repeat(truth, DYNAMIC_MAX),
        workers=stream_workers.reshape(-1),
        confusions=pool.confusions,
    ).reshape(DYNAMIC_TASKS, DYNAMIC_MAX)
    # What the platform knows of each worker: a Beta posterior mean from a few dozen gold.
    gold_correct = rng.binomial(GOLD_ANSWERS_PER_WORKER, true_accuracies(pool))
    known_accuracy, _low, _high = beta_skill(gold_correct, GOLD_ANSWERS_PER_WORKER)
    known_accuracy = np.asarray(known_accuracy, dtype=float)

    fixed = []
    for overlap in range(1, DYNAMIC_MAX + 1):
        counts = np.full(DYNAMIC_TASKS, overlap)
        fixed.append(
            {
                "overlap": overlap,
                "answers_per_task": float(overlap),
                "accuracy": consolidated_accuracy(
                    pool, truth, stream_workers, stream_labels, counts
                ),
            }
        )
    sweep = []
    for target in DYNAMIC_TARGET_SWEEP:
        start = time.perf_counter()
        counts = stopping_counts(
            stream_workers, stream_labels, known_accuracy, n_labels=pool.n_labels, target=target
        )
        seconds = time.perf_counter() - start
        accuracy = consolidated_accuracy(pool, truth, stream_workers, stream_labels, counts)
        per_task = float(counts.mean())
        reaching = [row for row in fixed if row["accuracy"] >= accuracy]
        matched = reaching[0] if reaching else None
        saving = None if matched is None else 1.0 - per_task / matched["answers_per_task"]
        sweep.append(
            {
                "target": target,
                "answers_per_task": per_task,
                "accuracy": accuracy,
                "stopped_at_max": float(np.mean(counts == DYNAMIC_MAX)),
                "matched_overlap": None if matched is None else matched["overlap"],
                "saving": saving,
                "posterior_seconds": seconds,
            }
        )
    chosen = next(row for row in sweep if row["target"] == DYNAMIC_TARGET)
    return {
        "crowd": name,
        "seed": seed,
        "tasks": DYNAMIC_TASKS,
        "labels": pool.n_labels,
        "min": DYNAMIC_MIN,
        "max": DYNAMIC_MAX,
        "gold_answers_per_worker": GOLD_ANSWERS_PER_WORKER,
        "fixed": fixed,
        "dynamic": sweep,
        "check": {
            "target": DYNAMIC_TARGET,
            "saving": chosen["saving"],
            "met": chosen["saving"] is not None and chosen["saving"] >= SAVING_TARGET,
        },
    }


def stopping_counts(
    workers: np.ndarray,
    labels: np.ndarray,
    known_accuracy: np.ndarray,
    *,
    n_labels: int,
    target: float,
) -> np.ndarray:
    """How many answers of each task's stream dynamic overlap takes: after each answer from the
    DYNAMIC_MIN-th on, the object's posterior decides whether it takes another."""
    from jobs.inference import object_posterior

    counts = np.full(workers.shape[0], DYNAMIC_MAX)
    for task in range(workers.shape[0]):
        for taken in range(DYNAMIC_MIN, DYNAMIC_MAX):
            posterior = object_posterior(
                labels[task, :taken], known_accuracy[workers[task, :taken]], n_labels
            )
            if np.max(posterior) >= target:
                counts[task] = taken
                break
    return counts


def consolidated_accuracy(
    pool: Crowd,
    truth: np.ndarray,
    workers: np.ndarray,
    labels: np.ndarray,
    counts: np.ndarray,
) -> float:
    """Accuracy of our default method on the first counts[task] answers of each stream."""
    from jobs.inference import Answers, consolidate

    taken = np.arange(workers.shape[1])[None, :] < counts[:, None]
    tasks = np.broadcast_to(np.arange(workers.shape[0])[:, None], workers.shape)
    answers = Answers(
        tasks=tasks[taken],
        workers=workers[taken],
        labels=labels[taken],
        n_tasks=workers.shape[0],
        n_workers=pool.n_workers,
        n_labels=pool.n_labels,
    )
    result = consolidate(DEFAULT_METHOD, answers)
    return float(np.mean(result.labels == truth))


# The whole run.


def summarize(runs: list[dict], dynamic: list[dict], *, with_crowdkit: bool) -> dict:
    summary: dict[str, dict] = {}
    if with_crowdkit:
        for target in ("a", "b", "c"):
            checked = [
                (f"{run['crowd']} {run['answers']:,}", run["checks"][target])
                for run in runs
                if target in run["checks"]
            ]
            summary[target] = {
                "checked": len(checked),
                "met": sum(check["met"] for _, check in checked),
                "missed": [where for where, check in checked if not check["met"]],
            }
        speedups = [run["checks"]["c"]["speedup"] for run in runs if "c" in run["checks"]]
        if speedups:
            summary["c"]["lowest_speedup"] = min(speedups)
    if dynamic:
        summary["d"] = {
            "checked": len(dynamic),
            "met": sum(result["check"]["met"] for result in dynamic),
            "missed": [result["crowd"] for result in dynamic if not result["check"]["met"]],
            "savings": {result["crowd"]: result["check"]["saving"] for result in dynamic},
        }
    return summary


# Printing (Markdown tables, so a run pastes into docs/benchmarks.md).


def print_machine(crowdkit_version: str | None) -> None:
    import platform

    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, crowd-kit {crowdkit_version or 'not available'}"
    )


def _cell(value: dict | None, key: str, digits: int) -> str:
    if value is None:
        return "—"
    if "error" in value:
        return "error" if key == "accuracy" else value["error"][:40]
    return f"{value[key]:.{digits}f}"


def print_run(run: dict) -> None:
    print(
        f"\n### {run['crowd']}: {run['answers']:,} answers ({run['tasks']:,} tasks x "
        f"{run['overlap']}, {run['workers']:,} workers, {run['labels']} classes, "
        f"gold {run['gold_tasks']:,} tasks)\n"
    )
    print(f"Bayes-optimal ceiling: {run['bayes_optimal']:.4f}\n")
    print("| method | accuracy | seconds | accuracy with gold | seconds with gold |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for method in OUR_METHODS:
        marker = " (default)" if method == DEFAULT_METHOD else ""
        plain, gold = run["ours"][method], run["ours"][f"{method}+gold"]
        print(
            f"| groundwork {method}{marker} | {plain['accuracy']:.4f} | {plain['seconds']:.3f} "
            f"| {gold['accuracy']:.4f} | {gold['seconds']:.3f} |"
        )
    for method, value in run["crowdkit"].items():
        if method in CROWDKIT_GOLD_METHODS:
            row = (None, value)
        else:
            row = (value, None)  # gold does not change a method that takes none
        cells = [
            _cell(row[column], key, 4 if key == "accuracy" else 3)
            for column in (0, 1)
            for key in ("accuracy", "seconds")
        ]
        print(f"| crowd-kit {method} | " + " | ".join(cells) + " |")
    checks = run["checks"]
    if "a" in checks:
        a, b = checks["a"], checks["b"]
        print(
            f"\n(a) default {a['ours']:.4f} vs crowd-kit's best {a['theirs']:.4f} ({a['best']}): "
            f"{'met' if a['met'] else 'MISSED'}; (b) default with gold {b['ours']:.4f} vs best "
            f"{b['theirs']:.4f} ({b['best']}): {'met' if b['met'] else 'MISSED'}"
        )
    if "c" in checks:
        c = checks["c"]
        print(
            f"(c) dawid-skene {c['ours']:.3f} s vs crowd-kit DawidSkene {c['theirs']:.3f} s: "
            f"{c['speedup']:.1f}x (with gold {c.get('speedup_with_gold', float('nan')):.1f}x): "
            f"{'met' if c['met'] else 'MISSED'}"
        )
    sys.stdout.flush()


def print_dynamic(result: dict) -> None:
    print(
        f"\n### dynamic overlap: {result['crowd']} workers, {result['tasks']:,} tasks, "
        f"{result['labels']} classes, min {result['min']}, max {result['max']}, accuracies "
        f"known from {result['gold_answers_per_worker']} gold answers each\n"
    )
    print("| overlap | answers per task | accuracy (dawid-skene) |")
    print("| --- | ---: | ---: |")
    for row in result["fixed"]:
        print(f"| fixed {row['overlap']} | {row['answers_per_task']:.2f} | {row['accuracy']:.4f} |")
    for row in result["dynamic"]:
        saving = (
            f"{row['saving']:.0%} fewer than fixed {row['matched_overlap']}"
            if row["saving"] is not None
            else "no fixed overlap reaches it"
        )
        print(
            f"| dynamic, target {row['target']:.2f} | {row['answers_per_task']:.2f} | "
            f"{row['accuracy']:.4f} ({saving}; {row['stopped_at_max']:.0%} stopped at max) |"
        )
    check = result["check"]
    saving = "none" if check["saving"] is None else f"{check['saving']:.0%}"
    print(
        f"\n(d) target {check['target']:.2f}: {saving} fewer answers at equal accuracy: "
        f"{'met' if check['met'] else 'MISSED'}"
    )
    sys.stdout.flush()


def print_summary(summary: dict) -> None:
    names = {
        "a": "default >= crowd-kit's best",
        "b": "default with gold > crowd-kit's best",
        "c": f"dawid-skene >= {SPEEDUP_TARGET:.0f}x faster at ~1M answers",
        "d": f"dynamic overlap >= {SAVING_TARGET:.0%} fewer answers",
    }
    print("\n### targets\n")
    for target, name in names.items():
        if target not in summary or not summary[target]["checked"]:
            print(f"- ({target}) {name}: not checked")
            continue
        entry = summary[target]
        extra = ""
        if "lowest_speedup" in entry:
            extra = f", lowest {entry['lowest_speedup']:.1f}x"
        if "savings" in entry:
            extra = ", " + ", ".join(
                f"{crowd} {'none' if value is None else f'{value:.0%}'}"
                for crowd, value in entry["savings"].items()
            )
        missed = f"; missed on {', '.join(entry['missed'])}" if entry["missed"] else ""
        print(f"- ({target}) {name}: {entry['met']}/{entry['checked']} met{extra}{missed}")


if __name__ == "__main__":
    sys.exit(main())
