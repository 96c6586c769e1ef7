"""Request throttles: per user (or API key's user) and per client IP address.

Counted in fixed windows (a counter per caller per window, one atomic increment per
request) rather than DRF's default sliding log, which reads and rewrites the list of every
request's time in the window on each request: thousands of entries for a busy client.
A fixed window lets a client make up to twice its rate across a window's boundary.
"""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from marketplace.cache import cache_count


class WindowThrottle(SimpleRateThrottle):
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        count = cache_count(self.cache, f"{self.key}:{window}", self.duration + 1)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_ends - self.timer(), 1)


class UserThrottle(WindowThrottle, UserRateThrottle):
    scope = "user"


class IPThrottle(WindowThrottle):
    """Counts every request from an address, logged in or not."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
