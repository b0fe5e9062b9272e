"""Auto-labelling jobs (the official SDK's ``avala.types.auto_label_job``; the class of
:mod:`avala.models.auto_label_jobs`).

The classes are those of ``avala.models``: ``avala.types.auto_label_job.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.auto_label_jobs import (
    AutoLabelJob as AutoLabelJob,
)

__all__ = [
    "AutoLabelJob",
]
