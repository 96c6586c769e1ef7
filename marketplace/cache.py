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

    def window_count(self, key: str, timeout: int) -> int:
        """Add one to the counter `key` (created at 0 to live `timeout` seconds if it does
        not exist) and return it: one round trip, atomic."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]


def cache_count(cache, key: str, timeout: int) -> int:
    """`window_count` on any cache backend (or the `cache` proxy): one round trip on ours,
    add then incr on others."""
    window_count = getattr(cache, "window_count", None)
    if window_count is not None:
        return window_count(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # it expired between the two calls: this request starts a new one
        cache.add(key, 1, timeout)
        return 1
