"""Fleet managed MCAP uploads, protocol ``fleet-managed-mcap-v1``:
``/fleet/recordings/{uid}/managed-upload/...``.

Every request names the ``protocol`` and the client's ``session_uid`` (in the body of a POST,
the query of a GET). ``admit/`` registers a manifest (path, size, SHA-256 per ``.mcap`` file);
``multipart/init/`` opens one storage multipart upload per file; ``multipart/parts/`` signs one
part per request (a grant valid at most 300 s); ``multipart/progress/`` pages the parts storage
holds (100 a page); ``finalize/`` assembles the files and queues their verification.

Verification: storage keeps a running SHA-256 of each file over its parts in order (see
:mod:`avala.testing._storage`), so no file is held in memory. A file whose size, part sizes or
SHA-256 differ from the manifest fails the finalization with ``content_mismatch``; one not
starting with the MCAP magic fails it with ``invalid_mcap``. Otherwise the first ``status/``
read after finalizing shows the finalization ``running`` and the next ``succeeded``
(``published``, with a ``publication_uid`` and the ``dataset_uid`` of a new ``mcap`` dataset
holding the files); the recording then moves to ``processing``.

Knobs (``store.settings``): ``managed_upload_enrolled`` (True), ``managed_part_size_bytes``
(64 MiB), ``managed_grant_ttl_seconds`` (300, at most 300).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from .._engine import Call, json_response
from .._schema import Action, ApiError, Endpoint, JSONDict
from .._storage import MultipartUpload
from .._store import Store, now_timestamp
from ._common import (
    caller_username,
    canonical_uuid,
    is_size,
    part_count,
    path_problem,
    server_state,
)
from .fleet import RECORDINGS
from .uploads import add_items

PROTOCOL = "fleet-managed-mcap-v1"
MCAP_MAGIC = b"\x89MCAP0\r\n"
MIB = 1 << 20
GIB = 1 << 30
DEFAULT_PART_SIZE = 64 * MIB
MAX_FILES = 64
MAX_FILE_BYTES = 8 * GIB
MAX_TOTAL_BYTES = 64 * GIB
MAX_GRANT_SECONDS = 300
PROGRESS_PAGE = 100
INIT_WINDOW = timedelta(hours=1)
NOT_ENROLLED = "This organization is not enrolled in managed fleet uploads."
NO_SESSION = "No managed upload session found for this recording."
TERMINAL = ("succeeded", "failed")


def _iso(moment: datetime) -> str:
    """ISO 8601 with an explicit UTC offset (parsed by ``datetime.fromisoformat`` on 3.10)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _now() -> str:
    return _iso(datetime.now(timezone.utc))


@dataclass
class ManagedGeneration:
    generation_uid: str
    number: int
    upload_id: str
    deadline: str
    state: str = "active"

    def render(self) -> JSONDict:
        return {"generation_uid": self.generation_uid, "number": self.number, "state": self.state}


@dataclass
class ManagedFile:
    file_uid: str
    path: str
    size_bytes: int
    content_sha256: str
    part_size: int
    part_count: int
    key: str
    verified: bool = False
    generation: ManagedGeneration | None = None

    def render(self) -> JSONDict:
        return {
            "file_uid": self.file_uid,
            "path": self.path,
            "size_bytes": self.size_bytes,
            "content_sha256": self.content_sha256,
            "content_type": "application/octet-stream",
            "content_encoding": "",
            "part_size": self.part_size,
            "part_count": self.part_count,
            "verified": self.verified,
            "generation": None if self.generation is None else self.generation.render(),
        }


@dataclass
class ManagedFinalization:
    uid: str
    outcome: str
    passed: set[str]
    available_at: str
    state: str = "pending"
    stage: str = "complete"
    attempts: int = 0
    failures: int = 0
    code: str = "pending"
    publication_uid: str | None = None
    dataset_uid: str | None = None
    reads: int = 0

    def render(self) -> JSONDict:
        return {
            "uid": self.uid,
            "state": self.state,
            "stage": self.stage,
            "attempts": self.attempts,
            "failures": self.failures,
            "code": self.code,
            "available_at": self.available_at,
            "publication_uid": self.publication_uid,
            "dataset_uid": self.dataset_uid,
        }


@dataclass
class ManagedSession:
    session_uid: str
    recording_uid: str
    files: list[ManagedFile]
    status: str = "initiated"
    finalization: ManagedFinalization | None = None

    def manifest(self) -> list[tuple[str, int, str]]:
        return [(f.path, f.size_bytes, f.content_sha256) for f in self.files]

    def render(self) -> JSONDict:
        verified = [f for f in self.files if f.verified]
        return {
            "protocol": PROTOCOL,
            "session_uid": self.session_uid,
            "recording_uid": self.recording_uid,
            "status": self.status,
            "total_files": len(self.files),
            "total_bytes": sum(f.size_bytes for f in self.files),
            "confirmed_files": len(verified),
            "confirmed_bytes": sum(f.size_bytes for f in verified),
            "files": [f.render() for f in self.files],
            "finalization": None if self.finalization is None else self.finalization.render(),
        }


def _sessions(store: Store) -> dict[str, ManagedSession]:
    """Managed upload sessions by recording uid."""
    return server_state(store, "_managed_uploads", dict[str, ManagedSession])


# --------------------------------------------------------------------------- request checks


def _recording(call: Call) -> JSONDict:
    recording = call.record
    assert recording is not None
    return recording


def _envelope(call: Call, data: Mapping[str, Any]) -> str:
    """Check enrollment, ``protocol`` and ``session_uid``; return the session uid."""
    if not call.store.settings.get("managed_upload_enrolled", True):
        raise ApiError(403, {"detail": NOT_ENROLLED})
    errors: dict[str, list[str]] = {}
    protocol = data.get("protocol")
    if protocol is None:
        errors["protocol"] = ["This field is required."]
    elif protocol != PROTOCOL:
        errors["protocol"] = [f'"{protocol}" is not a supported protocol; use "{PROTOCOL}".']
    raw = data.get("session_uid")
    session_uid = canonical_uuid(raw)
    if raw is None:
        errors["session_uid"] = ["This field is required."]
    elif session_uid is None or session_uid != raw:
        errors["session_uid"] = ["Must be a canonical lowercase UUID."]
    if errors:
        raise ApiError(400, errors)
    assert session_uid is not None
    return session_uid


def _session(call: Call, data: Mapping[str, Any]) -> ManagedSession:
    session_uid = _envelope(call, data)
    session = _sessions(call.store).get(str(_recording(call)["uid"]))
    if session is None or session.session_uid != session_uid:
        raise ApiError(404, {"detail": NO_SESSION})
    return session


def _file(session: ManagedSession, data: Mapping[str, Any]) -> ManagedFile:
    uid = data.get("file_uid")
    if uid is None:
        raise ApiError(400, {"file_uid": ["This field is required."]})
    for managed in session.files:
        if managed.file_uid == uid:
            return managed
    raise ApiError(400, {"file_uid": ["No such file in this session."]})


def _generation(managed: ManagedFile, data: Mapping[str, Any]) -> ManagedGeneration:
    uid = data.get("generation_uid")
    if uid is None:
        raise ApiError(400, {"generation_uid": ["This field is required."]})
    generation = managed.generation
    if generation is None or generation.generation_uid != uid:
        raise ApiError(400, {"generation_uid": ["Not the file's current generation."]})
    return generation


def _upload(call: Call, generation: ManagedGeneration) -> MultipartUpload:
    return call.state.storage.multipart_uploads[generation.upload_id]


def _head(session: ManagedSession, managed: ManagedFile, generation: ManagedGeneration) -> JSONDict:
    return {
        "protocol": PROTOCOL,
        "session_uid": session.session_uid,
        "file_uid": managed.file_uid,
        "generation_uid": generation.generation_uid,
    }


def _managed_path_problem(path: Any) -> str | None:
    problem = path_problem(path)
    if problem is not None:
        return problem
    text = str(path)
    if unicodedata.normalize("NFC", text) != text:
        return "Must be NFC-normalized."
    if any(ch == "\x7f" or unicodedata.category(ch) == "Cc" for ch in text):
        return "Must not contain control characters."
    if text.startswith("__derived__/"):
        return "Must not start with __derived__/."
    if not text.lower().endswith(".mcap"):
        return "Must be an .mcap file."
    return None


def _manifest(call: Call, raw: Any, recording_uid: str) -> list[ManagedFile]:
    if raw is None:
        raise ApiError(400, {"files": ["This field is required."]})
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_FILES:
        raise ApiError(400, {"files": [f"Expected a list of 1 to {MAX_FILES} files."]})
    part_size = int(call.store.settings.get("managed_part_size_bytes", DEFAULT_PART_SIZE))
    owner = caller_username(call)
    problems: list[str] = []
    files: list[ManagedFile] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(f"files[{index}]: Expected an object.")
            continue
        path, size, digest = entry.get("path"), entry.get("size_bytes"), entry.get("content_sha256")
        problem = _managed_path_problem(path)
        if problem is not None:
            problems.append(f"files[{index}].path: {problem}")
            continue
        if not is_size(size) or not 1 <= size <= MAX_FILE_BYTES:
            problems.append(f"{path}: size_bytes must be from 1 to {MAX_FILE_BYTES}.")
            continue
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or digest.strip("0123456789abcdef") != ""
        ):
            problems.append(f"{path}: content_sha256 must be 64 lowercase hex digits.")
            continue
        if path in seen:
            problems.append(f"{path}: duplicate path.")
            continue
        seen.add(str(path))
        files.append(
            ManagedFile(
                file_uid=str(uuid.uuid4()),
                path=str(path),
                size_bytes=int(size),
                content_sha256=digest,
                part_size=part_size,
                part_count=part_count(int(size), part_size),
                key=f"fleet/{owner}/{recording_uid}/{path}",
            )
        )
    if not problems and sum(f.size_bytes for f in files) > MAX_TOTAL_BYTES:
        problems.append(f"The files add up to more than {MAX_TOTAL_BYTES} bytes.")
    if problems:
        raise ApiError(400, {"files": problems})
    return files


# --------------------------------------------------------------------------- handlers


async def admit(call: Call) -> web.StreamResponse:
    body = await call.body()
    session_uid = _envelope(call, body)
    recording_uid = str(_recording(call)["uid"])
    files = _manifest(call, body.get("files"), recording_uid)
    sessions = _sessions(call.store)
    with call.store.lock:
        existing = sessions.get(recording_uid)
        if existing is not None and existing.session_uid == session_uid:
            if existing.manifest() != [(f.path, f.size_bytes, f.content_sha256) for f in files]:
                message = "This session was admitted with a different manifest."
                raise ApiError(409, {"detail": message})
            return json_response(existing.render())
        failed = existing is not None and (
            existing.finalization is not None and existing.finalization.state == "failed"
        )
        if existing is not None and not failed:
            message = "A managed upload session already exists for this recording."
            raise ApiError(409, {"detail": message})
        session = ManagedSession(session_uid, recording_uid, files)
        sessions[recording_uid] = session
    return json_response(session.render(), 201)


def _settle(call: Call, session: ManagedSession) -> None:
    """Count one status read of a finalizing session and move its finalization along."""
    final = session.finalization
    if final is None or final.state in TERMINAL:
        return
    final.reads += 1
    final.attempts = 1
    final.available_at = _now()
    if final.reads == 1:
        final.state, final.stage, final.code = "running", "verify", "running"
        return
    for managed in session.files:
        managed.verified = managed.file_uid in final.passed
    if final.outcome != "published":
        final.state, final.stage, final.code, final.failures = "failed", "verify", final.outcome, 1
        return
    final.state, final.stage, final.code = "succeeded", "publish", "published"
    final.publication_uid = str(uuid.uuid4())
    final.dataset_uid = _publish(call, session)
    session.status = "completed"
    for managed in session.files:
        if managed.generation is not None:
            managed.generation.state = "completed"
    recording = _recording(call)
    recording.update(
        status="processing",
        size_bytes=sum(f.size_bytes for f in session.files),
        updated_at=now_timestamp(),
    )


def _publish(call: Call, session: ManagedSession) -> str:
    """A ``created`` mcap dataset holding the session's files; returns its uid."""
    store = call.store
    owner = caller_username(call)
    slug = f"recording-{session.recording_uid}"
    if store.find("datasets", owner_name=owner, slug=slug) is not None:
        slug = f"{slug}-{session.session_uid[:8]}"
    dataset = store.insert(
        "datasets",
        {
            "name": f"Recording {session.recording_uid[:8]}",
            "slug": slug,
            "status": "created",
            "data_type": "mcap",
            "is_sequence": True,
            "visibility": "private",
            "owner_name": owner,
        },
    )
    objects = call.state.storage.objects
    add_items(store, dataset, [(f.path, objects[f.key]) for f in session.files if f.key in objects])
    return str(dataset["uid"])


async def status(call: Call) -> web.StreamResponse:
    session = _session(call, call.request.query)
    with call.store.lock:
        _settle(call, session)
    return json_response(session.render())


async def multipart_init(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    managed = _file(session, body)
    if session.finalization is not None:
        raise ApiError(409, {"detail": "This session is already finalizing."})
    with call.store.lock:
        generation = managed.generation
        if generation is None:
            upload = call.state.storage.create_multipart(
                managed.key, expected_size=managed.size_bytes, track_sha256=True
            )
            generation = managed.generation = ManagedGeneration(
                generation_uid=str(uuid.uuid4()),
                number=1,
                upload_id=upload.upload_id,
                deadline=_iso(datetime.now(timezone.utc) + INIT_WINDOW),
            )
            session.status = "uploading"
    return json_response(
        {
            **_head(session, managed, generation),
            "number": generation.number,
            "state": generation.state,
            "part_size": managed.part_size,
            "part_count": managed.part_count,
            "initialization_deadline": generation.deadline,
        }
    )


async def multipart_progress(call: Call) -> web.StreamResponse:
    query = call.request.query
    session = _session(call, query)
    managed = _file(session, query)
    generation = _generation(managed, query)
    raw_after = query.get("after") or "0"
    try:
        after = int(raw_after)
    except ValueError:
        after = -1
    if after < 0:
        raise ApiError(400, {"after": ["A valid non-negative integer is required."]})
    parts = [p for p in _upload(call, generation).sorted_parts() if p.number > after]
    page = parts[:PROGRESS_PAGE]
    more = len(parts) > PROGRESS_PAGE
    return json_response(
        {
            **_head(session, managed, generation),
            "parts": [{"part_number": p.number, "size": p.size} for p in page],
            "next_cursor": page[-1].number if more else None,
        }
    )


async def multipart_parts(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    managed = _file(session, body)
    generation = _generation(managed, body)
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or len(numbers) != 1:
        raise ApiError(400, {"numbers": ["Exactly one part number is required."]})
    number = numbers[0]
    if not is_size(number) or not 1 <= number <= managed.part_count:
        message = f"Part numbers must be integers from 1 to {managed.part_count}."
        raise ApiError(400, {"numbers": [message]})
    if generation.state != "active" or session.finalization is not None:
        raise ApiError(409, {"detail": "This file's upload is no longer active."})
    ttl = int(call.store.settings.get("managed_grant_ttl_seconds", MAX_GRANT_SECONDS))
    ttl = min(MAX_GRANT_SECONDS, max(1, ttl))
    url, expires = call.state.storage.presigned_url(
        str(call.request.url.origin()),
        "PUT",
        managed.key,
        ttl_seconds=ttl,
        upload_id=generation.upload_id,
        part_number=number,
    )
    offset = (number - 1) * managed.part_size
    grant = {
        "grant_uid": str(uuid.uuid4()),
        "part_number": number,
        "offset": offset,
        "size_bytes": min(managed.part_size, managed.size_bytes - offset),
        "url": url,
        "headers": {},
        "expires_at": _iso(datetime.fromtimestamp(expires, timezone.utc)),
    }
    return json_response({**_head(session, managed, generation), "parts": [grant]})


def _verify(managed: ManagedFile, upload: MultipartUpload) -> str:
    """``published`` (fine), ``content_mismatch`` or ``invalid_mcap`` for one file."""
    held = upload.parts
    if sorted(held) != list(range(1, managed.part_count + 1)):
        return "content_mismatch"
    for number, part in held.items():
        offset = (number - 1) * managed.part_size
        if part.size != min(managed.part_size, managed.size_bytes - offset):
            return "content_mismatch"
    if upload.whole_sha256() != managed.content_sha256:
        return "content_mismatch"
    if not held[1].head.startswith(MCAP_MAGIC):
        return "invalid_mcap"
    return "published"


def _finalize_targets(session: ManagedSession, raw: Any) -> None:
    if raw is None:
        raise ApiError(400, {"files": ["This field is required."]})
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ApiError(400, {"files": ["Expected a list of {file_uid, generation_uid}."]})
    named = [(e.get("file_uid"), e.get("generation_uid")) for e in raw]
    wanted = [
        (f.file_uid, None if f.generation is None else f.generation.generation_uid)
        for f in session.files
    ]
    if sorted(named, key=str) != sorted(wanted, key=str) or len(set(named)) != len(named):
        message = "Name every file of the session once, with its current generation."
        raise ApiError(400, {"files": [message]})


async def finalize(call: Call) -> web.StreamResponse:
    body = await call.body()
    session = _session(call, body)
    with call.store.lock:
        if session.finalization is None:
            uninitialized = [f.path for f in session.files if f.generation is None]
            if uninitialized:
                raise ApiError(400, {"files": [f"{p}: not initialized." for p in uninitialized]})
            _finalize_targets(session, body.get("files"))
            storage = call.state.storage
            outcomes: dict[str, str] = {}
            for managed in session.files:
                assert managed.generation is not None
                upload = _upload(call, managed.generation)
                missing = [n for n in range(1, managed.part_count + 1) if n not in upload.parts]
                if missing:
                    listed = ", ".join(str(n) for n in missing)
                    message = f"{managed.path}: parts {listed} have not been uploaded."
                    raise ApiError(400, {"detail": message})
                outcomes[managed.file_uid] = _verify(managed, upload)
            for managed in session.files:
                assert managed.generation is not None
                upload = _upload(call, managed.generation)
                if sorted(upload.parts) == list(range(1, len(upload.parts) + 1)):
                    storage.complete_multipart(upload.upload_id)
                managed.generation.state = "completing"
            codes = set(outcomes.values())
            outcome = next(
                (c for c in ("content_mismatch", "invalid_mcap") if c in codes), "published"
            )
            session.finalization = ManagedFinalization(
                uid=str(uuid.uuid4()),
                outcome=outcome,
                passed={uid for uid, code in outcomes.items() if code == "published"},
                available_at=_now(),
            )
            session.status = "completing"
        final = session.finalization
        assert final is not None
    return json_response(
        {"protocol": PROTOCOL, "session_uid": session.session_uid, "finalization": final.render()}
    )


def _get(name: str, handler: Any) -> Action:
    return Action(name, handler, method="GET")


ENDPOINTS = (
    Endpoint(
        RECORDINGS,
        "/fleet/recordings/",
        verbs=frozenset(),
        actions=(
            Action("managed-upload/admit", admit),
            _get("managed-upload/status", status),
            Action("managed-upload/multipart/init", multipart_init),
            _get("managed-upload/multipart/progress", multipart_progress),
            Action("managed-upload/multipart/parts", multipart_parts),
            Action("managed-upload/finalize", finalize),
        ),
    ),
)

TABLES = ()
