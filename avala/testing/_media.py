"""Item media: every dataset item's media URLs point at this server's storage emulator.

Items are stored with URLs on a placeholder host (:data:`~avala.testing._store.ASSET_HOST`);
each list page and detail answer of the item endpoints swaps them for presigned
``/_storage/`` URLs of the server that answers, with a fresh expiry on every answer (so
``get_item`` re-signs, as the API does). The object behind ``url`` is a small deterministic
PNG made from the item's key (:func:`media_png`), whatever the key's extension, so
``PIL.Image.open`` decodes the media of every seeded dataset. Nothing is stored per item:
images are made on first read and a bounded number are kept.

Steer it through ``server.state.storage.media`` (:class:`Media`): ``latency`` adds a delay
before every media answer (a CDN's round trip, e.g. ``0.02``); ``ttl_seconds`` sets the
lifetime of the URLs handed out. Faults on media requests use the storage paths, e.g.
``Fault.status(503, path="/_storage/", contains="/media/")``, ``Fault.expired_grant(...)``,
``Fault.cut_response(...)``, ``Fault.corrupt_byte(...)``, ``Fault.delay(...)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import struct
import threading
import zlib
from collections import OrderedDict

from ._storage import DEFAULT_TTL_SECONDS, Storage, StoredObject
from ._store import ASSET_HOST

__all__ = ["MEDIA_PREFIX", "Media", "media_key", "media_png", "sign_media_urls"]

MEDIA_PREFIX = "media/"
"""Storage keys of item media start with this."""

MEDIA_SIZE = (32, 24)
"""Width and height of every media image."""

_CACHED = 4096
_ASSET_URL = re.compile('"' + re.escape(ASSET_HOST) + r'/([^"?#\\]+)"')


def media_key(asset_path: str) -> str:
    """The storage key of the media at ``<ASSET_HOST>/<asset_path>``."""
    return MEDIA_PREFIX + asset_path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def media_png(key: str) -> bytes:
    """The PNG served for storage key ``key``: :data:`MEDIA_SIZE` pixels, RGB, a gradient
    whose colours derive from the key's SHA-256 (pixel ``(x, y)`` is ``((r + 7x) % 256,
    (g + 9y) % 256, b)`` for the digest's first three bytes ``r, g, b``)."""
    red, green, blue = hashlib.sha256(key.encode()).digest()[:3]
    width, height = MEDIA_SIZE
    row = bytearray(1 + 3 * width)  # filter byte "none", then RGB per pixel
    row[1::3] = bytes((red + 7 * x) % 256 for x in range(width))
    row[3::3] = bytes((blue,)) * width
    rows = bytearray()
    for y in range(height):
        row[2::3] = bytes(((green + 9 * y) % 256,)) * width
        rows += row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + _chunk(b"IEND", b"")
    )


class Media:
    """The item media of one server's storage.

    Attributes:
        latency: Seconds every media answer waits before it is sent (default 0).
        ttl_seconds: Lifetime of the media URLs item answers carry (default 3600).
    """

    def __init__(self) -> None:
        self.latency: float = 0.0
        self.ttl_seconds: int = DEFAULT_TTL_SECONDS
        self._made: OrderedDict[str, StoredObject] = OrderedDict()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Undo every knob."""
        self.latency = 0.0
        self.ttl_seconds = DEFAULT_TTL_SECONDS

    def lookup(self, key: str) -> StoredObject | None:
        """The media object under ``key``, or None when ``key`` is not a media key."""
        if not key.startswith(MEDIA_PREFIX) or len(key) == len(MEDIA_PREFIX):
            return None
        with self._lock:
            found = self._made.get(key)
            if found is not None:
                self._made.move_to_end(key)
                return found
        made = StoredObject.of_bytes(key, media_png(key), "image/png")
        with self._lock:
            self._made[key] = made
            while len(self._made) > _CACHED:
                self._made.popitem(last=False)
        return made

    async def pause(self) -> None:
        """Wait :attr:`latency` seconds (before a media answer)."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)


def sign_media_urls(storage: Storage, origin: str, text: str) -> str:
    """``text`` (JSON) with every placeholder asset URL replaced by a presigned GET URL of
    ``origin``'s storage, all expiring ``storage.media.ttl_seconds`` from now."""
    ttl = storage.media.ttl_seconds
    signed: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        path = match.group(1)
        url = signed.get(path)
        if url is None:
            url = signed[path] = storage.presigned_url(
                origin, "GET", media_key(path), ttl_seconds=ttl
            )[0]
        return f'"{url}"'

    return _ASSET_URL.sub(replace, text)
