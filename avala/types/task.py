"""Annotation tasks (the official SDK's ``avala.types.task``; the class of
:mod:`avala.models.tasks`).

The classes are those of ``avala.models``: ``avala.types.task.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.tasks import (
    Task as Task,
)

__all__ = [
    "Task",
]
