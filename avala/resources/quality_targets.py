"""``client.quality_targets``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncQualityTargets(AsyncResource):
    """Quality targets of a project: thresholds on a metric, and their evaluation."""

    __slots__ = ()
