"""Byte-level progress of an upload: one tracker per run, snapshots to the caller's callback."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from ..models.uploads import UploadProgress

#: Snapshots go out at most this often while bytes flow (and always when a file ends).
INTERVAL = 0.1
#: The rate is measured over this many seconds.
WINDOW = 5.0


class Tracker:
    """Counts files and bytes of one run and reports :class:`UploadProgress` snapshots."""

    def __init__(
        self,
        total_files: int,
        total_bytes: int,
        callback: Callable[[UploadProgress], object] | None,
    ) -> None:
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.callback = callback
        self.files_done = 0
        self.skipped_files = 0
        self.failed_files = 0
        self.bytes_done = 0  # includes files already stored before this run
        self.bytes_sent = 0  # this run
        self.current: str | None = None
        self._started = time.monotonic()
        self._last = 0.0
        self._samples: deque[tuple[float, int]] = deque([(self._started, 0)])

    def advance(self, size: int) -> None:
        self.bytes_done += size
        self.bytes_sent += size
        now = time.monotonic()
        if now - self._last >= INTERVAL:
            self.emit(now)

    def rewind(self, size: int) -> None:
        """Take back bytes of an attempt that failed (they are sent again)."""
        self.bytes_done -= size
        self.bytes_sent -= size

    def skipped(self, relative: str, size: int) -> None:
        self.files_done += 1
        self.skipped_files += 1
        self.bytes_done += size
        self.current = relative

    def done(self, relative: str, *, stored_before: int = 0) -> None:
        """A file ended; ``stored_before`` bytes of it the host already had (not sent)."""
        self.files_done += 1
        self.bytes_done += stored_before
        self.current = relative
        self.emit()

    def failed(self, relative: str) -> None:
        self.failed_files += 1
        self.current = relative
        self.emit()

    def rate(self, now: float) -> float:
        samples = self._samples
        samples.append((now, self.bytes_sent))
        while len(samples) > 2 and now - samples[1][0] > WINDOW:
            samples.popleft()
        then, sent_then = samples[0]
        return (self.bytes_sent - sent_then) / (now - then) if now > then else 0.0

    def snapshot(self, now: float | None = None, *, finished: bool = False) -> UploadProgress:
        now = time.monotonic() if now is None else now
        return UploadProgress(
            total_files=self.total_files,
            uploaded_files=self.files_done,
            total_bytes=self.total_bytes,
            uploaded_bytes=self.bytes_done,
            failed_files=self.failed_files,
            skipped_files=self.skipped_files,
            bytes_sent=self.bytes_sent,
            bytes_per_second=self.rate(now),
            elapsed_seconds=now - self._started,
            current_path=self.current,
            finished=finished,
        )

    def emit(self, now: float | None = None, *, finished: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic() if now is None else now
        self._last = now
        self.callback(self.snapshot(now, finished=finished))

    def finish(self) -> None:
        self.emit(finished=True)
