"""Exports of annotations (the official SDK's ``avala.types.export``; the class of
:mod:`avala.models.exports`).

The classes are those of ``avala.models``: ``avala.types.export.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.exports import (
    Export as Export,
    ExportDownload as ExportDownload,
)

__all__ = [
    "Export",
    "ExportDownload",
]
