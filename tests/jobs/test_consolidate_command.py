"""`manage.py consolidate`: CSV answers in, task,label,confidence out, no database needed."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]

ANSWERS = """label,extra,worker,task
cat,x,alice,img-2
cat,,bob,img-2
dog,,carol,img-2
dog,,alice,img-1
dog,,bob,img-1
cat,,carol,img-1
bird,,alice,img-3
"""


def run(*arguments, **options) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("consolidate", *arguments, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def answers_csv(tmp_path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS)
    return path


def test_writes_one_line_per_task_in_first_seen_order(answers_csv):
    stdout, stderr = run(str(answers_csv), method="majority-vote")

    assert stdout.splitlines() == [
        "task,label,confidence",
        "img-2,cat,0.6667",
        "img-1,dog,0.6667",
        "img-3,bird,1.0000",
    ]
    assert "majority-vote: 3 tasks, 3 workers, 3 labels, 7 answers" in stderr


@pytest.mark.parametrize(
    "method", ["majority-vote", "weighted-majority-vote", "dawid-skene", "one-coin-dawid-skene"]
)
def test_every_method_writes_labels_and_confidence(answers_csv, tmp_path, method):
    out = tmp_path / "result.csv"
    stdout, _ = run(str(answers_csv), method=method, out=str(out))

    assert stdout == ""
    rows = list(csv.DictReader(out.open()))
    assert [row["task"] for row in rows] == ["img-2", "img-1", "img-3"]
    assert [row["label"] for row in rows] == ["cat", "dog", "bird"]
    for row in rows:
        assert 0 < float(row["confidence"]) <= 1
        assert len(row["confidence"].split(".")[1]) == 4


def test_the_default_method_is_dawid_skene(answers_csv):
    _, stderr = run(str(answers_csv))
    assert stderr.startswith("dawid-skene: ")


def test_gold_is_clamped_and_workers_are_reported(answers_csv, tmp_path):
    gold = tmp_path / "gold.csv"
    # img-2's true label is dog, against the majority; "fish" is a label nobody answered.
    gold.write_text("task,label\nimg-2,dog\nimg-9,fish\n")

    stdout, stderr = run(str(answers_csv), gold=str(gold), workers=True)

    lines = stdout.splitlines()
    assert lines[0] == "task,label,confidence"
    assert lines[1] == "img-2,dog,1.0000"
    assert len(lines) == 4  # img-9 has no answers and is not written
    table = stderr.splitlines()[1:]
    assert table[0] == "worker,answers,skill,gold_answered,gold_correct"
    workers = {row["worker"]: row for row in csv.DictReader(table)}
    assert set(workers) == {"alice", "bob", "carol"}
    assert workers["alice"]["answers"] == "3"
    assert (workers["carol"]["gold_answered"], workers["carol"]["gold_correct"]) == ("1", "1")
    assert (workers["bob"]["gold_answered"], workers["bob"]["gold_correct"]) == ("1", "0")
    assert 0 < float(workers["carol"]["skill"]) <= 1


def test_workers_table_without_gold(answers_csv):
    _, stderr = run(str(answers_csv), method="majority-vote", workers=True)
    lines = stderr.splitlines()
    assert lines[1] == "worker,answers,skill"
    assert lines[2:] == ["alice,3,1.0000", "bob,2,1.0000", "carol,2,0.0000"]


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (None, {}, "cannot read"),
        ("", {}, "is empty"),
        ("task,worker,label\n", {}, "no answers after the header"),
        ("task,annotator,label\nt,w,l\n", {}, "has no 'worker' column"),
        ("task,worker,label\nt,w\n", {}, "line 2: too few fields"),
        ("task,worker,label\nt,w,\n", {}, "data row 1 has an empty label"),
        (ANSWERS, {"method": "glad"}, "unknown method 'glad'; choose one of majority-vote"),
        (ANSWERS, {"gold": "task,label\nimg-1,\n"}, "data row 1 has an empty label"),
        (ANSWERS, {"gold": "task\nimg-1\n"}, "has no 'label' column"),
        (ANSWERS, {"gold": "task,label\nimg-1,cat\nimg-1,dog\n"}, "two gold labels"),
    ],
)
def test_bad_input_is_a_command_error_and_writes_nothing(tmp_path, content, options, message):
    answers = tmp_path / "answers.csv"
    if content is not None:
        answers.write_text(content)
    if "gold" in options:
        gold = tmp_path / "gold.csv"
        gold.write_text(options["gold"])
        options = {**options, "gold": str(gold)}
    out = tmp_path / "result.csv"

    with pytest.raises(CommandError, match=message):
        run(str(answers), out=str(out), **options)

    assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        name for name in ("answers.csv", "gold.csv") if (tmp_path / name).exists()
    )


def test_runs_as_a_process_without_a_database(answers_csv, tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        # Nothing listens here: the command must not touch the database.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
    }
    command = [sys.executable, "manage.py", "consolidate", "--method", "dawid-skene"]
    out = tmp_path / "result.csv"

    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [*command, str(answers_csv), "--out", str(out), "--workers"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "task,label,confidence"
    assert "worker,answers,skill" in done.stderr

    failed = subprocess.run(  # noqa: S603
        [*command, str(tmp_path / "missing.csv")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert "cannot read" in failed.stderr
