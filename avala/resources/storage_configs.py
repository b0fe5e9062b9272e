"""``client.storage_configs``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncStorageConfigs(AsyncResource):
    """Cloud storage connections (S3, GCS) that datasets import from."""

    __slots__ = ()
