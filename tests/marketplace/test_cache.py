"""The Redis cache backend's shared client and the counters the throttles use."""

import threading

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from marketplace.cache import SharedClientRedisCache, cache_counts


def test_the_redis_cache_builds_one_client_per_pool():
    assert isinstance(caches["default"], SharedClientRedisCache)
    client = cache._cache.get_client("a", write=True)

    assert cache._cache.get_client("b", write=True) is client
    cache.set("shared-client", 1)
    assert cache.get("shared-client") == 1


@pytest.fixture(params=["redis", "locmem"])
def any_cache(request):
    if request.param == "redis":
        return cache
    return LocMemCache("counters", {})


def cache_count(cache, key: str, timeout: int) -> int:
    (count,) = cache_counts(cache, [(key, timeout)])
    return count


def test_a_counter_counts_from_one_and_expires(any_cache, monkeypatch):
    assert [cache_count(any_cache, "window", 60) for _ in range(3)] == [1, 2, 3]
    assert cache_count(any_cache, "other-window", 60) == 1

    any_cache.delete("window")  # as when its timeout passes
    assert cache_count(any_cache, "window", 60) == 1


def test_several_counters_count_together_each_on_its_own(any_cache):
    cache_count(any_cache, "first", 60)

    assert cache_counts(any_cache, [("first", 60), ("second", 60)]) == [2, 1]
    assert cache_counts(any_cache, [("second", 60), ("first", 60)]) == [2, 3]


def test_the_redis_counter_gives_its_key_the_timeout(monkeypatch):
    monkeypatch.setattr(cache, "add", None)  # one round trip: never the add-then-incr way
    cache_counts(cache, [("timed", 42), ("longer", 120)])

    client = cache._cache.get_client(write=True)
    assert 40 <= client.ttl(cache.make_and_validate_key("timed")) <= 42
    assert 118 <= client.ttl(cache.make_and_validate_key("longer")) <= 120


def test_concurrent_counts_are_never_lost():
    barrier, counts = threading.Barrier(12), []

    def count():
        barrier.wait(timeout=10)
        counts.append(cache_count(cache, "busy", 60))

    threads = [threading.Thread(target=count) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(counts) == list(range(1, 13))
