"""Client-side pacing: one gate per client (shared with every ``with_options`` twin) that
every request passes before it is sent, so a busy service stays inside the API's limits
instead of collecting 429s.

Following the server (on by default): every response's ``X-RateLimit-Remaining`` sets the
budget, less the requests sent after the one it answers (they are on their way and will be
counted); at 0, new requests wait until ``X-RateLimit-Reset``, then one request goes first to
learn the new budget. A 429 with ``Retry-After`` pauses the whole client for that long (not
each request on its own); waiting requests then leave in the order they came.

Fixed limits, when given: a token bucket (``requests_per_second``, ``burst``) and a cap on
requests in flight. A wait is never a retry (it does not count against ``max_retries``), and
one longer than ``max_retry_after`` raises :class:`~avala.errors.RateLimitError` at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .errors import RateLimitError

log = logging.getLogger("avala")

#: A reset time above this is a Unix timestamp, below it a number of seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000


def _positive_or_none(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"Pacing.{name} must be a number, got {type(value).__name__}.")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"Pacing.{name} must be a finite number > 0, got {value!r}.")

    return check


def _count_or_none(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"Pacing.{name} must be an int >= 1, got {value!r}.")

    return check


@attrs.frozen
class Pacing:
    """How a client paces its requests (``AsyncClient(pacing=...)``; ``None`` turns pacing
    off).

    Attributes:
        follow_server: Wait when the server says the budget is spent
            (``X-RateLimit-Remaining: 0`` until ``X-RateLimit-Reset``), and pause the whole
            client for a 429's ``Retry-After``.
        requests_per_second: A fixed rate to stay under, on top of the server's.
        burst: Requests that may go at once before ``requests_per_second`` applies
            (default: one second's worth, at least 1).
        max_in_flight: Most requests awaiting an answer at once.
    """

    follow_server: bool = True
    requests_per_second: float | None = attrs.field(
        default=None, validator=_positive_or_none("requests_per_second")
    )
    burst: int | None = attrs.field(default=None, validator=_count_or_none("burst"))
    max_in_flight: int | None = attrs.field(default=None, validator=_count_or_none("max_in_flight"))

    def __attrs_post_init__(self) -> None:
        if self.burst is not None and self.requests_per_second is None:
            raise ValueError("Pacing.burst needs requests_per_second.")


DEFAULT_PACING = Pacing()
"""Follow the server's rate limit; no fixed limits."""


class Pacer:
    """The gate of one transport. All methods run on the client's event loop."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self._follow = pacing.follow_server
        self._rate = pacing.requests_per_second
        self._capacity = float(pacing.burst or max(1, math.ceil(self._rate or 1)))
        self._tokens = self._capacity
        self._refilled = time.monotonic()
        self._limit = pacing.max_in_flight
        self._sent = 0  # requests let through so far (their sequence numbers)
        self._in_flight = 0
        self._budget: int | None = None  # requests the server still takes, as we count
        self._reset_at: float | None = None  # monotonic time the budget comes back
        self._paused_until = 0.0
        self._waiting = 0
        self._lock: asyncio.Lock | None = None
        self._changed: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ the gate

    def _refill(self, now: float) -> None:
        if self._rate is not None:
            self._tokens = min(self._capacity, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now

    def _delay(self, now: float) -> float | None:
        """Seconds until a request may go (0: now), or None: wait for an answer."""
        delay = self._paused_until - now
        if self._paused_until and delay <= 0:
            self._paused_until = 0.0  # the pause is over (try_acquire's fast path again)
        if self._budget is not None and self._budget <= 0:
            if self._reset_at is not None and self._reset_at > now:
                delay = max(delay, self._reset_at - now)
            elif self._in_flight:
                return None  # the first request after the reset is out: wait for its answer
            else:
                self._budget, self._reset_at = 1, None  # reset passed: one goes to learn
        if self._rate is not None:
            self._refill(now)
            if self._tokens < 1:
                delay = max(delay, (1 - self._tokens) / self._rate)
        if self._limit is not None and self._in_flight >= self._limit:
            return None
        return max(delay, 0.0)

    def _take(self) -> int:
        if self._budget is not None:
            self._budget -= 1
        if self._rate is not None:
            self._tokens -= 1
        self._sent += 1
        self._in_flight += 1
        return self._sent

    def try_acquire(self) -> int | None:
        """A sequence number if the request may go now without waiting, else None."""
        if self._waiting:
            return None
        budget = self._budget
        if (
            not self._paused_until
            and (budget is None or budget > 0)
            and self._rate is None
            and self._limit is None
        ):
            return self._take()  # nothing limits this client now: no clock to read
        if self._delay(time.monotonic()) != 0:
            return None
        return self._take()

    async def acquire(self, max_wait: float, pause: Callable[[float], Any]) -> int:
        """Wait (in arrival order) until the request may go; return its sequence number.

        Raises:
            RateLimitError: the wait would be longer than ``max_wait`` seconds.
        """
        self._waiting += 1
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            async with self._lock:
                served = 0.0  # the time a finished wait reached (a clock may lag behind it)
                while True:
                    now = max(time.monotonic(), served)
                    delay = self._delay(now)
                    if delay == 0:
                        return self._take()
                    if delay is None:
                        await self._next_change()
                        continue
                    if delay > max_wait:
                        raise RateLimitError(
                            f"Client-side pacing: the API's rate limit allows the next request "
                            f"in {delay:.1f}s, longer than max_retry_after ({max_wait:g}s); "
                            "nothing was sent. Retry later, or raise max_retry_after.",
                            status_code=429,
                            retry_after=delay,
                        )
                    log.debug("pacing: waiting %.3fs before the next request", delay)
                    await pause(delay)
                    served = now + delay
        finally:
            self._waiting -= 1

    async def _next_change(self) -> None:
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        await self._changed

    def _notify(self) -> None:
        changed = self._changed
        if changed is not None and not changed.done():
            changed.set_result(None)

    # ------------------------------------------------------------------ answers

    def release(self, seq: int, status: int | None, headers: Mapping[str, str] | None) -> None:
        """The request ``seq`` ended: with an answer (its status and headers) or none."""
        self._in_flight -= 1
        if headers is not None and self._follow:
            self._observe(seq, status, headers)
        self._notify()

    def _observe(self, seq: int, status: int | None, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            budget = int(remaining) - (self._sent - seq)  # less those sent after this one
            self._budget = budget
            if budget <= 0:
                self._reset_at = _reset_time(headers.get("x-ratelimit-reset"))
                if self._reset_at is None:
                    self._reset_at = time.monotonic() + 1.0
                log.debug("pacing: the server's budget is spent; waiting for its reset")
        if status == 429:
            from ._transport import parse_retry_after

            wait = parse_retry_after(headers)
            if wait is None:
                return  # no pause asked for: the request backs off on its own
            until = time.monotonic() + wait
            if until > self._paused_until:
                self._paused_until = until
                log.debug("pacing: HTTP 429, pausing every request for %.3fs", wait)
            if self._budget is None or self._budget > 0:
                self._budget, self._reset_at = 0, until

    # ------------------------------------------------------------------ reporting

    def snapshot(self) -> tuple[int | None, float | None]:
        """The budget as counted here, and seconds until requests may go again."""
        now = time.monotonic()
        waits = [self._paused_until - now]
        if self._budget is not None and self._budget <= 0 and self._reset_at is not None:
            waits.append(self._reset_at - now)
        wait = max(waits)
        return self._budget, wait if wait > 0 else None


def _reset_time(raw: str | None) -> float | None:
    """``X-RateLimit-Reset`` (a Unix timestamp, or seconds from now) as a monotonic time."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    seconds = value - time.time() if value > _EPOCH_THRESHOLD else value
    return time.monotonic() + max(seconds, 0.0)
