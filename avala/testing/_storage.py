"""The object storage the test server emulates under ``/_storage/``: presigned, S3-shaped.

Upload grants are URLs on the same loopback server, signed with a per-server random secret::

    /_storage/<bucket>/<key>?X-Avala-Expires=<unix seconds>&X-Avala-Signature=<hex>

The signature is an HMAC-SHA256 over the method, the (decoded) path, the expiry and, for a
multipart part, the ``uploadId`` and ``partNumber``. Storage needs no API key. It answers like
S3: ``ETag: "<md5>"`` on success and XML ``<Error><Code>…</Code><Message>…</Message></Error>``
bodies otherwise.

Bodies are streamed (``request.content.iter_chunked``) and hashed as they arrive, never held
whole: an object keeps its size, MD5 and SHA-256, and its bytes only when it is at most
:data:`KEEP_BYTES_LIMIT` (1 MiB) long, so tests can read small objects back.

Multipart uploads whose whole-file SHA-256 is needed (managed fleet uploads) keep a running
SHA-256 over the parts in part order: the next part in order is hashed while it streams; a
part that arrives before its predecessors is held in memory until the gap fills (so at most
the parts in flight out of order are buffered). A part that replaces one already hashed with
different bytes makes the file's SHA-256 unknowable, which verification reports as a mismatch.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from aiohttp import BodyPartReader, web

if TYPE_CHECKING:
    from ._media import Media

__all__ = [
    "BUCKET",
    "DEFAULT_TTL_SECONDS",
    "KEEP_BYTES_LIMIT",
    "MAX_PART_NUMBER",
    "RESPONSE_FAULT",
    "STORAGE_PREFIX",
    "MultipartUpload",
    "Pattern",
    "ResponseFault",
    "Storage",
    "StoredObject",
    "StoredPart",
    "is_storage_path",
    "s3_error_body",
    "serve_object",
    "storage_routes",
    "without_signatures",
]

logger = logging.getLogger("avala.testing")

STORAGE_PREFIX = "/_storage"
"""The absolute path under which storage is served (not under ``/api/v1``)."""

BUCKET = "avala-local"
"""The one bucket the emulated storage has."""

KEEP_BYTES_LIMIT = 1 << 20
"""Objects (and multipart uploads) up to this many bytes keep their bytes in memory."""

MAX_PART_NUMBER = 10_000
DEFAULT_TTL_SECONDS = 3600
_CHUNK = 1 << 18
_FIELD_LIMIT = 64 * 1024
_EXPIRES = "X-Avala-Expires"
_SIGNATURE = "X-Avala-Signature"


class ResponseFault(Protocol):
    """What :func:`serve_object` reads of a fault acting on a response body."""

    @property
    def kind(self) -> str: ...  # "cut_response" or "corrupt_byte"

    @property
    def after_bytes(self) -> int: ...  # bytes sent before the cut, or the flipped offset


RESPONSE_FAULT = web.RequestKey("avala_testing_response_fault", ResponseFault)
"""Where the fault middleware leaves a fault acting on the response body (``cut_response``,
``corrupt_byte``) for the handler that streams it."""


def is_storage_path(path: str) -> bool:
    """Whether ``path`` (absolute) is served by the storage emulator."""
    return path == STORAGE_PREFIX or path.startswith(STORAGE_PREFIX + "/")


def s3_error_body(code: str, message: str) -> bytes:
    """The XML body S3 sends with an error."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()


def without_signatures(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with the query cut off every URL this
    server presigned. The server signs item media and export URLs afresh on every answer,
    with a new expiry, so two reads of the same object compare equal only without them.

    Args:
        value: A decoded JSON answer, or any part of one.

    Returns:
        A copy, each presigned URL reduced to its path.
    """
    if isinstance(value, dict):
        return {k: without_signatures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_signatures(v) for v in value]
    if isinstance(value, str) and f"{_SIGNATURE}=" in value:
        return value.split("?", 1)[0]
    return value


def _quote_etag(etag: str) -> str:
    return f'"{etag}"'


# --------------------------------------------------------------------------- stored data


class Pattern:
    """Deterministic bytes of any length, made again on each read: a 1 MiB block derived
    from ``seed`` repeated, with each repetition's first 8 bytes replaced by its index, so
    no two MiB are alike and a misplaced range shows."""

    BLOCK = 1 << 20

    def __init__(self, seed: str) -> None:
        digest = hashlib.sha256(seed.encode()).digest()
        self._block = (digest * (self.BLOCK // len(digest) + 1))[: self.BLOCK]

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes ``start..end`` (end exclusive), at most one block per chunk."""
        block = self.BLOCK
        while start < end:
            index, offset = divmod(start, block)
            whole = index.to_bytes(8, "big") + self._block[8:]
            stop = min(block, offset + end - start)
            yield whole[offset:stop]
            start += stop - offset


@dataclass(frozen=True)
class StoredObject:
    """One object in storage.

    Attributes:
        key: The object key, e.g. ``"uploads/<owner>/<batch>/<path>"``.
        size: Its length in bytes.
        etag: The ETag without quotes: the MD5 hex of the bytes, or for an object assembled
            from ``n`` parts the MD5 hex of the parts' binary MD5s followed by ``-n``.
        md5: MD5 hex of the bytes, or ``None`` when unknown (a large multipart object).
        sha256: SHA-256 hex of the bytes, or ``None`` when unknown (a large multipart object
            whose upload did not track it).
        content_type: The ``Content-Type`` it was stored with.
        data: The bytes, kept only when ``size`` is at most :data:`KEEP_BYTES_LIMIT`.
        part_count: Number of parts it was assembled from (0 for a single PUT or POST).
        pattern: For an object made by :meth:`Storage.put_generated`, what makes its bytes
            again on each read (so a large one is never held in memory).
    """

    key: str
    size: int
    etag: str
    md5: str | None
    sha256: str | None
    content_type: str = "application/octet-stream"
    data: bytes | None = None
    part_count: int = 0
    pattern: Pattern | None = None

    @classmethod
    def of_bytes(cls, key: str, data: bytes, content_type: str) -> StoredObject:
        """The object a single PUT of ``data`` stores (bytes kept up to the limit)."""
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return cls(
            key=key,
            size=len(data),
            etag=md5,
            md5=md5,
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=content_type,
            data=data if len(data) <= KEEP_BYTES_LIMIT else None,
        )

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Its bytes ``start..end`` (end exclusive, default the whole rest), in chunks.

        Raises:
            LookupError: its bytes were not kept (a large uploaded object).
        """
        end = self.size if end is None else end
        if self.pattern is not None:
            yield from self.pattern.chunks(start, end)
        elif self.data is not None:
            for offset in range(start, end, _CHUNK):
                yield self.data[offset : min(end, offset + _CHUNK)]
        else:
            raise LookupError(f"the bytes of {self.key} were not kept")

    @property
    def quoted_etag(self) -> str:
        """The ETag as the ``ETag`` header carries it, in double quotes."""
        return _quote_etag(self.etag)


@dataclass(frozen=True)
class StoredPart:
    """One part of a multipart upload.

    Attributes:
        number: The part number (1-based).
        size: Its length in bytes.
        md5: MD5 hex of its bytes (its ETag without quotes).
        sha256: SHA-256 hex of its bytes.
        head: Its first 16 bytes.
        data: Its bytes, kept only when the whole upload is small (see :data:`KEEP_BYTES_LIMIT`).
    """

    number: int
    size: int
    md5: str
    sha256: str
    head: bytes = b""
    data: bytes | None = None


class _Received:
    """What one streamed request body turned out to be."""

    def __init__(self) -> None:
        self.size = 0
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.head = b""
        self.chunks: list[bytes] | None = []


class MultipartUpload:
    """An open (or completed) multipart upload.

    Args:
        upload_id: The ``uploadId`` of its part URLs.
        key: The object key the parts assemble into.
        content_type: The content type of the assembled object.
        expected_size: The size the whole file will have, when known (parts of uploads up to
            :data:`KEEP_BYTES_LIMIT` keep their bytes).
        track_sha256: Keep a running SHA-256 of the whole file over the parts in order.

    Attributes:
        upload_id: The ``uploadId``.
        key: The object key.
        content_type: The assembled object's content type.
        expected_size: The announced size, or ``None``.
        track_sha256: Whether the whole file's SHA-256 is tracked.
        parts: The parts stored so far, by part number.
        completed: The assembled object once completed, else ``None``.
    """

    def __init__(
        self,
        upload_id: str,
        key: str,
        *,
        content_type: str = "application/octet-stream",
        expected_size: int | None = None,
        track_sha256: bool = False,
    ) -> None:
        self.upload_id = upload_id
        self.key = key
        self.content_type = content_type
        self.expected_size = expected_size
        self.track_sha256 = track_sha256
        self.parts: dict[int, StoredPart] = {}
        self.completed: StoredObject | None = None
        self._chain = hashlib.sha256()
        self._chained = 0
        self._broken = False
        self._pending: dict[int, bytes] = {}

    @property
    def keeps_data(self) -> bool:
        """Whether parts keep their bytes (the upload is known to be small)."""
        return self.expected_size is not None and self.expected_size <= KEEP_BYTES_LIMIT

    def sorted_parts(self) -> list[StoredPart]:
        """The stored parts, in part-number order."""
        return [self.parts[number] for number in sorted(self.parts)]

    def whole_sha256(self) -> str | None:
        """SHA-256 hex of parts ``1..n`` (all stored parts, in order), or ``None`` when it is
        not known: not tracked, a gap in the parts, or a hashed part replaced by other bytes."""
        if not self.track_sha256 or self._broken or self._chained != len(self.parts):
            return None
        if self._chained and max(self.parts) != self._chained:
            return None
        return self._chain.copy().hexdigest()

    def _plan(self, number: int) -> tuple[Any, bool]:
        """How to receive part ``number``: (a copy of the running hash to continue while
        streaming, or None; whether to keep all of its bytes)."""
        if not self.track_sha256 or self._broken:
            return None, False
        if number == self._chained + 1:
            return self._chain.copy(), False
        return None, number > self._chained + 1

    def _commit(self, part: StoredPart, continued: Any, buffered: bytes | None) -> None:
        number = part.number
        previous = self.parts.get(number)
        self.parts[number] = part
        if not self.track_sha256 or self._broken:
            return
        if number <= self._chained:
            if previous is None or previous.md5 != part.md5:
                self._broken = True  # bytes already hashed were replaced
            return
        if number == self._chained + 1 and continued is not None:
            self._chain = continued
            self._chained = number
            self._pending.pop(number, None)
        elif buffered is not None:
            self._pending[number] = buffered
        while self._chained + 1 in self._pending:
            self._chain.update(self._pending.pop(self._chained + 1))
            self._chained += 1


# --------------------------------------------------------------------------- the storage


class Storage:
    """The objects and multipart uploads of one test server, and its signing secret.

    Tests read what was uploaded from :attr:`objects`, e.g.
    ``server.state.storage.objects["uploads/<owner>/<batch>/a.png"].data``.

    Attributes:
        objects: Every stored object, by key.
        multipart_uploads: Every multipart upload (open or completed), by ``uploadId``.
        media: Item media (``media/...`` keys, made on read): their latency and URL lifetime.
    """

    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}
        self.multipart_uploads: dict[str, MultipartUpload] = {}
        from . import _media  # it builds on this module

        self.media: Media = _media.Media()
        self._secret = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._signed_url = functools.lru_cache(maxsize=8192)(self._sign_url)

    # ---- signing

    def signature(
        self,
        method: str,
        path: str,
        expires: int,
        *,
        upload_id: str | None = None,
        part_number: int | None = None,
        extra: str = "",
    ) -> str:
        """The hex HMAC-SHA256 this server expects for a request.

        Args:
            method: The HTTP method.
            path: The decoded absolute path, e.g. ``/_storage/avala-local/uploads/x``.
            expires: Unix time (seconds) after which the grant is refused.
            upload_id: The multipart ``uploadId``, for a part.
            part_number: The part number, for a part.
            extra: Further signed text (a POST form's policy).

        Returns:
            The signature.
        """
        message = "\n".join(
            (
                method.upper(),
                path,
                str(expires),
                upload_id or "",
                "" if part_number is None else str(part_number),
                extra,
            )
        )
        return hmac.digest(self._secret, message.encode(), "sha256").hex()

    @staticmethod
    def object_path(key: str) -> str:
        """The decoded absolute path of an object, e.g. ``/_storage/avala-local/<key>``."""
        return f"{STORAGE_PREFIX}/{BUCKET}/{key}"

    def presigned_url(
        self,
        origin: str,
        method: str,
        key: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        upload_id: str | None = None,
        part_number: int | None = None,
    ) -> tuple[str, int]:
        """A signed URL for one request on an object.

        Args:
            origin: Scheme, host and port of the server, e.g. ``http://127.0.0.1:8000``.
            method: The HTTP method it grants (``PUT``).
            key: The object key.
            ttl_seconds: How long the grant is valid.
            upload_id: The multipart ``uploadId``, for a part.
            part_number: The part number, for a part.

        Returns:
            The URL and its expiry (unix seconds).
        """
        expires = int(time.time()) + max(0, int(ttl_seconds))
        url = self._signed_url(origin, method, key, expires, upload_id, part_number)
        return url, expires

    def _sign_url(
        self,
        origin: str,
        method: str,
        key: str,
        expires: int,
        upload_id: str | None,
        part_number: int | None,
    ) -> str:
        """The URL of :meth:`presigned_url`: a pure function of its arguments, memoised
        (``_signed_url``) because a listing signs two URLs per item and DataLoader workers
        list the same items within the same second."""
        path = self.object_path(key)
        query: dict[str, str] = {}
        if upload_id is not None:
            query["uploadId"] = upload_id
        if part_number is not None:
            query["partNumber"] = str(part_number)
        signature = self.signature(
            method, path, expires, upload_id=upload_id, part_number=part_number
        )
        # digits and hex need no escaping: only the optional fields go through urlencode
        # (a listing signs two URLs per item, so this is the server's hot path)
        grant = f"{_EXPIRES}={expires}&{_SIGNATURE}={signature}"
        if query:
            grant = f"{urlencode(query)}&{grant}"
        return f"{origin}{quote(path, safe='/-_.~')}?{grant}"

    def presigned_post(
        self,
        origin: str,
        key: str,
        *,
        content_length: int,
        content_type: str = "application/octet-stream",
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> dict[str, Any]:
        """A presigned form upload: ``{"method": "POST", "url", "fields"}``.

        POST ``url`` as multipart/form-data with every field of ``fields``, then a ``file``
        part holding exactly ``content_length`` bytes.

        Args:
            origin: Scheme, host and port of the server.
            key: The object key the form stores to.
            content_length: The exact size the file must have.
            content_type: The content type the object is stored with.
            ttl_seconds: How long the grant is valid.

        Returns:
            The descriptor.
        """
        expires = int(time.time()) + max(0, int(ttl_seconds))
        policy_doc = {
            "key": key,
            "content_length": content_length,
            "content_type": content_type,
            "expires": expires,
        }
        policy = base64.b64encode(json.dumps(policy_doc, sort_keys=True).encode()).decode()
        path = f"{STORAGE_PREFIX}/{BUCKET}/"
        fields = {
            "key": key,
            "Content-Type": content_type,
            "policy": policy,
            "x-avala-expires": str(expires),
            "x-avala-signature": self.signature("POST", path, expires, extra=policy),
        }
        return {"method": "POST", "url": origin + path, "fields": fields}

    # ---- objects and uploads

    def put_object(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        """Store ``data`` under ``key`` directly (for tests), replacing any object there."""
        stored = StoredObject.of_bytes(key, data, content_type)
        with self._lock:
            self.objects[key] = stored
        return stored

    def put_generated(
        self,
        key: str,
        size: int,
        *,
        seed: str | None = None,
        content_type: str = "application/octet-stream",
    ) -> StoredObject:
        """Store ``size`` deterministic bytes (a :class:`Pattern` of ``seed``, default the
        key) under ``key`` without holding them: each read makes them again. For downloads
        of any size, e.g. a 256 MiB export; hashing it once here takes about a second per
        GiB."""
        if size < 0:
            raise ValueError("size must be >= 0")
        pattern = Pattern(key if seed is None else seed)
        md5 = hashlib.md5(usedforsecurity=False)
        sha256 = hashlib.sha256()
        for chunk in pattern.chunks(0, size):
            md5.update(chunk)
            sha256.update(chunk)
        stored = StoredObject(
            key=key,
            size=size,
            etag=md5.hexdigest(),
            md5=md5.hexdigest(),
            sha256=sha256.hexdigest(),
            content_type=content_type,
            pattern=pattern,
        )
        with self._lock:
            self.objects[key] = stored
        return stored

    def create_multipart(
        self,
        key: str,
        *,
        content_type: str = "application/octet-stream",
        expected_size: int | None = None,
        track_sha256: bool = False,
    ) -> MultipartUpload:
        """Open a multipart upload to ``key`` (see :class:`MultipartUpload`)."""
        upload = MultipartUpload(
            secrets.token_hex(16),
            key,
            content_type=content_type,
            expected_size=expected_size,
            track_sha256=track_sha256,
        )
        with self._lock:
            self.multipart_uploads[upload.upload_id] = upload
        return upload

    def complete_multipart(self, upload_id: str) -> StoredObject:
        """Assemble an upload's parts ``1..n`` into its object (idempotent).

        Raises:
            KeyError: No such upload.
            ValueError: No parts, or a gap in the part numbers.
        """
        with self._lock:
            upload = self.multipart_uploads[upload_id]
            if upload.completed is not None:
                return upload.completed
            parts = upload.sorted_parts()
            if not parts or [p.number for p in parts] != list(range(1, len(parts) + 1)):
                raise ValueError("parts must be numbered 1..n without gaps")
            size = sum(p.size for p in parts)
            digests = b"".join(bytes.fromhex(p.md5) for p in parts)
            etag = f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"
            data: bytes | None = None
            md5: str | None = None
            sha256 = upload.whole_sha256()
            if size <= KEEP_BYTES_LIMIT and all(p.data is not None for p in parts):
                data = b"".join(p.data or b"" for p in parts)
                md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
                sha256 = hashlib.sha256(data).hexdigest()
            stored = StoredObject(
                key=upload.key,
                size=size,
                etag=etag,
                md5=md5,
                sha256=sha256,
                content_type=upload.content_type,
                data=data,
                part_count=len(parts),
            )
            self.objects[upload.key] = stored
            upload.completed = stored
            upload.parts = {p.number: dataclasses.replace(p, data=None) for p in parts}
            upload._pending.clear()
            return stored

    def clear(self) -> None:
        """Forget every object and multipart upload."""
        with self._lock:
            self.objects.clear()
            self.multipart_uploads.clear()


# --------------------------------------------------------------------------- HTTP


class _StorageError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message


def _error_response(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status, body=s3_error_body(code, message), content_type="application/xml"
    )


_EXPIRED = (403, "AccessDenied", "Request has expired")
_BAD_SIGNATURE = (
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided.",
)


def _check_grant(
    storage: Storage,
    method: str,
    path: str,
    expires_text: str | None,
    signature: str | None,
    *,
    upload_id: str | None = None,
    part_number: int | None = None,
    extra: str = "",
) -> None:
    if not expires_text or not signature:
        raise _StorageError(*_BAD_SIGNATURE)
    try:
        expires = int(expires_text)
    except ValueError:
        raise _StorageError(*_BAD_SIGNATURE) from None
    if str(expires) != expires_text.strip():
        raise _StorageError(*_BAD_SIGNATURE)
    wanted = storage.signature(
        method, path, expires, upload_id=upload_id, part_number=part_number, extra=extra
    )
    if not hmac.compare_digest(wanted, signature.strip().lower()):
        raise _StorageError(*_BAD_SIGNATURE)
    if time.time() >= expires:
        raise _StorageError(*_EXPIRED)


async def _receive(chunks: AsyncIterator[bytes], *, keep: bool, also: Any = None) -> _Received:
    """Read a streamed body, hashing it as it arrives; keep its bytes only when ``keep`` or
    while it is at most :data:`KEEP_BYTES_LIMIT` long."""
    got = _Received()
    kept: list[bytes] | None = []
    async for chunk in chunks:
        got.size += len(chunk)
        got.md5.update(chunk)
        got.sha256.update(chunk)
        if also is not None:
            also.update(chunk)
        if len(got.head) < 16:
            got.head = (got.head + chunk)[:16]
        if kept is not None:
            if keep or got.size <= KEEP_BYTES_LIMIT:
                kept.append(chunk)
            else:
                kept = None
    got.chunks = kept
    return got


def _incomplete() -> _StorageError:
    return _StorageError(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    )


def _content_type(request: web.Request) -> str:
    return request.headers.get("Content-Type") or "application/octet-stream"


async def _put(storage: Storage, request: web.Request, key: str) -> web.StreamResponse:
    query = request.query
    upload_id = query.get("uploadId")
    part_text = query.get("partNumber")
    part_number: int | None = None
    if part_text is not None:
        try:
            part_number = int(part_text)
        except ValueError:
            part_number = None
        if part_number is None or not 1 <= part_number <= MAX_PART_NUMBER or upload_id is None:
            raise _StorageError(
                400,
                "InvalidArgument",
                f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive.",
            )
    elif upload_id is not None:
        raise _StorageError(400, "InvalidArgument", "uploadId needs a partNumber.")
    _check_grant(
        storage,
        "PUT",
        request.path,
        query.get(_EXPIRES),
        query.get(_SIGNATURE),
        upload_id=upload_id,
        part_number=part_number,
    )
    length = request.content_length
    if length is None or "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        raise _StorageError(
            411, "MissingContentLength", "You must provide the Content-Length HTTP header."
        )
    if upload_id is not None and part_number is not None:
        return await _put_part(storage, request, key, upload_id, part_number, length)
    exclusive = request.headers.get("If-None-Match", "").strip() == "*"
    if exclusive and key in storage.objects:
        raise _precondition_failed()
    try:
        got = await _receive(request.content.iter_chunked(_CHUNK), keep=False)
    except Exception:  # the connection broke mid-body
        raise _incomplete() from None
    if got.size != length:
        raise _incomplete()
    md5 = got.md5.hexdigest()
    stored = StoredObject(
        key=key,
        size=got.size,
        etag=md5,
        md5=md5,
        sha256=got.sha256.hexdigest(),
        content_type=_content_type(request),
        data=None if got.chunks is None else b"".join(got.chunks),
    )
    with storage._lock:
        if exclusive and key in storage.objects:
            raise _precondition_failed()
        storage.objects[key] = stored
    return web.Response(status=200, headers={"ETag": stored.quoted_etag})


def _precondition_failed() -> _StorageError:
    return _StorageError(
        412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
    )


def _no_such_upload() -> _StorageError:
    return _StorageError(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
    )


async def _put_part(
    storage: Storage,
    request: web.Request,
    key: str,
    upload_id: str,
    number: int,
    length: int,
) -> web.StreamResponse:
    upload = storage.multipart_uploads.get(upload_id)
    if upload is None or upload.key != key or upload.completed is not None:
        raise _no_such_upload()
    continued, buffer_all = upload._plan(number)
    try:
        got = await _receive(
            request.content.iter_chunked(_CHUNK),
            keep=buffer_all or upload.keeps_data,
            also=continued,
        )
    except Exception:
        raise _incomplete() from None
    if got.size != length:
        raise _incomplete()
    body = None if got.chunks is None else b"".join(got.chunks)
    part = StoredPart(
        number=number,
        size=got.size,
        md5=got.md5.hexdigest(),
        sha256=got.sha256.hexdigest(),
        head=got.head,
        data=body if upload.keeps_data else None,
    )
    with storage._lock:
        if upload.completed is not None:
            raise _no_such_upload()
        upload._commit(part, continued, body if buffer_all else None)
    return web.Response(status=200, headers={"ETag": _quote_etag(part.md5)})


def _decode_policy(policy: str) -> Mapping[str, Any]:
    try:
        doc = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise _StorageError(400, "InvalidPolicyDocument", "Invalid Policy: malformed.") from None
    if not isinstance(doc, dict):
        raise _StorageError(400, "InvalidPolicyDocument", "Invalid Policy: malformed.")
    return doc


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(_CHUNK):
        yield chunk


async def _read_field(part: BodyPartReader) -> str:
    value = b""
    while True:
        chunk = await part.read_chunk(_CHUNK)
        if not chunk:
            break
        value += chunk
        if len(value) > _FIELD_LIMIT:
            raise _StorageError(400, "MaxPostPreDataLengthExceeded", "A form field is too long.")
    return value.decode("utf-8", "replace")


async def _post_form(storage: Storage, request: web.Request) -> web.StreamResponse:
    if not request.content_type.startswith("multipart/form-data"):
        raise _StorageError(
            400,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
        )
    try:
        reader = await request.multipart()
    except Exception:
        raise _StorageError(
            400,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
        ) from None
    fields: dict[str, str] = {}
    while True:
        try:
            part = await reader.next()
        except Exception:
            raise _incomplete() from None
        if part is None:
            raise _StorageError(
                400, "InvalidArgument", "POST requires exactly one file upload per request."
            )
        if not isinstance(part, BodyPartReader):
            raise _StorageError(400, "MalformedPOSTRequest", "Nested multipart is not allowed.")
        name = (part.name or "").lower()
        if name != "file":
            try:
                fields[name] = await _read_field(part)
            except _StorageError:
                raise
            except Exception:
                raise _incomplete() from None
            continue
        return await _store_form_file(storage, request, fields, part)


async def _store_form_file(
    storage: Storage, request: web.Request, fields: Mapping[str, str], part: BodyPartReader
) -> web.StreamResponse:
    policy = fields.get("policy", "")
    _check_grant(
        storage,
        "POST",
        request.path,
        fields.get("x-avala-expires"),
        fields.get("x-avala-signature"),
        extra=policy,
    )
    doc = _decode_policy(policy)
    key = fields.get("key")
    if not key or key != doc.get("key"):
        raise _StorageError(
            403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: key"
        )
    try:
        got = await _receive(_part_chunks(part), keep=False)
    except Exception:
        raise _incomplete() from None
    wanted = doc.get("content_length")
    if isinstance(wanted, int) and got.size > wanted:
        raise _StorageError(
            400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
        )
    if isinstance(wanted, int) and got.size < wanted:
        raise _StorageError(
            400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
        )
    md5 = got.md5.hexdigest()
    stored = StoredObject(
        key=key,
        size=got.size,
        etag=md5,
        md5=md5,
        sha256=got.sha256.hexdigest(),
        content_type=fields.get("content-type")
        or str(doc.get("content_type") or "")
        or "application/octet-stream",
        data=None if got.chunks is None else b"".join(got.chunks),
    )
    with storage._lock:
        storage.objects[key] = stored
    location = f"{request.url.origin()}{quote(storage.object_path(key), safe='/-_.~')}"
    return web.Response(status=204, headers={"ETag": stored.quoted_etag, "Location": location})


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of a single-range ``Range`` header, None for the
    whole object; raises 416 for a range that is not satisfiable."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or not any(match.groups()):
        return None  # not a form we serve: answer with the whole object, as servers may
    first, last = match.groups()
    if not first:  # a suffix: the last N bytes
        start, end = max(0, size - int(last)), size
    else:
        start, end = int(first), size if not last else min(size, int(last) + 1)
    if start >= size or start >= end:
        raise _StorageError(416, "InvalidRange", "The requested range is not satisfiable")
    return start, end


async def serve_object(request: web.Request, stored: StoredObject) -> web.StreamResponse:
    """Answer a GET or HEAD of ``stored`` as S3 does: ``ETag``, ``Last-Modified``-free,
    ``Accept-Ranges: bytes``, the whole object's SHA-256 as ``x-amz-checksum-sha256``
    (base64), and ``206`` with ``Content-Range`` for a ``Range`` whose ``If-Range`` (if any)
    names the current ETag. Also serves the API's export download. A response fault left by
    the middleware (:data:`RESPONSE_FAULT`) cuts the body short or flips one byte."""
    size = stored.size
    wanted = _byte_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range is not None and if_range.strip() != stored.quoted_etag:
        wanted = None  # the object changed: the whole new one
    start, end = (0, size) if wanted is None else wanted
    headers = {
        "ETag": stored.quoted_etag,
        "Accept-Ranges": "bytes",
        "Content-Type": stored.content_type,
    }
    if stored.sha256 is not None:
        digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
        headers["x-amz-checksum-sha256"] = digest
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    status = 200 if wanted is None else 206
    fault = request.get(RESPONSE_FAULT)
    if fault is None and request.method != "HEAD" and stored.data and end - start <= _CHUNK:
        # small and intact: headers and body leave in one write
        return web.Response(status=status, headers=headers, body=stored.data[start:end])
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    cut = corrupt = None
    if fault is not None and fault.kind == "cut_response":
        cut = start + fault.after_bytes
    elif fault is not None and fault.kind == "corrupt_byte":
        corrupt = fault.after_bytes
    offset = start
    for chunk in stored.chunks(start, end):
        if corrupt is not None and offset <= corrupt < offset + len(chunk):
            flipped = bytearray(chunk)
            flipped[corrupt - offset] ^= 0xFF
            chunk = bytes(flipped)
        if cut is not None and offset + len(chunk) >= cut:
            await response.write(chunk[: cut - offset])
            if request.transport is not None:
                request.transport.abort()  # mid-body: the client sees the connection drop
            return response
        await response.write(chunk)
        offset += len(chunk)
    await response.write_eof()
    return response


async def _get(storage: Storage, request: web.Request, key: str) -> web.StreamResponse:
    query = request.query
    _check_grant(storage, "GET", request.path, query.get(_EXPIRES), query.get(_SIGNATURE))
    stored = storage.objects.get(key)
    if stored is None and (stored := storage.media.lookup(key)) is not None:
        await storage.media.pause()  # item media: made from the key, after the CDN's latency
        if request.transport is None or request.transport.is_closing():
            return web.Response(status=499)  # the client left meanwhile: nobody to answer
    if stored is None or (stored.data is None and stored.pattern is None):
        raise _StorageError(404, "NoSuchKey", "The specified key does not exist.")
    return await serve_object(request, stored)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def storage_routes(storage: Storage) -> list[tuple[str, str, Handler]]:
    """The (method, path, handler) routes of the storage emulator (all anonymous)."""

    async def guarded(request: web.Request, serve: Handler) -> web.StreamResponse:
        if request.match_info.get("bucket") != BUCKET:
            return _error_response(404, "NoSuchBucket", "The specified bucket does not exist")
        try:
            return await serve(request)
        except _StorageError as exc:
            return _error_response(exc.status, exc.code, exc.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Unhandled error serving storage %s %s", request.method, request.path)
            return _error_response(500, "InternalError", "We encountered an internal error.")

    def not_allowed(request: web.Request) -> web.Response:
        return _error_response(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource."
        )

    async def on_object(request: web.Request) -> web.StreamResponse:
        async def serve(request: web.Request) -> web.StreamResponse:
            if request.method == "PUT":
                return await _put(storage, request, request.match_info["key"])
            if request.method in ("GET", "HEAD"):
                return await _get(storage, request, request.match_info["key"])
            return not_allowed(request)

        return await guarded(request, serve)

    async def on_bucket(request: web.Request) -> web.StreamResponse:
        async def serve(request: web.Request) -> web.StreamResponse:
            if request.method == "POST":
                return await _post_form(storage, request)
            return not_allowed(request)

        return await guarded(request, serve)

    return [
        ("*", STORAGE_PREFIX + "/{bucket}/", on_bucket),
        ("*", STORAGE_PREFIX + "/{bucket}/{key:.+}", on_object),
    ]
