"""Sending bytes to storage hosts: the URL policy, streaming from disk, retries, checks.

Presigned URLs are trusted only when they are ``https`` without user information or
fragment, on an allow-listed storage host (``data.avala.ai``, Cloudflare R2 account
endpoints, Amazon S3 endpoints, Google Cloud Storage, Azure Blob Storage). For local
development against :mod:`avala.testing`, ``AVALA_ALLOW_INSECURE_STORAGE_URLS=true`` also
lets ``http`` URLs on loopback (localhost, 127.0.0.1, ::1) through, and nothing else.

Requests to storage go through a session of their own that sends no API key; signed URLs
never appear in a message, a log line or the upload state (errors name the file and host).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import aiohttp
from yarl import URL

from .._storage_urls import ALLOWED_HOSTS_TEXT, storage_url
from .._transport import (
    _TIMEOUTS,
    Transport,
    _clean,
    backoff_delay,
    parse_retry_after,
)
from ..errors import UploadError, UploadIntegrityError
from ._files import CHUNK, LocalFile, changed, current_stamp, digest

if TYPE_CHECKING:
    from .._transport import RequestOptions
    from ._progress import Tracker

T = TypeVar("T")

_MD5 = re.compile(r"^[0-9a-f]{32}$")
_CODE = re.compile(rb"<Code>([A-Za-z0-9]{1,64})</Code>")

#: Attempts per file or part (the first one included).
ATTEMPTS = 6
#: Bodies up to this size are read in one go and sent from memory.
SMALL = CHUNK


def check_url(url: object, relative: str) -> URL:
    """The presigned ``url`` for ``relative``, if it may be used; else an UploadError."""
    parsed, problem = storage_url(url)
    if parsed is not None:
        return parsed
    raise UploadError(
        f"Refusing to upload {relative}: {problem}. The SDK sends files only over https to "
        f"Avala's storage hosts ({ALLOWED_HOSTS_TEXT}).",
        path=relative,
    )


class Stored(NamedTuple):
    """What a storage host answered to one successful transfer."""

    status: int
    etag: str | None
    sent: int  # bytes sent (0 when the host already had the object)
    md5: str | None  # of what was sent, when asked for


class Retry(Exception):
    """An attempt failed in a way worth another try (raised inside a transfer)."""

    def __init__(self, error: UploadError, delay: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.delay = delay


class _Fixed:
    """A digest computed before the transfer, in the place of a running hasher."""

    def __init__(self, value: str) -> None:
        self._value = value

    def hexdigest(self) -> str:
        return self._value


def _read(fh: Any, size: int, hashers: list[Any]) -> bytes:
    chunk: bytes = fh.read(size)
    for h in hashers:
        h.update(chunk)
    return chunk


def _open_at(path: Any, offset: int) -> Any:
    fh = open(path, "rb")  # noqa: SIM115 - closed by the caller once the request ends
    if offset:
        fh.seek(offset)
    return fh


def _read_range(path: Any, offset: int, size: int, names: tuple[str, ...]) -> tuple[bytes, Any]:
    hashers = [hashlib.new(name) for name in names]
    with open(path, "rb") as fh:
        fh.seek(offset)
        return _read(fh, size, hashers), hashers


class Storage:
    """Transfers to presigned URLs for one client: retries with capped backoff, checks."""

    def __init__(self, transport: Transport, options: RequestOptions) -> None:
        self._transport = transport
        self._max_retry_after = options.max_retry_after

    async def retrying(self, relative: str, attempt: Callable[[int], Awaitable[T]]) -> T:
        """Run ``attempt(n)`` until it succeeds; a :class:`Retry` it raises waits (backoff,
        or the host's ``Retry-After`` capped by the client's ``max_retry_after``) and tries
        again, up to :data:`ATTEMPTS` times in all."""
        number = 0
        while True:
            try:
                return await attempt(number)
            except Retry as retry:
                number += 1
                if number >= ATTEMPTS:
                    retry.error.retries_taken = number - 1
                    raise retry.error from None
                delay = retry.delay
                if delay is None or delay > self._max_retry_after:
                    delay = backoff_delay(number - 1)
                await self._transport._pause(delay)
                if self._transport.closed:
                    raise UploadError(
                        f"The client was closed while uploading {relative}.", path=relative
                    ) from None

    @staticmethod
    def _body(
        fh: Any,
        file: LocalFile,
        length: int,
        hashers: list[Any],
        tracker: Tracker | None,
    ) -> AsyncIterator[bytes]:
        """``length`` bytes of the open file ``fh`` (positioned), read in a worker thread
        chunk by chunk; the caller closes ``fh`` whether or not the body was sent whole."""

        async def chunks() -> AsyncIterator[bytes]:
            left = length
            while left > 0:
                chunk = await asyncio.to_thread(_read, fh, min(CHUNK, left), hashers)
                if not chunk:
                    raise changed(file)
                left -= len(chunk)
                if tracker is not None:
                    tracker.advance(len(chunk))
                yield chunk

        return chunks()

    async def send(
        self,
        method: str,
        url: URL,
        file: LocalFile,
        *,
        headers: Mapping[str, str] | None = None,
        offset: int = 0,
        length: int | None = None,
        form: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
        hashes: tuple[str, ...] = ("md5",),
        tracker: Tracker | None = None,
    ) -> tuple[Stored, tuple[str, ...]]:
        """One attempt to send ``file`` (or ``length`` bytes of it from ``offset``).

        Returns the answer and the hex digests (``hashes``) of the bytes sent.

        Raises:
            Retry: a connection error, a timeout, 408/429/5xx, or an expired grant.
            UploadError: any other refusal; UploadIntegrityError when the file changed.
        """
        relative = file.relative
        size = file.size - offset if length is None else length
        hashers: list[Any] = [hashlib.new(name) for name in hashes]
        send_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
        data: Any
        handle = None
        if size <= SMALL:
            raw, hashers = await asyncio.to_thread(_read_range, file.path, offset, size, hashes)
            if len(raw) != size:
                raise changed(file)
            if tracker is not None:
                tracker.advance(size)
            data = raw
        elif form is not None:
            # A form needs its length up front: aiohttp streams an open file of known size
            # (reading it in a worker thread); its digests come from a pass of their own.
            digests = await digest(file, hashes)
            hashers = [_Fixed(value) for value in digests]
            handle = data = await asyncio.to_thread(open, file.path, "rb")
            if tracker is not None:
                tracker.advance(size)
        else:
            handle = await asyncio.to_thread(_open_at, file.path, offset)
            data = self._body(handle, file, size, hashers, tracker)
        if form is not None:
            body = aiohttp.FormData()
            for name, value in form.items():
                body.add_field(name, value)
            filename = relative.rsplit("/", 1)[-1]
            body.add_field("file", data, filename=filename, content_type=content_type)
            data = body
        else:
            send_headers["Content-Length"] = str(size)
        try:
            return await self._request(
                method, url, file, data, send_headers, size, hashers, hashes, tracker
            )
        finally:
            if handle is not None:
                await asyncio.to_thread(handle.close)

    async def _request(
        self,
        method: str,
        url: URL,
        file: LocalFile,
        data: Any,
        send_headers: dict[str, str],
        size: int,
        hashers: list[Any],
        hashes: tuple[str, ...],
        tracker: Tracker | None,
    ) -> tuple[Stored, tuple[str, ...]]:
        relative = file.relative
        session = self._transport.storage_session()
        host = url.host
        try:
            async with session.request(
                method, url, data=data, headers=send_headers, allow_redirects=False
            ) as resp:
                status = resp.status
                etag = resp.headers.get("ETag")
                retry_after = parse_retry_after(resp.headers)
                text = await resp.read() if status >= 300 else b""
        except (aiohttp.ClientError, *_TIMEOUTS) as exc:
            if tracker is not None:
                tracker.rewind(size)
            if self._transport.closed:
                raise UploadError(
                    f"The client was closed while uploading {relative}.", path=relative
                ) from None
            problem = "timed out" if isinstance(exc, _TIMEOUTS) else _clean(type(exc).__name__)
            raise Retry(
                UploadError(
                    f"Uploading {relative} to {host} failed: {problem} (no more retries left).",
                    path=relative,
                )
            ) from None
        if status >= 300 and tracker is not None:
            tracker.rewind(size)
        if status == 412:
            return Stored(status, etag, 0, None), ()
        if status >= 300:
            code_match = _CODE.search(text[:4096])
            code = code_match.group(1).decode() if code_match else ""
            error = UploadError(
                f"Uploading {relative} to {host} failed: HTTP {status}"
                f"{f' ({code})' if code else ''}.",
                path=relative,
                status_code=status,
            )
            expired = status == 403 and (b"expired" in text.lower() or code == "ExpiredToken")
            if expired or status in (408, 429) or status >= 500:
                raise Retry(error, retry_after)
            raise error
        if current_stamp(file) != file.stamp:
            raise changed(file)
        digests = tuple(h.hexdigest() for h in hashers)
        md5 = digests[hashes.index("md5")] if "md5" in hashes else None
        return Stored(status, etag, size, md5), digests


def clean_etag(etag: str | None) -> str | None:
    if etag is None:
        return None
    value = etag.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def verify(stored: Stored, file: LocalFile, *, required: bool = False) -> str | None:
    """Check the host's ETag against the MD5 of what was sent; return it unquoted.

    A plain MD5 ETag must match. Hosts that answer opaque ETags (Azure, multipart-style
    ``<hash>-<n>``) are trusted on their HTTP status; ``required`` refuses a missing ETag.

    Raises:
        UploadIntegrityError: the ETag is a different MD5, or missing when required.
    """
    etag = clean_etag(stored.etag)
    if etag is None or not etag:
        if required:
            raise UploadIntegrityError(
                f"The storage host accepted {file.relative} but sent no ETag to confirm it.",
                path=file.relative,
            )
        return None
    if len(etag) > 128 or any(ord(c) < 0x20 for c in etag):
        raise UploadIntegrityError(
            f"The storage host answered an invalid ETag for {file.relative}.",
            path=file.relative,
        )
    if stored.md5 is not None and _MD5.match(etag.lower()) and etag.lower() != stored.md5:
        raise UploadIntegrityError(
            f"The storage host holds other bytes than were sent for {file.relative} (ETag "
            f"{etag} is not the MD5 {stored.md5} of the file); run the upload again.",
            path=file.relative,
        )
    return etag
