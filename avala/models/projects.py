"""Project model."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen(kw_only=True)
class Project:
    """An annotation project."""

    uid: str
    """The project's unique id."""
    name: str
    """Display name."""
    status: str | None = None
    """``pending-approval``, ``active``, ``paused``, ``canceled``, ``archived``, ``completed``."""
    task_type: str | None = None
    """e.g. ``image-annotation``, ``point-cloud-annotation``."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""
