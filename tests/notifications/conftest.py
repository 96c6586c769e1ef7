"""Fixtures for the notification tests: a real HTTP receiver on loopback that records
what it is sent and answers as the test scripts it to."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server = self.server
        with server.lock:
            server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, headers = server.script.pop(0) if server.script else server.default
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 in a thread. `answer(...)` scripts the next
    answers; after the script it answers `default` (200)."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.received = []
        self.server.script = []
        self.server.default = (200, {})
        self.server.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def received(self) -> list[dict]:
        return self.server.received

    def answer(self, *statuses, headers: dict | None = None) -> None:
        self.server.script.extend((status, headers or {}) for status in statuses)

    def always(self, status: int) -> None:
        self.server.default = (status, {})


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    """Webhooks may reach 127.0.0.1 (production leaves the allow-list empty)."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings
