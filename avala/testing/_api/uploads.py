"""Manual dataset uploads: the quota, presigned grants, multipart parts, completion, and the
dataset made from what was uploaded.

``POST /datasets/manual-upload/file-upload-url/`` answers one of three descriptors:

* v1 (no ``upload_protocol_version: 2``): a presigned form ``POST`` to
  ``/_storage/<bucket>/``, stored under ``uploads/<owner uid>/<dataset_name>/<path>``;
* v2, below the multipart threshold: a presigned ``PUT`` (with ``If-None-Match: *``), then
  ``uploads/{upload_uid}/complete/``;
* v2, at or above it: ``MULTIPART``: parts are signed by ``uploads/{upload_uid}/parts/``, PUT
  to storage and assembled by ``complete/``.

v2 objects live under ``uploads/<owner uid>/<dataset_upload_uid>/<path>``. The owner is the
``organization_uid`` when given, else the calling user's uid. Presigning the same path of the
same batch again returns the same ``upload_uid`` (and, for multipart, the parts storage already
holds). Each presign reserves ``content_length`` against the owner's quota once per (owner,
batch, path); creating the dataset from a batch consumes its reservations.

Knobs (``store.settings``): ``upload_quota_bytes``, ``multipart_threshold_bytes`` and
``multipart_part_size_bytes`` (64 MiB each by default), ``presign_ttl_seconds`` (3600).
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .._engine import Call, json_response, render
from .._schema import Action, ApiError, Endpoint, JSONDict, Validator, not_found
from .._storage import DEFAULT_TTL_SECONDS, Storage, StoredObject
from .._store import ASSET_HOST, Store
from ._common import (
    caller_uid,
    caller_username,
    canonical_uuid,
    is_size,
    part_count,
    path_problem,
    server_state,
)
from .datasets import ALLOWED_MIMES, DATASETS, UPLOAD_QUOTA_BYTES, _on_create

MIB = 1 << 20
DEFAULT_MULTIPART_THRESHOLD = 64 * MIB
DEFAULT_PART_SIZE = 64 * MIB
NO_FILES = "No uploaded files were found for this upload."


@dataclass
class DatasetUpload:
    """One file of a v2 upload batch."""

    upload_uid: str
    user: str
    owner: str
    batch: str
    path: str
    key: str
    size: int
    method: str
    content_type: str
    multipart_id: str | None = None
    part_size: int = 0
    part_count: int = 0
    result: JSONDict | None = None


@dataclass
class _Registry:
    uploads: dict[str, DatasetUpload] = field(default_factory=dict)
    by_path: dict[tuple[str, str, str], str] = field(default_factory=dict)
    consumed: set[tuple[str, str]] = field(default_factory=set)


def _registry(store: Store) -> _Registry:
    return server_state(store, "_dataset_uploads", _Registry)


def _storage(call: Call) -> Storage:
    return call.state.storage


def _origin(call: Call) -> str:
    return str(call.request.url.origin())


def _ttl(call: Call) -> int:
    return int(call.store.settings.get("presign_ttl_seconds", DEFAULT_TTL_SECONDS))


def content_type_for(path: str) -> str:
    """The type a file is stored with: its guessed MIME type when the upload accepts it, else
    ``application/octet-stream``."""
    guessed = mimetypes.guess_type(path, strict=False)[0]
    if guessed and (guessed in ALLOWED_MIMES or guessed.startswith("video/")):
        return guessed
    return "application/octet-stream"


# --------------------------------------------------------------------------- quota


def _quota(store: Store, owner: str) -> tuple[int, int]:
    used: dict[str, int] = store.settings.setdefault("upload_used", {})
    limit = int(store.settings.get("upload_quota_bytes", UPLOAD_QUOTA_BYTES))
    return used.get(owner, 0), limit


def _reservations(store: Store, owner: str) -> dict[tuple[str, str], int]:
    held: dict[str, dict[tuple[str, str], int]] = store.settings.setdefault(
        "upload_reservations", {}
    )
    return held.setdefault(owner, {})


def _reserve(store: Store, owner: str, batch: str, path: str, size: int) -> None:
    """Count ``size`` against the owner's quota, once per (batch, path)."""
    with store.lock:
        held = _reservations(store, owner)
        previous = held.get((batch, path))
        delta = size - (previous or 0)
        used, limit = _quota(store, owner)
        if (previous is None or delta > 0) and used + delta > limit:
            raise ApiError(413, {"detail": "Upload quota exceeded.", "limit": limit, "used": used})
        store.settings["upload_used"][owner] = max(0, used + delta)
        held[(batch, path)] = size


def _release(store: Store, owner: str, batch: str) -> None:
    """The batch became a dataset: its reservations stay counted as used, and close."""
    with store.lock:
        held = _reservations(store, owner)
        for reserved in [k for k in held if k[0] == batch]:
            del held[reserved]


async def upload_quota(call: Call) -> web.StreamResponse:
    used, limit = _quota(call.store, call.query("organization_uid") or caller_uid(call))
    return json_response({"used": used, "limit": limit})


# --------------------------------------------------------------------------- presign


def _clean_presign(body: JSONDict) -> tuple[str, str, int, str | None, str | None]:
    errors: dict[str, list[str]] = {}
    name = body.get("dataset_name")
    if name is None:
        errors["dataset_name"] = ["This field is required."]
    elif not isinstance(name, str) or not name.strip():
        errors["dataset_name"] = ["This field may not be blank."]
    elif len(name) > 255 or "/" in name:
        errors["dataset_name"] = ["Enter a dataset name of at most 255 characters, without '/'."]
    path = body.get("file_path_in_dataset")
    if path is None:
        errors["file_path_in_dataset"] = ["This field is required."]
    elif (problem := path_problem(path)) is not None:
        errors["file_path_in_dataset"] = [problem]
    size: Any = body.get("content_length")
    if size is None:
        errors["content_length"] = ["This field is required."]
    elif not is_size(size):
        errors["content_length"] = ["A valid non-negative integer is required."]
    org = body.get("organization_uid")
    if org is not None and (not isinstance(org, str) or not org.strip()):
        errors["organization_uid"] = ["Not a valid string."]
    version = body.get("upload_protocol_version", 1)
    if version not in (1, 2, "1", "2") or isinstance(version, bool):
        errors["upload_protocol_version"] = [f'"{version}" is not a valid choice.']
    batch: str | None = None
    if str(version) == "2":
        raw = body.get("dataset_upload_uid")
        if raw is None:
            errors["dataset_upload_uid"] = ["This field is required."]
        else:
            batch = canonical_uuid(raw)
            if batch is None:
                errors["dataset_upload_uid"] = ["Must be a valid UUID."]
    if errors:
        raise ApiError(400, errors)
    return str(name), str(path), int(size), org, batch


def _descriptor(call: Call, upload: DatasetUpload) -> JSONDict:
    if upload.result is not None:
        return {"method": upload.method, "upload_uid": upload.upload_uid, "complete": True}
    storage = _storage(call)
    if upload.method == "PUT":
        url, _ = storage.presigned_url(_origin(call), "PUT", upload.key, ttl_seconds=_ttl(call))
        return {
            "method": "PUT",
            "url": url,
            "headers": {"Content-Type": upload.content_type, "If-None-Match": "*"},
            "upload_uid": upload.upload_uid,
            "complete": False,
        }
    assert upload.multipart_id is not None
    held = storage.multipart_uploads[upload.multipart_id].sorted_parts()
    return {
        "method": "MULTIPART",
        "upload_uid": upload.upload_uid,
        "part_size": upload.part_size,
        "part_count": upload.part_count,
        "uploaded_parts": [{"part_number": p.number, "size": p.size} for p in held],
        "complete": False,
    }


async def upload_url(call: Call) -> web.StreamResponse:
    """A presigned target for one file; the reservation counts against the quota at once."""
    name, path, size, org, batch = _clean_presign(await call.body())
    user = caller_uid(call)
    owner = org or user
    store = call.store
    content_type = content_type_for(path)
    if batch is None:  # v1: a form POST
        _reserve(store, owner, name, path, size)
        target = _storage(call).presigned_post(
            _origin(call),
            f"uploads/{owner}/{name}/{path}",
            content_length=size,
            content_type=content_type,
            ttl_seconds=_ttl(call),
        )
        return json_response(target)
    registry = _registry(store)
    if (owner, batch) in registry.consumed:
        message = "A dataset was already created from this upload."
        raise ApiError(400, {"dataset_upload_uid": [message]})
    known = registry.by_path.get((owner, batch, path))
    upload = None if known is None else registry.uploads[known]
    if upload is not None and upload.size != size:
        message = (
            f"Does not match the size this file's upload was started with ({upload.size} bytes)."
        )
        raise ApiError(400, {"content_length": [message]})
    _reserve(store, owner, batch, path, size)
    if upload is None:
        upload = _start(call, user, owner, batch, path, size, content_type)
    return json_response(_descriptor(call, upload))


def _start(
    call: Call, user: str, owner: str, batch: str, path: str, size: int, content_type: str
) -> DatasetUpload:
    settings = call.store.settings
    threshold = int(settings.get("multipart_threshold_bytes", DEFAULT_MULTIPART_THRESHOLD))
    key = f"uploads/{owner}/{batch}/{path}"
    upload = DatasetUpload(
        upload_uid=str(uuid.uuid4()),
        user=user,
        owner=owner,
        batch=batch,
        path=path,
        key=key,
        size=size,
        method="MULTIPART" if size > 0 and size >= threshold else "PUT",
        content_type=content_type,
    )
    if upload.method == "MULTIPART":
        upload.part_size = int(settings.get("multipart_part_size_bytes", DEFAULT_PART_SIZE))
        upload.part_count = part_count(size, upload.part_size)
        upload.multipart_id = (
            _storage(call)
            .create_multipart(key, content_type=content_type, expected_size=size)
            .upload_id
        )
    registry = _registry(call.store)
    with call.store.lock:
        registry.uploads[upload.upload_uid] = upload
        registry.by_path[(owner, batch, path)] = upload.upload_uid
    return upload


# --------------------------------------------------------------------------- parts, complete


def _upload_of(call: Call) -> DatasetUpload:
    uid = canonical_uuid(call.request.match_info["upload_uid"])
    upload = None if uid is None else _registry(call.store).uploads.get(uid)
    if upload is None or upload.user != caller_uid(call):
        raise not_found()
    return upload


async def sign_parts(call: Call) -> web.StreamResponse:
    upload = _upload_of(call)
    body = await call.body()
    numbers = body.get("part_numbers")
    if numbers is None:
        raise ApiError(400, {"part_numbers": ["This field is required."]})
    if not isinstance(numbers, list) or not numbers:
        raise ApiError(400, {"part_numbers": ["Expected a non-empty list of part numbers."]})
    if upload.method != "MULTIPART":
        raise ApiError(400, {"detail": "This upload is not a multipart upload."})
    if upload.result is not None:
        raise ApiError(400, {"detail": "This upload is already complete."})
    wrong = [n for n in numbers if not is_size(n) or not 1 <= n <= upload.part_count]
    if wrong:
        message = f"Part numbers must be integers from 1 to {upload.part_count}; got {wrong}."
        raise ApiError(400, {"part_numbers": [message]})
    storage, origin, ttl = _storage(call), _origin(call), _ttl(call)
    parts = []
    for number in dict.fromkeys(int(n) for n in numbers):
        url, _ = storage.presigned_url(
            origin,
            "PUT",
            upload.key,
            ttl_seconds=ttl,
            upload_id=upload.multipart_id,
            part_number=number,
        )
        parts.append({"part_number": number, "url": url, "headers": {}})
    return json_response({"parts": parts})


def _multipart_problem(upload: DatasetUpload, storage: Storage) -> str | None:
    assert upload.multipart_id is not None
    held = storage.multipart_uploads[upload.multipart_id].parts
    missing = [n for n in range(1, upload.part_count + 1) if n not in held]
    if missing:
        listed = ", ".join(str(n) for n in missing)
        return f"Parts {listed} of {upload.part_count} have not been uploaded."
    extra = sorted(n for n in held if n > upload.part_count)
    if extra:
        return f"Parts {', '.join(str(n) for n in extra)} are beyond part {upload.part_count}."
    for number in range(1, upload.part_count + 1):
        wanted = min(upload.part_size, upload.size - (number - 1) * upload.part_size)
        if held[number].size != wanted:
            return f"Part {number} is {held[number].size} bytes; expected {wanted}."
    return None


async def complete(call: Call) -> web.StreamResponse:
    upload = _upload_of(call)
    await call.body()
    if upload.result is not None:
        return json_response(upload.result)
    storage = _storage(call)
    stored: StoredObject
    if upload.method == "PUT":
        found = storage.objects.get(upload.key)
        if found is None:
            raise ApiError(400, {"detail": "The file has not been uploaded."})
        if found.size != upload.size:
            message = f"The uploaded file is {found.size} bytes; expected {upload.size}."
            raise ApiError(400, {"detail": message})
        stored = found
    else:
        problem = _multipart_problem(upload, storage)
        if problem is not None:
            raise ApiError(400, {"detail": problem})
        assert upload.multipart_id is not None
        stored = storage.complete_multipart(upload.multipart_id)
    upload.result = {
        "upload_uid": upload.upload_uid,
        "size_bytes": stored.size,
        "etag": stored.quoted_etag,
    }
    return json_response(upload.result)


# --------------------------------------------------------------------------- the dataset


def next_item_id(store: Store) -> int:
    """A fresh integer id for a new dataset item."""
    with store.lock:
        value = int(store.settings.get("next_item_id", 100_001))
        store.settings["next_item_id"] = value + 1
    return value


def add_items(store: Store, dataset: JSONDict, files: Sequence[tuple[str, StoredObject]]) -> None:
    """Store one item per ``(key, object)`` in ``dataset`` and set its counts and size."""
    owner, slug = dataset["owner_name"], dataset["slug"]
    with store.lock:
        for key, stored in files:
            url = f"{ASSET_HOST}/{owner}/{slug}/{key}"
            store.insert(
                "dataset_items",
                {
                    "id": next_item_id(store),
                    "uid": str(uuid.uuid4()),
                    "key": key,
                    "dataset": dataset["uid"],
                    "dataset_owner_name": owner,
                    "dataset_slug": slug,
                    "url": url,
                    "thumbnails": [],
                    "metadata": {
                        "size_bytes": stored.size,
                        "content_type": stored.content_type,
                        "etag": stored.etag,
                    },
                    "export_snippet": {"key": key, "labels": []},
                    "annotations": {"objects": 0},
                    "related_items": [],
                    "status": "created",
                    "data_url": url,
                    "annotations_count": 0,
                },
            )
        dataset["item_count"] = len(files)
        dataset["size_bytes"] = sum(stored.size for _, stored in files)


def _files_of(
    call: Call, owner: str, batch: str | None, name: str
) -> list[tuple[str, StoredObject]]:
    storage = _storage(call)
    if batch is not None:
        registry = _registry(call.store)
        done = sorted(
            (u for u in registry.uploads.values() if (u.owner, u.batch) == (owner, batch)),
            key=lambda u: u.path,
        )
        return [
            (u.path, storage.objects[u.key])
            for u in done
            if u.result is not None and u.key in storage.objects
        ]
    prefix = f"uploads/{owner}/{name}/"
    return sorted(
        (key[len(prefix) :], stored)
        for key, stored in list(storage.objects.items())
        if key.startswith(prefix)
    )


async def create_from_upload(call: Call) -> web.StreamResponse:
    """The dataset made from a batch (v2) or from the files stored for its name (v1).

    A v1 call with nothing stored creates an empty dataset that becomes ``created`` after a
    few reads, as before the upload protocol existed."""
    body = await call.body()
    values = Validator(call.store, DATASETS, body, partial=False).clean()
    errors: dict[str, list[str]] = {}
    org = body.get("organization_uid")
    if org is not None and (not isinstance(org, str) or not org.strip()):
        errors["organization_uid"] = ["Not a valid string."]
    raw_batch = body.get("dataset_upload_uid")
    batch = None if raw_batch is None else canonical_uuid(raw_batch)
    if raw_batch is not None and batch is None:
        errors["dataset_upload_uid"] = ["Must be a valid UUID."]
    if errors:
        raise ApiError(400, errors)
    owner = org or caller_uid(call)
    registry = _registry(call.store)
    if batch is not None and (owner, batch) in registry.consumed:
        message = "A dataset was already created from this upload."
        raise ApiError(400, {"dataset_upload_uid": [message]})
    files = _files_of(call, owner, batch, str(values["name"]))
    if batch is not None and not files:
        raise ApiError(400, {"detail": NO_FILES})
    organization = None if org is None else call.store.find("organizations", uid=org)
    if organization is not None:
        values["owner_name"] = organization["slug"]
    values["owner_name"] = values.get("owner_name") or caller_username(call)
    with call.store.lock:
        if call.store.find("datasets", owner_name=values["owner_name"], slug=values["slug"]):
            raise ApiError(400, {"slug": ["dataset with this slug already exists."]})
        if files:
            values["status"] = "created"
        else:
            _on_create(call, values)
        record = call.store.insert("datasets", values)
        add_items(call.store, record, files)
        _release(call.store, owner, batch or str(values["name"]))
        if batch is not None:
            registry.consumed.add((owner, batch))
    return json_response(render(DATASETS, record), 201)


def _get(name: str, handler: Any) -> Action:
    return Action(name, handler, method="GET", detail=False)


ENDPOINTS = (
    Endpoint(
        DATASETS,
        "/datasets/",
        detail=None,
        verbs=frozenset(),
        actions=(
            _get("manual-upload/quota", upload_quota),
            Action("manual-upload/file-upload-url", upload_url, detail=False),
            Action("manual-upload/uploads/{upload_uid}/parts", sign_parts, detail=False),
            Action("manual-upload/uploads/{upload_uid}/complete", complete, detail=False),
            Action("manual-upload", create_from_upload, detail=False),
        ),
    ),
)

TABLES = ()
