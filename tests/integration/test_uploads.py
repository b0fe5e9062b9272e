"""Uploads through both surfaces against the bundled server's storage emulator: every
protocol, resuming (in-process and after a killed process), retries and faults, typed
errors, verification, secrets and progress."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from avala import AsyncClient, AuthenticationError, Client, QuotaExceededError
from avala.errors import NotEnrolledError, UploadError, UploadIntegrityError, UploadStateError
from avala.models import UploadProgress
from avala.testing import Fault, ServerHandle

from ._surface import Surface

MiB = 1024 * 1024
MCAP_MAGIC = b"\x89MCAP0\r\n"
ROVER_NAME = "Rover 01"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def content(seed: str, size: int) -> bytes:
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def storage_puts(server: ServerHandle) -> list[Any]:
    return [
        r for r in server.state.requests if r.path.startswith("/_storage") and r.method == "PUT"
    ]


def holds(server: ServerHandle, relative: str, data: bytes) -> bool:
    """Whether storage holds ``data`` under a key ending in ``/relative`` (checked by MD5, or
    for a multipart object by size and its parts' MD5s)."""
    md5 = hashlib.md5(data).hexdigest()
    storage = server.state.storage
    for key, obj in list(storage.objects.items()):
        if not key.endswith("/" + relative) or obj.size != len(data):
            continue
        if obj.md5 == md5 or (obj.md5 is None and obj.part_count):
            return True
    return False


def assert_state_holds_no_secret(server: ServerHandle) -> None:
    """The upload state on disk exists and holds neither the key nor a signed URL."""
    files = [p for p in Path(os.environ["AVALA_STATE_DIR"]).rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)
    for path in files:
        text = path.read_bytes()
        assert server.api_key.encode() not in text and b"Signature" not in text, path
        assert b"/_storage" not in text, path  # no storage URL


def failing(contains: str) -> Fault:
    """A storage PUT failing with 500 (and ``Retry-After: 0``, so retries do not wait)."""
    return Fault.status(
        500, headers={"Retry-After": "0"}, path="/_storage/", method="PUT", contains=contains
    )


def new_recording(server: ServerHandle) -> str:
    from avala.testing._api.fleet import device_uid

    record = server.state.store.insert(
        "fleet_recordings",
        {"device": device_uid(ROVER_NAME), "status": "uploading", "tags": [], "topic_count": 0},
    )
    return str(record["uid"])


async def create(api: Surface, source: Path, name: str, **options: Any) -> Any:
    return await api(
        api.client.datasets.create_from_local(
            source=source, name=name, slug=name, data_type="image", **options
        )
    )


# --------------------------------------------------------------------------- datasets


async def test_create_from_local_uploads_a_folder_into_a_dataset(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    name = unique("folder")
    files = {"a.jpg": content("a", 1000), "sub/b.jpg": content("b", 3 * MiB), "c.png": b"c"}
    source = make_folder(tmp_path / "src", files)
    seen: list[tuple[str, int]] = []
    snapshots: list[UploadProgress] = []
    server.state.clear_requests()
    dataset = await create(
        api,
        source,
        name,
        on_progress=lambda rel, n: seen.append((rel, n)),
        progress=snapshots.append,
    )
    assert dataset.item_count == 3
    fetched = await api(api.client.datasets.get(dataset.uid))
    assert fetched.item_count == 3 and fetched.size_bytes == sum(map(len, files.values()))
    items = await api.all(api.client.datasets.list_items(fetched.owner_name, fetched.slug))
    assert sorted(i.key for i in items) == sorted(files)
    assert sorted(seen) == sorted((rel, len(data)) for rel, data in files.items())
    last = snapshots[-1]
    assert last.finished and last.uploaded_files == 3 and last.bytes_sent == fetched.size_bytes
    for rel, data in files.items():
        assert holds(server, rel, data), rel
    for request in server.state.requests:
        if request.path.startswith("/_storage"):
            assert request.header("X-Avala-Api-Key") is None  # the key never goes to storage


async def test_upload_files_without_a_batch_uses_presigned_post_forms(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    name = unique("forms")
    big = content("form", 2 * MiB + 5)
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"small")
    b.write_bytes(big)
    server.state.clear_requests()
    sent = await api(api.client.datasets.upload_files(dataset_name=name, files=[(a, "x/a.bin"), b]))
    assert sent == 5 + len(big)
    assert holds(server, "b.bin", big)
    forms = [r for r in server.state.requests if r.path.startswith("/_storage")]
    assert {r.method for r in forms} == {"POST"}
    again = await api(
        api.client.datasets.upload_files(dataset_name=name, files=[(a, "x/a.bin"), b])
    )
    assert again == 0  # resumed: both are recorded as stored


async def test_multipart_files_go_as_signed_parts_and_resume_from_stored_parts(
    api: Surface, server: ServerHandle, tmp_path: Path, settings: dict[str, Any]
) -> None:
    settings["multipart_threshold_bytes"] = 6 * MiB
    settings["multipart_part_size_bytes"] = 5 * MiB
    name = unique("multi")
    data = content("big", 12 * MiB + 17)
    source = make_folder(tmp_path / "src", {"big.bin": data, "small.bin": b"s"})
    for _ in range(6):  # part 3 fails on every attempt: the run stops with parts 1-2 stored
        server.state.faults.push(failing("partNumber=3"))
    with pytest.raises(UploadError) as caught:
        await create(api, source, name)
    assert caught.value.path == "big.bin" and caught.value.retries_taken == 5
    assert "X-Avala-Signature" not in str(caught.value)
    assert_state_holds_no_secret(server)
    server.state.faults.clear()
    server.state.clear_requests()
    dataset = await create(api, source, name)
    assert dataset.item_count == 2
    assert [r.query.get("partNumber") for r in storage_puts(server)] == ["3"]
    assert holds(server, "big.bin", data)


async def test_a_killed_process_resumes_and_sends_only_what_is_missing(
    server: ServerHandle, local_env: ServerHandle, tmp_path: Path
) -> None:
    name = unique("killed")
    files = {f"f{i:02d}.bin": content(f"{name}{i}", 100_000) for i in range(30)}
    by_md5 = {hashlib.md5(data).hexdigest(): rel for rel, data in files.items()}
    source = make_folder(tmp_path / "src", files)
    script = textwrap.dedent(
        f"""
        from avala import Client
        with Client() as client:
            client.datasets.create_from_local(
                source={str(source)!r}, name={name!r}, slug={name!r}, data_type="image",
                workers=1,
            )
        """
    )

    def in_storage() -> set[str]:
        objects = list(server.state.storage.objects.values())
        return {by_md5[o.md5] for o in objects if o.md5 in by_md5}

    child = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while len(in_storage()) < 20:  # let it store 20 files, one at a time
            assert child.poll() is None, "the upload ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        # The next file's transfer hangs; once it is hanging, kill the process.
        server.state.faults.push(Fault.delay(30, path="/_storage/", method="PUT"))
        while server.state.faults.pending:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        server.state.faults.clear()
    done_by_child = in_storage()
    assert 20 <= len(done_by_child) < 30
    assert_state_holds_no_secret(server)
    server.state.clear_requests()
    skipped: list[str] = []
    async with AsyncClient() as client:
        batch = await client.datasets.prepare_manual_upload_batch(name)
        await client.datasets.upload_files(
            dataset_name=name,
            files=[(source / rel, rel) for rel in files],
            dataset_upload_uid=batch,
            on_skipped=skipped.append,
        )
        dataset = await client.datasets.create_from_manual_upload(
            name=name, slug=name, data_type="image", dataset_upload_uid=batch
        )
    sent_again = {r.path.rsplit("/", 1)[-1] for r in storage_puts(server)}
    assert sent_again == set(files) - done_by_child  # nothing stored is sent twice
    assert set(skipped) == done_by_child
    assert dataset.item_count == 30


async def test_a_file_changed_after_it_was_stored_is_refused_then_resent_as_a_new_batch(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    name = unique("changed")
    source = make_folder(tmp_path / "src", {"a.bin": b"first", "b.bin": b"bbb"})
    for _ in range(6):  # b.bin cannot be stored: the run stops with a.bin stored
        server.state.faults.push(failing("/b.bin"))
    with pytest.raises(UploadError):
        await create(api, source, name, workers=1)
    server.state.faults.clear()
    (source / "a.bin").write_bytes(b"second!")
    with pytest.raises(UploadStateError, match="changed on disk after it was uploaded"):
        await create(api, source, name)
    dataset = await create(api, source, name, resume=False)
    assert dataset.item_count == 2


async def test_quota_is_checked_before_sending_and_enforced_at_presign(
    api: Surface, server: ServerHandle, tmp_path: Path, settings: dict[str, Any]
) -> None:
    quota = await api(api.client.datasets.manual_upload_quota())
    settings["upload_quota_bytes"] = quota.used + 1000
    name = unique("quota")
    source = make_folder(tmp_path / "src", {"a.bin": content("q", 600), "b.bin": content("r", 600)})
    server.state.clear_requests()
    with pytest.raises(QuotaExceededError) as early:
        await create(api, source, name)
    assert (early.value.limit, early.value.used) == (quota.used + 1000, quota.used)
    assert "nothing was uploaded" in early.value.message and not storage_puts(server)
    with pytest.raises(QuotaExceededError) as late:
        await create(api, source, unique("quota"), check_quota=False, workers=1)
    assert late.value.status_code == 413 and late.value.limit == quota.used + 1000


async def test_a_bad_key_is_an_authentication_error(
    server: ServerHandle, local_env: ServerHandle, tmp_path: Path
) -> None:
    source = make_folder(tmp_path / "src", {"a.bin": b"a"})
    async with AsyncClient(api_key="avk_not_a_key_0123456789abcdef") as client:
        with pytest.raises(AuthenticationError):
            await client.datasets.create_from_local(
                source=source, name="x", slug="x", data_type="image"
            )


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(503, headers={"Retry-After": "0"}, path="/_storage/", method="PUT"),
        Fault.reset(path="/_storage/", method="PUT"),
        Fault.reset_mid_body(1 * MiB, path="/_storage/", method="PUT"),
        Fault.expired_grant(method="PUT"),
    ],
    ids=["503-retry-after", "reset", "reset-mid-body", "expired-grant"],
)
async def test_storage_faults_are_retried(
    api: Surface, server: ServerHandle, tmp_path: Path, fault: Fault
) -> None:
    name = unique("faulty")
    data = content("faulty", 3 * MiB)
    source = make_folder(tmp_path / "src", {"big.bin": data})
    server.state.faults.push(fault)
    server.state.clear_requests()
    dataset = await create(api, source, name)
    assert dataset.item_count == 1
    assert len(storage_puts(server)) == 2
    assert holds(server, "big.bin", data)


async def test_a_wrong_etag_is_an_integrity_error_naming_the_file(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    source = make_folder(tmp_path / "src", {"photo.jpg": b"pixels"})
    server.state.faults.push(
        Fault.status(200, headers={"ETag": '"' + "0" * 32 + '"'}, body=b"", path="/_storage/")
    )
    with pytest.raises(UploadIntegrityError) as caught:
        await create(api, source, unique("etag"))
    assert caught.value.path == "photo.jpg" and "photo.jpg" in caught.value.message


async def test_two_runs_of_one_upload_cannot_collide(
    server: ServerHandle, local_env: ServerHandle, tmp_path: Path
) -> None:
    name = unique("locked")
    source = make_folder(tmp_path / "src", {"a.bin": b"a"})
    server.state.faults.push(Fault.delay(30, path="/_storage/", method="PUT"))
    async with AsyncClient() as client:
        first = asyncio.create_task(
            client.datasets.create_from_local(
                source=source, name=name, slug=name, data_type="image"
            )
        )
        while server.state.faults.pending:
            await asyncio.sleep(0.01)
        with pytest.raises(UploadStateError, match="Another run is already uploading"):
            await client.datasets.upload_files(
                dataset_name=name, files=[source / "a.bin"], state_key=name
            )
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
    server.state.faults.clear()


# --------------------------------------------------------------------------- fleet


async def test_upload_recording_legacy_flow(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    recording = new_recording(server)
    files = {f"cam/{i}.bin": content(f"r{i}", 5000 + i) for i in range(5)}
    files["lidar/big.bin"] = content("big", 2 * MiB + 1)
    source = make_folder(tmp_path / "rec", files)
    batches: list[UploadProgress] = []
    session = await api(
        api.client.fleet.uploads.upload_recording(recording, source, on_progress=batches.append)
    )
    assert session.status in ("completing", "completed")
    assert session.confirmed_files == session.total_files == 6
    assert batches and batches[-1].uploaded_files == 6
    status = await api(api.client.fleet.uploads.get_upload_status(recording))
    assert status.pending_paths == [] and status.confirmed_bytes == sum(map(len, files.values()))
    got = await api(api.client.fleet.recordings.get(recording))
    assert got.status == "processing" and got.size_bytes == status.total_bytes


async def test_upload_recording_resumes_with_more_than_a_thousand_pending_files(
    server: ServerHandle, local_env: ServerHandle, tmp_path: Path
) -> None:
    recording = new_recording(server)
    files = {f"f/{i:04d}.bin": str(i).encode() for i in range(1005)}
    source = make_folder(tmp_path / "rec", files)
    async with AsyncClient() as client:
        inventory = await client.fleet.uploads.collect_files(source)
        assert len(inventory.files) == 1005 and inventory.total_bytes == sum(
            map(len, files.values())
        )
        # A run that died right after init: the session exists, nothing is recorded locally.
        await client.fleet.uploads.init_upload(recording, inventory.manifest())
        status = await client.fleet.uploads.get_upload_status(recording)
        assert len(status.pending_paths) == 1000  # the server lists only the first 1000
        session = await client.fleet.uploads.upload_recording(recording, source, max_workers=8)
    assert session.confirmed_files == 1005


async def test_upload_recording_resends_only_what_failed(
    api: Surface, server: ServerHandle, tmp_path: Path
) -> None:
    recording = new_recording(server)
    files = {f"{i}.bin": content(f"x{i}", 1000) for i in range(4)}
    source = make_folder(tmp_path / "rec", files)
    for _ in range(6):
        server.state.faults.push(failing("/3.bin"))
    with pytest.raises(UploadError) as caught:
        await api(api.client.fleet.uploads.upload_recording(recording, source))
    assert caught.value.path == "3.bin"
    server.state.faults.clear()
    status = await api(api.client.fleet.uploads.get_upload_status(recording))
    assert status.confirmed_files == 3
    (source / "0.bin").write_bytes(b"changed after it was confirmed")
    with pytest.raises(UploadStateError, match=r"0\.bin changed on disk"):
        await api(api.client.fleet.uploads.upload_recording(recording, source))
    (source / "0.bin").write_bytes(files["0.bin"])
    server.state.clear_requests()
    session = await api(api.client.fleet.uploads.upload_recording(recording, source))
    assert session.confirmed_files == 4
    assert [r.path.rsplit("/", 1)[-1] for r in storage_puts(server)] == ["3.bin"]


def mcap(seed: str, size: int) -> bytes:
    return MCAP_MAGIC + content(seed, size - len(MCAP_MAGIC))


async def test_upload_managed_recording(
    api: Surface, server: ServerHandle, tmp_path: Path, settings: dict[str, Any]
) -> None:
    settings["managed_part_size_bytes"] = 1 * MiB
    recording = new_recording(server)
    source = make_folder(
        tmp_path / "rec", {"a.mcap": mcap("a", 2 * MiB + 3), "b.mcap": mcap("b", 10)}
    )
    for _ in range(2):  # a blip on one part: retried (the official SDK aborts the run)
        server.state.faults.push(Fault.status(503, path="/_storage/", method="PUT"))
    status = await api(
        api.client.fleet.uploads.upload_managed_recording(recording, source, wait_timeout=30)
    )
    assert status.status == "completed" and status.finalization is not None
    assert status.finalization.state == "succeeded" and status.finalization.code == "published"
    assert all(f.verified for f in status.files)


async def test_managed_upload_errors_keep_their_types(
    api: Surface, server: ServerHandle, tmp_path: Path, settings: dict[str, Any]
) -> None:
    settings["managed_part_size_bytes"] = 1 * MiB
    source = make_folder(tmp_path / "rec", {"a.mcap": b"not an mcap file at all"})
    with pytest.raises(UploadError, match="invalid_mcap"):
        await api(
            api.client.fleet.uploads.upload_managed_recording(
                new_recording(server), source, wait_timeout=30
            )
        )
    settings["managed_upload_enrolled"] = False
    with pytest.raises(NotEnrolledError, match="not enrolled"):
        await api(api.client.fleet.uploads.upload_managed_recording(new_recording(server), source))
    with pytest.raises(ValueError, match="lowercase UUID"):
        await api(api.client.fleet.uploads.upload_managed_recording("REC-1", source))
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "notes.txt").write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.mcap"):
        await api(
            api.client.fleet.uploads.upload_managed_recording(
                new_recording(server), tmp_path / "txt"
            )
        )


def test_sync_client_uploads_with_a_progress_bar(local_env: ServerHandle, tmp_path: Path) -> None:
    import io

    from avala.uploads import progress_bar

    source = make_folder(tmp_path / "src", {"a.jpg": b"a" * 10_000, "b.jpg": b"b" * 20_000})
    out = io.StringIO()
    name = unique("bar")
    with Client() as client:
        dataset = client.datasets.create_from_local(
            source=source,
            name=name,
            slug=name,
            data_type="image",
            progress=progress_bar("Uploading", file=out, mininterval=0),
        )
    assert dataset.item_count == 2
    assert "2/2 files" in out.getvalue() and "100%" in out.getvalue()
