"""``client.slices``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncSlices(AsyncResource):
    """Slices: curated subsets of one or more datasets."""

    __slots__ = ()
