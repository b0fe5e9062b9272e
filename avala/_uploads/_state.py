"""Durable upload state: where it lives, atomic snapshots, an append-only journal, a lock.

An upload's progress is one snapshot (JSON, replaced atomically: written to a unique
temporary file, fsync'd, ``os.replace``'d, the folder fsync'd) plus a journal of JSON lines,
one per file (or part) stored since the snapshot. Each journal line is written with a single
``os.write`` the moment the storage accepted the bytes, so a process killed at any point
loses nothing it was told; the journal is fsync'd at most every half second and when the run
ends, so a power cut loses at most that much (which is then sent again: every store is
idempotent). A torn last line, from a kill mid-write, is ignored.

Two runs of the same upload cannot collide: each holds an exclusive, non-blocking lock on
``<state>.lock`` for its whole run; a second run fails at once with
:class:`~avala.errors.UploadStateError`. State never holds the API key or a signed URL.

The directory is ``AVALA_STATE_DIR`` if set, else the platform's per-user state directory
(``$XDG_STATE_HOME/avala`` or ``~/.local/state/avala`` on Linux,
``~/Library/Application Support/avala`` on macOS, ``%LOCALAPPDATA%\\avala`` on Windows),
with uploads under ``uploads/``. It is created private to the user (0700, files 0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .._closing import ClosedOnExit
from ..errors import UploadStateError

STATE_DIR_ENV = "AVALA_STATE_DIR"
SYNC_INTERVAL = 0.5


def state_root(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """The per-user state directory of the SDK (not created)."""
    env = os.environ if environ is None else environ
    override = env.get(STATE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA")
        return Path(base) / "avala" if base else home / "AppData" / "Local" / "avala"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "avala"
    xdg = env.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else home / ".local" / "state") / "avala"


def uploads_dir() -> Path:
    return state_root() / "uploads"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, document: Any) -> None:
    """Replace ``path`` with ``document`` as JSON, all or nothing, durably."""
    data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class UploadState(ClosedOnExit):
    """The state of one upload: ``<name>.json`` (snapshot), ``.journal`` and ``.lock`` in
    ``folder``. Use as a context manager: entering takes the lock and loads the state."""

    def __init__(self, folder: Path, name: str, identity: dict[str, Any], what: str) -> None:
        self.folder = folder
        self.snapshot_path = folder / f"{name}.json"
        self.journal_path = folder / f"{name}.journal"
        self.lock_path = folder / f"{name}.lock"
        self.identity = identity
        self.what = what
        self.data: dict[str, Any] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock_fd: int | None = None
        self._journal_fd: int | None = None
        self._synced = time.monotonic()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> UploadState:
        _private_dir(self.folder)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _lock(fd):
            os.close(fd)
            raise UploadStateError(
                f"Another run is already uploading {self.what} (it holds {self.lock_path}). "
                "Wait for it to finish, or stop it, then run this again."
            )
        self._lock_fd = fd
        try:
            self._load()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._journal_fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._journal_fd)
            os.close(self._journal_fd)
            self._journal_fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    # ------------------------------------------------------------------ reading

    def _corrupt(self, path: Path, problem: str) -> UploadStateError:
        return UploadStateError(
            f"The saved state of {self.what} ({path}) {problem}. Delete it to start this "
            "upload over (files already stored are then checked again), or pass resume=False."
        )

    def _load(self) -> None:
        try:
            raw = self.snapshot_path.read_bytes()
        except FileNotFoundError:
            raw = None
        if raw is not None:
            try:
                data = json.loads(raw)
            except ValueError:
                raise self._corrupt(self.snapshot_path, "is not valid JSON") from None
            if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
                raise self._corrupt(self.snapshot_path, "has an unknown shape")
            if data.get("identity") != self.identity:
                raise self._corrupt(self.snapshot_path, "belongs to another upload")
            self.data = data
            self.entries = data["entries"]
        try:
            lines = self.journal_path.read_bytes().split(b"\n")
        except FileNotFoundError:
            lines = []
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                key, entry = record["k"], record["v"]
            except (ValueError, KeyError, TypeError):
                if number == len(lines) - 1:
                    break  # torn last line of a killed run
                raise self._corrupt(self.journal_path, f"has a bad line {number + 1}") from None
            if entry is None:
                self.entries.pop(key, None)
            else:
                self.entries[key] = entry
        if lines:
            self.save()

    # ------------------------------------------------------------------ writing

    def save(self, **data: Any) -> None:
        """Write the snapshot (with ``data`` merged in) and empty the journal."""
        self.data.update(data)
        self.data["identity"] = self.identity
        self.data["entries"] = self.entries
        write_atomic(self.snapshot_path, self.data)
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()

    def record(self, key: str, entry: dict[str, Any] | None) -> None:
        """Record (or with None, forget) one entry: one journal line, written at once."""
        if entry is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = entry
        if self._journal_fd is None:
            self._journal_fd = os.open(
                self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
            )
        line = json.dumps({"k": key, "v": entry}, separators=(",", ":")).encode() + b"\n"
        os.write(self._journal_fd, line)
        now = time.monotonic()
        if now - self._synced >= SYNC_INTERVAL:
            os.fsync(self._journal_fd)
            self._synced = now

    def delete(self) -> None:
        """Remove the state (after the upload finished for good)."""
        self.entries = {}
        self.data = {}
        for path in (self.snapshot_path, self.journal_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
