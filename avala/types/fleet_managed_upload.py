"""Managed fleet uploads (``fleet-managed-mcap-v1``): the upload's status, each original file,
its multipart generation and the server's finalization (the official SDK's
``avala.types.fleet_managed_upload``; the classes of :mod:`avala.models.uploads`).

The classes are those of ``avala.models``: ``avala.types.fleet_managed_upload.X is
avala.models.X``. They are plain attrs classes: the official SDK's pydantic base
``ManagedModel`` has no counterpart.
"""

from __future__ import annotations

from typing import Final

from ..models.uploads import (
    ManagedFinalization as ManagedFinalization,
    ManagedFleetUploadStatus as ManagedFleetUploadStatus,
    ManagedGeneration as ManagedGeneration,
    ManagedOriginal as ManagedOriginal,
)

PROTOCOL: Final = "fleet-managed-mcap-v1"
"""The managed upload protocol's name, as ``ManagedFleetUploadStatus.protocol`` carries it."""

__all__ = [
    "PROTOCOL",
    "ManagedFinalization",
    "ManagedFleetUploadStatus",
    "ManagedGeneration",
    "ManagedOriginal",
]
