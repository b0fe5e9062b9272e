"""``client.consensus``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncConsensus(AsyncResource):
    """Inter-annotator consensus of a project: summary, scores, settings."""

    __slots__ = ()
