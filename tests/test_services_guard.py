"""`make test` stops at once, naming what to start, when PostgreSQL or Redis is down."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_suite_with(**environment) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/workforce/test_models.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/groundwork"}, "PostgreSQL"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "Redis"),
    ],
)
def test_the_suite_stops_with_a_message_naming_the_missing_service(environment, named):
    result = run_suite_with(**environment)

    assert result.returncode == 3
    output = result.stdout + result.stderr
    assert f"{named} is not answering at 127.0.0.1:1" in output
    assert "Start it, e.g.:" in output
    assert "passed" not in output
