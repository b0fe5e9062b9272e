"""Task model."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen(kw_only=True)
class Task:
    """A unit of annotation work within a project."""

    uid: str
    """The task's unique id."""
    type: str | None = None
    """Task type, e.g. ``image-annotation``."""
    name: str | None = None
    """Display name."""
    status: str | None = None
    """``pending`` or ``completed`` (others may appear)."""
    project: str | None = None
    """The project's uid."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""
