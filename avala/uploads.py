"""Upload helpers: a progress bar for any upload's ``progress=`` callback.

``client.datasets.create_from_local(..., progress=progress_bar())`` shows one bar of bytes
(with files done and the rate) in a terminal or, through ``tqdm.auto``, as a widget in a
notebook. It needs tqdm: ``pip install "avala[progress]"``.
"""

from __future__ import annotations

from typing import Any

from ._closing import ClosedOnExit
from .models.uploads import UploadProgress

__all__ = ["ProgressBar", "UploadProgress", "progress_bar"]


class ProgressBar(ClosedOnExit):
    """A ``progress=`` callback drawing a tqdm bar; it closes itself when the upload ends
    (or use it as a context manager, which also closes it when the upload fails)."""

    def __init__(self, description: str = "Uploading", **tqdm_options: Any) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                'progress_bar() needs tqdm: pip install "avala[progress]" (or pip install tqdm).'
            ) from None
        self._tqdm = tqdm
        self._description = description
        self._options = tqdm_options
        self._bar: Any = None

    def __call__(self, progress: UploadProgress) -> None:
        """Draw ``progress``."""
        bar = self._bar
        if bar is None:
            bar = self._bar = self._tqdm(
                total=progress.total_bytes,
                desc=self._description,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                **self._options,
            )
        bar.n = progress.uploaded_bytes
        bar.set_postfix_str(f"{progress.uploaded_files}/{progress.total_files} files", False)
        bar.refresh()
        if progress.finished:
            self.close()

    def close(self) -> None:
        """Close the bar (it stays on screen with its last state)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress_bar(description: str = "Uploading", **tqdm_options: Any) -> ProgressBar:
    """A progress bar for an upload's ``progress=`` argument, in one line.

    Args:
        description: Text before the bar.
        **tqdm_options: Passed to ``tqdm`` (e.g. ``file=``, ``leave=``, ``disable=``).

    Raises:
        ImportError: tqdm is not installed (``pip install "avala[progress]"``).
    """
    return ProgressBar(description, **tqdm_options)
