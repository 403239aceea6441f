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
        # Once a username's failures reach the login rate: one try per address per window.
        self.login_per_address = type(self.logins)(1, self.logins.multiples)

    def hit(self, rate: RateLimitItem, *keys: str, what: str) -> None:
        """Counts one event for each key; raises ``rate.limited`` (with the seconds to wait)
        when any key is over its rate."""
        # The setting an operator raises for this limit (a refusal names it, as a body over
        # its limit names VIDSCOPE_REQUEST_MAX_BYTES).
        setting = "VIDSCOPE_RATE_LIMIT" if rate is self.requests else "VIDSCOPE_LOGIN_RATE_LIMIT"
        for key in keys:
            if not self.limiter.hit(rate, "vidscope", key):
                reset = self.limiter.get_window_stats(rate, "vidscope", key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise RateLimited(
                    f"too many {what} (limit {rate}, {setting}); try again in {wait} s",
                    retry_after=wait,
                    limit=str(rate),
                )

    def before_password_check(self, *, username: str, address: str) -> None:
        """Counts a sign-in attempt before its password is checked; raises ``rate.limited``
        when the address has used its login rate, or when the username's budget of *failed*
        attempts is spent and this address has already had its one try at it this window.

        Why this shape: a per-username limit counted on every attempt let anyone lock any
        named user out (eleven wrong passwords from one address, and the right one from
        another answered 429). Counting only failures, and refusing once they are spent
        *unless the password is right*, would check every guess: a guesser with many
        addresses would lose nothing. So a spent budget leaves each address one password
        check of that username per window: the owner, from an address that has not been
        guessing, still signs in; a guesser gets one guess per address per window instead
        of the address's whole login rate. Every refusal is decided here, before and without
        the password, from counters alone (the time it takes says nothing about the
        password: a refusal checks nothing, a check costs one argon2 verification, unknown
        usernames included), so the answers tell no more than a plain wrong-password
        answer. The owner sharing an address with the guesser waits for the window."""
        self.hit(self.logins, f"login-ip:{address}", what="login attempts from this address")
        if not self.limiter.test(self.logins, "vidscope", f"login-failed:{username}"):
            self.hit(
                self.login_per_address,
                f"login-failed:{username}:{address}",
                what="failed sign-ins for this account",
            )

    def password_ok(self, *, username: str, address: str) -> None:
        """A right password gives the address its try back: the owner signing in again (the
        page, then the CLI; two devices behind one address) is not held to the window that
        a guesser's failures started. A guesser without the password never gets it back."""
        self.limiter.clear(self.login_per_address, "vidscope", f"login-failed:{username}:{address}")

    def password_failed(self, *, username: str) -> None:
        """Counts a wrong password (or unknown username) against the username's budget."""
        self.limiter.hit(self.logins, "vidscope", f"login-failed:{username}")

    def healthy(self) -> bool:
        return bool(self.storage.check())
