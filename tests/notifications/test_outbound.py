"""The SSRF guard of webhook deliveries: URLs checked when saved, and every resolved
address checked again at connect time (no DNS rebinding), with the connection made to the
checked address; redirects are never followed; WEBHOOK_ALLOWED_HOSTS is the one way past."""

import socket
import ssl

import pytest

from notifications import outbound
from notifications.outbound import url_problem

PRIVATE_TARGETS = [
    ("http://127.0.0.1/hooks", "loopback"),
    ("http://127.1.2.3:8080/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.254/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "non-public"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
]


@pytest.fixture
def connections(monkeypatch):
    """Every address a delivery connects to (the real connect still happens)."""
    made = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):
        made.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "create_connection", spy)
    return made


def stub_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve names from `answers`; returns the names looked up."""
    asked = []

    def resolve(host, port):
        asked.append(host)
        return answers[host]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return asked


def post(url: str) -> outbound.OutboundResponse:
    return outbound.post(url, body=b"{}", headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(("url", "kind"), PRIVATE_TARGETS)
def test_a_private_address_is_refused_when_saved(url, kind):
    assert url_problem(url) == f"Webhooks cannot be sent to {kind} addresses."


@pytest.mark.parametrize(("url", "kind"), PRIVATE_TARGETS)
def test_a_private_address_is_refused_at_connect_time_without_connecting(url, kind, connections):
    response = post(url)

    assert response.status_code is None
    assert response.error == f"Refused: Webhooks cannot be sent to {kind} addresses."
    assert connections == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/", "Use an http:// or https:// URL."),
        ("file:///etc/passwd", "Use an http:// or https:// URL."),
        ("gopher://hooks.example.com/", "Use an http:// or https:// URL."),
        (
            "https://user:secret@hooks.example.com/",
            "The URL may not carry a user name or password.",
        ),
        ("https://token@hooks.example.com/", "The URL may not carry a user name or password."),
        ("https:///path-only", "The URL needs a host."),
        ("https://hooks.example.com:99999/", "Enter a valid URL."),
        ("https://hooks.example.com:0/", "Enter a valid port."),
    ],
)
def test_only_plain_http_and_https_urls_are_saved(url, problem):
    assert url_problem(url) == problem


def test_a_public_url_is_fine():
    assert url_problem("https://hooks.example.com/groundwork?key=1") is None
    assert url_problem("http://93.184.216.34:8080/") is None


def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(monkeypatch, connections):
    asked = stub_dns(monkeypatch, {"hooks.example.com": ["10.20.30.40"]})
    assert url_problem("https://hooks.example.com/") is None  # names are checked on connect

    response = post("https://hooks.example.com/")

    assert asked == ["hooks.example.com"]
    assert (
        response.error == "Refused: hooks.example.com resolves to 10.20.30.40, a private address."
    )
    assert connections == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["93.184.216.34", "169.254.169.254"],
        ["2606:2800:220:1:248:1893:25c8:1946", "::1"],
        ["fd00::1"],
    ],
)
def test_one_private_address_among_public_ones_refuses_the_name(
    addresses, monkeypatch, connections
):
    stub_dns(monkeypatch, {"hooks.example.com": addresses})

    response = post("http://hooks.example.com/")

    assert response.error.startswith("Refused: hooks.example.com resolves to ")
    assert connections == []


def test_dns_rebinding_is_caught_because_every_attempt_resolves_again(
    monkeypatch, connections, receiver, settings
):
    """The first resolution is public (and is connected to, whether or not it answers),
    the second is loopback: the second attempt is refused before connecting."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(outbound, "resolve", lambda host, port: next(answers))
    monkeypatch.setattr(outbound, "CONNECT_TIMEOUT_SECONDS", 0.2)

    first = post(f"http://rebind.example.com:{receiver.port}/")
    second = post(f"http://rebind.example.com:{receiver.port}/")
    assert not first.error.startswith("Refused")

    assert second.error == (
        "Refused: rebind.example.com resolves to 127.0.0.1, a loopback address."
    )
    assert connections == ["93.184.216.34"]
    assert receiver.received == []


def test_numeric_host_spellings_are_resolved_and_refused(connections):
    """2130706433 and 0x7f.1 are 127.0.0.1 to the resolver; the resolved address counts."""
    for url in ("http://2130706433/", "http://0x7f.0.0.1/", "http://017700000001/"):
        response = post(url)

        assert response.status_code is None
        assert "127.0.0.1, a loopback address" in response.error, url
    assert connections == []


def test_loopback_is_refused_without_the_allow_list(receiver, connections):
    response = post(receiver.url())

    assert response.error == "Refused: Webhooks cannot be sent to loopback addresses."
    assert receiver.received == []
    assert connections == []


def test_the_allow_list_lets_a_listed_address_through(receiver, loopback_allowed):
    response = post(receiver.url("/in?x=1"))

    assert (response.status_code, response.error) == (200, "")
    [request] = receiver.received
    assert request["path"] == "/in?x=1"
    assert request["body"] == b"{}"


def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    monkeypatch, receiver, settings, connections
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.internal.test"]
    stub_dns(monkeypatch, {"hooks.internal.test": ["127.0.0.1"]})

    response = post(f"http://hooks.internal.test:{receiver.port}/hooks")

    assert response.status_code == 200
    assert connections == ["127.0.0.1"]
    assert receiver.received[0]["headers"]["Host"] == f"hooks.internal.test:{receiver.port}"


def test_a_redirect_to_a_private_address_is_not_followed(receiver, loopback_allowed, connections):
    receiver.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    response = post(receiver.url())

    assert response.status_code == 302
    assert response.error == (
        "Redirects are not followed (Location: http://169.254.169.254/latest/meta-data/)."
    )
    assert connections == ["127.0.0.1"]
    assert len(receiver.received) == 1


def test_an_unresolvable_name_is_an_error_not_a_crash(monkeypatch):
    def fail(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(outbound, "resolve", fail)

    response = post("https://nowhere.example.com/")

    assert response.status_code is None
    assert response.error.startswith("Refused: Could not resolve nowhere.example.com")


def test_a_refused_connection_is_an_error(loopback_allowed):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    response = post(f"http://127.0.0.1:{port}/")

    assert response.status_code is None
    assert response.error.startswith("ConnectionRefusedError")


def test_https_connects_to_the_checked_address_and_checks_the_urls_host(monkeypatch):
    """TLS is opened on the pinned socket with the URL's host as SNI name and certificate
    name, and a certificate is required."""
    stub_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    seen = {}

    class Socket:
        def settimeout(self, timeout):
            pass

        def close(self):
            pass

    def connect(address, timeout):
        seen["address"] = address
        return Socket()

    def wrap_socket(context, sock, server_hostname):
        seen["server_hostname"] = server_hostname
        seen["verified"] = (context.check_hostname, context.verify_mode)
        raise ssl.SSLError("stop before the handshake")

    monkeypatch.setattr(outbound.socket, "create_connection", connect)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)

    response = post("https://hooks.example.com/in")

    assert seen == {
        "address": ("93.184.216.34", 443),
        "server_hostname": "hooks.example.com",
        "verified": (True, ssl.CERT_REQUIRED),
    }
    assert response.error.startswith("SSLError")
