"""Webhook signatures, as Stripe makes them: the header

    Groundwork-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<...>]

where each v1 is HMAC-SHA256(secret, "<t>.<raw body>") for one of the endpoint's valid
secrets (two during a rotation's overlap). A receiver accepts the request when any v1
matches its secret and t is recent (docs/notifications.md has a verification snippet).
"""

import hashlib
import hmac

SIGNATURE_HEADER = "Groundwork-Signature"
TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={timestamp}"]
    parts += [
        f"v1={signature(secret=secret, timestamp=timestamp, body=body)}" for secret in secrets
    ]
    return ",".join(parts)


def signature_verify(
    *, header: str, secret: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver does (used by the tests, and shown in the docs)."""
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
