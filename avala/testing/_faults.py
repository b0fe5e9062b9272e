"""Fault injection: make the test server misbehave on purpose.

Faults are queued on :attr:`ServerState.faults <avala.testing.ServerState.faults>` and consumed
in FIFO order by the requests they match, each one once. They are applied after the request is
recorded and before authentication, so they also hit unauthenticated requests.
"""

from __future__ import annotations

import json as _json
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from ._storage import STORAGE_PREFIX, is_storage_path, s3_error_body

API_PREFIX = "/api/v1"

FaultKind = Literal[
    "status",
    "reset",
    "delay",
    "truncated",
    "non_json",
    "redirect",
    "reset_mid_body",
    "expired_grant",
    "cut_response",
    "corrupt_byte",
]

RESPONSE_FAULTS = frozenset({"cut_response", "corrupt_byte"})
"""Kinds the handler applies while it streams a download (the request is served)."""


def _normalize_path(path: str | None) -> str | None:
    if path is None:
        return None
    if not path.startswith("/"):
        path = "/" + path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/") or is_storage_path(path):
        return path
    return API_PREFIX + path


def _default_detail(code: int) -> str:
    if code == 429:
        return "Request was throttled. Expected available in 1 second."
    if code == 503:
        return "Service temporarily unavailable, try again later."
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"HTTP {code}"


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. Build it with a constructor, e.g. ``Fault.status(503)``.

    Every constructor takes the same matching keywords:

    * ``path``: only requests whose path starts with this match. It is relative to
      ``/api/v1`` (``"/exports/"``) or absolute (``"/api/v1/exports/"``); a path starting
      with ``/_storage`` is the storage emulator's, taken as is (``"/_storage/"`` matches
      every storage request); ``None`` matches any.
    * ``exact``: match ``path`` exactly instead of as a prefix.
    * ``method``: only this HTTP method matches (case-insensitive); ``None`` matches any.
    * ``contains``: only requests whose path and (decoded) query string, ``path?query``,
      contain this text match: a file name (``"/b.bin"``) or one multipart part
      (``"partNumber=3&"``); ``None`` matches any.

    Attributes:
        kind: What the fault does.
        status_code: Status of the response (``status``, ``non_json``, ``redirect``).
        headers: Extra response headers, as ``(name, value)`` pairs.
        body: Response body bytes.
        seconds: Sleep before serving normally (``delay``).
        after_bytes: Request body bytes read before the connection is dropped
            (``reset_mid_body``), response body bytes sent before it is dropped
            (``cut_response``), or the offset of the flipped byte (``corrupt_byte``).
        path: Normalized path to match (absolute: under ``/api/v1`` or ``/_storage``), or
            ``None``.
        method: Upper-case method to match, or ``None``.
        exact: Whether ``path`` must match exactly.
        contains: Text ``path?query`` must contain, or ``None``.
    """

    kind: FaultKind
    status_code: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    seconds: float = 0.0
    path: str | None = None
    method: str | None = None
    exact: bool = False
    after_bytes: int = 0
    contains: str | None = None

    def matches(self, method: str, path: str, query: str = "") -> bool:
        """Return whether a request with this method, absolute path and (decoded) query string
        triggers the fault."""
        if self.method is not None and self.method != method.upper():
            return False
        if self.contains is not None and self.contains not in f"{path}?{query}":
            return False
        if self.path is None:
            return True
        return path == self.path if self.exact else path.startswith(self.path)

    @classmethod
    def _make(
        cls,
        kind: FaultKind,
        *,
        path: str | None,
        method: str | None,
        exact: bool,
        contains: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        seconds: float = 0.0,
        after_bytes: int = 0,
    ) -> Fault:
        if not 100 <= status_code <= 599:
            raise ValueError(f"invalid HTTP status code: {status_code}")
        return cls(
            kind=kind,
            status_code=status_code,
            headers=tuple((headers or {}).items()),
            body=body,
            seconds=seconds,
            path=_normalize_path(path),
            method=None if method is None else method.upper(),
            exact=exact,
            after_bytes=after_bytes,
            contains=contains,
        )

    @classmethod
    def status(
        cls,
        code: int,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: str | bytes | None = None,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Answer with ``code`` instead of running the real handler.

        Args:
            code: HTTP status code.
            headers: Extra response headers (e.g. ``{"Retry-After": "2"}``).
            json: JSON body. If neither ``json`` nor ``body`` is given the body is
                ``{"detail": "<reason>"}`` (none for 204 and 304). ``None`` means "not
                given"; for a literal ``null`` pass ``body="null"`` and a JSON content type.
            body: Raw body; sent as ``text/plain`` unless ``headers`` sets ``Content-Type``.
            path: See the class docstring.
            method: See the class docstring.
            exact: See the class docstring.
            contains: See the class docstring.

        Returns:
            The fault.
        """
        merged = dict(headers or {})
        has_type = any(name.lower() == "content-type" for name in merged)
        if body is not None:
            raw = body.encode() if isinstance(body, str) else body
            if not has_type:
                merged["Content-Type"] = "text/plain; charset=utf-8"
        elif code in (204, 304) and json is None:
            raw = b""
        else:
            payload = {"detail": _default_detail(code)} if json is None else json
            raw = _json.dumps(payload).encode()
            if not has_type:
                merged["Content-Type"] = "application/json"
        return cls._make(
            "status",
            status_code=code,
            headers=merged,
            body=raw,
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def reset(
        cls,
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Drop the connection (TCP reset) without sending any response."""
        return cls._make("reset", path=path, method=method, exact=exact, contains=contains)

    @classmethod
    def reset_mid_body(
        cls,
        after_bytes: int,
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Read ``after_bytes`` bytes of the request body, then drop the connection (TCP reset)
        without answering; nothing is stored.

        Meant for storage uploads (``path="/_storage/"``), whose bodies stream: the client is
        cut off mid-upload. An API request's body is already read whole for the request log,
        so there the connection drops once the body is in.

        Args:
            after_bytes: How many body bytes to read first (0 drops it before any).
            path: See the class docstring.
            method: See the class docstring.
            exact: See the class docstring.
            contains: See the class docstring.

        Returns:
            The fault.

        Raises:
            ValueError: If ``after_bytes`` is negative.
        """
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls._make(
            "reset_mid_body",
            after_bytes=after_bytes,
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def cut_response(
        cls,
        after_bytes: int,
        *,
        path: str | None = STORAGE_PREFIX + "/",
        method: str | None = "GET",
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Serve a download (a storage object or an export file), but drop the connection
        after ``after_bytes`` bytes of the response body: the client sees a reset mid-body
        and can resume with ``Range``.

        Args:
            after_bytes: Body bytes sent before the connection drops.
            path: See the class docstring; by default any storage request matches.
            method: See the class docstring; ``GET`` by default.
            exact: See the class docstring.
            contains: See the class docstring.

        Returns:
            The fault.

        Raises:
            ValueError: If ``after_bytes`` is negative.
        """
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls._make(
            "cut_response",
            after_bytes=after_bytes,
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def corrupt_byte(
        cls,
        offset: int = 0,
        *,
        path: str | None = STORAGE_PREFIX + "/",
        method: str | None = "GET",
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Serve a download with the byte at ``offset`` (of the whole object) flipped, every
        header unchanged: what a client that checks no checksum would store silently.

        Args:
            offset: Position of the byte to flip, from the start of the object.
            path: See the class docstring; by default any storage request matches.
            method: See the class docstring; ``GET`` by default.
            exact: See the class docstring.
            contains: See the class docstring.

        Returns:
            The fault.

        Raises:
            ValueError: If ``offset`` is negative.
        """
        if offset < 0:
            raise ValueError("offset must be >= 0")
        return cls._make(
            "corrupt_byte",
            after_bytes=offset,
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def expired_grant(
        cls,
        *,
        path: str | None = STORAGE_PREFIX + "/",
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Answer as S3 does a presigned URL used after its expiry: 403 with the XML body
        ``<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>``
        (``Content-Type: application/xml``); nothing is stored.

        Args:
            path: See the class docstring; by default any storage request matches.
            method: See the class docstring.
            exact: See the class docstring.
            contains: See the class docstring.

        Returns:
            The fault.
        """
        return cls._make(
            "expired_grant",
            status_code=403,
            headers={"Content-Type": "application/xml"},
            body=s3_error_body("AccessDenied", "Request has expired"),
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def delay(
        cls,
        seconds: float,
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Sleep ``seconds``, then serve the request normally (to push past a client timeout).

        A server that shuts down wakes the sleep and drops the connection.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls._make(
            "delay",
            seconds=seconds,
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def truncated(
        cls,
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Send a 200 whose ``Content-Length`` promises more bytes than are sent, then close."""
        return cls._make(
            "truncated",
            headers={"Content-Type": "application/json"},
            body=b'{"next":null,"previous":null,"results":[{"uid":"',
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def non_json(
        cls,
        status: int = 200,
        body: str = "<html>oops</html>",
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Answer with ``status`` and a ``text/html`` body (e.g. a proxy's error page)."""
        return cls._make(
            "non_json",
            status_code=status,
            headers={"Content-Type": "text/html; charset=utf-8"},
            body=body.encode(),
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )

    @classmethod
    def redirect(
        cls,
        location: str,
        status: int = 302,
        *,
        path: str | None = None,
        method: str | None = None,
        exact: bool = False,
        contains: str | None = None,
    ) -> Fault:
        """Answer with a redirect to ``location`` (absolute URL or path)."""
        if not 300 <= status <= 399:
            raise ValueError(f"not a redirect status: {status}")
        return cls._make(
            "redirect",
            status_code=status,
            headers={"Location": location, "Content-Type": "application/json"},
            body=_json.dumps({"detail": _default_detail(status)}).encode(),
            path=path,
            method=method,
            exact=exact,
            contains=contains,
        )


_RANDOM_503 = Fault.status(503, headers={"Retry-After": "0"})
_RANDOM_RESET = Fault.reset()


class FaultQueue:
    """The faults a server will inject: a FIFO queue plus optional random faults.

    Thread-safe: tests may push faults from another thread than the server's.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._rng: random.Random | None = None
        self._p_503 = 0.0
        self._p_reset = 0.0

    def push(self, *faults: Fault) -> None:
        """Queue faults; each is used once, by the first request it matches."""
        with self._lock:
            self._queue.extend(faults)

    def clear(self) -> None:
        """Drop every queued fault and switch random faults off."""
        with self._lock:
            self._queue.clear()
            self._rng = None
            self._p_503 = self._p_reset = 0.0

    def set_random(
        self, status_503: float = 0.0, reset: float = 0.0, seed: int | None = None
    ) -> None:
        """Fail a random share of requests (after the queue had no matching fault).

        Args:
            status_503: Probability of a 503 carrying ``Retry-After: 0``.
            reset: Probability of a dropped connection.
            seed: Seed for the random draws; with a fixed seed the same sequence of requests
                gets the same faults. Both probabilities 0 switches random faults off.

        Raises:
            ValueError: If a probability is outside [0, 1] or their sum exceeds 1.
        """
        if not (0.0 <= status_503 <= 1.0 and 0.0 <= reset <= 1.0) or status_503 + reset > 1.0:
            raise ValueError("probabilities must be in [0, 1] and sum to at most 1")
        with self._lock:
            self._p_503 = status_503
            self._p_reset = reset
            self._rng = random.Random(seed) if status_503 or reset else None

    @property
    def pending(self) -> list[Fault]:
        """The queued faults not used yet, in order."""
        with self._lock:
            return list(self._queue)

    def take(self, method: str, path: str, query: str = "") -> Fault | None:
        """Remove and return the fault for this request, if any (used by the server)."""
        if not self._queue and self._rng is None:
            return None
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.matches(method, path, query):
                    del self._queue[index]
                    return fault
            if self._rng is None:
                return None
            draw = self._rng.random()
            if draw < self._p_503:
                return _RANDOM_503
            if draw < self._p_503 + self._p_reset:
                return _RANDOM_RESET
            return None
