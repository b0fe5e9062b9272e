"""Every resource method through both surfaces (AsyncClient and the generated Client)
against the bundled server over loopback. Each test runs twice: once per surface."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp
import pytest

from avala import (
    Dataset,
    Export,
    NotFoundError,
    ValidationError,
)
from avala.testing import ServerHandle

from ._surface import Surface, unsigned


async def test_datasets_list_page_and_walk(api: Surface) -> None:
    page = await api.first_page(api.client.datasets.list(limit=2))
    assert len(page.items) == 2 and page.has_more and page.next_cursor
    second = await api.next_page(page)
    assert {d.uid for d in second.items}.isdisjoint({d.uid for d in page.items})
    walked = await api.all(api.client.datasets.list(limit=2))
    everything = await api.first_page(api.client.datasets.list(limit=1000))
    assert [d.uid for d in walked] == [d.uid for d in everything.items]
    assert len({d.uid for d in walked}) == len(walked) >= 4
    assert all(isinstance(d, Dataset) and d.created_at and d.created_at.tzinfo for d in walked)


async def test_datasets_list_filters(api: Surface) -> None:
    lidar = await api.all(api.client.datasets.list(data_type="lidar", limit=1))
    assert lidar and all(d.data_type == "lidar" for d in lidar)
    public = await api.all(api.client.datasets.list(visibility="public"))
    assert public and all(d.visibility == "public" for d in public)
    named = await api.all(api.client.datasets.list(name="highway"))
    assert [d.name for d in named] == ["Highway LiDAR"]
    created = await api.all(api.client.datasets.list(status="created", limit=1))
    assert created and all(d.status == "created" for d in created)


async def test_datasets_get_and_get_by_slug(api: Surface) -> None:
    first = (await api.first_page(api.client.datasets.list())).items[0]
    assert await api(api.client.datasets.get(first.uid)) == first
    assert first.owner_name is not None
    assert await api(api.client.datasets.get_by_slug(first.owner_name, first.slug)) == first
    with pytest.raises(NotFoundError) as info:
        await api(api.client.datasets.get("no-such-dataset"))
    assert info.value.status_code == 404


async def test_items_and_sequences(api: Surface) -> None:
    dataset = (await api.all(api.client.datasets.list(name="highway")))[0]
    owner, slug = dataset.owner_name, dataset.slug
    items = await api.all(api.client.datasets.list_items(owner, slug, limit=7))
    assert len(items) == dataset.item_count
    item = await api(api.client.datasets.get_item(owner, slug, items[3].uid))
    # the server signs media URLs afresh (a new expiry) on every answer
    assert unsigned(item) == unsigned(items[3]) and item.dataset_slug == slug
    sequences = await api.all(api.client.datasets.list_sequences(owner, slug, limit=1))
    assert sequences
    sequence = await api(api.client.datasets.get_sequence(owner, slug, sequences[0].uid))
    assert sequence.uid == sequences[0].uid
    assert sequence.frames and sequence.frames[0]["images"]


async def test_datasets_create_and_wait(api: Surface) -> None:
    slug = f"created-{uuid.uuid4().hex[:8]}"
    created = await api(
        api.client.datasets.create(name="Created in a test", slug=slug, data_type="image")
    )
    assert (created.slug, created.visibility, created.status) == (slug, "private", "creating")
    polls: list[str | None] = []
    ready = await api(
        api.client.datasets.wait(
            created.uid, interval=0.01, timeout=10, on_poll=lambda d: polls.append(d.status)
        )
    )
    assert ready.status == "created" and polls and "created" not in polls
    with pytest.raises(ValidationError) as info:
        await api(api.client.datasets.create(name="Again", slug=slug, data_type="image"))
    assert "slug" in info.value.errors and "slug" in info.value.message


async def test_datasets_wait_times_out_naming_status(api: Surface) -> None:
    slug = f"slow-{uuid.uuid4().hex[:8]}"
    created = await api(api.client.datasets.create(name="Slow", slug=slug, data_type="video"))
    with pytest.raises(TimeoutError, match=r"last status: creating"):
        await api(api.client.datasets.wait(created.uid, timeout=0))


async def test_projects(api: Surface) -> None:
    projects = await api.all(api.client.projects.list(limit=1))
    assert len(projects) >= 2
    assert await api(api.client.projects.get(projects[1].uid)) == projects[1]


async def test_tasks_filters(api: Surface) -> None:
    project = (await api.all(api.client.projects.list()))[0]
    tasks = await api.all(api.client.tasks.list(project=project.uid, limit=3))
    assert tasks and all(t.project == project.uid for t in tasks)
    pending = await api.all(api.client.tasks.list(project=project.uid, status="pending"))
    assert pending and all(t.status == "pending" for t in pending)
    assert len(pending) < len(tasks)
    assert await api(api.client.tasks.get(tasks[0].uid)) == tasks[0]


async def test_exports_create_wait_list(api: Surface) -> None:
    project = (await api.all(api.client.projects.list()))[0]
    export = await api(api.client.exports.create(project=project.uid))
    assert isinstance(export, Export) and export.status == "pending"
    seen: list[str | None] = []
    done = await api(
        api.client.exports.wait(export.uid, interval=0.01, on_poll=lambda e: seen.append(e.status))
    )
    assert done.status == "exported" and done.download_url and done.is_finished
    assert seen and "exported" not in seen
    listed = await api.all(api.client.exports.list(limit=1))
    assert export.uid in {e.uid for e in listed}


async def test_exports_list_shows_the_download_url_of_each_exported_one(
    api: Surface, tmp_path: Path
) -> None:
    project = (await api.all(api.client.projects.list()))[0]
    export = await api(api.client.exports.create(project=project.uid))
    listed = {e.uid: e for e in await api.all(api.client.exports.list())}
    assert listed[export.uid].status == "pending" and listed[export.uid].download_url is None
    done = await api(api.client.exports.wait(export.uid, interval=0.01))
    listed = {e.uid: e for e in await api.all(api.client.exports.list())}
    exported = [e for e in listed.values() if e.status == "exported"]
    assert export.uid in {e.uid for e in exported}
    assert all(e.download_url for e in exported)  # seeded ones too, never fetched one by one
    assert all(e.download_url is None for e in listed.values() if e.status != "exported")
    async with aiohttp.ClientSession() as session:  # anonymous: the URL is presigned
        url = listed[export.uid].download_url
        assert url is not None and url.split("?")[0] == str(done.download_url).split("?")[0]
        async with session.get(url) as response:
            assert response.status == 200
            body = await response.read()
    downloaded = await api(api.client.exports.download(export.uid, tmp_path / "e.json"))
    assert body == downloaded.path.read_bytes()


async def test_exports_failed_is_returned(api: Surface) -> None:
    api_server_dataset = (await api.all(api.client.datasets.list(name="highway")))[0]
    slug = f"will-fail-{uuid.uuid4().hex[:6]}"
    failing = await api(api.client.datasets.create(name="fail me", slug=slug, data_type="image"))
    export = await api(api.client.exports.create(dataset=failing.uid))
    done = await api(api.client.exports.wait(export.uid, interval=0.01))
    assert done.status == "failed"
    ok = await api(api.client.exports.create(dataset=api_server_dataset.uid))
    assert (await api(api.client.exports.wait(ok.uid, interval=0.01))).status == "exported"


async def test_export_create_rejects_unknown_project(api: Surface) -> None:
    with pytest.raises(ValidationError) as info:
        await api(api.client.exports.create(project="does-not-exist"))
    assert "project" in info.value.errors


async def test_hostile_ids_stay_in_their_segment(api: Surface, local_env: ServerHandle) -> None:
    local_env.state.clear_requests()
    for hostile in ("../admin", "a/b", "%2e%2e", "x?y=1", "#top"):
        with pytest.raises(NotFoundError):
            await api(api.client.tasks.get(hostile))
    paths = [r.path for r in local_env.state.requests]
    assert len(paths) == 5
    assert all(p.startswith("/api/v1/tasks/") and p.count("/") == 5 for p in paths), paths


async def test_rate_limit_info_is_captured(api: Surface) -> None:
    await api.first_page(api.client.projects.list())
    info = api.client.rate_limit_info
    assert info.limit is not None and info.remaining is not None
