"""Published dataset revisions: ``load`` / ``async_load`` and what they return.

Also importable from ``avala`` itself (``avala.load``, ``avala.async_load``,
``avala.ResolvedDataset``, ``avala.AsyncResolvedDataset``).
"""

from __future__ import annotations

from ._load._dataset import (
    AsyncDatasetObject,
    AsyncDatasetObjects,
    AsyncResolvedDataset,
    DatasetObject,
    DatasetObjects,
    ResolvedDataset,
    async_load,
    load,
)
from ._load._protocol import DatasetRights

__all__ = [
    "AsyncDatasetObject",
    "AsyncDatasetObjects",
    "AsyncResolvedDataset",
    "DatasetObject",
    "DatasetObjects",
    "DatasetRights",
    "ResolvedDataset",
    "async_load",
    "load",
]
