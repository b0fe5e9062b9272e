"""A recording's files into fleet storage, legacy protocol: init a session, presign PUT URLs
in batches, stream each file, confirm the stored ETags, finalize.

Resumable for any number of files: what was confirmed is recorded locally as it happens; on
the next run every file not recorded as confirmed is sent again (the server's
``pending_paths`` is only a hint, as it may list only the first of many), and a file
recorded as confirmed that the server still lists as pending is sent again too. Each file's
content is hashed once per run (and not at all when its size, mtime and inode are those
recorded); one that changed after it was confirmed is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, NotFoundError, UploadError, UploadStateError
from ..models.uploads import (
    SourceFile,
    SourceInventory,
    UploadProgress,
    UploadSession,
    UploadStatusResponse,
    UploadUrlEntry,
)
from ._datasets import _all, check_workers
from ._files import LocalFile, Stamp, digest, gather
from ._progress import Tracker
from ._state import UploadState, uploads_dir
from ._storage import Storage, check_url, verify

if TYPE_CHECKING:
    from ..resources.fleet import AsyncFleetUploads

URL_BATCH = 100
CONFIRM_BATCH = 500
MAX_FILES = 50_000


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 128:
        raise ValueError(f"{name} must be a non-empty id of at most 128 characters.")
    return value


async def inventory(
    source_dir: str | os.PathLike[str], known: dict[str, dict[str, Any]] | None = None
) -> tuple[list[LocalFile], SourceInventory]:
    """The files of ``source_dir`` and their hashes (read once; a file whose stamp equals the
    one in ``known`` keeps the hashes recorded there)."""
    local = await asyncio.to_thread(gather, source_dir, uploads_dir())
    if len(local) > MAX_FILES:
        raise ValueError(f"{source_dir} holds {len(local):,} files; at most {MAX_FILES:,} fit.")
    known = known or {}
    gate = asyncio.Semaphore(4)

    async def one(file: LocalFile) -> SourceFile:
        entry = known.get(file.relative) or {}
        stamp = entry.get("stamp")
        if stamp is not None and Stamp(*stamp) == file.stamp and entry.get("sha256"):
            return SourceFile(
                path=file.relative,
                size_bytes=file.size,
                sha256=entry["sha256"],
                md5=entry["md5"],
            )
        async with gate:
            sha256, md5 = await digest(file, ("sha256", "md5"))
        return SourceFile(path=file.relative, size_bytes=file.size, sha256=sha256, md5=md5)

    files = await _all(one(f) for f in local)
    return local, SourceInventory(source=Path(source_dir), files=tuple(files))


def _state(uploads: AsyncFleetUploads, recording_uid: str, kind: str) -> UploadState:
    identity = {"kind": kind, "base_url": uploads._client.base_url, "recording": recording_uid}
    name = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]
    return UploadState(uploads_dir() / "fleet", name, identity, f"recording {recording_uid}")


def _session(status: UploadStatusResponse, prefix: str | None) -> UploadSession:
    return UploadSession(
        uid=status.session_uid,
        total_files=status.total_files,
        total_bytes=status.total_bytes,
        confirmed_files=status.confirmed_files,
        confirmed_bytes=status.confirmed_bytes,
        s3_prefix=prefix,
        status=status.status,
    )


async def upload_recording(
    uploads: AsyncFleetUploads,
    recording_uid: str,
    source_dir: str | os.PathLike[str],
    storage_config_uid: str | None,
    max_workers: int,
    on_progress: Callable[[UploadProgress], object] | None,
    progress: Callable[[UploadProgress], object] | None,
) -> UploadSession:
    _check_id("recording_uid", recording_uid)
    if storage_config_uid is not None:
        _check_id("storage_config_uid", storage_config_uid)
    check_workers(max_workers, "max_workers")
    with _state(uploads, recording_uid, "fleet") as state:
        local, inv = await inventory(source_dir, state.entries)
        by_path = {f.relative: f for f in local}
        hashes = {f.path: f for f in inv.files}
        manifest = inv.manifest()
        for path, entry in list(state.entries.items()):
            if entry.get("confirmed") and path in hashes and entry["sha256"] != hashes[path].sha256:
                raise UploadStateError(
                    f"{path} changed on disk after it was stored in this recording's upload "
                    "session, which keeps the first content. Upload the new content as a "
                    "new recording."
                )
        status, prefix = await _open_session(uploads, state, recording_uid, inv, storage_config_uid)
        if status.status in ("completing", "completed"):
            return _session(status, prefix)
        session_uid = status.session_uid
        confirmed = {p for p, e in state.entries.items() if e.get("confirmed") and p in hashes}
        confirmed -= set(status.pending_paths)
        pending = [f for f in manifest if f["path"] not in confirmed]
        tracker = Tracker(len(manifest), inv.total_bytes, progress)
        for path in sorted(confirmed):
            tracker.skipped(path, hashes[path].size_bytes)
        storage = Storage(uploads._client._transport, uploads._client._options)
        gate = asyncio.Semaphore(max_workers)
        first_error: BaseException | None = None

        async def put(entry: UploadUrlEntry) -> dict[str, Any]:
            file = by_path[entry.path]
            grants = [entry]

            async def attempt(number: int) -> str:
                if number:
                    fresh = await uploads.get_upload_urls(
                        recording_uid, session_uid, [file.relative]
                    )
                    grants.append(next(e for e in fresh.urls if e.path == file.relative))
                grant = grants[-1]
                url = check_url(grant.put_url, file.relative)
                headers = {"Content-Type": "application/octet-stream", **grant.headers}
                stored, _ = await storage.send("PUT", url, file, headers=headers, tracker=tracker)
                if stored.md5 != hashes[file.relative].md5:
                    raise UploadError(
                        f"{file.relative} changed on disk while it was being uploaded.",
                        path=file.relative,
                    )
                etag = verify(stored, file, required=True)
                assert etag is not None
                return etag

            async with gate:
                try:
                    etag = await storage.retrying(file.relative, attempt)
                except BaseException:
                    tracker.failed(file.relative)
                    raise
            tracker.done(file.relative)
            return {"path": file.relative, "etag": etag, "size_bytes": file.size}

        for start in range(0, len(pending), URL_BATCH):
            batch = [f["path"] for f in pending[start : start + URL_BATCH]]
            grants = await uploads.get_upload_urls(recording_uid, session_uid, batch)
            got = {e.path: e for e in grants.urls}
            if set(got) != set(batch):
                raise UploadError(
                    "The server's upload URLs do not match the files asked for "
                    f"({len(got)} for {len(batch)} files)."
                )
            results = await asyncio.gather(*(put(got[p]) for p in batch), return_exceptions=True)
            stored = [r for r in results if isinstance(r, dict)]
            for r in stored:
                state.record(r["path"], _entry(by_path[r["path"]], hashes, etag=r["etag"]))
            for chunk in range(0, len(stored), CONFIRM_BATCH):
                part = stored[chunk : chunk + CONFIRM_BATCH]
                await uploads.confirm_upload(recording_uid, session_uid, part)
                for r in part:
                    state.record(
                        r["path"],
                        _entry(by_path[r["path"]], hashes, etag=r["etag"], confirmed=True),
                    )
            if on_progress is not None:
                on_progress(tracker.snapshot())
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                first_error = errors[0]
                break
        state.save()
        if first_error is not None:
            raise first_error
        final = await uploads.get_upload_status(recording_uid)
        if final.pending_paths or final.confirmed_files < final.total_files:
            raise UploadError(
                f"The server still lists {final.total_files - final.confirmed_files} file(s) "
                f"of recording {recording_uid} as pending (e.g. "
                f"{', '.join(final.pending_paths[:3]) or 'unknown'}); run the upload again."
            )
        if final.status not in ("completing", "completed"):
            await uploads.finalize_upload(recording_uid, session_uid)
            final = await uploads.get_upload_status(recording_uid)
        state.delete()
        tracker.finish()
        return _session(final, prefix)


def _entry(
    file: LocalFile, hashes: dict[str, SourceFile], *, etag: str, confirmed: bool = False
) -> dict[str, Any]:
    h = hashes[file.relative]
    return {
        "stamp": list(file.stamp),
        "sha256": h.sha256,
        "md5": h.md5,
        "etag": etag,
        "confirmed": confirmed,
    }


async def _open_session(
    uploads: AsyncFleetUploads,
    state: UploadState,
    recording_uid: str,
    inv: SourceInventory,
    storage_config_uid: str | None,
) -> tuple[UploadStatusResponse, str | None]:
    """This recording's session: the recorded one, or a new one; a session the server has
    but this machine did not record (a run killed right after init) is adopted when it is
    for exactly these files."""
    recorded = state.data.get("session_uid")
    status = None
    with contextlib.suppress(NotFoundError):  # no session yet
        status = await uploads.get_upload_status(recording_uid)
    if status is None:
        try:
            session = await uploads.init_upload(
                recording_uid, inv.manifest(), storage_config_uid=storage_config_uid
            )
        except ConflictError:  # started by a run that died before recording it
            session = None
        status = await uploads.get_upload_status(recording_uid)
        if session is not None:
            state.entries = {}
            state.save(session_uid=session.uid, s3_prefix=session.s3_prefix)
            return status, session.s3_prefix
    if status.total_files != len(inv.files) or status.total_bytes != inv.total_bytes:
        raise UploadError(
            f"Recording {recording_uid} already has an upload session for other files "
            f"({status.total_files} files, {status.total_bytes:,} bytes; this folder holds "
            f"{len(inv.files)} files, {inv.total_bytes:,} bytes). Upload this folder as a "
            "new recording."
        )
    if recorded != status.session_uid:
        state.entries = {}
        state.save(session_uid=status.session_uid, s3_prefix=None)
    prefix = state.data.get("s3_prefix")
    return status, prefix if isinstance(prefix, str) else None
