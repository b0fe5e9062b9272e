"""The test server's rate limit, as the Avala API enforces one: requests per minute in fixed
windows (reported in ``X-RateLimit-*``) and a burst limit per second; a request over either
gets 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

#: What the server allows per minute when no limit is given: reported, but never reached by
#: a test suite or a benchmark, so clients that follow the headers never wait.
DEFAULT_PER_MINUTE = 1_000_000
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimit:
    """A rate limit for :class:`~avala.testing.ServerState` (or ``serve(rate_limit=...)``,
    ``python -m avala.testing --rate-limit``).

    The API's documented defaults are ``RateLimit(per_minute=100, per_second=20)``.

    Attributes:
        per_minute: Requests per fixed 60-second window; the window is what the
            ``X-RateLimit-Limit/Remaining/Reset`` headers describe. None: no window.
        per_second: Sustained requests per second of the burst limit (a token bucket);
            None: no burst limit.
        burst: Requests the burst limit lets through at once (the bucket's size); defaults
            to ``per_second`` rounded up. Without a window the headers describe the bucket.
    """

    per_minute: int | None = DEFAULT_PER_MINUTE
    per_second: float | None = None
    burst: int | None = None

    def __post_init__(self) -> None:
        for name in ("per_minute", "burst"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"RateLimit.{name} must be an int or None")
            if value is not None and value < 1:
                raise ValueError(f"RateLimit.{name} must be >= 1")
        if self.per_second is not None and not (
            math.isfinite(self.per_second) and self.per_second > 0
        ):
            raise ValueError("RateLimit.per_second must be a finite number > 0")
        if self.burst is not None and self.per_second is None:
            raise ValueError("RateLimit.burst needs per_second")


class RateLimiter:
    """Counts requests against a :class:`RateLimit` (thread-safe)."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._window_end = 0.0
        self._count = 0
        rate = limit.per_second
        self._capacity = float(limit.burst or (math.ceil(rate) if rate else 0))
        self._tokens = self._capacity
        self._refilled = time.monotonic()
        self.refused = 0

    def check(self) -> tuple[bool, dict[str, str], float]:
        """Count one request. Returns whether it may go on, the ``X-RateLimit-*`` headers,
        and when refused the seconds until a request would be accepted."""
        limit = self.limit
        with self._lock:
            now, mono = time.time(), time.monotonic()
            wait = 0.0
            if limit.per_minute is not None:
                if now >= self._window_end:
                    self._window_end = now - now % WINDOW_SECONDS + WINDOW_SECONDS
                    self._count = 0
                if self._count >= limit.per_minute:
                    wait = self._window_end - now
            rate = limit.per_second
            if rate is not None:
                self._tokens = min(self._capacity, self._tokens + (mono - self._refilled) * rate)
                self._refilled = mono
                if self._tokens < 1:
                    wait = max(wait, (1 - self._tokens) / rate)
            allowed = wait <= 0
            if allowed:
                self._count += 1
                if rate is not None:
                    self._tokens -= 1
            else:
                self.refused += 1
            return allowed, self._headers(now, mono), wait

    def _headers(self, now: float, mono: float) -> dict[str, str]:
        limit = self.limit
        if limit.per_minute is not None:
            remaining = max(0, limit.per_minute - self._count)
            return {
                "X-RateLimit-Limit": str(limit.per_minute),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(self._window_end)),
            }
        rate = limit.per_second or 1.0
        tokens = max(0.0, self._tokens)
        next_token = 0.0 if tokens >= 1 else (1 - tokens) / rate
        return {
            "X-RateLimit-Limit": str(int(self._capacity)),
            "X-RateLimit-Remaining": str(math.floor(tokens)),
            # rounded up to the millisecond: a reset a client can act on, never one that
            # comes before the token does (rounded down, a paced client arrives early)
            "X-RateLimit-Reset": f"{math.ceil((now + next_token) * 1000) / 1000:.3f}",
        }


def throttled_headers(wait: float) -> dict[str, str]:
    """``Retry-After`` (whole seconds, rounded up, as HTTP wants) and the exact
    ``retry-after-ms``."""
    return {
        "Retry-After": str(max(1, math.ceil(wait))),
        "retry-after-ms": str(math.ceil(wait * 1000)),
    }
