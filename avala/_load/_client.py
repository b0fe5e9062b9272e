"""The resolver's HTTP side: one anonymous aiohttp session, the resolve and page requests,
access grants and verified object downloads.

The session carries no API key and no ``Authorization`` (this path is anonymous), ignores
proxy environment variables, never follows redirects and never decompresses. API requests
are limited to 30 s each. A 429 is retried up to 3 times after ``Retry-After`` (seconds or an
HTTP-date, capped at 300 s; else ``min(2**n, 30)`` s); 5xx and connection failures of these
GETs are retried 3 times with backoff too (the official SDK does not).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import aiohttp
from yarl import URL

from .._transport import STORAGE_TIMEOUT, USER_AGENT, backoff_delay, parse_retry_after
from ..errors import (
    DatasetDownloadError,
    DatasetIntegrityError,
    DatasetResolverError,
    DatasetRevisionWithdrawnError,
)
from ._cache import ObjectCache
from ._protocol import Grant, ObjectEntry, Revision, parse_grant

__all__ = ["GRANT_MARGIN", "ResolverClient"]

GRANT_MARGIN = 5.0
"""A grant with less than this many seconds left is re-issued (once) before use."""
MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 300.0
_API_TIMEOUT = aiohttp.ClientTimeout(total=30)
_TRANSIENT = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)
_CHUNK = 1 << 18
_DOWNLOAD_ATTEMPTS = 4
MEMORY_LIMIT = 8 << 20
"""Objects up to this size are verified in memory before they touch the disk."""


async def _pause(seconds: float) -> None:
    """Every wait of this module (looked up at call time, so tests can record them)."""
    await asyncio.sleep(seconds)


def rate_limit_delay(headers: Mapping[str, str], retries_so_far: int) -> float:
    """How long to wait before retrying a 429: ``Retry-After`` (seconds or HTTP-date),
    capped at 300 s; without one, ``min(2**n, 30)`` s."""
    announced = parse_retry_after(headers)
    if announced is not None:
        return min(announced, MAX_RETRY_AFTER)
    return float(min(2**retries_so_far, 30))


class _Expired(Exception):
    """Storage said the signed URL expired: ask for a new grant."""


class ResolverClient:
    """The anonymous HTTP client of one loaded dataset (bound to the loop it opens on)."""

    def __init__(self, base_url: str, *, concurrency: int) -> None:
        self.base_url = base_url
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._pid = os.getpid()
        self._grant_method = "POST"

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use on the running loop (again in a forked
        child, which drops the parent's without closing it)."""
        if self._pid != os.getpid():
            self._session, self._pid = None, os.getpid()
        if self._session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency + 2),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
                auto_decompress=False,
                raise_for_status=False,
            )
            if hasattr(session, "_retry_connection"):  # every attempt is ours
                session._retry_connection = False
            self._session = session
        return self._session

    @property
    def has_open_session(self) -> bool:
        """Whether this process opened a session that is not closed yet."""
        session = self._session
        return session is not None and not session.closed and self._pid == os.getpid()

    async def close(self) -> None:
        """Close the session (idempotent)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    # ---- the resolver API

    async def get_json(self, path: str, *, query: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` (under the base URL) and decode its JSON."""
        data, _ = await self._api("GET", path, query)
        return data

    async def _api(
        self, method: str, path: str, query: Mapping[str, str] | None
    ) -> tuple[Any, Mapping[str, str]]:
        url = URL(self.base_url + path, encoded=False)
        if query:
            url = url.with_query(query)
        limited = failed = 0
        while True:
            try:
                async with self.session.request(
                    method, url, allow_redirects=False, timeout=_API_TIMEOUT
                ) as resp:
                    status = resp.status
                    if status == 429:
                        if limited >= MAX_RATE_LIMIT_RETRIES:
                            raise DatasetResolverError("rate_limited", status_code=429)
                        await _pause(rate_limit_delay(resp.headers, limited))
                        limited += 1
                        continue
                    if status >= 500:
                        if failed >= 3:
                            raise DatasetResolverError("service_unavailable", status_code=status)
                        failed += 1
                        await _pause(backoff_delay(failed))
                        continue
                    body = await resp.read()
                    headers = resp.headers
            except _TRANSIENT as exc:
                if failed >= 3:
                    raise DatasetResolverError(
                        "transport_error", detail=f"{type(exc).__name__} from {url.host}."
                    ) from exc
                failed += 1
                await _pause(backoff_delay(failed))
                continue
            return _decoded(status, body, path), headers

    async def grant(self, revision: Revision, entry: ObjectEntry) -> Grant:
        """An access grant for ``entry``: POST, or GET once the server answered 405."""
        while True:
            method = self._grant_method
            local_now, mono_now = time.time(), time.monotonic()
            try:
                doc, headers = await self._api(
                    method, entry.access_path, {"transport": "avala-edge-v1"}
                )
            except DatasetResolverError as exc:
                if exc.status_code == 405 and method == "POST":
                    self._grant_method = "GET"
                    continue
                raise
            return parse_grant(
                doc,
                headers,
                revision=revision,
                entry=entry,
                base_url=self.base_url,
                local_now=local_now,
                monotonic_now=mono_now,
            )

    async def fresh_grant(self, revision: Revision, entry: ObjectEntry) -> Grant:
        """A grant with at least :data:`GRANT_MARGIN` seconds left: re-issued once when the
        first is too short, else ``DatasetIntegrityError("grant_expiry_too_short")``."""
        for _ in range(2):
            grant = await self.grant(revision, entry)
            if grant.deadline - time.monotonic() >= GRANT_MARGIN:
                return grant
        raise DatasetIntegrityError(
            "grant_expiry_too_short",
            detail=f"The grant for {entry.object_uid} had {grant.lifetime:.1f} s left twice.",
        )

    # ---- object bytes

    async def fetch(
        self,
        revision: Revision,
        entry: ObjectEntry,
        cache: ObjectCache,
        fallback: Callable[[], ObjectCache],
    ) -> Path:
        """Download ``entry`` into ``cache`` (the caller found no hit there) and return the
        verified file; into ``fallback()`` when ``cache`` cannot be written (an unwritable
        cache never breaks a load).

        Objects up to :data:`MEMORY_LIMIT` are held in memory until verified, then written
        (a temporary file, then ``os.replace``), so unverified bytes never touch the disk;
        larger ones stream through a temporary file beside their cache entry. (Writing on a
        worker thread was measured slower: the GIL hand-offs cost more than the writes.)"""
        if entry.size_bytes <= MEMORY_LIMIT:
            sink = await self._download(revision, entry, _MemorySink)
            assert isinstance(sink, _MemorySink)
            try:
                return _store(cache, entry.sha256, sink.chunks)
            except OSError:
                pass
            try:
                return _store(fallback(), entry.sha256, sink.chunks)
            except OSError as exc:
                raise _local_error(entry, exc) from exc
        try:
            dest = Path(await asyncio.to_thread(cache.prepare, entry.sha256))
        except OSError:
            cache = fallback()
            hit = cache.hit(entry.sha256, entry.size_bytes)
            if hit is not None:
                return hit
            try:
                dest = Path(cache.prepare(entry.sha256))
            except OSError as exc:
                raise _local_error(entry, exc) from exc
        sinks: list[_FileSink] = []

        def new_sink() -> _FileSink:
            sinks.append(_FileSink(dest))
            return sinks[-1]

        try:
            streamed = await self._download(revision, entry, new_sink)
            assert isinstance(streamed, _FileSink)
            streamed.commit()
        except OSError as exc:
            raise _local_error(entry, exc) from exc
        finally:
            for leftover in sinks:
                leftover.discard()
        return dest

    async def _download(
        self, revision: Revision, entry: ObjectEntry, new_sink: Callable[[], _Sink]
    ) -> _Sink:
        """Fetch the bytes into a new sink until they verify: transient failures and 5xx are
        retried, an expired URL gets a new grant (once), bytes that do not verify are fetched
        once more from zero; then :class:`DatasetDownloadError`."""
        grant = await self.fresh_grant(revision, entry)
        failures = mismatches = expirations = 0
        while True:
            sink = new_sink()
            try:
                await self._transfer(grant, entry, sink)
            except _Expired:
                if expirations:
                    raise DatasetDownloadError(
                        grant.provider,
                        entry.object_uid,
                        "provider_response",
                        detail="The signed URL was refused as expired twice.",
                    ) from None
                expirations += 1
                grant = await self.fresh_grant(revision, entry)
                continue
            except _Transient as exc:
                failures += 1
                if failures >= _DOWNLOAD_ATTEMPTS:
                    raise DatasetDownloadError(
                        grant.provider, entry.object_uid, exc.reason, detail=exc.detail
                    ) from exc.__cause__
                await _pause(exc.delay or backoff_delay(failures))
                if grant.deadline - time.monotonic() < GRANT_MARGIN:
                    grant = await self.fresh_grant(revision, entry)
                continue
            reason = sink.problem(entry)
            if reason is None:
                return sink
            mismatches += 1
            if mismatches >= 2:
                raise DatasetDownloadError(
                    grant.provider,
                    entry.object_uid,
                    reason,
                    detail="The bytes did not verify twice; nothing was kept.",
                )

    async def _transfer(self, grant: Grant, entry: ObjectEntry, sink: _Sink) -> None:
        encoding = "gzip" if grant.provider == "gcs" else "identity"
        try:
            async with self.session.get(
                grant.url,
                headers={"Accept-Encoding": encoding},
                allow_redirects=False,
                timeout=STORAGE_TIMEOUT,
            ) as resp:
                status = resp.status
                if 300 <= status < 400:
                    raise DatasetDownloadError(
                        grant.provider, entry.object_uid, "redirect_rejected"
                    )
                if status == 403:
                    text = (await resp.content.read(4096)).decode("utf-8", "replace")
                    if "expired" in text.lower():
                        raise _Expired
                if status == 429 or status >= 500:
                    delay = min(parse_retry_after(resp.headers) or 0, MAX_RETRY_AFTER)
                    raise _Transient("provider_response", f"HTTP {status}.", delay)
                if status != 200:
                    raise DatasetDownloadError(
                        grant.provider,
                        entry.object_uid,
                        "provider_response",
                        detail=f"HTTP {status}.",
                    )
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    sink.write(chunk)
                    if sink.size > entry.size_bytes:
                        break  # more than announced: no point reading on
        except _TRANSIENT as exc:
            raise _Transient("transport_error", f"{type(exc).__name__}.", 0) from exc


class _Transient(Exception):
    def __init__(self, reason: str, detail: str, delay: float) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.delay = reason, detail, delay


class _Sink:
    """Where one attempt's bytes go, hashed as they arrive."""

    def __init__(self) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.size += len(chunk)

    def problem(self, entry: ObjectEntry) -> str | None:
        """``size_mismatch``/``sha256_mismatch``, or None when the bytes are the object's."""
        if self.size != entry.size_bytes:
            return "size_mismatch"
        if self.sha256.hexdigest() != entry.sha256:
            return "sha256_mismatch"
        return None

    def discard(self) -> None:
        """Drop what was written (a no-op once committed)."""


class _MemorySink(_Sink):
    """A small object's bytes, kept until they verify."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []

    def write(self, chunk: bytes) -> None:
        super().write(chunk)
        self.chunks.append(chunk)

    def discard(self) -> None:
        self.chunks = []


def _local_error(entry: ObjectEntry, exc: OSError) -> DatasetDownloadError:
    return DatasetDownloadError(
        "local", entry.object_uid, "local_storage_error", detail=f"{exc.strerror}."
    )


def _store(cache: ObjectCache, sha256: str, chunks: list[bytes]) -> Path:
    """Write verified bytes beside their cache entry and rename them into place; the
    entry's path. (Plain strings: ``pathlib`` costs more than the write of a small file.)"""
    dest = cache.prepare(sha256)
    head, _, name = dest.rpartition(os.sep)
    temp = f"{head}{os.sep}.{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(temp, "wb") as handle:
            handle.writelines(chunks)
        os.replace(temp, dest)  # identical bytes: the last rename wins harmlessly
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return Path(dest)


class _FileSink(_Sink):
    """A temporary file beside the cache entry, renamed into place once verified."""

    def __init__(self, dest: Path) -> None:
        super().__init__()
        self.dest = dest
        self.path = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        self.file: IO[bytes] | None = open(self.path, "wb")  # noqa: SIM115 (closed below)

    def write(self, chunk: bytes) -> None:
        super().write(chunk)
        assert self.file is not None
        self.file.write(chunk)

    def commit(self) -> None:
        assert self.file is not None
        self.file.close()
        self.file = None
        os.replace(self.path, self.dest)  # identical bytes: the last rename wins harmlessly

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            with contextlib.suppress(OSError):
                self.path.unlink()


def _decoded(status: int, body: bytes, path: str) -> Any:
    """The JSON of a 2xx answer; the matching :class:`DatasetResolverError` otherwise."""
    import json

    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if 200 <= status < 300:
        if data is None:
            raise DatasetResolverError(
                "invalid_response", status_code=status, detail="The answer is not JSON."
            )
        return data
    if status == 404:
        raise DatasetResolverError("not_found", status_code=404)
    if status == 410:
        if (
            isinstance(data, dict)
            and all(isinstance(data.get(k), str) for k in _WITHDRAWN)
            and data["canonical_reference"]
            == f"avala://datasets/{data['dataset_uid']}@{data['revision_sha256']}"
        ):
            raise DatasetRevisionWithdrawnError(
                data["canonical_reference"], data["dataset_uid"], data["revision_sha256"]
            )
        raise DatasetResolverError("invalid_withdrawal", status_code=410)
    raise DatasetResolverError("request_rejected", status_code=status)


_WITHDRAWN = ("canonical_reference", "dataset_uid", "revision_sha256")
