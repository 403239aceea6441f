"""Rate limits with ``limits``: a moving window per user and per client address, in memory, or
in Redis when ``VIDSCOPE_REDIS_URL`` is set (so several server processes share the counts)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from pipelines.config import Settings
from pipelines.errors import VidscopeError


class RateLimited(VidscopeError):
    code = "rate.limited"


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        storage = (
            storage_from_string(settings.server.redis_url) if settings.server.redis_url else None
        )
        if storage is not None and not isinstance(storage, Storage):
            raise ValueError("VIDSCOPE_REDIS_URL must be a redis:// URL (not async+redis://)")
        self.storage: Storage = storage or MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.requests = parse(settings.server.rate_limit)
        self.logins = parse(settings.server.login_rate_limit)

    def hit(self, rate: RateLimitItem, *keys: str, what: str) -> None:
        """Counts one event for each key; raises ``rate.limited`` (with the seconds to wait)
        when any key is over its rate."""
        for key in keys:
            if not self.limiter.hit(rate, "vidscope", key):
                reset = self.limiter.get_window_stats(rate, "vidscope", key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise RateLimited(
                    f"too many {what} (limit {rate}); try again in {wait} s",
                    retry_after=wait,
                    limit=str(rate),
                )

    def healthy(self) -> bool:
        return bool(self.storage.check())
