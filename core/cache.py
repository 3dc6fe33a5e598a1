"""The Redis cache backend: Django's, with one client kept per connection pool, and a
window counter for the rate limits (core.security.throttles).

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` on every command; that
copies redis-py's table of response callbacks (some 170 entries) each time, which cost
more than the round trip itself on a cached API answer. A `redis.Redis` is safe to share
between threads (each command borrows a connection from the pool), and the pool notices
a fork, so one client per pool serves the whole process.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.exceptions import NoScriptError

from core.metrics import CACHE

# A window counter: one more hit, the window's lifetime set by its first hit (or if it
# somehow has none), and the seconds it has left.
WINDOW_HIT_SCRIPT = """
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('TTL', KEYS[1])
if hits == 1 or left < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {hits, left}
"""


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._window_script = None

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client

    def window_hit(
        self, key: str, timeout: int, read: list[str] = ()
    ) -> tuple[int, int, dict[str, object]]:
        """Count a hit in the window under `key`, which opens at its first hit and lasts
        `timeout` seconds: the hits so far, the seconds left, and the values stored under
        the keys `read` (those found), in one round trip (a Lua script, run atomically:
        EVALSHA, loaded again if Redis lost it; the values read beside it)."""
        client = self.get_client(key, write=True)
        if self._window_script is None:
            self._window_script = client.register_script(WINDOW_HIT_SCRIPT)
        if not read:
            hits, left = self._window_script(keys=[key], args=[timeout], client=client)
            return int(hits), int(left), {}
        # The values come beside the script (a pipeline: one round trip), not through it:
        # a large value copied into Lua and back costs Redis ten times a plain MGET.
        pipe = client.pipeline(transaction=False)
        pipe.evalsha(self._window_script.sha, 1, key, timeout)
        pipe.mget(read)
        try:
            (hits, left), values = pipe.execute()
        except NoScriptError:  # Redis lost its scripts (a restart): nothing was counted
            client.script_load(WINDOW_HIT_SCRIPT)
            return self.window_hit(key, timeout, read)
        found = {
            name: self._serializer.loads(value)
            for name, value in zip(read, values, strict=True)
            if value is not None
        }
        return int(hits), int(left), found


_MISSING = object()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    # Reads are counted as hits and misses (core.metrics: shop_cache_requests_total).
    def get(self, key, default=None, version=None):
        value = super().get(key, _MISSING, version)
        if value is _MISSING:
            CACHE.labels("miss").inc()
            return default
        CACHE.labels("hit").inc()
        return value

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = super().get_many(keys, version)
        if found:
            CACHE.labels("hit").inc(len(found))
        if len(keys) > len(found):
            CACHE.labels("miss").inc(len(keys) - len(found))
        return found

    def window_hit(
        self, key: str, timeout: int, read: list[str] = (), version=None
    ) -> tuple[int, int, dict[str, object]]:
        """`RedisCacheClient.window_hit`, with the cache's keys (`read` as `get_many`
        takes them, and answered by their names)."""
        key = self.make_and_validate_key(key, version=version)
        names = {self.make_and_validate_key(name, version=version): name for name in read}
        hits, left, found = self._cache.window_hit(key, max(1, int(timeout)), list(names))
        return hits, left, {names[stored]: value for stored, value in found.items()}
