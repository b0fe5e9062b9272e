"""Server state: the data store, object storage, API keys, faults and the request log."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ._api import TABLES
from ._api.datasets import add_bench
from ._faults import FaultQueue
from ._ratelimit import RateLimit, RateLimiter
from ._storage import Storage
from ._store import Store

DEMO_API_KEY = "avk_demo_local_key_0123456789abcdef"
"""The API key the test server accepts by default."""

EXPIRED_API_KEY = "avk_demo_expired_key_0123456789abcd"
"""A key the test server knows as expired (401 ``API key has expired.``)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it.

    Attributes:
        method: HTTP method, e.g. ``"GET"``.
        path: Request path as sent, percent-encoding kept, without the query string,
            e.g. ``"/api/v1/datasets/demo/a%2Fb/"``.
        query: Query parameters (the first value wins for repeated names).
        headers: Request headers as sent (use :meth:`header` for a case-insensitive lookup).
        body: Raw request body (always empty for ``/_storage/`` requests: their bodies stream
            to storage unread by the log; see ``state.storage.objects`` for what was stored).
        time: ``time.monotonic()`` when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float = field(default=0.0, compare=False)

    def header(self, name: str) -> str | None:
        """Return the value of header ``name`` (case-insensitive), or ``None``."""
        value = self.headers.get(name)
        if value is not None:
            return value
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        return json.loads(self.body)


class ServerState:
    """Everything one test server knows: data, keys, faults and the requests it received.

    A state may be shared by several servers (they then serve the same data).

    Args:
        bench_items: Items in the generated ``bench/bench`` dataset; 0 omits the dataset.
        seed: Whether to load the demo seed data (owner ``demo``).
        export_polls: On which detail GET a new export reaches its final status (default 3:
            GETs show ``pending``, ``processing``, then ``exported``).
        dataset_polls: On which detail GET a dataset created by POST becomes ``created``.
        record_requests: Whether to keep the request log (switch off for benchmarks).
        max_recorded: Size bound of the request log.
        rate_limit: The rate limit enforced on API requests (not storage); by default
            1,000,000 per minute, reported in ``X-RateLimit-*`` but never reached.

    Attributes:
        store: The data (:class:`Store`).
        storage: The uploaded objects (:class:`Storage`), served under ``/_storage/``.
        faults: The fault queue (:class:`FaultQueue`).
    """

    def __init__(
        self,
        *,
        bench_items: int = 0,
        seed: bool = True,
        export_polls: int = 3,
        dataset_polls: int = 2,
        record_requests: bool = True,
        max_recorded: int = 10_000,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.store: Store = Store(
            TABLES, seed=seed, export_polls=export_polls, dataset_polls=dataset_polls
        )
        if bench_items > 0:
            add_bench(self.store, bench_items)
        self.storage: Storage = Storage()
        self.faults: FaultQueue = FaultQueue()
        self.record_requests: bool = record_requests
        self._keys: set[str] = {DEMO_API_KEY}
        self._expired: set[str] = {EXPIRED_API_KEY}
        self._log: deque[RecordedRequest] = deque(maxlen=max_recorded)
        self._log_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._id_prefix = "req_" + secrets.token_hex(4)
        self._limiter = RateLimiter(rate_limit or RateLimit())

    # ---- keys

    def add_key(self, key: str) -> None:
        """Accept ``key`` from now on (it stops being expired)."""
        self._expired.discard(key)
        self._keys.add(key)

    def revoke_key(self, key: str) -> None:
        """Stop accepting ``key``; it then gets 401 ``Invalid API key.``."""
        self._keys.discard(key)
        self._expired.discard(key)

    def expire_key(self, key: str) -> None:
        """Mark ``key`` as expired; it then gets 401 ``API key has expired.``."""
        self._keys.discard(key)
        self._expired.add(key)

    def auth_error(self, key: str | None) -> str | None:
        """Return the 401 ``detail`` for this key header value, or ``None`` if it is valid."""
        if key in self._keys:
            return None
        if not key or not key.strip():
            return "Authentication credentials were not provided."
        if key in self._expired:
            return "API key has expired."
        return "Invalid API key."

    # ---- exports

    def next_export_status_sequence(self, *statuses: str) -> None:
        """Script the next created export: GET number *n* shows ``statuses[n-1]``.

        The last status repeats. For example ``("pending", "failed")`` makes the next export
        fail on its second GET. ``download_url`` is set once the status is ``exported``.
        """
        self.store.next_export_status_sequence(*statuses)

    # ---- request log

    def record(self, request: RecordedRequest) -> None:
        """Append a request to the log (used by the server)."""
        with self._log_lock:
            self._log.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._log_lock:
            self._log.clear()

    # ---- response metadata

    def next_request_id(self) -> str:
        """Return a new unique request id (``req_<hex>``)."""
        return f"{self._id_prefix}{next(self._request_ids):010x}"

    @property
    def rate_limit(self) -> RateLimit:
        """The rate limit enforced on API requests; setting one starts counting afresh."""
        return self._limiter.limit

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit) -> None:
        self._limiter = RateLimiter(limit)

    @property
    def throttled(self) -> int:
        """How many requests the rate limit refused (429) since it was set."""
        return self._limiter.refused

    def rate_limit_check(self) -> tuple[bool, dict[str, str], float]:
        """Count one API request against the rate limit: whether it may go on, the
        ``X-RateLimit-*`` headers, and when refused the seconds to wait."""
        return self._limiter.check()
