"""Outbound HTTP for webhooks, guarded against SSRF: the host is resolved here, every
address it resolves to is checked, and the connection goes to a checked address (with the
original Host header and TLS server name), so DNS rebinding cannot slip a private address
in between the check and the connect. Redirects are never followed.

Forbidden unless listed in settings.WEBHOOK_ALLOWED_HOSTS (by host name or by address):
loopback, private (RFC 1918, unique local fc00::/7, shared 100.64/10), link-local
(169.254/16 with the cloud metadata service, fe80::/10), multicast, unspecified (0.0.0.0,
::) and reserved addresses, and IPv4 addresses mapped into IPv6 that are any of these.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

ALLOWED_SCHEMES = ("http", "https")
CONNECT_TIMEOUT_SECONDS = 5
TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024


class OutboundRefused(Exception):
    """The URL or the address it resolves to may not be contacted."""


@dataclass(frozen=True)
class OutboundResponse:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def url_problem(url: str) -> str | None:
    """Why `url` can never be a webhook URL, or None. Checked when the URL is saved; the
    address it resolves to is checked again at every connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ALLOWED_SCHEMES:
        return "Use an http:// or https:// URL."
    if not parts.hostname:
        return "The URL needs a host."
    if parts.username is not None or parts.password is not None:
        return "The URL may not carry a user name or password."
    if port == 0:
        return "Enter a valid port."
    if not _host_allowed(parts.hostname):
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return None  # a name: its addresses are checked when connecting
        reason = address_problem(address)
        if reason:
            return f"Webhooks cannot be sent to {reason} addresses."
    return None


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of forbidden address `address` is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return address_problem(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    for name, applies in checks:
        if applies:
            return name
    if not address.is_global:
        return "non-public"
    return None


def _host_allowed(host: str) -> bool:
    allowed = {entry.strip().lower().strip("[]") for entry in settings.WEBHOOK_ALLOWED_HOSTS}
    return host.lower().strip("[]") in allowed


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to stub DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to; OutboundRefused if any address of `host` is forbidden
    (a name with one private address among public ones is refused whole)."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise OutboundRefused(f"Could not resolve {host}: {error}") from None
    if not addresses:
        raise OutboundRefused(f"{host} has no address.")
    if _host_allowed(host):
        return addresses
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise OutboundRefused(f"{host} resolved to {text!r}, not an address.") from None
        reason = address_problem(address)
        if reason and not _host_allowed(str(address)):
            raise OutboundRefused(f"{host} resolves to {text}, a {reason} address.")
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection(
            (self.address, self.port), timeout=CONNECT_TIMEOUT_SECONDS
        )
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As _PinnedHTTPConnection, with TLS: the certificate is checked against the URL's host
    (also the SNI name)."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), timeout=CONNECT_TIMEOUT_SECONDS)
        sock.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> OutboundResponse:
    """POST `body` to `url` once, never following a redirect. Any answer but 2xx is a
    failure the caller may retry; OutboundRefused is reported as an error, not raised."""
    started = time.monotonic()
    try:
        status_code, error = _post(url, body=body, headers=headers)
    except OutboundRefused as refused:
        status_code, error = None, f"Refused: {refused}"
    except (OSError, http.client.HTTPException) as failure:
        status_code, error = None, f"{type(failure).__name__}: {failure}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return OutboundResponse(status_code=status_code, error=error[:500], duration_ms=duration_ms)


def _post(url: str, *, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    problem = url_problem(url)
    if problem:
        raise OutboundRefused(problem)
    parts: SplitResult = urlsplit(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in checked_addresses(host, port):
        connection = connection_class(host, port, address=address, timeout=TIMEOUT_SECONDS)
        try:
            connection.connect()
        except OSError as error:
            last_error = error
            connection.close()
            continue
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
        finally:
            connection.close()
        error = ""
        if 300 <= response.status < 400:
            location = response.getheader("Location", "")[:200]
            error = f"Redirects are not followed (Location: {location})."
        elif not 200 <= response.status < 300:
            error = f"HTTP {response.status}"
        return response.status, error
    raise last_error or OSError("No address could be reached.")
