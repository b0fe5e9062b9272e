"""Annotation projects (the official SDK's ``avala.types.project``; the class of
:mod:`avala.models.projects`).

The classes are those of ``avala.models``: ``avala.types.project.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.projects import (
    Project as Project,
)

__all__ = [
    "Project",
]
