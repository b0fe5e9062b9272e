"""Local files into a dataset: presign, transfer (POST form, PUT, or signed MULTIPART
parts), verify, complete; resumable through the upload state, bounded in concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import mimetypes
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    APIResponseValidationError,
    ForbiddenError,
    NotFoundError,
    QuotaExceededError,
    UploadError,
    UploadStateError,
)
from ..models.datasets import Dataset
from ..models.uploads import UploadProgress
from ..resources._base import path as api_path
from ._files import LocalFile, Stamp, digest, from_pairs, gather
from ._progress import Tracker
from ._state import UploadState, uploads_dir
from ._storage import Storage, check_url, verify

if TYPE_CHECKING:
    from ..resources.datasets import AsyncDatasets

T = TypeVar("T")

MIN_PART = 5 * 1024 * 1024
MAX_PART = 128 * 1024 * 1024
MAX_PARTS = 10_000
#: Parts of one file in flight at once.
PART_CONCURRENCY = 4
#: Bytes of a multipart file's parts, in flight at once, are bounded by streaming: each
#: request holds one read chunk, never a whole part.


def check_workers(value: object, name: str = "workers") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int (files sent at once), got {value!r}.")
    return value


def _check_name(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty str, got {value!r}.")
    return value


async def storage_root(datasets: AsyncDatasets, organization_uid: str | None) -> str:
    """Where the server roots this account's uploads: ``__o__=/<org>`` or ``__u__=/<user>``."""
    if organization_uid is not None:
        return f"__o__=/{_check_name(organization_uid, 'organization_uid')}"
    me = await datasets._get("/users/me/", dict)
    uid = me.get("uid") if isinstance(me, dict) else None
    if not isinstance(uid, str) or not uid:
        raise APIResponseValidationError(
            "GET /users/me/ returned no uid, so the upload's storage root is unknown.", body=me
        )
    return f"__u__=/{uid}"


async def resolve_storage_root(datasets: AsyncDatasets, organization_uid: str | None) -> str | None:
    try:
        return await storage_root(datasets, organization_uid)
    except (ForbiddenError, NotFoundError, APIResponseValidationError):
        return None


async def assert_storage_root_unchanged(
    datasets: AsyncDatasets, expected: str | None, organization_uid: str | None
) -> None:
    if expected is None:
        return
    now = await resolve_storage_root(datasets, organization_uid)
    if now is not None and now != expected:
        raise RuntimeError(
            "the upload destination moved during this run (the account or organization "
            f"root changed from {expected!r} to {now!r}); the files are stored under the "
            "old root. Run the upload again to send them to the new one."
        )


def _state(datasets: AsyncDatasets, root: str, dataset_name: str, key: str) -> UploadState:
    identity = {
        "kind": "dataset",
        "base_url": datasets._client.base_url,
        "root": root,
        "dataset": dataset_name,
        "key": key,
    }
    name = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]
    return UploadState(uploads_dir() / "datasets", name, identity, f"dataset {dataset_name!r}")


async def prepare_batch(
    datasets: AsyncDatasets,
    dataset_name: str,
    organization_uid: str | None,
    resume: bool,
    state_key: str | None,
    root: str | None = None,
) -> str:
    _check_name(dataset_name, "dataset_name")
    root = root or await storage_root(datasets, organization_uid)
    with _state(datasets, root, dataset_name, state_key or dataset_name) as state:
        batch = state.data.get("batch")
        if resume and isinstance(batch, str):
            return batch
        batch = str(uuid.uuid4())
        state.entries = {}
        state.save(batch=batch)
        return batch


class _Run:
    """One call of ``upload_files``: the shared pieces every file's task needs."""

    def __init__(
        self,
        datasets: AsyncDatasets,
        state: UploadState,
        dataset_name: str,
        organization_uid: str | None,
        batch: str | None,
        tracker: Tracker,
        on_progress: Callable[[str, int], object] | None,
        on_skipped: Callable[[str], object] | None,
    ) -> None:
        self.on_skipped = on_skipped
        self.datasets = datasets
        client = datasets._client
        self.storage = Storage(client._transport, client._options)
        self.state = state
        self.dataset_name = dataset_name
        self.organization_uid = organization_uid
        self.batch = batch
        self.tracker = tracker
        self.on_progress = on_progress
        self.sent = 0

    async def presign(self, file: LocalFile) -> dict[str, Any]:
        target = await self.datasets.create_manual_upload_url(
            dataset_name=self.dataset_name,
            file_path_in_dataset=file.relative,
            content_length=file.size,
            organization_uid=self.organization_uid,
            dataset_upload_uid=self.batch,
        )
        if not isinstance(target, dict):
            raise UploadError(f"The server sent no upload target for {file.relative}.")
        return dict(target)

    async def upload(self, file: LocalFile) -> None:
        target = await self.presign(file)
        method = target.get("method")
        if self.batch is not None and method not in ("POST", "PUT", "MULTIPART"):
            raise UploadError(
                f"The server offered {file.relative} an upload method this SDK does not know "
                f"({method!r}); upgrade avala.",
                path=file.relative,
            )
        upload_uid = target.get("upload_uid")
        if target.get("complete") is True:
            md5 = (await digest(file, ("md5",)))[0]
            await self.complete(file, upload_uid)
            self.finish(file, md5, 0)
        elif method == "MULTIPART":
            await self.multipart(file, target)
        elif method == "PUT":
            await self.put(file, target)
        else:
            await self.post(file, target)

    async def put(self, file: LocalFile, first: dict[str, Any]) -> None:
        targets = [first]

        async def attempt(number: int) -> tuple[int, str | None]:
            target = targets[-1] if number == 0 else await self.presign(file)
            targets.append(target)
            url = check_url(target.get("url"), file.relative)
            stored, _ = await self.storage.send(
                "PUT", url, file, headers=_headers(target), tracker=self.tracker
            )
            if stored.status == 412:  # the host already holds it (an earlier run)
                return 0, (await digest(file, ("md5",)))[0]
            verify(stored, file)
            return stored.sent, stored.md5

        sent, md5 = await self.storage.retrying(file.relative, attempt)
        await self.complete(file, targets[-1].get("upload_uid"))
        self.finish(file, md5, sent)

    async def post(self, file: LocalFile, first: dict[str, Any]) -> None:
        targets = [first]

        async def attempt(number: int) -> tuple[int, str | None]:
            target = targets[-1] if number == 0 else await self.presign(file)
            targets.append(target)
            url = check_url(target.get("url"), file.relative)
            fields = target.get("fields") or {}
            if not isinstance(fields, dict):
                raise UploadError(f"The upload target of {file.relative} has bad fields.")
            content_type = (
                fields.get("Content-Type")
                or mimetypes.guess_type(file.relative)[0]
                or "application/octet-stream"
            )
            stored, _ = await self.storage.send(
                "POST",
                url,
                file,
                form={str(k): str(v) for k, v in fields.items()},
                content_type=content_type,
                tracker=self.tracker,
            )
            verify(stored, file)
            return stored.sent, stored.md5

        sent, md5 = await self.storage.retrying(file.relative, attempt)
        self.finish(file, md5, sent)

    async def multipart(self, file: LocalFile, target: dict[str, Any]) -> None:
        upload_uid = _upload_uid(target, file)
        part_size, part_count = target.get("part_size"), target.get("part_count")
        if (
            isinstance(part_size, bool)
            or not isinstance(part_size, int)
            or not MIN_PART <= part_size <= MAX_PART
            or isinstance(part_count, bool)
            or not isinstance(part_count, int)
            or not 1 <= part_count <= MAX_PARTS
            or part_count != max(1, math.ceil(file.size / part_size))
        ):
            raise UploadError(
                f"The server's multipart geometry for {file.relative} is invalid (part size "
                f"{part_size!r}, {part_count!r} parts for {file.size} bytes).",
                path=file.relative,
            )

        def size_of(number: int) -> int:
            return min(part_size, file.size - (number - 1) * part_size)

        stored_parts = {
            p.get("part_number")
            for p in target.get("uploaded_parts") or []
            if isinstance(p, dict) and p.get("size") == size_of(p.get("part_number") or 0)
        }
        missing = [n for n in range(1, part_count + 1) if n not in stored_parts]
        gate = asyncio.Semaphore(PART_CONCURRENCY)
        parts_path = api_path("/datasets/manual-upload/uploads/{uid}/parts/", uid=upload_uid)

        async def part(number: int) -> tuple[int, str | None]:
            async def attempt(number_of_try: int) -> tuple[int, str | None]:
                signed = await self.datasets._send(
                    "POST", parts_path, dict, json={"part_numbers": [number]}
                )
                grants = signed.get("parts") if isinstance(signed, dict) else None
                grant = next(
                    (
                        g
                        for g in grants or []
                        if isinstance(g, dict) and g.get("part_number") == number
                    ),
                    None,
                )
                if grant is None:
                    raise UploadError(
                        f"The server signed no part {number} of {file.relative}.",
                        path=file.relative,
                    )
                url = check_url(grant.get("url"), file.relative)
                offset = (number - 1) * part_size
                stored, _ = await self.storage.send(
                    "PUT",
                    url,
                    file,
                    headers=_headers(grant),
                    offset=offset,
                    length=size_of(number),
                    tracker=self.tracker,
                )
                verify(stored, file)
                return stored.sent, stored.md5

            async with gate:
                return await self.storage.retrying(f"{file.relative} part {number}", attempt)

        sent_parts = dict(zip(missing, await _all(part(n) for n in missing), strict=True))
        await self.complete(file, upload_uid)
        md5s = []
        for number in range(1, part_count + 1):  # parts stored by an earlier run: read once
            if number in sent_parts:
                md5s.append(sent_parts[number][1])
            else:
                offset = (number - 1) * part_size
                md5s.append((await digest(file, ("md5",), offset, size_of(number)))[0])
        content = {"part_size": part_size, "parts": md5s}
        self.finish(file, content, sum(sent for sent, _ in sent_parts.values()))

    async def complete(self, file: LocalFile, upload_uid: object) -> None:
        if self.batch is None and upload_uid is None:
            return
        uid = _upload_uid({"upload_uid": upload_uid}, file)
        await self.datasets._void(
            "POST", api_path("/datasets/manual-upload/uploads/{uid}/complete/", uid=uid), {}
        )

    def finish(self, file: LocalFile, content: Any, sent: int) -> None:
        """Record a stored file (``content``: its MD5, or its parts' MD5s) and report it."""
        entry = {
            "size": file.stamp.size,
            "mtime_ns": file.stamp.mtime_ns,
            "inode": file.stamp.inode,
            "md5": content,
        }
        self.state.record(file.relative, entry)
        self.sent += sent
        self.tracker.done(file.relative, stored_before=file.size - sent)
        if sent == 0:
            if self.on_skipped is not None:
                self.on_skipped(file.relative)
        elif self.on_progress is not None:
            self.on_progress(file.relative, sent)


def _headers(grant: dict[str, Any]) -> dict[str, str]:
    headers = grant.get("headers") or {}
    return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


def _upload_uid(target: dict[str, Any], file: LocalFile) -> str:
    value = target.get("upload_uid")
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise UploadError(
            f"The server sent no valid upload id for {file.relative} ({value!r}).",
            path=file.relative,
        ) from None


async def _all(tasks: Iterable[Awaitable[T]]) -> list[T]:
    """Run every awaitable; on the first failure cancel the rest and raise it."""
    futures = [asyncio.ensure_future(t) for t in tasks]
    try:
        return list(await asyncio.gather(*futures))
    finally:
        for future in futures:
            future.cancel()
        await asyncio.gather(*futures, return_exceptions=True)


async def _unchanged(file: LocalFile, entry: dict[str, Any]) -> bool:
    """Whether a file recorded as stored is still what was stored: by its stamp when that is
    unchanged, else by its content (MD5, or its parts' MD5s), read once."""
    recorded = Stamp(entry.get("size", -1), entry.get("mtime_ns", -1), entry.get("inode", -1))
    if recorded == file.stamp:
        return True
    content = entry.get("md5")
    if entry.get("size") != file.size or not content:
        return False
    if isinstance(content, str):
        return (await digest(file, ("md5",)))[0] == content
    part_size = content["part_size"]  # a multipart upload: the MD5 of each part
    for number, expected in enumerate(content["parts"]):
        offset = number * part_size
        length = min(part_size, file.size - offset)
        if (await digest(file, ("md5",), offset, length))[0] != expected:
            return False
    return True


async def upload_files(
    datasets: AsyncDatasets,
    *,
    dataset_name: str,
    files: Sequence[Any],
    workers: int,
    on_progress: Callable[[str, int], object] | None,
    on_skipped: Callable[[str], object] | None,
    organization_uid: str | None,
    resume: bool,
    state_key: str | None,
    clear_state_on_success: bool,
    dataset_upload_uid: str | None,
    progress: Callable[[UploadProgress], object] | None,
    root: str | None = None,
    local: list[LocalFile] | None = None,
) -> int:
    _check_name(dataset_name, "dataset_name")
    check_workers(workers)
    if isinstance(files, (str, bytes)):
        raise TypeError("files must be a list of (local path, path in the dataset) pairs.")
    if local is None:
        local = await asyncio.to_thread(from_pairs, files)
    if dataset_upload_uid is not None:
        dataset_upload_uid = str(uuid.UUID(_check_name(dataset_upload_uid, "dataset_upload_uid")))
    root = root or await storage_root(datasets, organization_uid)
    with _state(datasets, root, dataset_name, state_key or dataset_name) as state:
        if state.data.get("batch") != dataset_upload_uid or not resume:
            state.entries = {}
            state.save(batch=dataset_upload_uid)
        todo: list[LocalFile] = []
        tracker = Tracker(len(local), sum(f.size for f in local), progress)
        for file in local:
            entry = state.entries.get(file.relative)
            same = None if entry is None else await _unchanged(file, entry)
            if same:
                tracker.skipped(file.relative, file.size)
                if on_skipped is not None:
                    on_skipped(file.relative)
                continue
            if same is False and dataset_upload_uid is not None:
                raise UploadStateError(
                    f"{file.relative} changed on disk after it was uploaded in this batch; the "
                    "batch keeps what was stored first. Pass resume=False to upload the "
                    "folder as a new batch."
                )
            todo.append(file)
        tracker.emit()
        run = _Run(
            datasets,
            state,
            dataset_name,
            organization_uid,
            dataset_upload_uid,
            tracker,
            on_progress,
            on_skipped,
        )
        gate = asyncio.Semaphore(workers)

        async def one(file: LocalFile) -> int:
            async with gate:
                try:
                    await run.upload(file)
                except BaseException:
                    tracker.failed(file.relative)
                    raise
            return 0

        try:
            await _all(one(f) for f in todo)
        finally:
            state.save()
        if clear_state_on_success:
            state.delete()
        tracker.finish()
        return run.sent


async def create_from_local(
    datasets: AsyncDatasets,
    *,
    source: Any,
    name: str,
    slug: str,
    data_type: str,
    visibility: str,
    create_metadata: bool,
    owner_name: str | None,
    industry: int | None,
    license: int | None,
    workers: int,
    on_progress: Callable[[str, int], object] | None,
    wait: bool,
    wait_timeout: float,
    organization_uid: str | None,
    metadata: dict[str, Any] | None,
    resume: bool,
    check_quota: bool,
    progress: Callable[[UploadProgress], object] | None,
) -> Dataset:
    _check_name(name, "name")
    check_workers(workers)
    local = await asyncio.to_thread(gather, source, uploads_dir())
    root = await storage_root(datasets, organization_uid)
    batch = await prepare_batch(datasets, name, organization_uid, resume, None, root)
    if check_quota:
        await _check_quota(datasets, root, name, local, organization_uid)
    await upload_files(
        datasets,
        dataset_name=name,
        files=[],
        workers=workers,
        on_progress=on_progress,
        on_skipped=None,
        organization_uid=organization_uid,
        resume=True,
        state_key=name,
        clear_state_on_success=False,
        dataset_upload_uid=batch,
        progress=progress,
        root=root,
        local=local,
    )
    await assert_storage_root_unchanged(datasets, root, organization_uid)
    dataset = await datasets.create_from_manual_upload(
        name=name,
        slug=slug,
        data_type=data_type,
        visibility=visibility,
        create_metadata=create_metadata,
        owner_name=owner_name,
        metadata=metadata,
        industry=industry,
        license=license,
        organization_uid=organization_uid,
        dataset_upload_uid=batch,
    )
    with _state(datasets, root, name, name) as state:
        state.delete()
    if wait:
        dataset = await datasets.wait(dataset.uid, status="created", timeout=wait_timeout)
    return dataset


async def _check_quota(
    datasets: AsyncDatasets,
    root: str,
    name: str,
    local: list[LocalFile],
    organization_uid: str | None,
) -> None:
    """Refuse before any byte moves when the bytes still to send exceed what the quota has
    left. A key that may not read the quota (403) skips the check; the server still
    enforces it at presign time."""
    try:
        quota = await datasets.manual_upload_quota(organization_uid=organization_uid)
    except (ForbiddenError, NotFoundError):
        return
    with _state(datasets, root, name, name) as state:
        done = set(state.entries)
    needed = sum(f.size for f in local if f.relative not in done)
    if needed > quota.remaining:
        raise QuotaExceededError(
            f"Uploading {name!r} needs {needed:,} bytes but the upload quota has "
            f"{quota.remaining:,} left ({quota.used:,} of {quota.limit:,} used). Free space "
            "or ask for a larger quota; nothing was uploaded.",
            limit=quota.limit,
            used=quota.used,
            status_code=413,
        )
