"""Consensus models: agreement between annotators on a project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class ConsensusConfig:
    """How a project measures agreement between annotators."""

    uid: str
    """The configuration's unique id."""
    iou_threshold: float = 0.5
    """Minimum overlap (IoU) for two annotations to match."""
    min_agreement_ratio: float = 0.5
    """Share of annotators that must agree."""
    min_annotations: int = 2
    """Annotations an item needs before it is scored."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class ConsensusScore:
    """The agreement score of one item for one task."""

    uid: str
    """The score's unique id."""
    dataset_item_uid: str
    """The item scored."""
    task_name: str
    """The task scored."""
    score: float
    """The agreement score."""
    annotator_count: int
    """Number of annotators compared."""
    score_type: str | None = None
    """Kind of score, e.g. ``inter_annotator``."""
    details: dict[str, Any] | None = None
    """Score details."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class ConsensusSummary:
    """Agreement statistics across a project."""

    mean_score: float
    """Mean score."""
    median_score: float
    """Median score."""
    min_score: float
    """Lowest score."""
    max_score: float
    """Highest score."""
    total_items: int
    """Items in the project."""
    items_with_consensus: int
    """Items that reached consensus."""
    score_distribution: dict[str, Any] | None = None
    """Number of items per score bucket."""
    by_task_name: list[Any] | None = None
    """Statistics per task."""


@attrs.frozen(kw_only=True)
class ConsensusComputeResult:
    """The answer to a request to recompute a project's consensus."""

    status: str
    """Request status, e.g. ``started``."""
    message: str
    """A message about the request."""
