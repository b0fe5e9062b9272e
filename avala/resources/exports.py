"""``client.exports``: exports of annotations."""

from __future__ import annotations

import os
from collections.abc import Callable

from ..models.exports import TERMINAL_EXPORT_STATUSES, Export, ExportDownload
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path, poll


class AsyncExports(AsyncResource):
    """Create exports and wait for them to finish."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Export]:
        """List exports.

        Returns:
            A paginator: iterate it for every export, or call ``first_page()`` for one page.
        """
        return self._list("/exports/", Export, locals())

    async def create(self, *, project: str | None = None, dataset: str | None = None) -> Export:
        """Start an export of a project or a dataset (by uid).

        Returns:
            The new export, usually ``pending``; see :meth:`wait`.
        """
        return await self._post("/exports/", Export, given(locals()))

    async def get(self, uid: str) -> Export:
        """Fetch an export by uid."""
        return await self._get(path("/exports/{uid}/", uid=uid), Export)

    async def wait(
        self,
        uid: str,
        *,
        interval: float = 2.0,
        timeout: float = 300.0,
        on_poll: Callable[[Export], object] | None = None,
        _on_poll: Callable[[], object] | None = None,
    ) -> Export:
        """Poll an export until it finishes (``exported``, ``failed`` or ``completed``).

        A failed export is returned, not raised: check ``export.status``.

        Args:
            uid: The export.
            interval: Seconds between polls (> 0).
            timeout: Seconds to wait in all (>= 0).
            on_poll: Called with the export after each poll that has not finished.
            _on_poll: The official SDK's per-poll callback, called with no arguments as there,
                so its code runs as is.

        Raises:
            TimeoutError: it did not finish in time; the message names the last status.
        """
        path("/exports/{uid}/", uid=uid)  # a bad uid fails here, before any wait
        if on_poll is None and _on_poll is not None:
            official = _on_poll

            def on_poll(_: Export) -> object:
                return official()

        return await poll(
            lambda: self.get(uid),
            lambda e: e.status in TERMINAL_EXPORT_STATUSES,
            lambda e: e.status,
            what=f"Export {uid} did not finish",
            interval=interval,
            timeout=timeout,
            on_poll=on_poll,
        )

    async def download(
        self,
        export: str | Export,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        resume: bool = True,
        on_progress: Callable[[int], object] | None = None,
    ) -> ExportDownload:
        """Download a finished export's file to ``path``, verified, resuming if interrupted.

        The export is fetched first, for its status and a freshly signed ``download_url``. A
        URL on an allow-listed storage host is fetched without the API key (storage gets
        only the presigned URL); otherwise the file comes from the API itself
        (``GET /exports/{uid}/download/``). The bytes stream to a partial file beside ``path``
        (memory stays bounded by a few 256 KiB chunks; a worker thread hashes them) that is
        renamed into place only once complete and verified: its size
        (``Content-Length``/``Content-Range``) and its SHA-256 against the response's
        ``x-amz-checksum-sha256``, or its MD5 against a single-part ETag. An interrupted
        download (a reset, a timeout, a 5xx, or a run stopped with Ctrl-C) resumes with
        ``Range``/``If-Range`` from the bytes kept, on this call's retries or the next
        call's; a signed URL that expires mid-way is signed again once.

        Args:
            export: The export, or its uid.
            path: The destination file, or an existing folder to save it in under the name
                the server gives it.
            overwrite: Replace an existing file at ``path``.
            resume: Continue an earlier partial download of the same file, if one is there.
            on_progress: Called with the bytes kept from an earlier partial download (once,
                first), then each chunk's size as it is written; negative when a restart
                throws away bytes already counted. The calls add up to the bytes on disk.

        Returns:
            The file's path, size and SHA-256, and the export.

        Raises:
            ExportNotReadyError: the export is not ``exported`` yet, or it ``failed``.
            FileExistsError: ``path`` exists and ``overwrite`` is false.
            DownloadIntegrityError: the bytes do not match the size or checksum.
            DownloadError: the host kept failing or refused the download.
        """
        from .._downloads import _exports

        return await _exports.download(
            self, export, path, overwrite=overwrite, resume=resume, on_progress=on_progress
        )

    async def create_and_download(
        self,
        path: str | os.PathLike[str],
        *,
        project: str | None = None,
        dataset: str | None = None,
        interval: float = 2.0,
        timeout: float = 300.0,
        overwrite: bool = False,
        on_poll: Callable[[Export], object] | None = None,
        on_progress: Callable[[int], object] | None = None,
    ) -> ExportDownload:
        """Create an export, wait for it (:meth:`wait`), then :meth:`download` it to ``path``.

        Args:
            path: The destination file, or an existing folder (see :meth:`download`).
            project: The project to export (by uid).
            dataset: The dataset to export (by uid).
            interval: Seconds between polls (> 0).
            timeout: Seconds to wait for the export in all (>= 0).
            overwrite: Replace an existing file at ``path``.
            on_poll: Called with the export after each poll that has not finished.
            on_progress: Called with each downloaded chunk's size in bytes.

        Returns:
            The file's path, size and SHA-256, and the export.

        Raises:
            ExportNotReadyError: the export ``failed``.
            TimeoutError: it did not finish within ``timeout``.
            FileExistsError: ``path`` exists and ``overwrite`` is false (checked first,
                before anything is created).
            DownloadIntegrityError: the bytes do not match the size or checksum.
            DownloadError: the host kept failing or refused the download.
        """
        if not overwrite and os.path.isfile(path):
            raise FileExistsError(
                f"{os.fspath(path)} already exists: pass overwrite=True to replace it, or "
                "choose another path."
            )
        created = await self.create(project=project, dataset=dataset)
        finished = await self.wait(created.uid, interval=interval, timeout=timeout, on_poll=on_poll)
        return await self.download(finished, path, overwrite=overwrite, on_progress=on_progress)
