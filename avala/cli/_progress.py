"""Progress on stderr for long work: polls of a wait, bytes of an upload, chunks of a bulk
edit. A live rich display when stderr is a terminal; plain lines otherwise (a CI log reads
them as they come); nothing with ``--quiet``. Never on stdout, which carries data."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from ._output import note

#: Plain (non-terminal) upload lines are written at most this often, and when it ends.
PLAIN_INTERVAL = 2.0
QUIET_HELP = "Show no progress on stderr."


def interactive() -> bool:
    """Whether stderr is a terminal (live displays), as opposed to a pipe or a log."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover - the loop returns first


class Progress:
    """One command's progress display; ``close()`` it when the work ends (``with
    contextlib.closing(Progress(...))``).

    Its methods are the SDK's callbacks: :meth:`poll` for ``on_poll=`` of a wait,
    :meth:`upload` for ``progress=`` of an upload, :meth:`step` for counted steps. The SDK
    may call them from its event-loop thread.

    Args:
        what: What is being done, e.g. ``"export 01H..."``.
        quiet: Show nothing.
        live: Use a live display (default: when stderr is a terminal).
    """

    def __init__(self, what: str, *, quiet: bool = False, live: bool | None = None) -> None:
        self.what = what
        self.quiet = quiet
        self.live = interactive() if live is None else live
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._display: Any = None  # rich Status or Progress, started on first use
        self._task: Any = None
        self._last_line = 0.0
        self.polls = 0

    def elapsed(self) -> int:
        return int(time.monotonic() - self._started)

    # ---------------------------------------------------------------- waits

    def poll(self, current: Any) -> None:
        """A poll of a wait that has not finished: shows its status."""
        self.polls += 1
        if self.quiet:
            return
        status = getattr(current, "status", None)
        extra = ""
        items = getattr(current, "item_count", None)
        if isinstance(items, int):
            extra = f", items={items}"
        text = f"{self.what}: status={status}{extra} (elapsed: {self.elapsed()}s)"
        if not self.live:
            note(text)
            return
        with self._lock:
            if self._display is None:
                from rich.console import Console

                self._display = Console(stderr=True).status(text)
                self._display.start()
            else:
                self._display.update(text)

    # ---------------------------------------------------------------- uploads

    def upload(self, progress: Any) -> None:
        """An :class:`~avala.models.UploadProgress` snapshot of an upload."""
        if self.quiet:
            return
        if not self.live:
            now = time.monotonic()
            if progress.finished or now - self._last_line >= PLAIN_INTERVAL:
                self._last_line = now
                note(
                    f"{self.what}: {progress.uploaded_files}/{progress.total_files} files, "
                    f"{_size(progress.uploaded_bytes)}/{_size(progress.total_bytes)} "
                    f"({_size(progress.bytes_per_second)}/s)"
                )
            return
        with self._lock:
            bar = self._bar(progress.total_bytes)
            bar.update(
                self._task,
                total=progress.total_bytes,
                completed=progress.uploaded_bytes,
                files=f"{progress.uploaded_files}/{progress.total_files} files",
            )

    def step(self, done: int, total: int | None, unit: str) -> None:
        """``done`` of ``total`` steps (chunks, files) finished."""
        if self.quiet:
            return
        if not self.live:
            of = f"/{total}" if total is not None else ""
            note(f"{self.what}: {done}{of} {unit}")
            return
        with self._lock:
            bar = self._bar(total, transfer=False)
            bar.update(self._task, total=total, completed=done, files=unit)

    def _bar(self, total: int | None, *, transfer: bool = True) -> Any:
        if self._display is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress as RichProgress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
            if transfer:
                columns += [DownloadColumn(), TransferSpeedColumn()]
            else:
                columns.append(MofNCompleteColumn())
            columns += [TimeRemainingColumn(), TextColumn("{task.fields[files]}")]
            self._display = RichProgress(*columns, console=Console(stderr=True))
            self._display.start()
            self._task = self._display.add_task(self.what, total=total, files="")
        return self._display

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Stop the live display (its last frame stays on screen)."""
        with self._lock:
            if self._display is not None:
                self._display.stop()
                self._display = None
