"""Cloud storage connections (the official SDK's ``avala.types.storage_config``; the classes
of :mod:`avala.models.storage_configs`).

Also here: ``StorageConfigTestResult``, the typed dict ``storage_configs.test()`` returns (a
plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.storage_config.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.storage_configs import (
    StorageConfig as StorageConfig,
    StorageConfigSetupInfo as StorageConfigSetupInfo,
    StorageConfigTestResult as StorageConfigTestResult,
)

__all__ = [
    "StorageConfig",
    "StorageConfigSetupInfo",
    "StorageConfigTestResult",
]
