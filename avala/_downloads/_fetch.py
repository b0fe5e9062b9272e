"""One verified, resumable download of a URL to a file.

The bytes go to a partial file beside the destination, ``.<name>.<random>.avala-partial``,
with a sidecar (``...avala-partial.json``) holding what identifies them: the URL without its
query (signatures change, the object does not), the strong ETag and the size. A later call
for the same destination and object claims an orphaned partial by renaming it to its own
name (one rename wins), re-hashes the bytes kept and asks only for the rest with
``Range: bytes=N-`` and ``If-Range: <ETag>``. A ``200`` instead of a ``206`` (the object
changed, or the host ignores ranges) restarts from zero; a ``206`` starting anywhere but
``N`` is refused. Connection resets, timeouts and 5xx are retried, resuming from what is on
disk; the retry budget resets whenever bytes arrive. Every request sends
``Accept-Encoding: identity`` and reads raw bytes, so offsets mean what they say.

When the last byte is in, the size is checked (``Content-Length``/``Content-Range`` total,
and ``expected_size``), then the SHA-256: against ``x-amz-checksum-sha256`` (base64, S3 and
the bundled server send it) and ``expected_sha256``, and the MD5 against the ETag when that
is a plain single-part MD5. Only then is the partial fsynced and renamed into place. A
mismatch deletes the partial and raises :class:`~avala.errors.DownloadIntegrityError`.

The event loop only receives and writes, as a plain download does. Hashing runs on a worker
thread of the download's own, chunk by chunk in order, at most :data:`_AHEAD` chunks behind
(so memory stays bounded by a few chunks, never by the file's size, and on a machine with a
second core the checks cost next to no time); so do re-hashing a claimed partial and the
final fsync. Every :data:`_WRITEBACK` bytes the worker asks the kernel to start writing back
what is written so far (``posix_fadvise(DONTNEED)``, where there is one), so the final fsync
waits for the tail only and a large download does not fill the page cache.

Before its first download a process allocates and frees one block of :data:`_PRIME` bytes
(:func:`_prime_allocator`). Until glibc frees a block that large it maps each allocation
over its threshold afresh and hands the top of its heap back to the system whenever a few
hundred KiB of it are free; the event loop reads the socket into 256 KiB buffers and a few
chunks are held at a time, so a download kept faulting fresh pages in (a 256 MiB one took
20,000-56,000 page faults, 8,000 with the block primed, and was 10-40% slower).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import attrs
from yarl import URL

from .._transport import backoff_delay, parse_retry_after
from ..errors import DownloadError, DownloadIntegrityError

__all__ = ["FetchResult", "fetch_to_file", "partial_files"]

_SUFFIX = ".avala-partial"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_PLAIN_MD5 = re.compile(r'^"?([0-9a-f]{32})"?$')
_AHEAD = 4  # chunks written but not yet hashed, at most
_WRITEBACK = 16 << 20  # bytes between two requests to start writing back
_FADVISE = getattr(os, "posix_fadvise", None)  # not on macOS or Windows
_PRIME = 1 << 20  # the block _prime_allocator frees: above the socket reads and chunks
_RETRYABLE = (
    aiohttp.ClientPayloadError,
    aiohttp.ClientConnectionError,
    asyncio.TimeoutError,
    ConnectionError,
)


@attrs.frozen
class FetchResult:
    """What a finished download wrote.

    Attributes:
        path: The destination file.
        size: Its size in bytes.
        sha256: SHA-256 hex of the whole file.
        resumed_from: Bytes kept from an earlier partial download (0 if none).
    """

    path: Path
    size: int
    sha256: str
    resumed_from: int = 0


class _Restart(Exception):
    """The host answered the whole object (or the kept bytes became useless): start over."""


class _Partial:
    """The partial file of one download, its sidecar and the running digests.

    The event loop receives and writes, as a plain download would; everything else runs on
    the download's own worker thread, in order: hashing each chunk (at most :data:`_AHEAD`
    chunks behind), asking the kernel to start writing back, re-hashing a claimed partial,
    the final fsync and rename.
    """

    def __init__(self, dest: Path, identity: str) -> None:
        self.dest = dest
        self.identity = identity
        self.path = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}{_SUFFIX}")
        self.sidecar = self.path.with_name(self.path.name + ".json")
        self.etag: str | None = None  # the validator If-Range sends
        self.total: int | None = None
        self.checksum: str | None = None  # x-amz-checksum-sha256 of the whole object
        self.sha256 = hashlib.sha256()
        self.md5: Any = None  # only while an MD5 ETag is the one checksum there is
        self.size = 0
        self.file: Any = None
        self._written_back = 0
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="avala-download")
        self._queued: deque[Future[Any]] = deque()  # oldest first

    async def run(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` on the worker once every chunk so far is hashed."""
        await self.hashed()
        return await asyncio.wrap_future(self._worker.submit(function))

    def claim(self) -> int:
        """Take over an orphaned partial of the same object, if any; its kept size."""
        for old in partial_files(self.dest):
            meta = _read_sidecar(old)
            if meta is None or meta.get("identity") != self.identity or not meta.get("etag"):
                continue
            try:
                os.replace(old, self.path)  # only one claimant's rename succeeds
            except OSError:
                continue
            with contextlib.suppress(OSError):
                Path(str(old) + ".json").unlink()
            self.etag, self.total = str(meta["etag"]), meta.get("total")
            self._write_sidecar()
            self.file = open(self.path, "r+b")  # noqa: SIM115 (closed by close())
            self.md5 = hashlib.md5(usedforsecurity=False)
            while chunk := self.file.read(1 << 20):
                self.sha256.update(chunk)
                self.md5.update(chunk)
                self.size += len(chunk)
            self._written_back = self.size
            return self.size
        return 0

    def restart(self, etag: str | None, total: int | None) -> None:
        if self.file is None:
            self.file = open(self.path, "w+b")  # noqa: SIM115 (closed by close())
        self.file.seek(0)
        self.file.truncate()
        self.sha256, self.md5, self.size = hashlib.sha256(), None, 0
        self.etag, self.total, self.checksum = etag, total, None
        self._written_back = 0
        self._write_sidecar()

    def start(self, headers: Mapping[str, str]) -> None:
        """Note the checksums a response announces for the whole object."""
        self.checksum = headers.get("x-amz-checksum-sha256") or self.checksum
        if self.checksum is None and self.size == 0 and _PLAIN_MD5.match(self.etag or ""):
            self.md5 = hashlib.md5(usedforsecurity=False)

    async def write(self, chunk: bytes) -> None:
        """Write ``chunk`` and queue its hashing; wait only when the worker is
        :data:`_AHEAD` chunks behind."""
        self.file.write(chunk)
        self.size += len(chunk)
        # the digests are bound now: a restart replaces them, the queued updates stay theirs
        work = self._worker.submit(self._hash, chunk, self.sha256, self.md5, self.size)
        self._queued.append(work)
        while self._queued and self._queued[0].done():
            self._queued.popleft().result()
        if len(self._queued) > _AHEAD:
            await asyncio.wrap_future(self._queued.popleft())

    async def hashed(self) -> None:
        """Wait until every chunk written so far is in the digests."""
        while self._queued:
            await asyncio.wrap_future(self._queued.popleft())

    def _hash(self, chunk: bytes, sha256: Any, md5: Any, end: int) -> None:
        """On the worker: the digests, and now and then a request to the kernel to start
        writing back what is written (advisory: a stale one after a restart is harmless)."""
        sha256.update(chunk)  # hashlib lets go of the GIL for chunks this size
        if md5 is not None:
            md5.update(chunk)
        if _FADVISE is not None and end - self._written_back >= _WRITEBACK:
            start = self._written_back
            _FADVISE(self.file.fileno(), start, end - start, os.POSIX_FADV_DONTNEED)
            self._written_back = end

    def _write_sidecar(self) -> None:
        meta = {"identity": self.identity, "etag": self.etag, "total": self.total}
        self.sidecar.write_text(json.dumps(meta))

    def finish(self) -> None:
        """On the worker: fsync, close and rename into place."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        os.replace(self.path, self.dest)
        with contextlib.suppress(OSError):
            self.sidecar.unlink()

    def close(self, *, discard: bool) -> None:
        self._worker.shutdown(wait=True)  # a few chunks' hashing at most
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.flush()
            self.file.close()
            self.file = None
        if discard or self.etag is None:  # without a validator nothing can resume it
            for leftover in (self.path, self.sidecar):
                with contextlib.suppress(OSError):
                    leftover.unlink()


@functools.cache
def _prime_allocator() -> None:
    """Once per process: allocate and free one :data:`_PRIME`-byte block.

    glibc maps the block with ``mmap`` and, freeing it, raises its mapping threshold to the
    block's size and its heap-trim threshold to twice that, as it does after any large free
    (``mallopt(3)``: ``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``). From then on a download's
    socket buffers and chunks are reused from the heap instead of faulted in afresh. Other
    allocators see one allocation and one free."""
    block = bytearray(_PRIME)
    del block


def partial_files(dest: Path) -> list[Path]:
    """The partial downloads of ``dest`` left beside it (by any process)."""
    try:
        return sorted(dest.parent.glob(f".{glob_escape(dest.name)}.*{_SUFFIX}"))
    except OSError:
        return []


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _read_sidecar(partial: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(Path(str(partial) + ".json").read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _identity(url: str) -> str:
    parsed = URL(url, encoded=True)
    return str(parsed.with_query(None).with_fragment(None))


def _strong_etag(headers: Mapping[str, str]) -> str | None:
    etag = headers.get("ETag")
    return None if not etag or etag.startswith("W/") else etag


def _describe(url: str, dest: Path) -> str:
    return f"{dest} from {URL(url, encoded=True).host}"


async def fetch_to_file(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    *,
    headers: Mapping[str, str] | None = None,
    expected_size: int | None = None,
    expected_sha256: str | None = None,
    overwrite: bool = False,
    resume: bool = True,
    chunk_size: int = 256 << 10,
    max_attempts: int = 4,
    on_progress: Callable[[int], object] | None = None,
    timeout: aiohttp.ClientTimeout | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest``, verified, resuming an earlier partial download.

    Args:
        session: The session to use: a storage session (no API key) for presigned URLs, the
            API's own for the API host.
        url: What to download. It never appears in an error message (it may be signed).
        dest: The destination file; its directory must exist.
        headers: Extra request headers (for the API host only).
        expected_size: The size the file must have, if known.
        expected_sha256: The SHA-256 hex the file must have, if known.
        overwrite: Replace an existing ``dest``; otherwise it is an error.
        resume: Continue from a partial download of the same object, if one is there.
        chunk_size: Bytes read at a time; at most :data:`_AHEAD` + 1 of them are held.
        max_attempts: Attempts in a row without progress before giving up.
        on_progress: Called with the bytes kept from a partial download (once, first),
            then with each chunk's length as it is written; on a restart from zero, with
            minus the bytes thrown away. The calls add up to the bytes on disk.
        timeout: A timeout for each request instead of the session's (which, for the API
            session, bounds the whole response: too short for a large file).

    Returns:
        What was written.

    Raises:
        FileExistsError: ``dest`` exists and ``overwrite`` is false.
        DownloadIntegrityError: the bytes do not match the size or a checksum.
        DownloadError: the host kept failing or refused the request.
    """
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise FileExistsError(
            f"{dest} already exists: pass overwrite=True to replace it, or choose another path."
        )
    if not dest.parent.is_dir():
        raise DownloadError(f"Cannot download to {dest}: its directory does not exist.")
    _prime_allocator()
    partial = _Partial(dest, _identity(url))
    kept = await partial.run(partial.claim) if resume else 0  # re-hashes kept bytes
    if kept and on_progress is not None:
        on_progress(kept)  # counted once, so the calls always add up to the bytes on disk
    base = {"Accept-Encoding": "identity", **(headers or {})}
    failures = 0
    done = False
    try:
        while True:
            send = dict(base)
            if partial.size and partial.etag:
                send["Range"] = f"bytes={partial.size}-"
                send["If-Range"] = partial.etag
            try:
                await _transfer(session, url, send, partial, chunk_size, on_progress, timeout)
                break
            except _Restart:
                failures += 1
            except _Retry as retry:
                failures = 0 if retry.progressed else failures + 1
                if failures >= max_attempts:
                    raise DownloadError(
                        f"Could not download {_describe(url, dest)}: {retry.reason} "
                        f"({max_attempts} attempts without progress). Run it again to resume "
                        f"from the {partial.size:,} bytes kept.",
                        path=str(dest),
                        status_code=retry.status,
                    ) from retry.__cause__
                await asyncio.sleep(retry.delay or backoff_delay(failures))
                continue
            if failures >= max_attempts:
                raise DownloadError(
                    f"Could not download {_describe(url, dest)}: the host keeps restarting it.",
                    path=str(dest),
                )
        await partial.hashed()
        _verify(partial, url, expected_size, expected_sha256)
        await partial.run(partial.finish)  # fsync: off the event loop
        partial.close(discard=False)
        done = True
        return FetchResult(dest, partial.size, partial.sha256.hexdigest(), kept)
    except DownloadIntegrityError:
        partial.close(discard=True)
        raise
    finally:
        if not done:
            partial.close(discard=False)


class _Retry(Exception):
    def __init__(
        self, reason: str, *, progressed: bool, status: int | None = None, delay: float = 0
    ) -> None:
        super().__init__(reason)
        self.reason, self.progressed, self.status, self.delay = reason, progressed, status, delay


async def _transfer(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    partial: _Partial,
    chunk_size: int,
    on_progress: Callable[[int], object] | None,
    timeout: aiohttp.ClientTimeout | None,
) -> None:
    """One request: append what it sends to the partial; _Retry/_Restart when cut short."""
    start = partial.size
    try:
        options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        request = session.request(  # .request: what a keyed view of a session wraps
            "GET", URL(url, encoded=True), headers=headers, allow_redirects=False, **options
        )
        async with request as resp:
            status = resp.status
            if status in (429, 500, 502, 503, 504):
                delay = parse_retry_after(resp.headers) or 0
                raise _Retry(f"HTTP {status}", progressed=False, status=status, delay=delay)
            if status == 416 and start:
                _thrown_away(partial, on_progress)
                partial.restart(None, None)
                raise _Restart
            if status not in (200, 206):
                raise DownloadError(
                    _refusal(status, await _text(resp), url, partial.dest),
                    path=str(partial.dest),
                    status_code=status,
                )
            etag = _strong_etag(resp.headers)
            if status == 206:
                match = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", ""))
                if match is None or int(match.group(1)) != start or not start:
                    _thrown_away(partial, on_progress)
                    partial.restart(None, None)
                    raise _Restart
                total = None if match.group(3) == "*" else int(match.group(3))
                if partial.total is not None and total is not None and total != partial.total:
                    _thrown_away(partial, on_progress)
                    partial.restart(None, None)
                    raise _Restart
                partial.total = total if total is not None else partial.total
            else:
                if start:
                    _thrown_away(partial, on_progress)
                partial.restart(etag, resp.content_length)
            partial.start(resp.headers)
            async for chunk in resp.content.iter_chunked(chunk_size):
                await partial.write(chunk)
                if on_progress is not None:
                    on_progress(len(chunk))
    except _RETRYABLE as exc:
        progressed = partial.size > start
        if partial.etag is None:  # nothing can resume it: start over next time
            partial.restart(None, None)
        what = "timed out" if isinstance(exc, asyncio.TimeoutError) else "the connection dropped"
        raise _Retry(f"{what} ({type(exc).__name__})", progressed=progressed) from exc
    if partial.total is not None and partial.size < partial.total:
        raise _Retry("the connection closed early", progressed=partial.size > start)


def _thrown_away(partial: _Partial, on_progress: Callable[[int], object] | None) -> None:
    if on_progress is not None and partial.size:
        on_progress(-partial.size)


async def _text(resp: aiohttp.ClientResponse) -> str:
    with contextlib.suppress(Exception):
        return (await resp.content.read(4096)).decode("utf-8", "replace")
    return ""


def _refusal(status: int, text: str, url: str, dest: Path) -> str:
    what = f"Could not download {_describe(url, dest)}: HTTP {status}"
    if status == 403 and "expired" in text.lower():
        return f"{what}, the signed URL expired. Ask for a fresh one and try again."
    if status in (401, 403):
        return f"{what}, access denied."
    if status == 404:
        return f"{what}, no such file."
    return f"{what}."


def _verify(
    partial: _Partial, url: str, expected_size: int | None, expected_sha256: str | None
) -> None:
    where = _describe(url, partial.dest)
    problems = []
    for name, size in (("the response", partial.total), ("expected_size", expected_size)):
        if size is not None and partial.size != size:
            problems.append(f"{partial.size:,} bytes arrived, {name} says {size:,}")
    sha256 = partial.sha256.hexdigest()
    checksum = partial.checksum
    if checksum:
        try:
            announced = base64.b64decode(checksum, validate=True).hex()
        except (binascii.Error, ValueError):
            announced = None
        if announced is not None and announced != sha256:
            problems.append("the SHA-256 differs from the response's x-amz-checksum-sha256")
    if expected_sha256 is not None and expected_sha256.lower() != sha256:
        problems.append("the SHA-256 differs from expected_sha256")
    md5 = _PLAIN_MD5.match(partial.etag or "")
    known = md5 is not None and partial.md5 is not None and not checksum
    if known and md5.group(1) != partial.md5.hexdigest():  # type: ignore[union-attr]
        problems.append("the MD5 differs from the ETag")
    if problems:
        raise DownloadIntegrityError(
            f"Download of {where} is corrupt: {'; '.join(problems)}. The partial file was "
            "deleted; run it again to download it afresh.",
            path=str(partial.dest),
        )
