"""Request throttles: per user (or API key's user) and per client IP address."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class UserThrottle(UserRateThrottle):
    scope = "user"


class IPThrottle(SimpleRateThrottle):
    """Counts every request from an address, logged in or not."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
