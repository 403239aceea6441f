"""A cache of answers: a repeated question on an unchanged library is
answered from here. Keys name the owner's library *as it is* (a fingerprint of its passages,
which changes with every ingest and delete), so a change invalidates by construction and
nothing has to be purged. In Redis when ``VIDSCOPE_REDIS_URL`` is set (shared by the server's
processes), else in this process. A cache that fails is a miss, never an error."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from pipelines.logs import get_logger

log = get_logger(__name__)


def cache_key(kind: str, owner_id: str, fingerprint: str, *parts: object) -> str:
    """The key of one cached result: what it is, whose library in which state, and the
    request's own parts (the question, a video id, the generator...)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return f"vidscope:{kind}:{owner_id}:{fingerprint}:{digest}"


class Cache:
    """Counts hits and misses for /metrics; subclasses store."""

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> str | None:
        found = self._get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, value: str) -> None:
        self._put(key, value)

    def _get(self, key: str) -> str | None:
        raise NotImplementedError

    def _put(self, key: str, value: str) -> None:
        raise NotImplementedError


class MemoryCache(Cache):
    """The newest ``entries`` results, least recently used out first."""

    def __init__(self, entries: int) -> None:
        super().__init__()
        self.entries = entries
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: str) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def _put(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


class RedisCache(Cache):
    """Results in Redis for ``ttl_s`` seconds (what no longer matches any library's state
    expires on its own)."""

    def __init__(self, url: str, ttl_s: float) -> None:
        super().__init__()
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=1.0)
        self.ttl_s = int(ttl_s)

    def _get(self, key: str) -> str | None:
        try:
            value = self._redis.get(key)
        except Exception as exc:  # any Redis trouble: answer without the cache
            log.warning("cache.unavailable", reason=str(exc)[:200])
            return None
        return value.decode() if value is not None else None

    def _put(self, key: str, value: str) -> None:
        try:
            self._redis.set(key, value, ex=self.ttl_s)
        except Exception as exc:
            log.warning("cache.unavailable", reason=str(exc)[:200])
