"""A recording stand-in for Stripe Connect on a loopback port (localstripe has no Connect):
accounts, account links and transfers, with Stripe's idempotency rule and checks on amounts.

Every request is recorded (method, path, form body, Idempotency-Key). `problems` collects
what a real Stripe would refuse and a test must never send (a non-integer amount, a key
reused with other parameters); tests assert it stays empty. The stub can be told to fail
the next transfer or to drop connections, before or after it has made the transfer.
"""

import itertools
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse


@dataclass
class Recorded:
    method: str
    path: str
    form: dict
    idempotency_key: str | None


@dataclass
class StripeStub:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    accounts: dict = field(default_factory=dict)
    transfers: dict = field(default_factory=dict)
    # (method, path, key) -> (form, status, body): Stripe replays a key's first answer.
    answers: dict = field(default_factory=dict)
    fail_transfers: list[dict] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)  # "before" / "after", one per request
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # What tests tell it.

    def fail_next_transfer(self, *, code: str = "account_invalid", message: str = "") -> None:
        self.fail_transfers.append(
            {"type": "invalid_request_error", "code": code, "message": message or code}
        )

    def drop_next(self, times: int = 1, *, after_processing: bool = False) -> None:
        """Close the next `times` connections without an answer; after_processing: only
        once the request was carried out (the answer is lost on the way back)."""
        self.drops.extend(["after" if after_processing else "before"] * times)

    def enable_payouts(self, account_id: str) -> dict:
        account = self.accounts[account_id]
        account.update(details_submitted=True, payouts_enabled=True, charges_enabled=True)
        return account

    def recorded(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # Handling.

    def handle(self, method: str, path: str, form: dict, key: str | None) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/accounts":
            return self._account_create(form)
        if method == "GET" and path.startswith("/v1/accounts/"):
            account = self.accounts.get(path.rsplit("/", 1)[-1])
            if account is None:
                return _error(404, "resource_missing", "No such account")
            return 200, account
        if method == "POST" and path == "/v1/account_links":
            return self._account_link_create(form)
        if method == "POST" and path == "/v1/transfers":
            return self._transfer_create(form)
        return _error(404, "unrecognized_url", f"Unrecognized request URL ({method} {path})")

    def _account_create(self, form: dict) -> tuple[int, dict]:
        if form.get("type") != "express":
            self.problems.append(f"account type {form.get('type')!r}")
        account_id = f"acct_stub{next(self.ids):06d}"
        account = {
            "id": account_id,
            "object": "account",
            "type": form.get("type"),
            "details_submitted": False,
            "payouts_enabled": False,
            "charges_enabled": False,
            "capabilities": {"transfers": "inactive"},
            "metadata": _nested(form, "metadata"),
        }
        self.accounts[account_id] = account
        return 200, account

    def _account_link_create(self, form: dict) -> tuple[int, dict]:
        account_id = form.get("account")
        if account_id not in self.accounts:
            return _error(400, "resource_missing", "No such account", param="account")
        for name in ("refresh_url", "return_url"):
            if not form.get(name, "").startswith(("http://", "https://")):
                return _error(400, "parameter_missing", f"{name} must be a URL", param=name)
        if form.get("type") != "account_onboarding":
            return _error(400, "parameter_invalid", "type", param="type")
        now = int(time.time())
        return 200, {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"https://connect.stripe.test/setup/e/{account_id}/{next(self.ids)}",
        }

    def _transfer_create(self, form: dict) -> tuple[int, dict]:
        amount = form.get("amount", "")
        if not amount.isdigit() or int(amount) <= 0:
            self.problems.append(f"transfer amount {amount!r} is not a positive integer of cents")
            return _error(400, "parameter_invalid_integer", "Invalid integer", param="amount")
        destination = form.get("destination")
        if destination not in self.accounts:
            return _error(400, "resource_missing", "No such destination", param="destination")
        if self.fail_transfers:
            failure = self.fail_transfers.pop(0)
            return 400, {"error": failure}
        transfer_id = f"tr_stub{next(self.ids):06d}"
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": int(amount),
            "amount_reversed": 0,
            "currency": form.get("currency"),
            "destination": destination,
            "metadata": _nested(form, "metadata"),
            "reversed": False,
        }
        self.transfers[transfer_id] = transfer
        return 200, transfer


def _error(status: int, code: str, message: str, *, param: str | None = None):
    error = {"type": "invalid_request_error", "code": code, "message": message}
    if param:
        error["param"] = param
    return status, {"error": error}


def _nested(form: dict, name: str) -> dict:
    prefix = f"{name}["
    return {key[len(prefix) : -1]: value for key, value in form.items() if key.startswith(prefix)}


def _handler(stub: StripeStub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass

        def _serve(self, method: str) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else parsed.query
            form = dict(parse_qsl(body, keep_blank_values=True))
            key = self.headers.get("Idempotency-Key")
            with stub.lock:
                stub.requests.append(Recorded(method, parsed.path, form, key))
                drop = stub.drops.pop(0) if stub.drops else None
                if drop == "before":
                    self.close_connection = True
                    return
                status, answer = self._answer(method, parsed.path, form, key)
                if drop == "after":
                    self.close_connection = True
                    return
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if key:
                self.send_header("Idempotency-Key", key)
            self.end_headers()
            self.wfile.write(payload)

        def _answer(self, method, path, form, key):
            if method != "POST" or not key:
                return stub.handle(method, path, form, key)
            earlier = stub.answers.get((method, path, key))
            if earlier is not None:
                earlier_form, status, answer = earlier
                if earlier_form != form:
                    stub.problems.append(f"key {key!r} reused with other parameters on {path}")
                    return 400, {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with "
                            "the same parameters they were first used with.",
                        }
                    }
                return status, answer
            status, answer = stub.handle(method, path, form, key)
            stub.answers[(method, path, key)] = (form, status, answer)
            return status, answer

        def do_GET(self):  # noqa: N802 (http.server's name)
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

    return Handler


@contextmanager
def running_stripe_stub():
    """A StripeStub serving on 127.0.0.1 (a free port) until the block ends."""
    stub = StripeStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def stripe_pointed_at_stub(settings):
    """Run the stub and point the Stripe client at it (pytest-django's `settings`)."""
    with running_stripe_stub() as stub:
        settings.STRIPE_SECRET_KEY = "sk_test_stub"
        settings.STRIPE_API_BASE = stub.url
        yield stub
