"""Fleet recording uploads, legacy protocol: ``/fleet/recordings/{uid}/upload/...``.

``init/`` opens a session for a manifest of files; ``urls/`` hands out presigned PUTs to
``/_storage/`` under ``fleet/<owner>/<recording_uid>/``; ``confirm/`` checks each stored
object against the manifest (size, and MD5 against the ETag); ``finalize/`` closes the session
once every file is confirmed and moves the recording to ``processing``; ``status/`` reports
progress, listing at most 1000 pending paths, as the real server does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .._engine import Call, json_response
from .._schema import Action, ApiError, Endpoint, JSONDict
from .._store import Store, now_timestamp
from ._common import caller_username, is_size, path_problem, server_state
from .fleet import RECORDINGS

MAX_PENDING_SHOWN = 1000
MAX_TTL_SECONDS = 7 * 24 * 3600
FINISHED = ("completed", "abandoned")
NO_SESSION = "No upload session found for this recording."


@dataclass
class FleetFile:
    """One file of a session's manifest."""

    path: str
    size_bytes: int
    confirmed: bool = False
    etag: str | None = None


@dataclass
class FleetSession:
    """One legacy upload session of a recording."""

    uid: str
    recording_uid: str
    s3_prefix: str
    files: dict[str, FleetFile]
    storage_config_uid: str | None = None
    status: str = "initiated"

    @property
    def total_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files.values())

    def confirmed(self) -> Iterator[FleetFile]:
        return (f for f in self.files.values() if f.confirmed)

    def as_session(self) -> JSONDict:
        """The ``UploadSession`` shape."""
        done = list(self.confirmed())
        return {
            "uid": self.uid,
            "total_files": len(self.files),
            "total_bytes": self.total_bytes,
            "confirmed_files": len(done),
            "confirmed_bytes": sum(f.size_bytes for f in done),
            "s3_prefix": self.s3_prefix,
            "status": self.status,
        }


def _sessions(store: Store) -> dict[str, FleetSession]:
    """The current legacy upload session of each recording, by recording uid."""
    return server_state(store, "_fleet_uploads", dict[str, FleetSession])


def _recording(call: Call) -> JSONDict:
    recording = call.record
    assert recording is not None
    return recording


def _session(call: Call, body: JSONDict) -> FleetSession:
    uid = body.get("session_uid")
    if uid is None:
        raise ApiError(400, {"session_uid": ["This field is required."]})
    session = _sessions(call.store).get(str(_recording(call)["uid"]))
    if session is None or not isinstance(uid, str) or session.uid != uid:
        raise ApiError(400, {"session_uid": ["No such upload session for this recording."]})
    return session


def _manifest(raw: Any) -> dict[str, FleetFile]:
    if raw is None:
        raise ApiError(400, {"files": ["This field is required."]})
    if not isinstance(raw, list):
        kind = type(raw).__name__
        raise ApiError(400, {"files": [f'Expected a list of items but got type "{kind}".']})
    if not raw:
        raise ApiError(400, {"files": ["This list may not be empty."]})
    problems: list[str] = []
    files: dict[str, FleetFile] = {}
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(f"files[{index}]: Expected an object with path and size_bytes.")
            continue
        path, size = entry.get("path"), entry.get("size_bytes")
        problem = path_problem(path) if path is not None else "This field is required."
        if problem is not None:
            problems.append(f"files[{index}].path: {problem}")
            continue
        if not is_size(size):
            problems.append(f"{path}: size_bytes must be a non-negative integer.")
            continue
        if path in files:
            problems.append(f"{path}: duplicate path.")
            continue
        files[str(path)] = FleetFile(str(path), int(size))
    if problems:
        raise ApiError(400, {"files": problems})
    return files


async def init(call: Call) -> web.StreamResponse:
    recording = _recording(call)
    body = await call.body()
    files = _manifest(body.get("files"))
    config = body.get("storage_config_uid")
    if config is not None and (
        not isinstance(config, str) or call.store.find("storage_configs", uid=config) is None
    ):
        raise ApiError(400, {"storage_config_uid": ["Storage config not found."]})
    sessions = _sessions(call.store)
    uid = str(recording["uid"])
    with call.store.lock:
        existing = sessions.get(uid)
        if existing is not None and existing.status not in FINISHED:
            raise ApiError(409, {"detail": "An upload session already exists for this recording."})
        session = FleetSession(
            uid=str(uuid.uuid4()),
            recording_uid=uid,
            s3_prefix=f"fleet/{caller_username(call)}/{uid}/",
            files=files,
            storage_config_uid=config,
        )
        sessions[uid] = session
    return json_response(session.as_session(), 201)


async def urls(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    paths = body.get("file_paths")
    if paths is None:
        raise ApiError(400, {"file_paths": ["This field is required."]})
    if not isinstance(paths, list) or not paths or len(paths) > MAX_PENDING_SHOWN:
        message = f"Expected a list of 1 to {MAX_PENDING_SHOWN} paths."
        raise ApiError(400, {"file_paths": [message]})
    unknown = [p for p in paths if not isinstance(p, str) or p not in session.files]
    if unknown:
        raise ApiError(400, {"file_paths": [f"Not in this session's manifest: {unknown}"]})
    ttl = body.get("ttl_seconds", 3600)
    if not is_size(ttl) or not 1 <= ttl <= MAX_TTL_SECONDS:
        message = f"Ensure this value is between 1 and {MAX_TTL_SECONDS}."
        raise ApiError(400, {"ttl_seconds": [message]})
    if session.status in FINISHED:
        raise ApiError(400, {"session_uid": ["This upload session is already finalized."]})
    storage = call.state.storage
    origin = str(call.request.url.origin())
    out = []
    for path in paths:
        key = session.s3_prefix + path
        url, _ = storage.presigned_url(origin, "PUT", key, ttl_seconds=int(ttl))
        out.append(
            {
                "path": path,
                "put_url": url,
                "s3_key": key,
                "headers": {"content-type": "application/octet-stream"},
            }
        )
    session.status = "uploading"
    return json_response({"urls": out})


def _confirmation_problem(call: Call, session: FleetSession, entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "Expected an object with path, etag and size_bytes."
    path, etag, size = entry.get("path"), entry.get("etag"), entry.get("size_bytes")
    if not isinstance(path, str) or path not in session.files:
        return f"{path}: not in this session's manifest."
    if not isinstance(etag, str) or not etag.strip('"'):
        return f"{path}: etag is required."
    manifest = session.files[path]
    if not is_size(size) or size != manifest.size_bytes:
        return f"{path}: size_bytes {size} does not match the manifest ({manifest.size_bytes})."
    stored = call.state.storage.objects.get(session.s3_prefix + path)
    if stored is None:
        return f"{path}: no object has been uploaded."
    if stored.size != manifest.size_bytes:
        return f"{path}: the stored object is {stored.size} bytes; expected {manifest.size_bytes}."
    if etag.strip().strip('"').lower() != stored.etag:
        return f"{path}: etag does not match the stored object."
    return None


async def confirm(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    entries = body.get("files")
    if entries is None:
        raise ApiError(400, {"files": ["This field is required."]})
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, {"files": ["Expected a non-empty list of files."]})
    problems = [p for e in entries if (p := _confirmation_problem(call, session, e)) is not None]
    if problems:
        raise ApiError(400, {"files": problems})
    with call.store.lock:
        for entry in entries:
            confirmed = session.files[entry["path"]]
            confirmed.confirmed = True
            confirmed.etag = str(entry["etag"]).strip().strip('"').lower()
    return json_response(
        {
            "session_uid": session.uid,
            "confirmed": len(entries),
            "total_confirmed": sum(1 for _ in session.confirmed()),
            "total_files": len(session.files),
        }
    )


async def finalize(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    pending = sum(1 for f in session.files.values() if not f.confirmed)
    if pending:
        raise ApiError(400, {"detail": f"{pending} files are still pending."})
    if session.status != "completed":
        recording = _recording(call)
        with call.store.lock:
            session.status = "completed"
            recording.update(
                status="processing", size_bytes=session.total_bytes, updated_at=now_timestamp()
            )
    return json_response(
        {"detail": "Upload finalized.", "session_uid": session.uid, "status": "completed"}
    )


async def status(call: Call) -> web.StreamResponse:
    session = _sessions(call.store).get(str(_recording(call)["uid"]))
    if session is None:
        raise ApiError(404, {"detail": NO_SESSION})
    shown = session.as_session()
    pending = sorted(f.path for f in session.files.values() if not f.confirmed)
    return json_response(
        {
            "session_uid": session.uid,
            "status": session.status,
            "total_files": shown["total_files"],
            "confirmed_files": shown["confirmed_files"],
            "total_bytes": shown["total_bytes"],
            "confirmed_bytes": shown["confirmed_bytes"],
            "pending_paths": pending[:MAX_PENDING_SHOWN],
        }
    )


ENDPOINTS = (
    Endpoint(
        RECORDINGS,
        "/fleet/recordings/",
        verbs=frozenset(),
        actions=(
            Action("upload/init", init),
            Action("upload/urls", urls),
            Action("upload/confirm", confirm),
            Action("upload/finalize", finalize),
            Action("upload/status", status, method="GET"),
        ),
    ),
)

TABLES = ()
