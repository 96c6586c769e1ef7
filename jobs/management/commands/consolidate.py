"""`manage.py consolidate`: truth inference on a CSV of answers collected anywhere (crowd-kit's
long format), with no database.

    python manage.py consolidate --method dawid-skene answers.csv [--gold gold.csv]
        [--out result.csv] [--workers]

answers.csv has a header naming at least the columns task, worker and label (any order, other
columns ignored; any strings as ids and labels). gold.csv has task,label. The result is
task,label,confidence (4 decimals), one line per task of answers.csv in first-seen order, to
--out or to stdout. --workers writes a per-worker CSV table (worker, answers, skill and, with
gold, gold_answered, gold_correct) to stderr, after the result. Bad input is a CommandError
(exit code 1) and no output file is written.
"""

import csv
import io
import os
import tempfile
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from jobs.inference import DEFAULT_METHOD, METHODS, consolidate, encode

ANSWER_COLUMNS = ("task", "worker", "label")
GOLD_COLUMNS = ("task", "label")


class Command(BaseCommand):
    help = (
        "Consolidate crowd answers from a CSV (task,worker,label) into task,label,confidence "
        "with majority vote, weighted vote or (one-coin) Dawid-Skene. Needs no database."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("answers", help="CSV with a header holding task, worker, label")
        parser.add_argument(
            "--method",
            default=DEFAULT_METHOD,
            help=f"one of {', '.join(METHODS)} (default {DEFAULT_METHOD})",
        )
        parser.add_argument("--gold", help="CSV with task,label: known true labels")
        parser.add_argument("--out", help="write the result here instead of stdout")
        parser.add_argument(
            "--workers",
            action="store_true",
            help="after the result, write a per-worker table to stderr",
        )

    def handle(self, *args, **options):
        method = options["method"]
        if method not in METHODS:
            raise CommandError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        tasks, workers, labels = _read_columns(options["answers"], ANSWER_COLUMNS)
        if not tasks:
            raise CommandError(f"{options['answers']}: no answers after the header")
        gold = None
        if options["gold"]:
            gold_tasks, gold_labels = _read_columns(options["gold"], GOLD_COLUMNS)
            gold = _gold_mapping(options["gold"], gold_tasks, gold_labels)
        try:
            answers, gold_coded, task_names, worker_names, label_names = encode(
                tasks, workers, labels, gold=gold
            )
            result = consolidate(method, answers, gold=gold_coded)
        except ValueError as error:
            raise CommandError(str(error)) from error

        # Tasks of answers.csv only (gold tasks nobody answered come after them).
        n_answered_tasks = int(answers.tasks.max()) + 1
        rows = zip(
            task_names[:n_answered_tasks],
            result.labels[:n_answered_tasks].tolist(),
            result.confidence[:n_answered_tasks].tolist(),
            strict=True,
        )
        lines = [("task", "label", "confidence")]
        lines += [(task, label_names[label], f"{value:.4f}") for task, label, value in rows]
        if options["out"]:
            _write_atomically(Path(options["out"]), lines)
        else:
            csv.writer(self.stdout, lineterminator="\n").writerows(lines)
        self.stderr.write(
            f"{method}: {n_answered_tasks} tasks, {answers.n_workers} workers, "
            f"{answers.n_labels} labels, {answers.n_answers} answers, "
            f"{result.iterations} iterations"
        )
        if options["workers"]:
            self.stderr.write(_worker_table(answers, gold_coded, result.skills, worker_names))


def _read_columns(path: str, columns: tuple[str, ...]) -> tuple[list[str], ...]:
    """Stream a CSV and return the named columns as lists of strings."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from error
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise CommandError(f"{path} is empty")
            names = [name.strip().lower() for name in header]
            missing = [column for column in columns if column not in names]
            if missing:
                raise CommandError(
                    f"{path} has no {', '.join(repr(c) for c in missing)} column "
                    f"(header: {', '.join(header)})"
                )
            positions = [names.index(column) for column in columns]
            width = max(positions) + 1
            values: tuple[list[str], ...] = tuple([] for _ in columns)
            for row in reader:
                if not row:
                    continue
                if len(row) < width:
                    raise CommandError(f"{path} line {reader.line_num}: too few fields")
                for column, position in zip(values, positions, strict=True):
                    column.append(row[position])
        except csv.Error as error:
            raise CommandError(f"{path} line {reader.line_num}: {error}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text") from error
    for column, name in zip(values, columns, strict=True):
        if not all(column):
            row = column.index("") + 1
            raise CommandError(f"{path}: data row {row} has an empty {name}")
    return values


def _gold_mapping(path: str, tasks: list[str], labels: list[str]) -> dict[str, str]:
    gold: dict[str, str] = {}
    for task, label in zip(tasks, labels, strict=True):
        if gold.setdefault(task, label) != label:
            raise CommandError(f"{path}: task {task!r} has two gold labels")
    return gold


def _write_atomically(path: Path, lines) -> None:
    """Write the CSV next to its destination and rename, so a failure leaves no file."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".consolidate-")
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from error
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(lines)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {error.strerror}") from error


def _worker_table(answers, gold, skills: np.ndarray, worker_names: list) -> str:
    answered = np.bincount(answers.workers, minlength=answers.n_workers)
    header = ["worker", "answers", "skill"]
    columns = [worker_names, answered.tolist(), [f"{skill:.4f}" for skill in skills.tolist()]]
    if gold is not None:
        truth = np.full(answers.n_tasks, -1)
        truth[gold.tasks] = gold.labels
        expected = truth[answers.tasks]
        on_gold = expected >= 0
        gold_answered = np.bincount(answers.workers[on_gold], minlength=answers.n_workers)
        gold_correct = np.bincount(
            answers.workers[on_gold & (answers.labels == expected)], minlength=answers.n_workers
        )
        header += ["gold_answered", "gold_correct"]
        columns += [gold_answered.tolist(), gold_correct.tolist()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue().rstrip("\n")
