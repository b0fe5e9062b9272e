"""Export model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

TERMINAL_EXPORT_STATUSES = frozenset({"exported", "failed", "completed"})


@attrs.frozen(kw_only=True)
class Export:
    """An export of a project's or dataset's annotations."""

    uid: str
    """The export's unique id."""
    status: str | None = None
    """``pending``/``requested``, ``processing``, then ``exported`` or ``failed``."""
    download_url: str | None = None
    """Where to download the result once exported."""
    name: str | None = None
    """Display name."""
    format: str | None = None
    """Export format, e.g. ``avala-json-external`` or ``YOLO``."""
    total_task_count: int | None = None
    """Tasks included in the export."""
    exported_task_count: int | None = None
    """Tasks exported so far."""
    datasets: list[str] | None = None
    """Uids of the exported datasets."""
    projects: list[str] | None = None
    """Uids of the exported projects."""
    slices: list[str] | None = None
    """Uids of the exported slices."""
    organization: Any = None
    """The owning organization, as the server describes it."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""

    @property
    def is_finished(self) -> bool:
        """Whether the export reached a terminal status (exported, failed or completed)."""
        return self.status in TERMINAL_EXPORT_STATUSES


@attrs.frozen(kw_only=True)
class ExportDownload:
    """An export's file, downloaded and verified (see ``exports.download``)."""

    export: Export
    """The export, as fetched just before the download."""
    path: Path
    """Where the file is."""
    size: int
    """Its size in bytes."""
    sha256: str
    """SHA-256 hex of the file."""
    resumed_from: int = 0
    """Bytes kept from an earlier, interrupted download (0 if it started afresh)."""
