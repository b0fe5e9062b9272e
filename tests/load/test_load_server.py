"""``avala.load`` / ``avala.async_load`` against the bundled server, both surfaces: the seeded
revisions, the cache, faults on storage and on the resolver, and two processes sharing one
cache."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

import avala
from avala.errors import (
    DatasetDownloadError,
    DatasetIntegrityError,
    DatasetRevisionWithdrawnError,
    MutableDatasetAliasWarning,
)
from avala.testing import Fault, ServerHandle
from avala.testing._api.resolver import PublishedRevision, ResolverSettings

from .conftest import Publish, load_all


def frames(count: int, size: int = 100) -> list[Any]:
    return [
        ("frame", i, f"frames/{i:04d}.bin", hashlib.sha256(b"%d" % i).digest() * (size // 32))
        for i in range(count)
    ]


def pinned(revision: PublishedRevision) -> str:
    return f"{revision.owner}/{revision.dataset}@{revision.revision_sha256}"


def traffic(server: ServerHandle, revision: PublishedRevision) -> dict[str, int]:
    """How many object downloads and grants the server saw for ``revision``."""
    seen = [r for r in server.state.requests if revision.dataset_uid in r.path]
    return {
        "downloads": sum(r.path.startswith("/_storage/") for r in seen),
        "grants": sum(r.path.endswith("/access/") for r in seen),
    }


def cache_files(root: Path) -> list[Path]:
    objects = root / "objects"
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.exists() else []


def cache_is_intact(root: Path) -> bool:
    return all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in cache_files(root))


# --------------------------------------------------------------------------- the happy path


def test_the_seeded_revision_loads_on_both_surfaces(
    surface: str, local_env: ServerHandle, resolver: ResolverSettings
) -> None:
    seeded = next(r for r in resolver.revisions if r.dataset == "tiny-episodes")
    with pytest.warns(MutableDatasetAliasWarning):
        props, got = load_all(surface, "avala-demo/tiny-episodes")
    assert props["canonical_reference"] == seeded.canonical_reference
    assert props["requested_reference"] == "avala-demo/tiny-episodes@main"
    assert props["display_reference"] == f"avala-demo/tiny-episodes@{seeded.revision_sha256}"
    assert props["object_count"] == 8 == len(got)
    assert props["total_size_bytes"] == sum(len(g[3]) for g in got)
    assert props["rights"].access == "open_download"
    assert [g[:3] for g in got] == [(o.role, o.ordinal, o.logical_path) for o in seeded.objects]
    storage = local_env.state.storage.objects
    assert [g[3] for g in got] == [storage[o.key].data for o in seeded.objects]


def test_role_collections_and_ordinals_sync(
    local_env: ServerHandle, resolver: ResolverSettings
) -> None:
    seeded = next(r for r in resolver.revisions if r.dataset == "tiny-episodes")
    with avala.load(pinned(seeded)) as ds:
        assert [o.ordinal for o in ds.episodes] == [0, 1]
        frame = ds.for_role("frame")[4]
        assert frame.episode_ordinal == 1 and frame.logical_path == "frames/0004.bin"
        with frame.open() as handle:
            handle.seek(10)
            assert handle.read(5) == frame.read()[10:15]
        assert len(ds.for_role("missing")) == 0
        with pytest.raises(KeyError):
            ds.episodes[7]


async def test_role_collections_and_ordinals_async(
    local_env: ServerHandle, resolver: ResolverSettings
) -> None:
    seeded = next(r for r in resolver.revisions if r.dataset == "tiny-episodes")
    async with await avala.async_load(pinned(seeded)) as ds:
        assert isinstance(ds, avala.AsyncResolvedDataset)
        episode = await ds.episodes[1]
        assert (await episode.read()) == b'{"e":1}'
        assert (await ds.for_role("frame").get(0)).size_bytes == 256
        assert [o.ordinal async for o in ds.episodes] == [0, 1]


def test_no_api_key_is_sent_to_the_resolver_or_storage(
    surface: str, local_env: ServerHandle, publish: Publish
) -> None:
    assert os.environ["AVALA_API_KEY"] == local_env.api_key  # a key is configured
    revision = publish(frames(3))
    load_all(surface, pinned(revision))
    seen = [
        r
        for r in local_env.state.requests
        if revision.dataset_uid in r.path or revision.dataset in r.path
    ]
    assert len(seen) == 1 + 1 + 3 + 3  # resolve (by name), a page, the grants, the downloads
    for request in seen:
        assert request.header("X-Avala-Api-Key") is None, request.path
        assert request.header("Authorization") is None, request.path


# --------------------------------------------------------------------------- the cache


def test_a_second_load_downloads_nothing(
    surface: str, local_env: ServerHandle, publish: Publish, tmp_path: Path
) -> None:
    revision = publish(frames(12))
    first = load_all(surface, pinned(revision))
    assert traffic(local_env, revision) == {"downloads": 12, "grants": 12}
    second = load_all(surface, pinned(revision))
    assert second == first
    assert traffic(local_env, revision) == {"downloads": 12, "grants": 12}  # no new request
    root = Path(os.environ["AVALA_CACHE_DIR"])
    assert len(cache_files(root)) == 12 and cache_is_intact(root)
    assert (root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f")


def test_verify_cache_replaces_a_damaged_entry(local_env: ServerHandle, publish: Publish) -> None:
    revision = publish(frames(2))
    load_all("sync", pinned(revision))
    root = Path(os.environ["AVALA_CACHE_DIR"])
    damaged = cache_files(root)[0]
    damaged.write_bytes(b"x" * damaged.stat().st_size)  # same size: trusted by name
    _, trusted = load_all("sync", pinned(revision))
    assert b"x" * 10 in b"".join(g[3] for g in trusted)
    _, verified = load_all("sync", pinned(revision), verify_cache=True)
    assert [g[3] for g in verified] == [o[3] for o in frames(2)]
    assert cache_is_intact(root) and traffic(local_env, revision)["downloads"] == 3


def test_two_processes_fill_one_cache_at_once(
    local_env: ServerHandle, publish: Publish, tmp_path: Path
) -> None:
    revision = publish(frames(40, size=4096))
    cache = tmp_path / "shared-cache"
    script = textwrap.dedent(
        f"""
        import hashlib, sys, avala
        with avala.load({pinned(revision)!r}, cache_dir={str(cache)!r}, concurrency=4) as ds:
            digest = hashlib.sha256()
            for obj in ds.objects:
                digest.update(obj.read())
        print(digest.hexdigest())
        """
    )
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    procs = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    expected = hashlib.sha256(b"".join(o[3] for o in frames(40, size=4096))).hexdigest()
    assert outputs == [expected, expected]
    assert len(cache_files(cache)) == 40 and cache_is_intact(cache)
    assert not [p for p in cache.rglob("*.tmp")]  # no temporary file left behind
    assert 40 <= traffic(local_env, revision)["downloads"] <= 80


# --------------------------------------------------------------------------- concurrency


def test_downloads_overlap_but_objects_arrive_in_order(
    surface: str, local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(20))
    first_key = revision.objects[0].key
    local_env.state.faults.push(Fault.delay(0.5, path="/_storage/", contains=first_key))
    _, got = load_all(surface, pinned(revision), concurrency=4)
    assert [g[1] for g in got] == list(range(20))
    downloads = [
        r
        for r in local_env.state.requests
        if r.path.startswith("/_storage/") and revision.dataset_uid in r.path
    ]
    head = downloads[0].time
    # While the first object was held back, the next ones were already being fetched.
    assert sum(r.time - head < 0.4 for r in downloads[1:]) >= 3


def test_sync_iteration_takes_no_thread_hop_per_object_and_stops_cleanly(
    local_env: ServerHandle, publish: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avala._portal import Portal

    revision = publish(frames(40))
    hops: list[object] = []
    real_call = Portal.call

    def counting_call(self: Portal, func: Any) -> Any:
        hops.append(func)
        return real_call(self, func)

    monkeypatch.setattr(Portal, "call", counting_call)
    with avala.load(pinned(revision), concurrency=2) as ds:
        hops.clear()
        assert [o.ordinal for o in ds.objects] == list(range(40))
        assert hops == []  # every object came through the queue
        walk = iter(ds.objects)
        assert next(walk).ordinal == 0
        walk.close()  # the read-ahead stops; the dataset stays usable
        last = ds.for_role("frame").get(39).read()
        assert hashlib.sha256(last).hexdigest() == revision.objects[39].sha256


# --------------------------------------------------------------------------- faults


def test_storage_5xx_is_retried(
    surface: str, local_env: ServerHandle, publish: Publish, pauses: list[float]
) -> None:
    revision = publish(frames(3))
    key = revision.objects[1].key
    local_env.state.faults.push(
        Fault.status(503, path="/_storage/", contains=key),
        Fault.status(500, path="/_storage/", contains=key),
    )
    _, got = load_all(surface, pinned(revision))
    assert [g[3] for g in got] == [o[3] for o in frames(3)]
    assert traffic(local_env, revision)["downloads"] == 5 and len(pauses) == 2


def test_a_connection_reset_mid_body_is_retried(
    surface: str, local_env: ServerHandle, publish: Publish, pauses: list[float]
) -> None:
    revision = publish(frames(2, size=64 * 1024))
    key = revision.objects[0].key
    local_env.state.faults.push(Fault.cut_response(1000, contains=key))
    _, got = load_all(surface, pinned(revision))
    assert [g[3] for g in got] == [o[3] for o in frames(2, size=64 * 1024)]
    assert cache_is_intact(Path(os.environ["AVALA_CACHE_DIR"]))


def test_a_corrupted_byte_is_refused_and_nothing_is_cached(
    surface: str, local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    key = revision.objects[1].key
    local_env.state.faults.push(
        Fault.corrupt_byte(7, contains=key), Fault.corrupt_byte(7, contains=key)
    )
    with pytest.raises(DatasetDownloadError) as info:
        load_all(surface, pinned(revision), concurrency=1)
    assert info.value.reason == "sha256_mismatch"
    assert info.value.object_uid == revision.objects[1].object_uid
    assert "Signature" not in str(info.value) and "X-Avala" not in str(info.value)
    root = Path(os.environ["AVALA_CACHE_DIR"])
    names = {p.name for p in cache_files(root)}
    assert revision.objects[1].sha256 not in names
    assert all(not n.startswith(".") for n in names)  # no temporary file either
    assert cache_is_intact(root)


def test_a_corrupted_byte_once_is_fetched_again(
    surface: str, local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    local_env.state.faults.push(Fault.corrupt_byte(0, contains=revision.objects[0].key))
    _, got = load_all(surface, pinned(revision))
    assert [g[3] for g in got] == [o[3] for o in frames(2)]
    assert traffic(local_env, revision)["downloads"] == 3


def test_an_expired_signed_url_gets_a_new_grant(
    surface: str, local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    local_env.state.faults.push(Fault.expired_grant(contains=revision.objects[0].key))
    _, got = load_all(surface, pinned(revision))
    assert len(got) == 2
    assert traffic(local_env, revision) == {"downloads": 3, "grants": 3}


def test_a_grant_nearly_expired_by_the_server_clock_is_reissued(
    surface: str, local_env: ServerHandle, publish: Publish, resolver: ResolverSettings
) -> None:
    revision = publish(frames(2))
    resolver.clock_offset = -7200  # the server's clock is two hours behind
    resolver.grant_ttls.extend([3])  # the first grant has 3 s left by that clock
    _, got = load_all(surface, pinned(revision), concurrency=1)
    assert len(got) == 2
    assert traffic(local_env, revision) == {"downloads": 2, "grants": 3}


def test_grants_fall_back_to_get_when_post_is_not_allowed(
    surface: str, local_env: ServerHandle, publish: Publish, resolver: ResolverSettings
) -> None:
    revision = publish(frames(3))
    resolver.grant_post_allowed = False
    load_all(surface, pinned(revision), concurrency=1)
    grants = [
        r.method
        for r in local_env.state.requests
        if revision.dataset_uid in r.path and r.path.endswith("/access/")
    ]
    assert grants == ["POST", "GET", "GET", "GET"]


def test_the_resolver_5xx_and_429_are_retried(
    surface: str, local_env: ServerHandle, publish: Publish, pauses: list[float]
) -> None:
    revision = publish(frames(1))
    local_env.state.faults.push(
        Fault.status(503, path="/resolve/"),
        Fault.status(429, path="/resolve/", headers={"Retry-After": "2"}),
    )
    _, got = load_all(surface, pinned(revision))
    assert len(got) == 1 and 2 in pauses


def test_a_withdrawn_revision_raises(surface: str, local_env: ServerHandle) -> None:
    with (
        pytest.warns(MutableDatasetAliasWarning),
        pytest.raises(DatasetRevisionWithdrawnError) as info,
    ):
        load_all(surface, "avala-demo/withdrawn-set")
    error = info.value
    assert error.status_code == 410 and error.reason == "revision_withdrawn"
    assert (
        error.canonical_reference == f"avala://datasets/{error.dataset_uid}@{error.revision_sha256}"
    )


def test_a_page_missing_an_object_is_an_integrity_error(
    surface: str, local_env: ServerHandle, publish: Publish, resolver: ResolverSettings
) -> None:
    revision = publish(frames(3))

    def drop_one(page: dict[str, Any]) -> dict[str, Any]:
        return {**page, "results": page["results"][:-1]}

    resolver.tamper_page = drop_one
    with pytest.raises(DatasetIntegrityError) as info:
        load_all(surface, pinned(revision))
    assert info.value.reason == "manifest_object_count_mismatch"
    assert traffic(local_env, revision)["grants"] == 0


def test_many_pages_and_a_withdrawal_after_resolve(
    local_env: ServerHandle, publish: Publish, resolver: ResolverSettings
) -> None:
    revision = publish(frames(230), aliases=("main", "stable"))
    resolver.page_size = 50
    start = time.monotonic()
    with pytest.warns(MutableDatasetAliasWarning):
        props, got = load_all("async", f"{revision.owner}/{revision.dataset}@stable")
    assert props["revision_sha256"] == revision.revision_sha256 and len(got) == 230
    assert time.monotonic() - start < 30
    revision.withdrawn = True
    with pytest.raises(DatasetRevisionWithdrawnError):
        asyncio.run(avala.async_load(pinned(revision)))


# --------------------------------------------------------------------------- lifetime


async def test_an_unclosed_async_dataset_warns_when_collected(
    local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    ds = await avala.async_load(pinned(revision))
    assert [o.ordinal async for o in ds.objects] == [0, 1]
    session = ds._client.session  # closed below: only the dataset's own warning is tested
    with pytest.warns(ResourceWarning) as caught:
        del ds
        gc.collect()
    await session.close()
    ours = [w for w in caught if "Unclosed <AsyncResolvedDataset" in str(w.message)]
    assert len(ours) == 1
    assert "await ds.close()" in str(ours[0].message)


async def test_a_closed_async_dataset_collects_silently(
    local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = await avala.async_load(pinned(revision))
        assert len([o async for o in ds.objects]) == 2
        await ds.close()
        del ds
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_an_unclosed_sync_dataset_is_closed_when_collected(
    local_env: ServerHandle, publish: Publish
) -> None:
    revision = publish(frames(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = avala.load(pinned(revision))
        assert len(list(ds.objects)) == 2
        del ds
        gc.collect()
    assert [str(w.message) for w in caught] == []
