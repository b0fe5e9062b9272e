"""Upload models: progress snapshots, the local inventory of a recording, and what the fleet
upload endpoints answer (the legacy and the managed ``fleet-managed-mcap-v1`` protocol)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

import attrs


@attrs.frozen(kw_only=True)
class UploadProgress:
    """Where an upload stands, passed to ``progress=`` callbacks as bytes move (at most ten
    times a second, and whenever a file ends) and once more at the end (``finished``).

    The first five fields are those of the official SDK's ``UploadProgress``.
    """

    total_files: int
    """Files in the upload."""
    uploaded_files: int
    """Files stored so far, those stored by an earlier run included."""
    total_bytes: int
    """Bytes in the upload."""
    uploaded_bytes: int
    """Bytes stored so far, those stored by an earlier run included."""
    failed_files: int = 0
    """Files that failed in this run."""
    skipped_files: int = 0
    """Files an earlier run already stored (not sent again)."""
    bytes_sent: int = 0
    """Bytes sent by this run."""
    bytes_per_second: float = 0.0
    """Transfer rate over the last few seconds."""
    elapsed_seconds: float = 0.0
    """Time since this run started."""
    current_path: str | None = None
    """The file that last moved (its path inside the upload)."""
    finished: bool = False
    """True on the last snapshot of a run that completed."""


@attrs.frozen(kw_only=True)
class SourceFile:
    """One file of a recording's local inventory."""

    path: str
    """Path inside the source folder, with ``/``."""
    size_bytes: int
    """Size in bytes."""
    sha256: str
    """SHA-256 of the content (hex)."""
    md5: str = ""
    """MD5 of the content (hex), to check the storage host's ETag."""


@attrs.frozen(kw_only=True)
class SourceInventory:
    """A recording's files, as read (and hashed once) by ``fleet.uploads.collect_files``."""

    source: Path
    """The source folder."""
    files: tuple[SourceFile, ...]
    """Its files, in path order."""

    @property
    def total_bytes(self) -> int:
        """The size of all files."""
        return sum(f.size_bytes for f in self.files)

    def manifest(self) -> list[dict[str, Any]]:
        """``[{path, size_bytes}]``, as ``fleet.uploads.init_upload`` takes it."""
        return [{"path": f.path, "size_bytes": f.size_bytes} for f in self.files]


@attrs.frozen(kw_only=True)
class UploadSession:
    """A fleet recording's upload session."""

    uid: str
    """The session's id."""
    total_files: int = 0
    """Files in the session."""
    total_bytes: int = 0
    """Bytes in the session."""
    confirmed_files: int = 0
    """Files confirmed stored."""
    confirmed_bytes: int = 0
    """Bytes confirmed stored."""
    s3_prefix: str | None = None
    """The storage prefix the files go under."""
    status: str | None = None
    """``initiated``, ``uploading``, ``completing`` or ``completed``."""


@attrs.frozen(kw_only=True)
class UploadUrlEntry:
    """Where to PUT one file of a fleet upload."""

    path: str
    """The file's path in the recording."""
    put_url: str = attrs.field(repr=False)
    """The presigned URL (kept out of ``repr``: it grants write access)."""
    s3_key: str
    """The storage key it writes."""
    headers: dict[str, str] = attrs.Factory(dict)
    """Headers to send with the PUT."""


@attrs.frozen(kw_only=True)
class UploadUrlsResponse:
    """Presigned URLs for a batch of files."""

    urls: list[UploadUrlEntry] = attrs.Factory(list)
    """One entry per requested path."""


class UploadConfirmResponse(TypedDict, total=False):
    """What confirming stored files of a fleet upload answered (a dict, as in the official
    SDK)."""

    confirmed: int  # files confirmed by this call
    total_confirmed: int  # files confirmed in the session so far
    total_files: int  # files in the session


class UploadFinalizeResponse(TypedDict, total=False):
    """What finalizing a fleet upload answered (a dict, as in the official SDK)."""

    detail: str  # the server's message
    session_uid: str  # the session
    status: str  # the session's status now


@attrs.frozen(kw_only=True)
class UploadStatusResponse:
    """The state of a fleet recording's upload session."""

    session_uid: str
    """The session's id."""
    status: str
    """``initiated``, ``uploading``, ``completing`` or ``completed``."""
    total_files: int = 0
    """Files in the session."""
    confirmed_files: int = 0
    """Files confirmed stored."""
    total_bytes: int = 0
    """Bytes in the session."""
    confirmed_bytes: int = 0
    """Bytes confirmed stored."""
    pending_paths: list[str] = attrs.Factory(list)
    """Paths not confirmed yet (the server may list only the first of many)."""


@attrs.frozen(kw_only=True)
class ManagedGeneration:
    """One multipart generation of a managed file."""

    generation_uid: str
    """The generation's id."""
    number: int
    """Its number, from 1."""
    state: str
    """``initializing``, ``active``, ``abandoned``, ``completing`` or ``completed``."""


@attrs.frozen(kw_only=True)
class ManagedOriginal:
    """One file of a managed fleet upload."""

    file_uid: str
    """The file's id in the session."""
    path: str
    """Its path in the recording."""
    size_bytes: int
    """Size in bytes."""
    content_sha256: str
    """SHA-256 of its content (hex)."""
    content_type: str = "application/octet-stream"
    """Always ``application/octet-stream``."""
    content_encoding: str = ""
    """Always empty."""
    part_size: int
    """Bytes per part."""
    part_count: int
    """Number of parts."""
    verified: bool = False
    """Whether the server checked the stored bytes against the hash."""
    generation: ManagedGeneration | None = None
    """The current multipart generation, once started."""


@attrs.frozen(kw_only=True)
class ManagedFinalization:
    """The server's processing of a finalized managed upload."""

    uid: str
    """The finalization's id."""
    state: str
    """``pending``, ``running``, ``retry_wait``, ``succeeded`` or ``failed``."""
    stage: str
    """``complete``, ``verify``, ``attach``, ``prepare`` or ``publish``."""
    attempts: int = 0
    """Attempts so far."""
    failures: int = 0
    """Failed attempts."""
    code: str
    """Outcome code, e.g. ``published``, ``content_mismatch`` or ``invalid_mcap``."""
    available_at: datetime | None = None
    """When the next attempt may run (timezone-aware)."""
    publication_uid: str | None = None
    """Set once it succeeded."""
    dataset_uid: str | None = None
    """The dataset the recording was published to, once it succeeded."""


@attrs.frozen(kw_only=True)
class ManagedFleetUploadStatus:
    """The state of a managed (``fleet-managed-mcap-v1``) fleet recording upload."""

    protocol: str
    """Always ``fleet-managed-mcap-v1``."""
    session_uid: str
    """The session's id (chosen by the client)."""
    recording_uid: str
    """The recording."""
    status: str
    """``initiated``, ``uploading``, ``completing`` or ``completed``."""
    total_files: int
    """Files in the session."""
    total_bytes: int
    """Bytes in the session."""
    confirmed_files: int = 0
    """Files stored and verified."""
    confirmed_bytes: int = 0
    """Bytes stored and verified."""
    files: list[ManagedOriginal] = attrs.Factory(list)
    """The files."""
    finalization: ManagedFinalization | None = None
    """The server's processing, once finalized."""
