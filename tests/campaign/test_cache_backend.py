"""The Redis cache backend: Django's, keeping one client object per connection pool."""

from __future__ import annotations

import os

import pytest
import redis

from campaign.cache import RedisCache, RedisCacheClient
from tests.conftest import need_service


def test_the_client_object_is_made_once_per_pool():
    client = RedisCacheClient(["redis://127.0.0.1:6399/0", "redis://127.0.0.1:6399/1"])
    writer = client.get_client(write=True)
    assert client.get_client(write=True) is writer
    reader = client.get_client()
    assert client.get_client() is reader
    assert reader is not writer  # reads go to the other server
    assert writer.connection_pool is client._pools[0]


@pytest.fixture
def redis_cache():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (CI sets it)")
    try:
        available = redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        available = False
    need_service("Redis (REDIS_URL)", available)
    cache = RedisCache(url, {"KEY_PREFIX": f"test-cache-backend-{os.getpid()}"})
    yield cache
    cache.delete_many(["lock", "page", "n"])  # only ours: never flush a shared Redis


def test_it_behaves_as_djangos_backend(redis_cache):
    assert redis_cache.add("lock", "mine", timeout=10)
    assert not redis_cache.add("lock", "theirs", timeout=10)
    assert redis_cache.get("lock") == "mine"
    redis_cache.set("page", {"html": "<p>é</p>"}, timeout=10)
    assert redis_cache.get("page") == {"html": "<p>é</p>"}
    redis_cache.set("n", 1)
    assert redis_cache.incr("n") == 2
    redis_cache.delete("lock")
    assert redis_cache.get("lock") is None
