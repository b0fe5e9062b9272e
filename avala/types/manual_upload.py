"""Manual (local) dataset uploads: the upload quota and the advised MIME types (the
official SDK's ``avala.types.manual_upload``; the classes of :mod:`avala.models.datasets`).

Also here: ``ManualUploadTarget``, the typed dict ``datasets.create_manual_upload_url()``
returns (a plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.manual_upload.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.datasets import (
    AllowedMimes as AllowedMimes,
    ManualUploadTarget as ManualUploadTarget,
    UploadQuota as UploadQuota,
)

__all__ = [
    "AllowedMimes",
    "ManualUploadTarget",
    "UploadQuota",
]
