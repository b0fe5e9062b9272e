"""Quality targets and their evaluations (the official SDK's ``avala.types.quality_target``;
the classes of :mod:`avala.models.quality_targets`).

The classes are those of ``avala.models``: ``avala.types.quality_target.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.quality_targets import (
    QualityTarget as QualityTarget,
    QualityTargetEvaluation as QualityTargetEvaluation,
)

__all__ = [
    "QualityTarget",
    "QualityTargetEvaluation",
]
