"""Django's Redis cache backend, minus a cost paid on every cache call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for each
operation; with redis-py 8 that object fills a table of ~170 response callbacks as it is made,
about 0.15 ms of CPU, more than the round trip to Redis itself. A page served from the page
cache makes two cache calls, so that was most of the difference between a cached page and the
cheapest view (docs/performance.md). A ``redis.Redis`` client is thread-safe and holds nothing
but its connection pool, so this backend builds one per pool and keeps it. Everything else is
Django's.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:  # as Django's _get_connection_pool, for this index
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
