"""Fixtures that run localstripe (a stateful fake Stripe) on a free loopback port.

`localstripe_server` starts it once per session as a subprocess (its store kept in memory
only: localstripe otherwise pickles to a fixed /tmp file that parallel runs would share)
and stops it at the end. `stripe_live` points the settings at it with test keys and
registers a signed webhook to the live server, so tests see the real flow: API ->
PaymentIntent -> localstripe's signed `payment_intent.succeeded` -> our webhook.

Import the fixtures into a test module: `from tests.payments.localstripe import ...`.
"""

import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests
from django.urls import reverse
from stripe import StripeClient

SECRET_KEY = "sk_test_groundwork"  # noqa: S105 - localstripe's test key, not a secret
PUBLISHABLE_KEY = "pk_test_groundwork"
WEBHOOK_SECRET = "whsec_groundwork_tests"  # noqa: S105
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
# A card that asks for 3D Secure: localstripe's Stripe.js stand-in can only complete
# payments that need authentication (its confirmCardPayment is the 3DS step).
CARD_3DS = {**CARD, "number": "4000002760003184"}
RUN_LOCALSTRIPE = (
    "import localstripe.resources as resources\n"
    "resources.Store.dump_to_disk = lambda self: None\n"
    "from localstripe.server import start\n"
    "start()\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float = 15.0, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; that value, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout} s waiting for {predicate}")


@dataclass
class Localstripe:
    url: str
    process: subprocess.Popen

    def client(self) -> StripeClient:
        return StripeClient(SECRET_KEY, base_addresses={"api": self.url})

    def register_webhook(self, *, url: str, secret: str = WEBHOOK_SECRET) -> None:
        response = requests.post(
            f"{self.url}/_config/webhooks/groundwork",
            data={"url": url, "secret": secret},
            timeout=5,
        )
        response.raise_for_status()

    def pay(self, payment_intent_id: str, card: dict = CARD):
        """What a browser does with the client secret: attach a card, confirm."""
        client = self.client()
        method = client.v1.payment_methods.create(params={"type": "card", "card": card})
        client.v1.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
        return client.v1.payment_intents.confirm(payment_intent_id)


@pytest.fixture(scope="session")
def localstripe_server():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", RUN_LOCALSTRIPE, "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def answers():
        if process.poll() is not None:
            pytest.fail(f"localstripe exited with {process.returncode}")
        try:
            return requests.get(f"{url}/js.stripe.com/v3/", timeout=1).ok
        except requests.ConnectionError:
            return False

    wait_until(answers)
    yield Localstripe(url=url, process=process)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def stripe_api(settings, localstripe_server):
    """Stripe settings aimed at localstripe (its webhooks not aimed at this test)."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_JS_URL = f"{localstripe_server.url}/js.stripe.com/v3/"
    return localstripe_server


@pytest.fixture
def stripe_live(stripe_api, live_server, localstripe_server):
    """Stripe settings aimed at localstripe, webhooks delivered to the live server."""
    localstripe_server.register_webhook(url=live_server.url + reverse("api-stripe-webhook"))
    return localstripe_server


@pytest.fixture
def stripe_down(settings):
    """Stripe configured, but its API base is a closed loopback port."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
