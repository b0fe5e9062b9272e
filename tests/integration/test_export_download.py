"""``exports.download`` and ``exports.create_and_download`` against the bundled server, both
surfaces: verified files, resume after a cut, integrity failures, the key kept off storage."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from avala import AsyncClient
from avala.errors import DownloadError, DownloadIntegrityError, ExportNotReadyError
from avala.models import Export
from avala.testing import Fault, ServerHandle

from ._surface import Surface

MiB = 1 << 20


async def _exported(api: Surface, **kwargs: Any) -> Export:
    """A new export, waited for until it is ``exported``."""
    created = await api(api.client.exports.create(**kwargs))
    finished: Export = await api(api.client.exports.wait(created.uid, interval=0.01, timeout=10))
    assert finished.status == "exported"
    return finished


def _stored(server: ServerHandle, uid: str) -> Any:
    return server.state.storage.objects[f"exports/{uid}.json"]


def _storage_gets(server: ServerHandle) -> list[Any]:
    requests = server.state.requests
    return [r for r in requests if r.path.startswith("/_storage/") and r.method == "GET"]


async def test_download_writes_the_verified_file_without_the_key(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    export = await _exported(api)
    server.state.clear_requests()
    dest = tmp_path / "export.json"
    result = await api(api.client.exports.download(export.uid, dest))
    body = dest.read_bytes()
    stored = _stored(server, export.uid)
    assert result.path == dest and result.size == len(body) == stored.size
    assert result.sha256 == hashlib.sha256(body).hexdigest() == stored.sha256
    assert result.resumed_from == 0 and result.export.uid == export.uid
    document = json.loads(body)
    assert document["export"] == export.uid and document["tasks"]
    gets = _storage_gets(server)
    assert len(gets) == 1
    assert gets[0].header("X-Avala-Api-Key") is None and gets[0].header("Authorization") is None
    assert gets[0].header("Accept-Encoding") == "identity"
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]  # no partial left behind


async def test_download_into_a_folder_keeps_the_servers_name(api: Surface, tmp_path: Path) -> None:
    export = await _exported(api)
    result = await api(api.client.exports.download(export, tmp_path))
    assert result.path == tmp_path / f"{export.uid}.json" and result.path.is_file()


async def test_an_existing_file_is_kept_unless_overwrite(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    export = await _exported(api)
    dest = tmp_path / "export.json"
    dest.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        await api(api.client.exports.download(export.uid, dest))
    assert dest.read_bytes() == b"mine"
    with pytest.raises(FileExistsError):
        await api(api.client.exports.create_and_download(dest))
    result = await api(api.client.exports.download(export.uid, dest, overwrite=True))
    assert dest.read_bytes() != b"mine" and result.size == dest.stat().st_size


async def test_a_cut_download_resumes_with_range(
    api: Surface, server: ServerHandle, settings: dict[str, Any], tmp_path: Path
) -> None:
    settings["export_bytes"] = 3 * MiB
    export = await _exported(api)
    server.state.clear_requests()
    server.state.faults.push(Fault.cut_response(MiB + 123, contains=export.uid))
    seen: list[int] = []
    result = await api(
        api.client.exports.download(export.uid, tmp_path / "big.bin", on_progress=seen.append)
    )
    stored = _stored(server, export.uid)
    assert result.size == 3 * MiB and result.sha256 == stored.sha256
    gets = _storage_gets(server)
    assert len(gets) == 2
    assert gets[0].header("Range") is None
    start = int(gets[1].header("Range").removeprefix("bytes=").removesuffix("-"))
    assert 0 < start <= MiB + 123
    assert gets[1].header("If-Range") == f'"{stored.etag}"'
    assert sum(seen) == 3 * MiB


async def test_an_interrupted_call_is_resumed_by_the_next(
    api: Surface, server: ServerHandle, settings: dict[str, Any], tmp_path: Path
) -> None:
    settings["export_bytes"] = 2 * MiB
    export = await _exported(api)
    dest = tmp_path / "big.bin"
    # the first call gets up to 1 MiB, then every retry is cut: it gives up, keeping the partial
    server.state.faults.push(Fault.cut_response(MiB, contains=export.uid))
    for _ in range(20):
        server.state.faults.push(Fault.cut_response(0, contains=export.uid))
    with pytest.raises(DownloadError):
        await api(api.client.exports.download(export.uid, dest))
    server.state.faults.clear()
    assert not dest.exists()
    assert any(p.name.endswith(".avala-partial") for p in tmp_path.iterdir())
    server.state.clear_requests()
    result = await api(api.client.exports.download(export.uid, dest))
    # up to 1 MiB kept (aiohttp drops what it had buffered when the connection is cut),
    # and only the rest asked for
    assert 0 < result.resumed_from <= MiB
    assert result.sha256 == _stored(server, export.uid).sha256
    (resumed,) = _storage_gets(server)
    assert resumed.header("Range") == f"bytes={result.resumed_from}-"
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


async def test_a_corrupted_byte_raises_and_leaves_no_file(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    export = await _exported(api)
    server.state.faults.push(Fault.corrupt_byte(10, contains=export.uid))
    dest = tmp_path / "export.json"
    with pytest.raises(DownloadIntegrityError) as caught:
        await api(api.client.exports.download(export.uid, dest))
    assert "SHA-256" in str(caught.value) or "checksum" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_an_export_not_exported_yet_or_failed_is_a_typed_error(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    created = await api(api.client.exports.create())
    with pytest.raises(ExportNotReadyError) as caught:
        await api(api.client.exports.download(created.uid, tmp_path / "x.json"))
    assert caught.value.uid == created.uid and caught.value.status in ("pending", "processing")
    assert "exports.wait" in str(caught.value)
    record = server.state.store.get("exports", created.uid)
    assert isinstance(record, dict)  # exports are stored records, not generated text
    record["_plan"] = None
    record["status"] = "failed"
    with pytest.raises(ExportNotReadyError, match="failed") as caught:
        await api(api.client.exports.download(created.uid, tmp_path / "x.json"))
    assert caught.value.status == "failed"
    assert list(tmp_path.iterdir()) == []


async def test_create_and_download(api: Surface, server: ServerHandle, tmp_path: Path) -> None:
    polled: list[str | None] = []
    result = await api(
        api.client.exports.create_and_download(
            tmp_path / "e.json", interval=0.01, on_poll=lambda e: polled.append(e.status)
        )
    )
    assert result.export.status == "exported" and polled
    assert result.sha256 == _stored(server, result.export.uid).sha256


async def test_a_refused_storage_url_falls_back_to_the_api_with_the_key(
    api: Surface, server: ServerHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without the opt-in, the loopback http storage URL is not trusted: the file comes
    # from /exports/{uid}/download/ on the API host, and storage never sees a request
    export = await _exported(api)
    monkeypatch.delenv("AVALA_ALLOW_INSECURE_STORAGE_URLS")
    server.state.clear_requests()
    server.state.faults.push(Fault.cut_response(100, path="/exports/", contains="/download"))
    result = await api(api.client.exports.download(export.uid, tmp_path / "e.json"))
    assert result.sha256 == _stored(server, export.uid).sha256
    assert not _storage_gets(server)
    downloads = [r for r in server.state.requests if r.path.endswith("/download/")]
    assert len(downloads) == 2 and downloads[1].header("Range") is not None
    assert all(r.header("X-Avala-Api-Key") == server.api_key for r in downloads)


async def test_an_expired_signed_url_is_signed_again_once(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    export = await _exported(api)
    server.state.clear_requests()
    server.state.faults.push(Fault.expired_grant(method="GET"))
    result = await api(api.client.exports.download(export.uid, tmp_path / "e.json"))
    assert result.sha256 == _stored(server, export.uid).sha256
    details = [r for r in server.state.requests if r.path.endswith(f"/exports/{export.uid}/")]
    assert len(details) == 2  # the first fetch, and one more for a fresh signature


async def test_memory_stays_bounded_by_a_few_chunks(
    server: ServerHandle, local_env: ServerHandle, settings: dict[str, Any], tmp_path: Path
) -> None:
    settings["export_bytes"] = 48 * MiB
    async with AsyncClient() as client:
        created = await client.exports.create()
        await client.exports.wait(created.uid, interval=0.01, timeout=10)
        _stored(server, created.uid)  # made (and hashed) before measuring
        tracemalloc.start()
        try:
            result = await client.exports.download(created.uid, tmp_path / "big.bin")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.size == 48 * MiB
    assert peak < 6 * MiB, peak  # a few 1 MiB chunks: written, hashing, queued
