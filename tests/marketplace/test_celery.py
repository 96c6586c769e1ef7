"""The Celery app's configuration, enqueue-on-commit, and one task through a real worker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery, current_app
from django.conf import settings
from django.db import connection, transaction

from marketplace.celery import app as celery_app
from marketplace.celery import enqueue_on_commit
from marketplace.models import Invitation
from tests.marketplace.factories import InvitationFactory

RECORDED: list = []


@celery_app.task(name="tests.record")
def record(*args, **kwargs) -> None:
    RECORDED.append((args, kwargs))


@pytest.fixture
def recorded():
    RECORDED.clear()
    yield RECORDED
    RECORDED.clear()


def test_the_app_accepts_and_sends_json_only():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]


def test_tasks_have_a_soft_and_a_hard_time_limit():
    assert 0 < celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit


def test_a_worker_discovers_the_storefront_tasks():
    celery_app.loader.import_default_modules()  # what a worker does as it starts

    assert "marketplace.invitation_send_email" in celery_app.tasks


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_never_sends_when_the_transaction_rolls_back(recorded):
    def enqueue_then_fail():
        with transaction.atomic():
            enqueue_on_commit(record, 1, kind="rolled back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        enqueue_then_fail()

    assert recorded == []


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_sends_once_the_transaction_commits(recorded):
    with transaction.atomic():
        enqueue_on_commit(record, 1, kind="committed")
        assert recorded == []

    assert recorded == [((1,), {"kind": "committed"})]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_sends_at_once_outside_a_transaction(recorded):
    enqueue_on_commit(record, 2)

    assert recorded == [((2,), {})]


# A real worker: the task travels as JSON through Redis and runs in another process.

# The Redis database this test run owns (the cache's), so parallel runs never share a queue.
REDIS_DB = settings.CACHES["default"]["LOCATION"]
WORKER_START_TIMEOUT = 30


@pytest.fixture
def worker(transactional_db, tmp_path: Path):
    """A `celery worker --pool=solo` on its own queue, reading the test database."""
    database = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    log_path = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS_DB,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool=solo"),
        *("--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        *("--queues", queue, "--hostname", f"{queue}@localhost"),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=log
        )
    try:
        _wait_for_line(log_path, "ready.", process)
        yield queue, log_path, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_line(log_path: Path, text: str, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        log = log_path.read_text()
        if text in log:
            return log
        if process.poll() is not None:
            pytest.fail(f"The worker exited with {process.returncode}:\n{log}")
        time.sleep(0.1)
    pytest.fail(f"{text!r} not in the worker's log after {WORKER_START_TIMEOUT}s:\n{log}")


def test_a_real_worker_runs_a_task_sent_as_json(worker):
    queue, log_path, process = worker
    invitation = InvitationFactory()
    # Not the current app: shared tasks elsewhere in this run must keep using the eager one.
    producer = Celery("producer", broker=REDIS_DB, set_as_current=False)
    producer.conf.update(task_serializer="json", accept_content=["json"])

    result = producer.send_task(
        "marketplace.invitation_send_email", args=[invitation.pk], queue=queue
    )

    log = _wait_for_line(log_path, f"[{result.id}] succeeded", process)
    assert f"marketplace.invitation_send_email[{result.id}] received" in log
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert current_app._get_current_object() is celery_app
