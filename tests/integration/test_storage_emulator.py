"""The bundled server's upload side, end to end over raw aiohttp: the storage emulator under
``/_storage/`` (presigned PUT and form POST, multipart parts, signatures, expiry, lengths,
faults, streaming) and the upload protocols that hand out its grants (dataset manual upload
v1/v2, fleet legacy, fleet managed MCAP).

Each test gets a fresh server, so uploads and the datasets and recording states they create
never leak into the shared session server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
from yarl import URL

from avala.testing import Fault, ServerHandle, serve_async
from avala.testing._api.fleet import device_uid

MCAP_MAGIC = b"\x89MCAP0\r\n"
PROTOCOL = "fleet-managed-mcap-v1"
XML = "application/xml"


@pytest.fixture
async def srv() -> AsyncIterator[ServerHandle]:
    async with serve_async() as handle:
        yield handle


@pytest.fixture
async def http(srv: ServerHandle) -> AsyncIterator[aiohttp.ClientSession]:
    """API calls: the demo key."""
    async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": srv.api_key}) as session:
        yield session


@pytest.fixture
async def anon() -> AsyncIterator[aiohttp.ClientSession]:
    """Storage calls: no key at all."""
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    srv: ServerHandle,
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    params: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with http.request(method, srv.url(path), json=body, params=params) as response:
        return response.status, await response.json()


async def put(
    anon: aiohttp.ClientSession,
    url: str,
    data: bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, str | None, bytes]:
    async with anon.put(URL(url, encoded=True), data=data, headers=headers) as response:
        return response.status, response.headers.get("ETag"), await response.read()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def s3_code(body: bytes) -> tuple[str, str]:
    text = body.decode()
    assert text.startswith("<?xml")
    code = re.search(r"<Code>(.*?)</Code>", text)
    message = re.search(r"<Message>(.*?)</Message>", text)
    assert code is not None and message is not None
    return code.group(1), message.group(1)


def presign_body(name: str, path: str, size: int, batch: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataset_name": name,
        "file_path_in_dataset": path,
        "content_length": size,
    }
    if batch is not None:
        body.update(upload_protocol_version=2, dataset_upload_uid=batch)
    return body


PRESIGN = "/datasets/manual-upload/file-upload-url/"


# --------------------------------------------------------------------------- dataset v1


async def test_v1_form_post_upload_becomes_a_dataset(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    data = b"\x89PNG fake image bytes"
    status, target = await call(http, srv, PRESIGN, presign_body("Legacy", "img/a.png", len(data)))
    assert status == 200 and target["method"] == "POST"
    assert target["url"] == f"{srv.origin}/_storage/avala-local/"
    fields = target["fields"]
    assert {"key", "Content-Type", "policy", "x-avala-signature", "x-avala-expires"} <= set(fields)
    assert fields["Content-Type"] == "image/png"
    assert re.fullmatch(r"uploads/[0-9a-f-]{36}/Legacy/img/a\.png", fields["key"])

    tampered = aiohttp.FormData({**fields, "x-avala-signature": "0" * 64})
    tampered.add_field("file", data, filename="a.png")
    async with anon.post(target["url"], data=tampered) as response:
        assert response.status == 403 and response.content_type == XML
        assert s3_code(await response.read())[0] == "SignatureDoesNotMatch"
    assert fields["key"] not in srv.state.storage.objects

    form = aiohttp.FormData(fields)
    form.add_field("file", data, filename="a.png", content_type="image/png")
    async with anon.post(target["url"], data=form) as response:
        assert response.status == 204
        assert response.headers["ETag"] == f'"{md5(data)}"'
    stored = srv.state.storage.objects[fields["key"]]
    assert (stored.size, stored.md5, stored.data) == (len(data), md5(data), data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()

    status, made = await call(
        http,
        srv,
        "/datasets/manual-upload/",
        {"name": "Legacy", "slug": "legacy", "data_type": "image"},
    )
    assert status == 201 and made["status"] == "created" and made["item_count"] == 1
    assert made["size_bytes"] == len(data)
    status, items = await call(http, srv, "/datasets/demo/legacy/items/", method="GET")
    assert [item["key"] for item in items["results"]] == ["img/a.png"]


async def test_form_post_checks_size_and_expiry(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    seeded = set(srv.state.storage.objects)  # the resolver's published objects
    _, target = await call(http, srv, PRESIGN, presign_body("Sized", "a.bin", 4))
    form = aiohttp.FormData(target["fields"])
    form.add_field("file", b"too long", filename="a.bin")
    async with anon.post(target["url"], data=form) as response:
        assert response.status == 400
        assert s3_code(await response.read())[0] == "EntityTooLarge"
    stale = srv.state.storage.presigned_post(
        srv.origin, "uploads/x/y", content_length=1, ttl_seconds=0
    )
    form = aiohttp.FormData(stale["fields"])
    form.add_field("file", b"x", filename="y")
    async with anon.post(stale["url"], data=form) as response:
        assert response.status == 403
        assert s3_code(await response.read()) == ("AccessDenied", "Request has expired")
    assert set(srv.state.storage.objects) == seeded


# --------------------------------------------------------------------------- dataset v2 PUT


async def test_v2_put_412_complete_and_dataset(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    batch = str(uuid.uuid4())
    data = os.urandom(3000)
    status, target = await call(
        http, srv, PRESIGN, presign_body("Batch", "dir/clip.mp4", 3000, batch)
    )
    assert status == 200
    assert set(target) == {"method", "url", "headers", "upload_uid", "complete"}
    assert target["method"] == "PUT" and target["complete"] is False
    assert target["headers"] == {"Content-Type": "video/mp4", "If-None-Match": "*"}
    assert target["url"].startswith(f"{srv.origin}/_storage/avala-local/uploads/")
    upload_uid = target["upload_uid"]

    status, etag, _ = await put(anon, target["url"], data, target["headers"])
    assert (status, etag) == (200, f'"{md5(data)}"')
    status, _, body = await put(anon, target["url"], b"other" * 600, target["headers"])
    assert status == 412 and s3_code(body)[0] == "PreconditionFailed"
    key = next(k for k in srv.state.storage.objects if k.endswith("/dir/clip.mp4"))
    assert key == f"uploads/{srv.state.storage.objects[key].key.split('/')[1]}/{batch}/dir/clip.mp4"
    assert srv.state.storage.objects[key].data == data  # the 412 stored nothing

    done_path = f"/datasets/manual-upload/uploads/{upload_uid}/complete/"
    status, done = await call(http, srv, done_path, {})
    assert status == 200
    assert done == {"upload_uid": upload_uid, "size_bytes": 3000, "etag": f'"{md5(data)}"'}
    assert await call(http, srv, done_path, {}) == (200, done)  # idempotent

    again = await call(http, srv, PRESIGN, presign_body("Batch", "dir/clip.mp4", 3000, batch))
    assert again == (200, {"method": "PUT", "upload_uid": upload_uid, "complete": True})
    status, wrong = await call(http, srv, PRESIGN, presign_body("Batch", "dir/clip.mp4", 5, batch))
    assert status == 400 and set(wrong) == {"content_length"}

    # a second file presigned but never uploaded does not become an item
    _, other = await call(http, srv, PRESIGN, presign_body("Batch", "b.bin", 10, batch))
    status, missing = await call(
        http, srv, f"/datasets/manual-upload/uploads/{other['upload_uid']}/complete/", {}
    )
    assert status == 400 and "detail" in missing

    create = {"name": "Batch", "slug": "batch", "data_type": "video", "dataset_upload_uid": batch}
    status, made = await call(http, srv, "/datasets/manual-upload/", create)
    assert status == 201 and (made["status"], made["item_count"]) == ("created", 1)
    status, got = await call(http, srv, f"/datasets/{made['uid']}/", method="GET")
    assert status == 200 and got["item_count"] == 1 and got["size_bytes"] == 3000
    _, items = await call(http, srv, "/datasets/demo/batch/items/", method="GET")
    assert [i["key"] for i in items["results"]] == ["dir/clip.mp4"]
    status, twice = await call(http, srv, "/datasets/manual-upload/", {**create, "slug": "b2"})
    assert status == 400 and "dataset_upload_uid" in twice

    empty = {**create, "slug": "empty", "dataset_upload_uid": str(uuid.uuid4())}
    assert await call(http, srv, "/datasets/manual-upload/", empty) == (
        400,
        {"detail": "No uploaded files were found for this upload."},
    )


async def test_presign_validation(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    status, errors = await call(http, srv, PRESIGN, {})
    assert status == 400
    assert set(errors) == {"dataset_name", "file_path_in_dataset", "content_length"}
    for path in ("../up.png", "/abs.png", "a//b.png"):
        status, errors = await call(http, srv, PRESIGN, presign_body("V", path, 1))
        assert status == 400 and set(errors) == {"file_path_in_dataset"}, path
    status, errors = await call(http, srv, PRESIGN, presign_body("V", "a.png", -1))
    assert status == 400 and set(errors) == {"content_length"}
    body = {**presign_body("V", "a.png", 1), "upload_protocol_version": 2}
    assert (await call(http, srv, PRESIGN, body))[1] == {
        "dataset_upload_uid": ["This field is required."]
    }
    assert (await call(http, srv, "/users/me/", method="GET"))[1]["username"] == "demo"


# --------------------------------------------------------------------------- multipart


async def test_multipart_parts_resume_and_complete(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    srv.state.store.settings.update(multipart_threshold_bytes=1000, multipart_part_size_bytes=400)
    batch = str(uuid.uuid4())
    data = os.urandom(1000)
    status, target = await call(http, srv, PRESIGN, presign_body("Big", "big.bin", 1000, batch))
    assert status == 200
    assert target == {
        "method": "MULTIPART",
        "upload_uid": target["upload_uid"],
        "part_size": 400,
        "part_count": 3,
        "uploaded_parts": [],
        "complete": False,
    }
    uid = target["upload_uid"]
    parts_path = f"/datasets/manual-upload/uploads/{uid}/parts/"
    status, signed = await call(http, srv, parts_path, {"part_numbers": [1, 2]})
    assert status == 200 and [p["part_number"] for p in signed["parts"]] == [1, 2]
    assert all(p["headers"] == {} for p in signed["parts"])
    assert "uploadId=" in signed["parts"][0]["url"] and "partNumber=1" in signed["parts"][0]["url"]
    status, etag, _ = await put(anon, signed["parts"][0]["url"], data[:400])
    assert (status, etag) == (200, f'"{md5(data[:400])}"')

    # a resumed presign names the same upload and lists the part storage holds
    _, resumed = await call(http, srv, PRESIGN, presign_body("Big", "big.bin", 1000, batch))
    assert resumed["upload_uid"] == uid
    assert resumed["uploaded_parts"] == [{"part_number": 1, "size": 400}]

    status, early = await call(http, srv, f"/datasets/manual-upload/uploads/{uid}/complete/", {})
    assert status == 400 and "2, 3" in early["detail"]
    assert (await call(http, srv, parts_path, {"part_numbers": [4]}))[0] == 400
    assert (await call(http, srv, parts_path, {"part_numbers": []}))[0] == 400
    unknown = f"/datasets/manual-upload/uploads/{uuid.uuid4()}/parts/"
    assert await call(http, srv, unknown, {"part_numbers": [1]}) == (404, {"detail": "Not found."})

    _, signed = await call(http, srv, parts_path, {"part_numbers": [2, 3]})
    assert (await put(anon, signed["parts"][0]["url"], b"\0" * 400))[0] == 200
    assert (await put(anon, signed["parts"][0]["url"], data[400:800]))[0] == 200  # replaced
    assert (await put(anon, signed["parts"][1]["url"], data[800:]))[0] == 200
    status, done = await call(http, srv, f"/datasets/manual-upload/uploads/{uid}/complete/", {})
    digests = b"".join(hashlib.md5(data[i : i + 400]).digest() for i in (0, 400, 800))
    assert status == 200
    assert done == {"upload_uid": uid, "size_bytes": 1000, "etag": f'"{md5(digests)}-3"'}
    stored = next(o for k, o in srv.state.storage.objects.items() if k.endswith("/big.bin"))
    assert stored.data == data and stored.part_count == 3 and stored.md5 == md5(data)
    # the upload is closed: its parts answer NoSuchUpload
    status, _, body = await put(anon, signed["parts"][1]["url"], data[800:])
    assert status == 404 and s3_code(body)[0] == "NoSuchUpload"


async def test_multipart_geometry_is_checked(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    srv.state.store.settings.update(multipart_threshold_bytes=10, multipart_part_size_bytes=10)
    batch = str(uuid.uuid4())
    _, target = await call(http, srv, PRESIGN, presign_body("Geo", "g.bin", 25, batch))
    uid = target["upload_uid"]
    _, signed = await call(
        http, srv, f"/datasets/manual-upload/uploads/{uid}/parts/", {"part_numbers": [1, 2, 3]}
    )
    for part, size in zip(signed["parts"], (10, 9, 5), strict=True):
        assert (await put(anon, part["url"], b"x" * size))[0] == 200
    status, body = await call(http, srv, f"/datasets/manual-upload/uploads/{uid}/complete/", {})
    assert status == 400 and body == {"detail": "Part 2 is 9 bytes; expected 10."}


# --------------------------------------------------------------------------- quota


async def test_quota_reserves_once_per_file_and_413(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    srv.state.store.settings["upload_quota_bytes"] = 1000
    batch = str(uuid.uuid4())
    for _ in range(2):  # presigning the same file again does not count it twice
        status, _ = await call(http, srv, PRESIGN, presign_body("Q", "a.bin", 600, batch))
        assert status == 200
    assert await call(http, srv, "/datasets/manual-upload/quota/", method="GET") == (
        200,
        {"used": 600, "limit": 1000},
    )
    status, body = await call(http, srv, PRESIGN, presign_body("Q", "b.bin", 401, batch))
    assert (status, body) == (413, {"detail": "Upload quota exceeded.", "limit": 1000, "used": 600})
    assert (await call(http, srv, PRESIGN, presign_body("Q", "b.bin", 400, batch)))[0] == 200


# --------------------------------------------------------------------------- storage rules


async def test_signature_expiry_and_length_rules(
    srv: ServerHandle, anon: aiohttp.ClientSession
) -> None:
    storage = srv.state.storage
    seeded = set(storage.objects)  # the resolver's published objects
    url, expires = storage.presigned_url(srv.origin, "PUT", "t/a.bin")
    assert f"X-Avala-Expires={expires}" in url and expires > time.time()
    for bad in (
        url.replace("X-Avala-Signature=", "X-Avala-Signature=0"),
        url.split("&X-Avala-Signature=")[0],
        url.replace(f"X-Avala-Expires={expires}", f"X-Avala-Expires={expires + 60}"),
        url.replace("/t/a.bin", "/t/b.bin"),
    ):
        status, _, body = await put(anon, bad, b"data")
        assert status == 403 and s3_code(body)[0] == "SignatureDoesNotMatch", bad
    stale, _ = storage.presigned_url(srv.origin, "PUT", "t/a.bin", ttl_seconds=0)
    async with anon.put(URL(stale, encoded=True), data=b"data") as response:
        assert response.status == 403 and response.content_type == XML
        assert s3_code(await response.read()) == ("AccessDenied", "Request has expired")

    async def chunks() -> AsyncIterator[bytes]:
        yield b"chunked"

    async with anon.put(URL(url, encoded=True), data=chunks()) as response:
        assert response.status == 411
        assert s3_code(await response.read())[0] == "MissingContentLength"
    assert set(storage.objects) == seeded

    # a body shorter than its Content-Length stores nothing
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    target = url[len(srv.origin) :]
    writer.write(
        f"PUT {target} HTTP/1.1\r\nHost: {srv.host}\r\nContent-Length: 100\r\n\r\n".encode()
        + b"short"
    )
    writer.write_eof()
    await reader.read()
    writer.close()
    assert set(storage.objects) == seeded

    status, etag, _ = await put(anon, url, b"data")
    assert (status, etag) == (200, f'"{md5(b"data")}"')
    assert storage.objects["t/a.bin"].data == b"data"


async def test_storage_needs_no_key_and_logs_no_body(
    srv: ServerHandle, anon: aiohttp.ClientSession
) -> None:
    url, _ = srv.state.storage.presigned_url(srv.origin, "PUT", "k/a b+c.txt")
    status, _, _ = await put(anon, url, b"hello", {"X-Avala-Api-Key": "avk_not_a_real_key"})
    assert status == 200  # even a bad key is not looked at
    assert srv.state.storage.objects["k/a b+c.txt"].data == b"hello"
    assert (await put(anon, url, b"again"))[0] == 200
    logged = [r for r in srv.state.requests if r.path.startswith("/_storage/")]
    assert len(logged) == 2 and logged[1].header("X-Avala-Api-Key") is None
    assert logged[0].body == b""  # storage bodies stream; the log keeps none
    async with anon.get(URL(url, encoded=True)) as response:  # signed for PUT, not GET
        assert response.status == 403 and response.content_type == XML
    get_url, _ = srv.state.storage.presigned_url(srv.origin, "GET", "k/a b+c.txt")
    async with anon.get(URL(get_url, encoded=True)) as response:
        assert response.status == 200 and await response.read() == b"again"
    async with anon.delete(URL(url, encoded=True)) as response:
        assert response.status == 405 and response.content_type == XML


async def test_large_body_streams_without_being_kept(
    srv: ServerHandle, anon: aiohttp.ClientSession
) -> None:
    size, chunk = 80 << 20, os.urandom(1 << 20)
    url, _ = srv.state.storage.presigned_url(srv.origin, "PUT", "big/blob.bin")

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    digest = hashlib.sha256()
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    tracemalloc.start()
    try:
        async with anon.put(
            URL(url, encoded=True), data=body(), headers={"Content-Length": str(size)}
        ) as response:
            assert response.status == 200
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    stored = srv.state.storage.objects["big/blob.bin"]
    assert stored.size == size and stored.data is None
    assert stored.sha256 == digest.hexdigest()
    assert response.headers["ETag"] == f'"{stored.md5}"'
    assert peak < 16 << 20, f"peak {peak} bytes: the body was buffered"


# --------------------------------------------------------------------------- faults


async def test_storage_faults(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    storage = srv.state.storage
    url, _ = storage.presigned_url(srv.origin, "PUT", "f/a.bin")
    assert Fault.status(503, path="/_storage/").path == "/_storage/"
    assert Fault.expired_grant().path == "/_storage/"
    assert Fault.reset_mid_body(10, path="/_storage/f/").path == "/_storage/f/"
    with pytest.raises(ValueError):
        Fault.reset_mid_body(-1)

    # aiohttp retries an idempotent request once after a dropped connection: cut off both
    cut = Fault.reset_mid_body(after_bytes=4096, path="/_storage/", method="PUT")
    srv.state.faults.push(cut, cut)
    with pytest.raises(aiohttp.ClientError):
        await put(anon, url, os.urandom(1 << 20))
    assert "f/a.bin" not in storage.objects and srv.state.faults.pending == []

    srv.state.faults.push(Fault.expired_grant(method="PUT"))
    async with anon.put(URL(url, encoded=True), data=b"x") as response:
        assert response.status == 403 and response.content_type == XML
        assert s3_code(await response.read()) == ("AccessDenied", "Request has expired")

    srv.state.faults.push(Fault.status(503, path="/_storage/avala-local/f/", method="PUT"))
    assert (await put(anon, url, b"x"))[0] == 503
    srv.state.faults.push(Fault.reset(path="/_storage/"), Fault.reset(path="/_storage/"))
    with pytest.raises(aiohttp.ClientError):
        await put(anon, url, b"x")
    srv.state.faults.push(Fault.delay(0, path="/_storage/"))
    assert "f/a.bin" not in storage.objects
    assert (await put(anon, url, b"x"))[0] == 200
    assert srv.state.faults.pending == []
    assert storage.objects["f/a.bin"].data == b"x"

    # one multipart part, picked out by its query
    upload = storage.create_multipart("f/parts.bin")
    urls = [
        storage.presigned_url(
            srv.origin, "PUT", "f/parts.bin", upload_id=upload.upload_id, part_number=n
        )[0]
        for n in (1, 2)
    ]
    srv.state.faults.push(Fault.status(500, path="/_storage/", contains="partNumber=2&"))
    assert [(await put(anon, u, b"p"))[0] for u in urls] == [200, 500]
    assert sorted(upload.parts) == [1]


# --------------------------------------------------------------------------- fleet legacy


def new_recording(srv: ServerHandle) -> str:
    record = srv.state.store.insert(
        "fleet_recordings", {"device": device_uid("Rover 01"), "status": "uploading"}
    )
    return str(record["uid"])


async def test_fleet_legacy_upload(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    rec = new_recording(srv)
    base = f"/fleet/recordings/{rec}/upload/"
    assert await call(http, srv, base + "status/", method="GET") == (
        404,
        {"detail": "No upload session found for this recording."},
    )
    bad_manifests: list[list[dict[str, Any]]] = [
        [],
        [{"path": "a", "size_bytes": 1}] * 2,
        [{"path": "a", "size_bytes": -1}],
        [{"path": "../a", "size_bytes": 1}],
        [{"path": "/a", "size_bytes": 1}],
    ]
    for files in bad_manifests:
        status, errors = await call(http, srv, base + "init/", {"files": files})
        assert status == 400 and "files" in errors, files
    unknown = f"/fleet/recordings/{uuid.uuid4()}/upload/init/"
    assert (await call(http, srv, unknown, {"files": [{"path": "a", "size_bytes": 1}]}))[0] == 404

    contents = {"cam/0001.mcap": os.urandom(700), "meta.json": b"{}"}
    manifest = [{"path": p, "size_bytes": len(d)} for p, d in contents.items()]
    status, session = await call(http, srv, base + "init/", {"files": manifest})
    assert status == 201
    assert session == {
        "uid": session["uid"],
        "total_files": 2,
        "total_bytes": 702,
        "confirmed_files": 0,
        "confirmed_bytes": 0,
        "s3_prefix": f"fleet/demo/{rec}/",
        "status": "initiated",
    }
    sid = session["uid"]
    assert await call(http, srv, base + "init/", {"files": manifest}) == (
        409,
        {"detail": "An upload session already exists for this recording."},
    )
    request = {"session_uid": sid, "file_paths": ["meta.json", "cam/0001.mcap"], "ttl_seconds": 60}
    status, grants = await call(http, srv, base + "urls/", request)
    assert status == 200 and [g["path"] for g in grants["urls"]] == ["meta.json", "cam/0001.mcap"]
    for grant in grants["urls"]:
        assert grant["s3_key"] == f"fleet/demo/{rec}/{grant['path']}"
        assert grant["headers"] == {"content-type": "application/octet-stream"}
        expires = int(URL(grant["put_url"]).query["X-Avala-Expires"])
        assert 0 < expires - time.time() <= 60
    bad = {**request, "file_paths": ["nope"]}
    assert (await call(http, srv, base + "urls/", bad))[0] == 400
    assert (await call(http, srv, base + "urls/", {**request, "session_uid": "x"}))[0] == 400

    etags = {}
    for grant in grants["urls"]:
        status, etag, _ = await put(
            anon, grant["put_url"], contents[grant["path"]], grant["headers"]
        )
        assert status == 200 and etag is not None
        etags[grant["path"]] = etag
    confirm = [{"path": "meta.json", "etag": etags["meta.json"], "size_bytes": 2}]
    wrong = [{"path": "cam/0001.mcap", "etag": '"' + "0" * 32 + '"', "size_bytes": 700}]
    status, errors = await call(http, srv, base + "confirm/", {"session_uid": sid, "files": wrong})
    assert status == 400 and errors["files"][0].startswith("cam/0001.mcap: ")
    for _ in range(2):  # idempotent
        status, receipt = await call(
            http, srv, base + "confirm/", {"session_uid": sid, "files": confirm}
        )
        assert status == 200
        assert (receipt["confirmed"], receipt["total_confirmed"], receipt["total_files"]) == (
            1,
            1,
            2,
        )
    assert await call(http, srv, base + "finalize/", {"session_uid": sid}) == (
        400,
        {"detail": "1 files are still pending."},
    )
    status, progress = await call(http, srv, base + "status/", method="GET")
    assert progress == {
        "session_uid": sid,
        "status": "uploading",
        "total_files": 2,
        "confirmed_files": 1,
        "total_bytes": 702,
        "confirmed_bytes": 2,
        "pending_paths": ["cam/0001.mcap"],
    }
    rest = [{"path": "cam/0001.mcap", "etag": etags["cam/0001.mcap"].strip('"'), "size_bytes": 700}]
    assert (await call(http, srv, base + "confirm/", {"session_uid": sid, "files": rest}))[0] == 200
    finished = {"detail": "Upload finalized.", "session_uid": sid, "status": "completed"}
    assert await call(http, srv, base + "finalize/", {"session_uid": sid}) == (200, finished)
    assert await call(http, srv, base + "finalize/", {"session_uid": sid}) == (200, finished)
    _, recording = await call(http, srv, f"/fleet/recordings/{rec}/", method="GET")
    assert (recording["status"], recording["size_bytes"]) == ("processing", 702)
    _, progress = await call(http, srv, base + "status/", method="GET")
    assert progress["status"] == "completed" and progress["pending_paths"] == []


async def test_fleet_status_caps_pending_paths(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    rec = new_recording(srv)
    paths = [f"f/{i:05d}.bin" for i in range(1200, 0, -1)]
    files = [{"path": path, "size_bytes": 1} for path in paths]
    status, _ = await call(http, srv, f"/fleet/recordings/{rec}/upload/init/", {"files": files})
    assert status == 201
    _, progress = await call(http, srv, f"/fleet/recordings/{rec}/upload/status/", method="GET")
    assert progress["total_files"] == 1200 and len(progress["pending_paths"]) == 1000
    assert progress["pending_paths"] == sorted(paths)[:1000]


# --------------------------------------------------------------------------- fleet managed


INIT_KEYS = {
    "protocol", "session_uid", "file_uid", "generation_uid", "number", "state", "part_size",
    "part_count", "initialization_deadline",
}  # fmt: skip
GRANT_KEYS = {"grant_uid", "part_number", "offset", "size_bytes", "url", "headers", "expires_at"}


class Managed:
    """Drives one managed upload over raw HTTP."""

    def __init__(
        self, srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
    ) -> None:
        self.srv, self.http, self.anon = srv, http, anon
        self.rec = new_recording(srv)
        self.session = str(uuid.uuid4())
        self.base = f"/fleet/recordings/{self.rec}/managed-upload/"

    async def post(self, path: str, **body: Any) -> tuple[int, Any]:
        full = {"protocol": PROTOCOL, "session_uid": self.session, **body}
        return await call(self.http, self.srv, self.base + path, full)

    async def get(self, path: str, **query: str) -> tuple[int, Any]:
        params = {"protocol": PROTOCOL, "session_uid": self.session, **query}
        return await call(self.http, self.srv, self.base + path, method="GET", params=params)

    async def upload(
        self, file: dict[str, Any], data: bytes, order: list[int] | None = None
    ) -> str:
        status, init = await self.post("multipart/init/", file_uid=file["file_uid"])
        assert status == 200
        assert set(init) == INIT_KEYS
        assert (init["number"], init["state"]) == (1, "active")
        assert datetime.fromisoformat(init["initialization_deadline"]).tzinfo is not None
        generation, size = init["generation_uid"], init["part_size"]
        for number in order or range(1, init["part_count"] + 1):
            status, signed = await self.post(
                "multipart/parts/",
                file_uid=file["file_uid"],
                generation_uid=generation,
                numbers=[number],
            )
            assert status == 200 and len(signed["parts"]) == 1
            grant = signed["parts"][0]
            assert set(grant) == GRANT_KEYS
            assert grant["headers"] == {} and grant["offset"] == (number - 1) * size
            assert grant["url"].startswith(f"{self.srv.origin}/_storage/")
            query = URL(grant["url"]).query
            assert query["partNumber"] == str(number) and query["uploadId"]
            expires_at = datetime.fromisoformat(grant["expires_at"])
            assert expires_at.tzinfo is not None
            assert 0 < (expires_at - datetime.now(timezone.utc)).total_seconds() <= 300
            assert int(query["X-Avala-Expires"]) == int(expires_at.timestamp())
            piece = data[grant["offset"] : grant["offset"] + grant["size_bytes"]]
            async with self.anon.put(URL(grant["url"], encoded=True), data=piece) as response:
                assert response.status == 200
        return str(generation)


def manifest_entry(path: str, data: bytes, digest_of: bytes | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(data if digest_of is None else digest_of).hexdigest()
    return {"path": path, "size_bytes": len(data), "content_sha256": digest}


STATUS_KEYS = {"protocol", "session_uid", "recording_uid", "status", "total_files", "total_bytes",
               "confirmed_files", "confirmed_bytes", "files", "finalization"}  # fmt: skip
FILE_KEYS = {"file_uid", "path", "size_bytes", "content_sha256", "content_type",
             "content_encoding", "part_size", "part_count", "verified", "generation"}  # fmt: skip
FINAL_KEYS = {"uid", "state", "stage", "attempts", "failures", "code", "available_at",
              "publication_uid", "dataset_uid"}  # fmt: skip


async def test_managed_upload_publishes(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    srv.state.store.settings["managed_part_size_bytes"] = 16
    up = Managed(srv, http, anon)
    small = MCAP_MAGIC + os.urandom(192)  # 13 parts
    large = MCAP_MAGIC + os.urandom(1992)  # 125 parts: two progress pages
    entries = [manifest_entry("a/front.mcap", small), manifest_entry("b.MCAP", large)]
    status, admitted = await up.post("admit/", files=entries)
    assert status == 201 and set(admitted) == STATUS_KEYS
    assert (admitted["status"], admitted["finalization"], admitted["total_bytes"]) == (
        "initiated", None, len(small) + len(large))  # fmt: skip
    assert all(set(f) == FILE_KEYS and f["generation"] is None for f in admitted["files"])
    assert [f["part_count"] for f in admitted["files"]] == [13, 125]
    assert (await up.post("admit/", files=entries))[0] == 200  # the same admission again
    first, second = admitted["files"]

    # parts out of order: the running SHA-256 waits for the gap to fill
    gen_a = await up.upload(first, small, order=[2, 1, 5, 4, 3, *range(6, 14)])
    gen_b = await up.upload(second, large)
    status, page = await up.get(
        "multipart/progress/", file_uid=second["file_uid"], generation_uid=gen_b
    )
    assert status == 200 and len(page["parts"]) == 100 and page["next_cursor"] == 100
    assert set(page) == {
        "protocol",
        "session_uid",
        "file_uid",
        "generation_uid",
        "parts",
        "next_cursor",
    }
    _, rest = await up.get(
        "multipart/progress/", file_uid=second["file_uid"], generation_uid=gen_b, after="100"
    )
    assert [p["part_number"] for p in rest["parts"]] == list(range(101, 126))
    assert rest["next_cursor"] is None and rest["parts"][-1]["size"] == 2000 - 124 * 16
    _, observed = await up.get("status/")
    assert observed["status"] == "uploading"
    assert [f["generation"]["state"] for f in observed["files"]] == ["active", "active"]

    targets = sorted(
        [{"file_uid": first["file_uid"], "generation_uid": gen_a},
         {"file_uid": second["file_uid"], "generation_uid": gen_b}],
        key=lambda f: f["file_uid"],
    )  # fmt: skip
    status, final = await up.post("finalize/", files=targets)
    assert status == 200 and set(final) == {"protocol", "session_uid", "finalization"}
    assert set(final["finalization"]) == FINAL_KEYS and final["finalization"]["state"] == "pending"
    _, running = await up.get("status/")
    assert running["finalization"]["state"] == "running" and running["status"] == "completing"
    _, done = await up.get("status/")
    fin = done["finalization"]
    assert (fin["state"], fin["code"], done["status"]) == ("succeeded", "published", "completed")
    assert fin["publication_uid"] and fin["dataset_uid"]
    assert datetime.fromisoformat(fin["available_at"]).tzinfo is not None
    assert all(f["verified"] for f in done["files"])
    assert (done["confirmed_files"], done["confirmed_bytes"]) == (2, len(small) + len(large))
    assert (await up.post("finalize/", files=targets))[1]["finalization"] == fin  # idempotent
    _, recording = await call(http, srv, f"/fleet/recordings/{up.rec}/", method="GET")
    assert recording["status"] == "processing"
    _, dataset = await call(http, srv, f"/datasets/{fin['dataset_uid']}/", method="GET")
    assert (dataset["data_type"], dataset["item_count"]) == ("mcap", 2)
    stored = srv.state.storage.objects[f"fleet/demo/{up.rec}/a/front.mcap"]
    assert stored.data == small and stored.part_count == 13


@pytest.mark.parametrize(
    ("data", "digest_of", "code"),
    [
        (MCAP_MAGIC + b"x" * 40, MCAP_MAGIC + b"y" * 40, "content_mismatch"),
        (b"not an mcap file at all", None, "invalid_mcap"),
    ],
)
async def test_managed_upload_verification_failures(
    srv: ServerHandle,
    http: aiohttp.ClientSession,
    anon: aiohttp.ClientSession,
    data: bytes,
    digest_of: bytes | None,
    code: str,
) -> None:
    srv.state.store.settings["managed_part_size_bytes"] = 16
    up = Managed(srv, http, anon)
    _, admitted = await up.post("admit/", files=[manifest_entry("x.mcap", data, digest_of)])
    file = admitted["files"][0]
    generation = await up.upload(file, data)
    files = [{"file_uid": file["file_uid"], "generation_uid": generation}]
    assert (await up.post("finalize/", files=files))[0] == 200
    await up.get("status/")
    _, failed = await up.get("status/")
    assert (failed["finalization"]["state"], failed["finalization"]["code"]) == ("failed", code)
    assert failed["files"][0]["verified"] is False and failed["status"] == "completing"


async def test_managed_upload_rules(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    up = Managed(srv, http, anon)
    entry = manifest_entry("a.mcap", MCAP_MAGIC)
    bad_manifests = [
        [],
        [manifest_entry("a.txt", b"x")],
        [entry, entry],
        [{**entry, "content_sha256": "ABC"}],
        [manifest_entry("__derived__/a.mcap", b"x")],
    ]
    for files in bad_manifests:
        status, errors = await up.post("admit/", files=files)
        assert status == 400 and "files" in errors, files
    status, errors = await call(
        http, srv, up.base + "admit/", {"protocol": "v0", "session_uid": "nope", "files": [entry]}
    )
    assert status == 400 and set(errors) == {"protocol", "session_uid"}
    assert await up.get("status/") == (
        404, {"detail": "No managed upload session found for this recording."})  # fmt: skip
    assert (await up.post("admit/", files=[entry]))[0] == 201
    other = Managed(srv, http, anon)
    other.rec, other.base = up.rec, up.base
    assert (await other.post("admit/", files=[entry]))[0] == 409
    status, admitted = await up.get("status/")
    file_uid = admitted["files"][0]["file_uid"]
    _, init = await up.post("multipart/init/", file_uid=file_uid)
    assert (await up.post("multipart/init/", file_uid=file_uid))[1] == init  # once per file
    two = await up.post(
        "multipart/parts/", file_uid=file_uid, generation_uid=init["generation_uid"], numbers=[1, 1]
    )
    assert two[0] == 400
    status, early = await up.post(
        "finalize/", files=[{"file_uid": file_uid, "generation_uid": init["generation_uid"]}]
    )
    assert status == 400 and "not been uploaded" in early["detail"]

    srv.state.store.settings["managed_upload_enrolled"] = False
    not_enrolled = {"detail": "This organization is not enrolled in managed fleet uploads."}
    assert await up.get("status/") == (403, not_enrolled)
    assert await up.post("admit/", files=[entry]) == (403, not_enrolled)
