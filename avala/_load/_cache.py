"""The content-addressed object cache: ``<root>/objects/sha256/<hex>``.

Only bytes whose size and SHA-256 were verified are renamed into ``objects/`` (by the download
engine's temp-file-then-``os.replace``), so a file there is valid and a hit costs one
``stat``. Two processes may fill the cache at once without any lock: each writes its own
uniquely named temporary file, the content is immutable so both renames put identical bytes
in place, and a process that finds the entry already there uses it. (A per-object lock file
would only spare the second process a download, at the price of an open and a lock per
object on every load. The directory is flat, as Hugging Face's ``blobs/`` is: ext4, XFS,
APFS and NTFS index large directories, and on a fresh cache the 256 ``mkdir`` calls of even
one fan-out level cost more than a tenth of a cold load of 1,000 small objects.)
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

CACHE_DIR_ENV = "AVALA_CACHE_DIR"
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file marks the avala SDK's object cache; backup tools may skip it.\n"
)


def default_cache_dir() -> Path:
    """``AVALA_CACHE_DIR``, else the platform's user cache directory plus ``avala``:
    ``$XDG_CACHE_HOME/avala`` or ``~/.cache/avala`` on Linux, ``~/Library/Caches/avala`` on
    macOS, ``%LOCALAPPDATA%\\avala\\Cache`` on Windows."""
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":  # pragma: no cover - not run on CI
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "avala" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover - not run on CI
        return Path.home() / "Library" / "Caches" / "avala"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "avala"


class ObjectCache:
    """Verified object bytes by SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = str(root / "objects" / "sha256")
        self._made = False
        self._tagged = False

    def path_for(self, sha256: str) -> str:
        """Where the object with this (lower-case hex) SHA-256 lives. (A plain string: a
        ``Path`` per lookup costs more than the ``stat``.)"""
        return f"{self._objects}/{sha256}"

    def hit(self, sha256: str, size: int) -> Path | None:
        """The cached file, when one of the right size is there (one ``stat``)."""
        path = self.path_for(sha256)
        try:
            if os.stat(path).st_size == size:
                return Path(path)
        except OSError:
            return None
        return None

    def prepare(self, sha256: str) -> str:
        """Create the object's directory (and the cache's ``CACHEDIR.TAG``); return its path.

        Raises:
            OSError: the cache cannot be written.
        """
        if not self._made:
            os.makedirs(self._objects, exist_ok=True)
            self._made = True
        if not self._tagged:
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                with contextlib.suppress(OSError):
                    temp = tag.with_name(f".CACHEDIR.TAG.{os.getpid()}")
                    temp.write_text(_TAG)
                    os.replace(temp, tag)
            self._tagged = True
        return self.path_for(sha256)
