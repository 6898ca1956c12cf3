"""Per-key rate limits: a token bucket per key, in each worker process.

With N workers a key can make up to N times its limit in the worst case; the limit is a
guard against a runaway client, not an accounting system.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bastion.errors import BastionError


class RateLimitedError(BastionError):
    code = "rate-limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, last time)
        self._lock = threading.Lock()

    def check(self, key_id: int, per_minute: int | None) -> None:
        """Take one token for `key_id`, or raise `RateLimitedError`."""
        if per_minute is None:
            return
        rate = per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key_id, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                wait = (1.0 - tokens) / rate
                raise RateLimitedError(
                    f"rate limit of {per_minute} requests per minute exceeded", retry_after=wait
                )
            self._buckets[key_id] = (tokens - 1.0, now)
