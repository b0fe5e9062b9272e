"""Fleet recording uploads, legacy protocol: sessions, URL grants, status, progress (the
official SDK's ``avala.types.fleet_upload``; the classes of :mod:`avala.models.uploads`).

``UploadConfirmResponse`` is a typed dict here (what ``confirm_upload()`` returns; the
official SDK defines a model of that name but returns a plain dict). Also here:
``UploadFinalizeResponse`` (what ``finalize_upload()`` returns) and ``SourceFile`` /
``SourceInventory`` (what ``collect_files()`` returns; private classes in the official SDK).

The classes are those of ``avala.models``: ``avala.types.fleet_upload.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.uploads import (
    SourceFile as SourceFile,
    SourceInventory as SourceInventory,
    UploadConfirmResponse as UploadConfirmResponse,
    UploadFinalizeResponse as UploadFinalizeResponse,
    UploadProgress as UploadProgress,
    UploadSession as UploadSession,
    UploadStatusResponse as UploadStatusResponse,
    UploadUrlEntry as UploadUrlEntry,
    UploadUrlsResponse as UploadUrlsResponse,
)

__all__ = [
    "SourceFile",
    "SourceInventory",
    "UploadConfirmResponse",
    "UploadFinalizeResponse",
    "UploadProgress",
    "UploadSession",
    "UploadStatusResponse",
    "UploadUrlEntry",
    "UploadUrlsResponse",
]
