"""Inter-annotator consensus: configuration, scores, summaries (the official SDK's
``avala.types.consensus``; the classes of :mod:`avala.models.consensus`).

The classes are those of ``avala.models``: ``avala.types.consensus.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.consensus import (
    ConsensusComputeResult as ConsensusComputeResult,
    ConsensusConfig as ConsensusConfig,
    ConsensusScore as ConsensusScore,
    ConsensusSummary as ConsensusSummary,
)

__all__ = [
    "ConsensusComputeResult",
    "ConsensusConfig",
    "ConsensusScore",
    "ConsensusSummary",
]
