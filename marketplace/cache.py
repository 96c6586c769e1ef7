"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django 5.2's backend builds a new `redis.Redis` for every cache call, and building one
sets up its table of about 200 response callbacks (~0.3 ms of CPU): several calls per API
request (the throttles read and write their history) made that a measurable share of a
request. A `redis.Redis` is thread-safe (it takes a connection from its pool per
command), so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    """Use as CACHES' BACKEND in place of django.core.cache.backends.redis.RedisCache."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def window_counts(self, counters: list[tuple[str, int]]) -> list[int]:
        """Add one to each counter (key, timeout), created at 0 to live `timeout` seconds if
        it does not exist, and return their new values: one round trip, each atomic."""
        keys = [self.make_and_validate_key(key) for key, _ in counters]
        pipeline = self._cache.get_client(keys[0], write=True).pipeline(transaction=False)
        for key, (_, timeout) in zip(keys, counters, strict=True):
            pipeline.set(key, 0, ex=timeout, nx=True)
            pipeline.incr(key)
        return pipeline.execute()[1::2]


def cache_counts(cache, counters: list[tuple[str, int]]) -> list[int]:
    """`window_counts` on any cache backend (or the `cache` proxy): one round trip on ours,
    add then incr per counter on others."""
    window_counts = getattr(cache, "window_counts", None)
    if window_counts is not None:
        return window_counts(counters)
    return [_add_and_incr(cache, key, timeout) for key, timeout in counters]


def _add_and_incr(cache, key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls: this request starts a new one
        cache.add(key, 1, timeout)
        return 1
