"""Auto-label job model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class AutoLabelJob:
    """A job that pre-labels a project's items with a model."""

    uid: str
    """The job's unique id."""
    status: str | None = None
    """``pending``, ``running``, then e.g. ``completed`` or ``failed``."""
    model_type: str | None = None
    """The model used: ``sam3`` or ``yolo``."""
    confidence_threshold: float | None = None
    """Minimum confidence of a kept prediction (0 to 1)."""
    labels: list[str] = attrs.Factory(list)
    """Labels to predict (empty: all)."""
    dry_run: bool = False
    """Whether predictions are computed without being saved."""
    total_items: int = 0
    """Items to process."""
    processed_items: int = 0
    """Items processed so far."""
    successful_items: int = 0
    """Items labeled."""
    failed_items: int = 0
    """Items that failed."""
    skipped_items: int = 0
    """Items skipped."""
    progress_pct: float | None = None
    """Progress, in percent."""
    error_message: str | None = None
    """Why the job failed, if it did."""
    summary: dict[str, Any] | None = None
    """Summary of the outcome."""
    started_at: datetime | None = None
    """Start time (timezone-aware)."""
    completed_at: datetime | None = None
    """End time (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
