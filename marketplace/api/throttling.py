"""Request throttles: per user (an API key's user; the address for a caller not logged in)
and per client IP address, both counted in one Redis round trip.

Counted in fixed windows (a counter per caller per window, one atomic increment per
request) rather than DRF's default sliding log, which reads and rewrites the list of every
request's time in the window on each request: thousands of entries for a busy client.
A fixed window lets a client make up to twice its rate across a window's boundary.
"""

from rest_framework.throttling import SimpleRateThrottle

from marketplace.cache import cache_counts

# DEFAULT_THROTTLE_RATES' scopes this throttle counts; a scope without a rate is not.
SCOPES = ("user", "ip")


class UserAndAddressThrottle(SimpleRateThrottle):
    def __init__(self) -> None:
        # Not SimpleRateThrottle's: that one reads a single scope's rate.
        self.limits = {
            scope: self.parse_rate(self.THROTTLE_RATES.get(scope))
            for scope in SCOPES
            if self.THROTTLE_RATES.get(scope)
        }
        self.window_ends = 0.0

    def allow_request(self, request, view) -> bool:
        if not self.limits:
            return True
        now = self.timer()
        counters, limits = [], []
        for scope, (requests, duration) in self.limits.items():
            window = int(now // duration)
            counters.append(
                (f"throttle_{scope}_{self._ident(scope, request)}:{window}", duration + 1)
            )
            limits.append((requests, (window + 1) * duration))
        for count, (requests, window_ends) in zip(
            cache_counts(self.cache, counters), limits, strict=True
        ):
            if count > requests:
                self.window_ends = max(self.window_ends, window_ends)
        return self.window_ends == 0.0

    def _ident(self, scope: str, request) -> str:
        if scope == "user" and request.user and request.user.is_authenticated:
            return str(request.user.pk)
        return self.get_ident(request)

    def wait(self) -> float:
        return max(self.window_ends - self.timer(), 1)
