"""``exports.download`` and ``exports.create_and_download``: which URL, which session."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from yarl import URL

from .._storage_urls import storage_url
from .._transport import STORAGE_TIMEOUT
from ..errors import DownloadError, ExportNotReadyError
from ..models.exports import Export, ExportDownload
from ._fetch import fetch_to_file

if TYPE_CHECKING:
    from ..resources.exports import AsyncExports

logger = logging.getLogger("avala")

_DOWNLOADABLE = frozenset({"exported", "completed"})


def _not_ready(export: Export) -> ExportNotReadyError:
    status = export.status
    if status == "failed":
        message = f"Export {export.uid} failed: there is nothing to download. Create a new one."
    else:
        message = (
            f"Export {export.uid} is not ready yet (status: {status}). Wait for it with "
            "exports.wait(uid), or use exports.create_and_download(...)."
        )
    return ExportNotReadyError(message, uid=export.uid, status=status)


def _destination(path: str | os.PathLike[str], export: Export) -> Path:
    dest = Path(path)
    if dest.is_dir():  # a folder: the file keeps the name the server gives it
        name = URL(export.download_url or "", encoded=True).name if export.download_url else ""
        dest = dest / (name or f"export-{export.uid}.json")
    return dest


async def download(
    exports: AsyncExports,
    export: str | Export,
    path: str | os.PathLike[str],
    *,
    overwrite: bool,
    resume: bool,
    on_progress: Callable[[int], object] | None,
) -> ExportDownload:
    uid = export.uid if isinstance(export, Export) else export
    fresh = await exports.get(uid)  # a fresh signed URL, and the current status
    if fresh.status not in _DOWNLOADABLE:
        raise _not_ready(fresh)
    dest = _destination(path, fresh)
    transport = exports._client._transport
    for attempt in (1, 2):
        parsed, problem = storage_url(fresh.download_url)
        if parsed is not None:
            session, url, timeout = transport.storage_session(), str(parsed), None
        else:  # no usable storage URL: the API serves the file itself, to the key's owner
            if fresh.download_url:
                logger.debug("export %s: %s; downloading through the API", uid, problem)
            session = transport._get_session()
            url = f"{transport.base_url}/exports/{uid}/download/"
            timeout = STORAGE_TIMEOUT
        try:
            result = await fetch_to_file(
                session,
                url,
                dest,
                overwrite=overwrite,
                resume=resume,
                on_progress=on_progress,
                timeout=timeout,
            )
        except DownloadError as exc:
            expired = exc.status_code == 403 and "expired" in exc.message
            if attempt == 2 or not expired or parsed is None:
                raise
            fresh = await exports.get(uid)  # the signed URL ran out mid-way: sign again
            continue
        return ExportDownload(
            export=fresh,
            path=result.path,
            size=result.size,
            sha256=result.sha256,
            resumed_from=result.resumed_from,
        )
    raise AssertionError("unreachable")  # pragma: no cover
