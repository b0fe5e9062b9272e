"""The request pipeline: the only module that touches aiohttp.

One ``aiohttp.ClientSession`` per client, created lazily on the running loop. Each call goes
through :meth:`Transport.request`: URL and headers (prepared once per client), the retry loop
(backoff with jitter, ``Retry-After``, ``x-should-retry``), timeouts, redirect refusal,
status-to-exception mapping and 401 key rotation.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import json
import logging
import math
import os
import platform
import random
import time
import uuid
import weakref
from collections.abc import Callable, Coroutine, Mapping
from datetime import timezone
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

import aiohttp
import attrs
from yarl import URL

from . import _tracing
from ._config import Timeout, check_max_retries
from ._deadlines import Deadlines
from ._pacing import Pacer, Pacing
from ._version import __version__
from .credentials import Credential, CredentialChain
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    AvalaError,
    ClientClosedError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PoolTimeoutError,
    QuotaExceededError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    ServerError,
    ValidationError,
)

_fast_loads: Callable[[bytes], Any] | None
try:  # a core dependency on CPython (about 1.6x the stdlib on API pages); PyPy has no wheel
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - the stdlib then decodes everything
    _fast_loads = None

log = logging.getLogger("avala")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 409, 429})
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
DEFAULT_MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
_READ_CHUNK = 256 * 1024
#: Storage transfers: a connection within 30 s, and no 5 minutes without a byte read (each
#: set field costs a timer per request; a total would cap how large a file can be).
STORAGE_TIMEOUT = aiohttp.ClientTimeout(sock_connect=30, sock_read=300)
USER_AGENT = (
    f"avala-python/{__version__} aiohttp/{aiohttp.__version__} "
    f"{platform.python_implementation()}/{platform.python_version()}"
)
_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


class _Secret(str):
    """A str whose repr hides it, so a header dict never prints the key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"

    def encoded(self) -> _SecretBytes:
        return _SecretBytes(self.encode())


class _SecretBytes(bytes):
    """The key as bytes, with the same hidden repr (it appears in tracebacks' locals)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'<redacted>'"


@attrs.frozen
class RequestOptions:
    """Per-client (or per ``with_options``) settings the pipeline applies to each call."""

    timeout: Timeout
    max_retries: int = attrs.field(validator=lambda _i, _a, v: check_max_retries(v))
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    client_timeout: aiohttp.ClientTimeout = attrs.field(init=False)

    @client_timeout.default
    def _client_timeout(self) -> aiohttp.ClientTimeout:
        t = self.timeout
        # Each field set costs aiohttp a timer per request, so ``total`` is not one of them:
        # the transport bounds every attempt itself (see _deadlines). ``sock_connect`` is
        # armed only while a new connection is made; ``sock_read`` only when asked for.
        # ``connect`` stays unset: it would count the wait for a pooled connection, which
        # the transport bounds itself (Timeout.pool) and reports as such.
        return aiohttp.ClientTimeout(
            total=None,
            sock_connect=t.connect or t.total,
            sock_read=t.read if t.read is not None and t.read < t.total else None,
        )


@attrs.frozen
class RateLimitInfo:
    """``X-RateLimit-*`` headers of the latest response (raw strings, or None), and where
    the client's pacing stands.

    Attributes:
        limit: ``X-RateLimit-Limit``.
        remaining: ``X-RateLimit-Remaining``.
        reset: ``X-RateLimit-Reset`` (a Unix timestamp).
        budget: Requests the client may still send before the reset, as it counts them
            (the server's last ``remaining`` less requests sent since); None if unknown.
        resumes_in: Seconds until paced requests may go again (after a 429 or a spent
            budget); None when they may go now.
    """

    limit: str | None = None
    remaining: str | None = None
    reset: str | None = None
    budget: int | None = None
    resumes_in: float | None = None


class Response(NamedTuple):
    """A decoded 2xx response and what it took to get it."""

    data: Any
    status: int
    request_id: str | None
    retries_taken: int


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait (``retry-after-ms``, then ``Retry-After`` in
    seconds or as an HTTP-date), or None when absent, unparsable or negative. A date in the
    past means "now" (0)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            ms = float(raw_ms)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = time.time() if now is None else now
        seconds = when.timestamp() - current
        return max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def backoff_delay(retries_so_far: int, rand: float | None = None) -> float:
    """Exponential backoff: 0.5 s doubling, capped at 8 s, minus up to 25% jitter."""
    base = min(INITIAL_BACKOFF * 2.0 ** min(retries_so_far, 16), MAX_BACKOFF)
    return base * (1.0 - 0.25 * (random.random() if rand is None else rand))


def should_retry_status(method: str, status: int, headers: Mapping[str, str]) -> bool:
    """Whether a response with this status may be retried.

    ``x-should-retry: true/false`` from the server wins. Otherwise 408, 409, 429 and 5xx are
    retried for idempotent methods; POST and PATCH only where the server cannot have acted
    on the request (429, or 503 with ``Retry-After`` or ``retry-after-ms``).
    """
    hint = headers.get("x-should-retry")
    if hint is not None:
        if hint.strip().lower() == "true":
            return True
        if hint.strip().lower() == "false":
            return False
    if status not in RETRYABLE_STATUSES and status < 500:
        return False
    if method in IDEMPOTENT_METHODS:
        return True
    return status == 429 or (
        status == 503 and ("retry-after" in headers or "retry-after-ms" in headers)
    )


def _clean(text: str) -> str:
    """Server-controlled text made safe for a message: control characters escaped, so a
    reason phrase or ``Location`` cannot forge log lines or hide in a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _summarise_fields(errors: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())


def _as_messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) if not isinstance(v, (dict, list)) else json.dumps(v) for v in value]
    if isinstance(value, dict):
        return [json.dumps(value)]
    return [str(value)]


def _field_errors(value: Any) -> dict[str, list[str]]:
    if isinstance(value, dict):
        return {str(k): _as_messages(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # DRF's errors for a list body: one object per element, {} for the valid ones
        return {
            f"[{index}].{field}": _as_messages(messages)
            for index, element in enumerate(value)
            for field, messages in element.items()
        }
    if isinstance(value, list):
        return {"non_field_errors": _as_messages(value)}
    return {}


def make_status_error(
    status: int,
    reason: str,
    headers: Mapping[str, str],
    raw: bytes,
    secret: str | None,
    retries_taken: int,
    where: str = "",
) -> APIStatusError:
    """Map a non-2xx response to the exception for its status, parsing every documented
    error body shape; the API key is scrubbed from whatever the server echoed."""
    text = _scrub(raw.decode("utf-8", "replace"), secret) if raw else ""
    body: Any = None
    parsed_ok = False
    if text:
        try:
            body = json.loads(text)
            parsed_ok = True
        except (ValueError, RecursionError):  # too deeply nested: kept as text
            body = text
    message: str | None = None
    code: str | None = None
    doc_url: str | None = None
    fields: dict[str, list[str]] = {}
    if isinstance(body, dict):
        detail = body.get("detail")
        error = body.get("error")
        if isinstance(detail, str):
            message = detail
        elif detail:
            fields = _field_errors(detail)
        elif isinstance(error, dict):
            if isinstance(error.get("message"), str):
                message = error["message"]
            if isinstance(error.get("code"), str):
                code = error["code"]
            if error.get("details"):
                fields = _field_errors(error["details"])
        else:
            fields = _field_errors({k: v for k, v in body.items() if v is not None})
        if isinstance(body.get("code"), str):
            code = body["code"]
        if isinstance(body.get("doc_url"), str):
            doc_url = body["doc_url"]
    elif isinstance(body, list):
        fields = _field_errors(body)
    if message is None:
        if fields:
            message = (
                f"Invalid request: {_summarise_fields(fields)}"
                if status in (400, 422)
                else f"HTTP {status}: {_summarise_fields(fields)}"
            )
        elif text and not parsed_ok:
            ctype = headers.get("content-type", "unknown content type").split(";")[0]
            message = f"HTTP {status} {reason} (the server sent a non-JSON {ctype} body)"
        else:
            message = f"HTTP {status} {reason}".rstrip()
    message = _clean(message)
    common: dict[str, Any] = {
        "status_code": status,
        "body": body,
        "retries_taken": retries_taken,
        "request_id": headers.get("x-request-id"),
        "code": code,
        "doc_url": doc_url,
        "headers": {name: _scrub(value, secret) for name, value in headers.items()},
    }
    if 300 <= status < 400:
        location = headers.get("location")
        return RedirectError(
            f"Unexpected redirect (HTTP {status}) to "
            f"{_clean(location) if location else 'an unspecified location'}. "
            "The SDK never follows redirects, so the API key is never sent to another URL; "
            "check base_url.",
            location=location,
            **common,
        )
    cls = _STATUS_ERRORS.get(status)
    if cls is ValidationError:
        return ValidationError(message, errors=fields, **common)
    if status == 413 and isinstance(body, dict):
        limit, used = body.get("limit"), body.get("used")
        if _is_int(limit) or _is_int(used):
            return QuotaExceededError(
                message,
                limit=limit if _is_int(limit) else None,
                used=used if _is_int(used) else None,
                **common,
            )
    if status == 404 and text and not parsed_ok:
        return NotFoundError(
            f"HTTP 404: {where or 'the request'} is not an endpoint of this API (the server "
            'answered with a page, not the API\'s JSON {"detail": ...}). Check base_url (it '
            "ends in /api/v1).",
            **common,
        )
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=parse_retry_after(headers), **common)
    if cls is not None:
        return cls(message, **common)
    if status >= 500:
        return ServerError(message, **common)
    return APIStatusError(message, **common)


#: asyncio's TimeoutError is the builtin one from Python 3.11; on 3.10 they differ.
_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)


def _connection_error(exc: BaseException, method: str, path: str) -> tuple[AvalaError, bool]:
    """Wrap a transport failure; the flag says whether the request surely never left."""
    where = f"{method} {path}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(f"Timed out connecting for {where}."), True
    if isinstance(exc, _TIMEOUTS):
        return APITimeoutError(f"Timed out waiting for the response to {where}."), False
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(f"Could not connect for {where}: {exc.os_error}."), True
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError(f"The response to {where} was cut short."), False
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(f"The server closed the connection during {where}."), False
    if isinstance(exc, aiohttp.ClientResponseError):  # aiohttp's parser: "400, message=..."
        problem = _clean(str(exc.message).strip().splitlines()[0] if exc.message else "")
        return APIConnectionError(
            f"The server's answer to {where} is not valid HTTP ({problem or 'unreadable'}): a "
            "server or proxy fault, not an answer from the API."
        ), False
    return APIConnectionError(f"Connection failed during {where}: {_clean(str(exc))}."), False


_NOT_RETRYABLE_CONNECT = (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)


# Sessions inherited from the parent by a forked child: kept, never used nor closed (closing
# would shut down sockets the parent still uses), so no finalizer touches them.
_inherited: list[object] = []
_transports: weakref.WeakSet[Transport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_transports):
        transport._drop_inherited_session()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Slots:
    """The ``connection_limit`` slots of a client's pool: a free one is taken with no
    coroutine (the common case, once per request); otherwise requests queue in order and a
    released slot passes straight to the first still waiting. Used on one event loop."""

    __slots__ = ("_waiters", "free")

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody queues for it."""
        waiters = self._waiters
        while waiters and waiters[0].done():  # gave up waiting (timed out, cancelled)
            waiters.popleft()
        if self.free > 0 and not waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        """Queue for a slot (after :meth:`try_take` found none)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self.give()  # handed a slot just as the wait ended: pass it on
            raise

    def give(self) -> None:
        """Release a slot: to the first request still queueing, else back to the pool."""
        waiters = self._waiters
        while waiters:
            future = waiters.popleft()
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


class Transport:
    """Owns the session, the credential and the request pipeline of one client."""

    def __init__(
        self,
        base_url: str,
        chain: CredentialChain | None,
        credential: Credential | None,
        options: RequestOptions,
        *,
        connection_limit: int = 100,
        pacing: Pacing | None = None,
    ) -> None:
        self.base_url = base_url
        # The client's own options become the session defaults, so a plain call passes no
        # per-request headers or timeout (aiohttp then merges nothing).
        self._default_options = options
        self._chain = chain
        self._credential = credential
        self._connection_limit = connection_limit
        self._session: aiohttp.ClientSession | None = None
        self._storage: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._closing: asyncio.Future[None] | None = None  # done once close() starts
        self._rotation_lock: asyncio.Lock | None = None
        self._rate_headers: Mapping[str, str] | None = None
        self._pacer = Pacer(pacing) if pacing is not None else None
        self._pool: _Slots | None = None  # connection_limit slots, made on the loop
        self._deadlines = Deadlines()  # the time limits of this transport's attempts
        self._set_headers(credential)
        _transports.add(self)

    def _drop_inherited_session(self) -> None:
        """In a forked child: forget the parent's session; the next request opens ours."""
        for session in (self._session, self._storage):
            if session is not None:
                _inherited.append(session)
        self._session = self._storage = self._loop = self._rotation_lock = None
        self._closing = self._pool = None
        self._deadlines = Deadlines()  # its timers were the parent's loop's
        if self._pacer is not None:  # its lock and futures belong to the parent's loop
            self._pacer = Pacer(self._pacer.pacing)

    def __repr__(self) -> str:
        provider = None if self._credential is None else self._credential.provider
        return f"Transport(base_url={self.base_url!r}, credential={provider!r})"

    @property
    def credential(self) -> Credential:
        if self._credential is None:
            raise AvalaError("This transport is anonymous: it sends no API key.")
        return self._credential

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def rate_limit(self) -> RateLimitInfo:
        headers = self._rate_headers or {}
        budget, resumes_in = (None, None) if self._pacer is None else self._pacer.snapshot()
        return RateLimitInfo(
            headers.get("x-ratelimit-limit"),
            headers.get("x-ratelimit-remaining"),
            headers.get("x-ratelimit-reset"),
            budget,
            resumes_in,
        )

    @property
    def has_open_session(self) -> bool:
        return self._session is not None and not self._session.closed

    def with_credential(self, credential: Credential) -> Transport:
        """A view of this transport that sends ``credential``'s key instead of this one's.

        It uses this transport's session and connection pool (opening none of its own) and
        is closed with it; closing the view leaves them open. The key goes only on the
        view's own requests, as a per-request header: the session's defaults never change.
        """
        return _SharedTransport(self, credential)

    def _set_headers(self, credential: Credential | None) -> None:
        """Headers for ``credential``; None (``signup``) sends no key at all."""
        self._credential = credential
        self._secret = None if credential is None else _Secret(credential.api_key)
        self._secret_bytes = None if self._secret is None else self._secret.encoded()
        self._headers: dict[str, str] = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self._secret is not None:
            self._headers["X-Avala-Api-Key"] = self._secret
            if self._session is not None:
                self._session.headers["X-Avala-Api-Key"] = self._secret

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None:
            if self._loop is not loop:
                raise AvalaError(
                    "This AsyncClient was first used on another event loop; an aiohttp "
                    "session is bound to one loop. Create one AsyncClient per event loop."
                )
            return session
        if self._closed:
            raise _closed_error()
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connection_limit),
            headers=self._headers,
            timeout=self._default_options.client_timeout,
            raise_for_status=False,
        )
        # aiohttp silently re-sends an idempotent request once when a pooled connection
        # turns out stale. We own retries, so every attempt is ours and is counted.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        self._session, self._loop = session, loop
        self._pool = _Slots(self._connection_limit)
        return session

    def storage_session(self) -> aiohttp.ClientSession:
        """The session for storage hosts (presigned URLs): no API key or other default
        headers, no decompression, its own connection pool; created on first use on the
        loop of the API session and closed with it."""
        storage = self._storage
        if storage is not None:
            return storage
        self._get_session()  # same loop and closed checks as the API's
        storage = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connection_limit),
            headers={"User-Agent": USER_AGENT},
            timeout=STORAGE_TIMEOUT,
            auto_decompress=False,
            raise_for_status=False,
        )
        if hasattr(storage, "_retry_connection"):  # every attempt is ours (see above)
            storage._retry_connection = False
        self._storage = storage
        return storage

    async def close(self) -> None:
        self._closed = True
        storage, self._storage = self._storage, None
        if storage is not None and not storage.closed:
            if self._loop is asyncio.get_running_loop():
                await storage.close()
            elif self._loop is not None and self._loop.is_running():
                await asyncio.wrap_future(
                    asyncio.run_coroutine_threadsafe(storage.close(), self._loop)
                )
        session = self._session
        if session is None or session.closed:
            self._session = None
            return
        home, here = self._loop, asyncio.get_running_loop()
        if home is not None and home is not here:
            # aiohttp sessions belong to one loop: close it there, or say why we cannot
            # (keeping it, so close() on its own loop still can).
            if home.is_closed() or not home.is_running():
                raise ClientClosedError(
                    "This AsyncClient's connections belong to an event loop that has "
                    "stopped, so they cannot be closed from this one; close the client on "
                    "the loop that used it (e.g. inside the same asyncio.run())."
                )
            self._session = None

            async def close_there() -> None:
                self._wake_sleepers()
                await session.close()

            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(close_there(), home))
            return
        self._session = None
        self._wake_sleepers()
        await session.close()
        # Let the transports' connection_lost callbacks run before the loop may end.
        await asyncio.sleep(0)

    def _wake_sleepers(self) -> None:
        """Cut short every retry backoff in progress (they then raise "client closed")."""
        closing = self._closing
        if closing is not None and not closing.done():
            closing.set_result(None)

    async def _pause(self, delay: float) -> None:
        """Back off ``delay`` seconds before a retry; :meth:`close` ends it early."""
        loop = asyncio.get_running_loop()
        closing = self._closing
        if closing is None or closing.get_loop() is not loop:
            closing = self._closing = loop.create_future()
        sleeper = asyncio.ensure_future(asyncio.sleep(delay))
        try:
            await asyncio.wait((sleeper, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()

    async def _rotate_credential(self, rejected: Credential | None) -> bool:
        """After a 401, ask the chain again; True if it now yields a different key."""
        chain = self._chain
        if chain is None or rejected is None:
            return False
        if self._rotation_lock is None:
            self._rotation_lock = asyncio.Lock()
        async with self._rotation_lock:
            if self._credential is not rejected:
                return True  # another request already rotated it
            try:
                fresh = await asyncio.get_running_loop().run_in_executor(None, chain.refresh)
            except AvalaError:
                return False
            if fresh.api_key == rejected.api_key:
                return False
            log.info("Avala API key rejected; switched to a new key from %s", fresh.provider)
            self._set_headers(fresh)
            return True

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        extra: dict[str, str] | None,
        json_body: Any,
        timeout: aiohttp.ClientTimeout,
        options: RequestOptions,
        path: str,
        span: _tracing.Span | None = None,
    ) -> tuple[bytes, int, Mapping[str, str], str | None]:
        """One attempt: through the pacing gate and the pool, then the exchange."""
        pacer = self._pacer
        seq = 0
        if pacer is not None:
            seq = pacer.try_acquire() or 0
            if not seq:
                waited = time.monotonic()
                seq = await pacer.acquire(options.max_retry_after, self._pause)
                if span is not None:
                    span.pacing_wait += time.monotonic() - waited
        status: int | None = None
        headers: Mapping[str, str] | None = None
        pool = self._pool
        try:
            if pool is not None and not pool.try_take():
                waited = time.monotonic()
                await self._wait_for_pool(pool, options)
                if span is not None:
                    span.pool_wait += time.monotonic() - waited
            deadline = self._deadlines.enter(options.timeout.total)
            try:
                async with session.request(
                    method,
                    url,
                    headers=extra,
                    json=json_body,
                    allow_redirects=False,
                    timeout=timeout,
                ) as resp:
                    headers = resp.headers
                    length = resp.content_length
                    if (
                        length is not None
                        and length <= options.max_response_size
                        and "Content-Encoding" not in headers
                    ):
                        raw = await resp.read()  # the common case, without _read's coroutine
                    else:
                        raw = await _read(resp, options.max_response_size, method, path)
                    status = resp.status
                    return raw, status, headers, resp.reason
            except asyncio.CancelledError:
                if deadline.timed_out():
                    raise asyncio.TimeoutError from None
                raise
            finally:
                deadline.leave()
                if pool is not None:
                    pool.give()
        finally:
            if pacer is not None:
                pacer.release(seq, status, headers)

    async def _wait_for_pool(self, pool: _Slots, options: RequestOptions) -> None:
        """Queue for a connection, at most ``Timeout.pool`` (default: the total): a wait
        that is neither a connection attempt nor a retry."""
        limit = options.timeout.pool or options.timeout.total
        log.debug("all %d connections busy; queueing for one", self._connection_limit)
        try:
            await asyncio.wait_for(pool.take(), limit)
        except _TIMEOUTS:
            raise PoolTimeoutError(
                f"All {self._connection_limit} connections of this client stayed busy for "
                f"{limit:g}s, so the request was never sent (nothing was retried). Raise "
                f"connection_limit= (now {self._connection_limit}), send fewer requests at "
                "once, or raise Timeout(pool=...)."
            ) from None

    def request(
        self,
        method: str,
        path: str,
        options: RequestOptions,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        operation: str | None = None,
        template: str | None = None,
    ) -> Coroutine[Any, Any, Response]:
        """Send one logical request (with retries); await it for the decoded 2xx response.

        With OpenTelemetry configured it is one span, named ``operation``
        (``avala.<resource>.<method>``) with the route ``template``. Without, the request
        loop's own coroutine is returned (no wrapping coroutine per request).
        """
        tracer = _tracing.tracer()
        if tracer is None:
            return self._request(method, path, options, params, json_body, None)
        return self._traced(tracer, method, path, options, params, json_body, operation, template)

    async def _traced(
        self,
        tracer: Any,
        method: str,
        path: str,
        options: RequestOptions,
        params: Mapping[str, Any] | None,
        json_body: Any,
        operation: str | None,
        template: str | None,
    ) -> Response:
        name = operation or f"avala {method} {template or path}"
        with _tracing.Span(tracer, name, method, template or path) as span:
            response = await self._request(method, path, options, params, json_body, span)
            span.span.set_attribute("http.response.status_code", response.status)
            return response

    async def _request(
        self,
        method: str,
        path: str,
        options: RequestOptions,
        params: Mapping[str, Any] | None,
        json_body: Any,
        span: _tracing.Span | None,
    ) -> Response:
        session = self._get_session()
        url_text = self.base_url + path
        if params:
            url_text += "?" + urlencode(params)
        url = URL(url_text, encoded=True)
        idempotent = method in IDEMPOTENT_METHODS
        extra: dict[str, str] | None = None
        if not idempotent:
            extra = {"Idempotency-Key": f"avala-retry-{uuid.uuid4()}"}
        timeout = options.client_timeout  # the session's own when options are the client's
        debug = log.isEnabledFor(logging.DEBUG)
        retries = 0
        rotated = False
        while True:
            if self._closed:
                raise _closed_error(retries)
            credential = self._credential
            started = time.monotonic() if debug else 0.0
            delay: float | None = None
            paced = False
            if span is not None:
                span.attempts = retries + 1
            try:
                raw, status, resp_headers, reason = await self._attempt(
                    session, method, url, extra, json_body, timeout, options, path, span
                )
            except (aiohttp.ClientError, *_TIMEOUTS, RuntimeError) as exc:
                if self._closed:  # closed under us: say so, not "connection reset"
                    raise _closed_error(retries) from None
                if isinstance(exc, RuntimeError):
                    raise
                error, never_sent = _connection_error(exc, method, path)
                if debug:
                    log.debug(
                        "%s %s -> %s (attempt %d, %.1f ms)",
                        method,
                        path,
                        type(exc).__name__,
                        retries + 1,
                        (time.monotonic() - started) * 1000,
                    )
                retryable = (idempotent or never_sent) and not isinstance(
                    exc, _NOT_RETRYABLE_CONNECT
                )
                why = type(error).__name__
                if not retryable or retries >= options.max_retries:
                    error.retries_taken = retries
                    raise error from exc
                delay = backoff_delay(retries)
            else:
                request_id = resp_headers.get("x-request-id")
                if debug:
                    log.debug(
                        "%s %s -> %d (attempt %d, %.1f ms, request_id=%s)",
                        method,
                        path,
                        status,
                        retries + 1,
                        (time.monotonic() - started) * 1000,
                        request_id,
                    )
                if "x-ratelimit-limit" in resp_headers:
                    self._rate_headers = resp_headers  # read only when asked for
                if 200 <= status < 300:
                    try:
                        data = _decode(raw, status, method, path, self._secret_bytes)
                    except APIResponseValidationError as invalid:
                        invalid.retries_taken = retries
                        # raw and the headers may echo the key: out of the frame before
                        # tracebacks that capture locals can print them
                        del raw, resp_headers
                        raise
                    return Response(data, status, request_id, retries)
                if status == 401 and not rotated and await self._rotate_credential(credential):
                    rotated = True
                    continue
                why = f"HTTP {status}"
                if retries < options.max_retries and should_retry_status(
                    method, status, resp_headers
                ):
                    wait = parse_retry_after(resp_headers)
                    if wait is None:
                        delay = backoff_delay(retries)
                    elif wait <= options.max_retry_after:
                        delay = wait
                        # A paced client waits at its gate, where this 429 paused every request.
                        pacer = self._pacer
                        paced = status == 429 and pacer is not None and pacer.pacing.follow_server
                if delay is None:
                    status_error = make_status_error(
                        status,
                        reason or "",
                        resp_headers,
                        raw,
                        self._secret,
                        retries,
                        f"{method} {path}",
                    )
                    del raw, resp_headers  # may echo the key (see above)
                    raise status_error
            retries += 1
            if span is not None:
                span.retry(retries, why, delay)
            if not paced:
                await self._pause(delay)


class _KeyedSession:
    """A transport's session as a view sees it: each request carries the view's key, which
    replaces the session's default ``X-Avala-Api-Key`` for that request only."""

    __slots__ = ("_header", "session")

    def __init__(self, session: aiohttp.ClientSession, secret: _Secret) -> None:
        self.session = session
        self._header = {"X-Avala-Api-Key": secret}

    def request(
        self, method: str, url: Any, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Any:
        merged = dict(headers) if headers else {}
        merged.update(self._header)
        return self.session.request(method, url, headers=merged, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    def __repr__(self) -> str:
        return "<the shared aiohttp session, sending another API key>"


class _SharedTransport(Transport):
    """What :meth:`Transport.with_credential` returns: another key over the parent's session,
    connection pool and backoff wake-ups; its own rate-limit view and pacing (limits are the
    key's). It never opens, owns or closes a session."""

    def __init__(self, parent: Transport, credential: Credential) -> None:
        self._parent = parent
        self._view_closed = False
        self._keyed: _KeyedSession | None = None
        pacer = parent._pacer
        super().__init__(
            parent.base_url,
            None,  # no chain: a 401 is final, and the headers are never rebuilt
            credential,
            parent._default_options,
            connection_limit=parent._connection_limit,
            pacing=None if pacer is None else pacer.pacing,
        )

    @property
    def _closed(self) -> bool:
        return self._view_closed or self._parent._closed

    @_closed.setter
    def _closed(self, value: bool) -> None:
        self._view_closed = value

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + ", shared=True)"

    def with_credential(self, credential: Credential) -> Transport:
        return _SharedTransport(self._parent, credential)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._view_closed:
            raise _closed_error()
        parent = self._parent
        session = parent._get_session()
        self._pool = parent._pool  # one connection_limit for the parent and all its views
        self._deadlines = parent._deadlines
        keyed = self._keyed
        if keyed is None or keyed.session is not session:
            if self._secret is None:  # a view is made with a credential; never anonymous
                raise AvalaError("This transport view has no API key to send.")
            keyed = self._keyed = _KeyedSession(session, self._secret)
        return cast(aiohttp.ClientSession, keyed)

    def storage_session(self) -> aiohttp.ClientSession:
        if self._view_closed:
            raise _closed_error()
        return self._parent.storage_session()

    async def _pause(self, delay: float) -> None:
        await self._parent._pause(delay)  # so closing the parent cuts it short too

    async def close(self) -> None:
        self._view_closed = True  # the session and the pool are the parent's


async def _read(resp: aiohttp.ClientResponse, cap: int, method: str, path: str) -> bytes:
    """The body, at most ``cap`` bytes after decompression, checked while reading: a
    response that would exceed it (a gzip bomb included) stops at the cap and raises."""
    length = resp.content_length
    if length is not None and "Content-Encoding" not in resp.headers:
        if length > cap:
            raise _too_large(method, path, cap)
        return await resp.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        if size > cap:
            resp.close()  # drop the connection: the rest is never read
            raise _too_large(method, path, cap)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(method: str, path: str, cap: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"The response to {method} {path} is larger than max_response_size "
        f"({cap:,} bytes after decompression), so it was not read. If it is expected, pass a "
        "larger max_response_size= to the client or to with_options().",
        limit=cap,
    )


def _closed_error(retries: int = 0) -> ClientClosedError:
    return ClientClosedError(
        "The client is closed (close() was called); create a new one.", retries_taken=retries
    )


def _scrub(text: str, secret: str | None) -> str:
    """``text`` with the API key replaced by ``[redacted]``."""
    return text.replace(secret, "[redacted]") if secret else text


def _decode(raw: bytes, status: int, method: str, path: str, secret: bytes | None) -> Any:
    # A server echoing the key back never puts it in a model, a page or an error body (one
    # scan of the bytes, no copy unless it is there).
    if secret and secret in raw:
        raw = raw.replace(secret, b"[redacted]")
    if status == 204 or not raw:
        return None
    if _fast_loads is not None:
        try:
            return _fast_loads(raw)
        except ValueError:
            pass  # beyond strict JSON (NaN, a 65-bit integer, deep nesting): the stdlib decides
    try:
        return json.loads(raw.decode())  # JSON APIs speak UTF-8; skips encoding detection
    except ValueError:
        pass
    except RecursionError:
        raise APIResponseValidationError(
            f"{method} {path} returned HTTP {status} with JSON nested too deeply to decode.",
            status_code=status,
        ) from None
    body = raw[:2000].decode("utf-8", "replace")
    raise APIResponseValidationError(
        f"{method} {path} returned HTTP {status} with a body that is not JSON.",
        status_code=status,
        body=body,
    )


__all__ = [
    "RateLimitInfo",
    "RequestOptions",
    "Response",
    "Transport",
    "backoff_delay",
    "make_status_error",
    "parse_retry_after",
    "should_retry_status",
]
