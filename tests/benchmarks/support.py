"""Helpers for the benchmarks: client processes released together, percentiles, a gunicorn
server on loopback, and logged-in session cookies made without a login round trip."""

import gc
import http.client
import multiprocessing
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_processes(
    target: Callable,
    arguments: list[tuple],
    *,
    observer: AbstractContextManager | None = None,
    timeout: float = 600.0,
) -> list[dict]:
    """Run `target(*arguments[i], ready=barrier)` in one forked process each and return what
    each returns (a picklable dict), in order.

    Each process gets ready (connects), then waits at the barrier, so all start together.
    The caller must close its database connections first: a forked child must not share
    the parent's sockets. `observer` (say a WaitSampler) is entered once every process is
    forked (so no child inherits its thread) and left when all have reported.
    """
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(arguments))
    results = context.Queue()

    def child(index: int, child_arguments: tuple) -> None:
        try:
            outcome = target(*child_arguments, ready=barrier)
        except BaseException as error:  # reported to the parent, which fails the run
            outcome = {"crashed": f"{type(error).__name__}: {error}"}
            barrier.abort()
        results.put((index, outcome))

    processes = [
        context.Process(target=child, args=(index, child_arguments), daemon=True)
        for index, child_arguments in enumerate(arguments)
    ]
    # Keep the collector from touching (and so copying) every object the children
    # inherit: each would otherwise pay for copying the parent's heap page by page.
    gc.freeze()
    for process in processes:
        process.start()
    gc.unfreeze()
    outcomes: list = [None] * len(processes)
    deadline = time.monotonic() + timeout
    with observer or nullcontext():
        for _ in processes:  # read before join: a child blocks until its result is taken
            index, outcome = results.get(timeout=max(deadline - time.monotonic(), 1))
            outcomes[index] = outcome
    for process in processes:
        process.join(timeout=30)
    return outcomes


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(int(fraction * len(sorted_values) + 0.999999) - 1, 0)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_server(*, environment: dict[str, str], processes: int, threads: int) -> Iterator[int]:
    """gunicorn serving marketplace.wsgi on a free loopback port (yielded) until the block
    ends; its log is printed if it does not come up."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "marketplace.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(processes),
        # One thread: gunicorn's sync worker (one request at a time, the connection closed
        # after it); more: gthread, which keeps connections open between requests.
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
        "--backlog",
        "2048",
        # Clients keep their connection while all of them warm up (as behind a proxy that
        # keeps connections open); gunicorn's default closes an idle one after 2 s.
        "--keep-alive",
        "120",
        "--log-level",
        "warning",
    ]
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(  # noqa: S603 - our own virtual environment's gunicorn
            command,
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(port=port, processes=processes, server=server, log=log)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _wait_until_up(*, port: int, processes: int, server: subprocess.Popen, log) -> None:
    """Until /healthz answers often enough that every gunicorn process has booted."""
    deadline = time.monotonic() + 60
    answered = 0
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                answered += 1
            connection.close()
        except OSError:
            time.sleep(0.2)
            continue
        if answered >= 4 * processes:
            return
        time.sleep(0.05)
    log.seek(0)
    raise RuntimeError(f"gunicorn did not come up on port {port}:\n{log.read()}")


def session_cookie(*, user) -> str:
    """A Cookie header for `user`, logged in through a session row made directly, with a
    CSRF cookie the client echoes in X-CSRFToken (see csrf_token_of)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    csrf = get_random_string(32)
    return (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )


def csrf_token_of(cookie: str) -> str:
    from django.conf import settings

    for part in cookie.split("; "):
        name, _, value = part.partition("=")
        if name == settings.CSRF_COOKIE_NAME:
            return value
    raise ValueError("no CSRF cookie")


class WaitSampler:
    """Samples pg_stat_activity for one database every `interval` seconds in a thread, to
    say where the database's client backends spent the run (a rough profile, not a
    measurement: a sample is a snapshot)."""

    def __init__(self, *, conninfo: str, interval: float = 0.02) -> None:
        self.conninfo = conninfo
        self.interval = interval
        self.samples: list[tuple[str, str]] = []
        self.cpu_busy = 0.0
        self._cpu_before = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "WaitSampler":
        self._cpu_before = _cpu_jiffies()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        busy, total = _cpu_jiffies()
        busy, total = busy - self._cpu_before[0], total - self._cpu_before[1]
        self.cpu_busy = busy / total if total else 0.0

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT state, coalesce(wait_event_type, ''), query FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
                for state, wait_type, query in rows:
                    self.samples.append((_activity(state, wait_type), _statement(query)))
                self._stop.wait(self.interval)

    def summary(self, *, top: int = 2) -> str:
        """ "lock wait 41% (UPDATE jobs_labelingjob 38%, ...), in transaction 12%, ..."."""
        if not self.samples:
            return "no samples"
        total = len(self.samples)
        activities = Counter(activity for activity, _statement in self.samples)
        parts = []
        for activity, count in activities.most_common():
            part = f"{activity} {count / total:.0%}"
            if activity in {"lock wait", "in transaction"}:
                statements = Counter(
                    statement for kind, statement in self.samples if kind == activity
                )
                part += (
                    " ("
                    + ", ".join(
                        f"after {name} {number / total:.0%}"
                        if activity == "in transaction"
                        else f"{name} {number / total:.0%}"
                        for name, number in statements.most_common(top)
                    )
                    + ")"
                )
            parts.append(part)
        return ", ".join(parts)


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _activity(state: str | None, wait_type: str) -> str:
    if wait_type == "Lock":
        return "lock wait"
    if state == "active":
        return "running"
    if state and state.startswith("idle in transaction"):
        return "in transaction"
    return "idle"


def _statement(query: str) -> str:
    """'UPDATE jobs_labelingjob' from the statement's first words."""
    words = query.replace('"', "").split()
    if not words:
        return "?"
    verb = words[0].upper()
    table = ""
    for keyword in ("UPDATE", "INTO", "FROM"):
        if keyword in (word.upper() for word in words):
            index = [word.upper() for word in words].index(keyword)
            if index + 1 < len(words):
                table = words[index + 1].split(".")[0]
                break
    return f"{verb} {table}".strip()


def database_conninfo() -> str:
    """The libpq connection string of Django's default database (for raw psycopg clients)."""
    from django.db import connection

    settings = connection.settings_dict
    parts = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or "5432",
        "dbname": settings["NAME"],
        "user": settings["USER"],
    }
    if settings["PASSWORD"]:
        parts["password"] = settings["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items())
