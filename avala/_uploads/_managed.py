"""MCAP files into Avala-managed fleet storage: the ``fleet-managed-mcap-v1`` protocol.

admit (the files and their SHA-256) -> per file: multipart init, the parts already stored
(progress pages), a signed grant per part, PUT -> finalize -> observe. The session id is
chosen here and recorded before the first request, so a run killed anywhere resumes the
same session; the parts the server already holds are never sent again. Unlike a single
attempt per part, every part is retried (connection errors, timeouts, 408/429/5xx, expired
grants) with a fresh grant each time.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    ForbiddenError,
    NotEnrolledError,
    NotFoundError,
    UploadError,
    UploadIntegrityError,
)
from ..models.uploads import ManagedFleetUploadStatus, ManagedOriginal, UploadProgress
from ..resources._base import check_seconds, path, query
from ._datasets import _all, check_workers
from ._files import LocalFile
from ._fleet import _state, inventory
from ._progress import Tracker
from ._storage import Storage, check_url, verify

if TYPE_CHECKING:
    from ..resources.fleet import AsyncFleetUploads

T = TypeVar("T")

PROTOCOL = "fleet-managed-mcap-v1"
MAX_FILES = 64
MAX_FILE = 8 * 1024**3
MAX_TOTAL = 64 * 1024**3
MAX_PARTS = 128
POLL = 2.0
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GRANT_KEYS = frozenset(
    {"grant_uid", "part_number", "offset", "size_bytes", "url", "headers", "expires_at"}
)
_BASE = "/fleet/recordings/{recording_uid}/managed-upload/"


def _check(recording_uid: object, max_workers: object, wait_timeout: object) -> float:
    if not isinstance(recording_uid, str) or not _UUID.match(recording_uid):
        raise ValueError(
            f"recording_uid must be a lowercase UUID for a managed upload, got {recording_uid!r}."
        )
    check_workers(max_workers, "max_workers")
    if isinstance(max_workers, int) and max_workers > 4:
        raise ValueError(
            f"max_workers must be from 1 to 4 for a managed upload, got {max_workers}."
        )
    timeout = check_seconds("wait_timeout", wait_timeout, allow_zero=True)  # type: ignore[arg-type]
    if timeout > 3600:
        raise ValueError(f"wait_timeout must be at most 3600 seconds, got {wait_timeout!r}.")
    return timeout


def _check_files(files: list[LocalFile]) -> None:
    if len(files) > MAX_FILES:
        raise ValueError(f"A managed upload takes at most {MAX_FILES} files, not {len(files)}.")
    total = 0
    for f in files:
        if not f.relative.lower().endswith(".mcap"):
            raise ValueError(f"{f.relative}: a managed upload takes only .mcap files.")
        if unicodedata.normalize("NFC", f.relative) != f.relative:
            raise ValueError(f"{f.relative}: the name must be in Unicode NFC form.")
        if f.relative.startswith("__derived__/"):
            raise ValueError(f"{f.relative}: paths under __derived__/ are reserved.")
        if not 0 < f.size <= MAX_FILE:
            raise ValueError(f"{f.relative}: each file must hold 1 byte to 8 GiB, not {f.size}.")
        total += f.size
    if total > MAX_TOTAL:
        raise ValueError(f"A managed upload holds at most 64 GiB, not {total:,} bytes.")


class _Session:
    def __init__(self, uploads: AsyncFleetUploads, recording_uid: str, session_uid: str) -> None:
        self.uploads = uploads
        self.recording_uid = recording_uid
        self.session_uid = session_uid

    def url(self, tail: str) -> str:
        return path(_BASE + tail, recording_uid=self.recording_uid)

    async def call(self, method: str, tail: str, model: type[T], **fields: Any) -> T:
        """One protocol request; a 403 means the organization is not enrolled."""
        fields = {"protocol": PROTOCOL, "session_uid": self.session_uid, **fields}
        try:
            if method == "GET":
                return await self.uploads._get(self.url(tail), model, query(**fields))
            return await self.uploads._post(self.url(tail), model, fields)
        except ForbiddenError as exc:
            if isinstance(exc, NotEnrolledError):
                raise
            raise NotEnrolledError(
                f"{exc.message} (managed fleet uploads need an enrolled organization; "
                "fleet.uploads.upload_recording works with your own storage config).",
                status_code=exc.status_code,
                body=exc.body,
                retries_taken=exc.retries_taken,
                request_id=exc.request_id,
                code=exc.code,
                headers=exc.headers,
            ) from None

    async def status(self) -> ManagedFleetUploadStatus:
        return await self.call("GET", "status/", ManagedFleetUploadStatus)


def _grant(
    grant: Any, number: int, offset: int, size: int, relative: str
) -> tuple[Any, dict[str, str]]:
    """The URL and headers of a part grant, if the grant is exactly what was asked for."""
    bad = None
    if not isinstance(grant, dict) or set(grant) != _GRANT_KEYS:
        bad = "its fields are not the protocol's"
    elif grant["part_number"] != number or grant["offset"] != offset:
        bad = "it is for another part"
    elif grant["size_bytes"] != size:
        bad = "its size does not match the part"
    elif not isinstance(grant["headers"], dict):
        bad = "its headers are not an object"
    else:
        try:
            expires = datetime.fromisoformat(str(grant["expires_at"]).replace("Z", "+00:00"))
        except ValueError:
            expires = None
        if expires is None or expires.tzinfo is None:
            bad = "its expiry is not a timezone-aware time"
        elif expires <= datetime.now(timezone.utc):
            bad = "it has already expired"
    if bad is not None:
        raise UploadError(
            f"The server's grant for part {number} of {relative} is not usable: {bad}.",
            path=relative,
        )
    return check_url(grant["url"], relative), {str(k): str(v) for k, v in grant["headers"].items()}


async def _upload_file(
    session: _Session,
    storage: Storage,
    original: ManagedOriginal,
    file: LocalFile,
    tracker: Tracker,
    gate: asyncio.Semaphore,
) -> str:
    """Send the parts of one file the server does not hold; return its generation uid."""
    generation = original.generation
    part_size: Any
    part_count: Any
    if generation is not None and generation.state == "active":
        generation_uid = generation.generation_uid
        part_size, part_count = original.part_size, original.part_count
    else:
        started = await session.call("POST", "multipart/init/", dict, file_uid=original.file_uid)
        generation_uid = str(started.get("generation_uid"))
        part_size, part_count = started.get("part_size"), started.get("part_count")
    if (
        not isinstance(part_size, int)
        or not isinstance(part_count, int)
        or part_size < 1
        or not 1 <= part_count <= MAX_PARTS
        or part_count != math.ceil(file.size / part_size)
    ):
        raise UploadError(
            f"The server's part geometry for {file.relative} is invalid.", path=file.relative
        )
    stored: dict[int, int] = {}
    cursor: Any = None
    for _ in range(MAX_PARTS):  # at most one page per part: the walk always ends
        page = await session.call(
            "GET",
            "multipart/progress/",
            dict,
            file_uid=original.file_uid,
            generation_uid=generation_uid,
            after=cursor,
        )
        for p in page.get("parts") or []:
            if isinstance(p, dict) and isinstance(p.get("part_number"), int):
                stored[p["part_number"]] = p.get("size", -1)
        cursor = page.get("next_cursor")
        if cursor is None:
            break

    def size_of(number: int) -> int:
        return min(part_size, file.size - (number - 1) * part_size)

    missing = [n for n in range(1, part_count + 1) if stored.get(n) != size_of(n)]
    tracker.bytes_done += file.size - sum(size_of(n) for n in missing)

    async def part(number: int) -> None:
        offset = (number - 1) * part_size
        label = f"{file.relative} part {number}"

        async def attempt(_: int) -> None:
            signed = await session.call(
                "POST",
                "multipart/parts/",
                dict,
                file_uid=original.file_uid,
                generation_uid=generation_uid,
                numbers=[number],
            )
            grants = signed.get("parts")
            if not isinstance(grants, list) or len(grants) != 1:
                raise UploadError(f"The server sent no single grant for {label}.")
            url, headers = _grant(grants[0], number, offset, size_of(number), file.relative)
            result, _digests = await storage.send(
                "PUT",
                url,
                file,
                headers=headers,
                offset=offset,
                length=size_of(number),
                tracker=tracker,
            )
            if result.status != 200:
                raise UploadError(
                    f"Storage answered HTTP {result.status} to {label}, not 200.",
                    path=file.relative,
                )
            verify(result, file)

        async with gate:
            await storage.retrying(label, attempt)

    await _all(part(n) for n in missing)
    tracker.done(file.relative)
    return generation_uid


async def upload_managed_recording(
    uploads: AsyncFleetUploads,
    recording_uid: str,
    source_dir: str | os.PathLike[str],
    max_workers: int,
    wait_timeout: float,
    progress: Callable[[UploadProgress], object] | None,
) -> ManagedFleetUploadStatus:
    timeout = _check(recording_uid, max_workers, wait_timeout)
    with _state(uploads, recording_uid, "fleet-managed") as state:
        local, inv = await inventory(source_dir, state.entries)
        _check_files(local)
        by_path = {f.relative: f for f in local}
        manifest = [
            {"path": f.path, "size_bytes": f.size_bytes, "content_sha256": f.sha256}
            for f in inv.files
        ]
        session_uid = state.data.get("session_uid")
        if state.data.get("manifest") != manifest or not isinstance(session_uid, str):
            session_uid = str(uuid.uuid4())
            state.entries = {
                f.path: {"stamp": list(by_path[f.path].stamp), "sha256": f.sha256, "md5": f.md5}
                for f in inv.files
            }
            state.save(session_uid=session_uid, manifest=manifest)
        session = _Session(uploads, recording_uid, session_uid)
        try:
            status = await session.status()
        except NotFoundError:
            status = await session.call("POST", "admit/", ManagedFleetUploadStatus, files=manifest)
        _match(status, manifest, recording_uid)
        tracker = Tracker(len(local), inv.total_bytes, progress)
        if status.finalization is None or status.finalization.state == "failed":
            storage = Storage(uploads._client._transport, uploads._client._options)
            gate = asyncio.Semaphore(max_workers)
            generations: dict[str, str] = {}
            for original in sorted(status.files, key=lambda o: o.path):
                file = by_path[original.path]
                if original.verified and original.generation is not None:
                    tracker.skipped(file.relative, file.size)
                    generations[original.file_uid] = original.generation.generation_uid
                    continue
                generations[original.file_uid] = await _upload_file(
                    session, storage, original, file, tracker, gate
                )
            files = [{"file_uid": k, "generation_uid": v} for k, v in sorted(generations.items())]
            await session.call("POST", "finalize/", dict, files=files)
        status = await _observe(session, timeout)
        tracker.finish()
        return status


def _match(status: ManagedFleetUploadStatus, manifest: list[dict[str, Any]], uid: str) -> None:
    theirs = sorted((o.path, o.size_bytes, o.content_sha256) for o in status.files)
    ours = sorted((f["path"], f["size_bytes"], f["content_sha256"]) for f in manifest)
    if theirs != ours or status.protocol != PROTOCOL:
        raise UploadError(
            f"The server's managed upload session of recording {uid} is for other files than "
            "this folder holds now. Upload the folder as a new recording."
        )


async def _observe(session: _Session, timeout: float) -> ManagedFleetUploadStatus:
    """The status, polled (at most every 2 s) until processing ended or ``timeout`` ran
    out; a terminal failure raises."""
    deadline = time.monotonic() + timeout
    while True:
        status = await session.status()
        final = status.finalization
        if final is not None and final.state == "failed":
            if final.code == "content_mismatch":
                raise UploadIntegrityError(
                    f"The server found the stored files of recording {session.recording_uid} "
                    "differ from their SHA-256 (content_mismatch); run the upload again."
                )
            if final.code == "invalid_mcap":
                raise UploadError(
                    f"The server could not read recording {session.recording_uid} as MCAP "
                    "(invalid_mcap): check the files are valid MCAP."
                )
        if final is not None and final.state in ("succeeded", "failed"):
            return status
        left = deadline - time.monotonic()
        if left <= 0:
            return status
        await asyncio.sleep(min(POLL, left))
