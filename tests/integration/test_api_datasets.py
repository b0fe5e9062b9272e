"""The 0.10 dataset calls, bulk edits and sign-up through both surfaces against the
bundled server."""

from __future__ import annotations

from typing import Any

import pytest

from avala import (
    AsyncClient,
    Client,
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
    async_signup,
    signup,
)
from avala.errors import BulkEditError, QuotaExceededError
from avala.testing import ServerHandle

from ._surface import Surface

OWNER, SLUG = "demo", "highway-lidar"


async def first_sequence(api: Surface) -> str:
    page = await api.first_page(api.client.datasets.list_sequences(OWNER, SLUG, limit=1))
    return str(page.items[0].uid)


async def test_frames_calibration_and_health(api: Surface) -> None:
    uid = await first_sequence(api)
    sequence = await api(api.client.datasets.get_sequence(OWNER, SLUG, uid))
    frame = await api(api.client.datasets.get_frame(OWNER, SLUG, uid, 1))
    assert frame.raw == sequence.frames[1] and frame.key == sequence.frames[1]["key"]
    assert frame.images and frame.images[0].image_url.endswith("front.jpg")
    with pytest.raises(IndexError, match=f"has {len(sequence.frames)} frame"):
        await api(api.client.datasets.get_frame(OWNER, SLUG, uid, len(sequence.frames)))
    calibration = await api(api.client.datasets.get_calibration(OWNER, SLUG, uid))
    assert [c.camera_id for c in calibration.cameras] == ["front", "left"]
    assert calibration.cameras[0].fx and calibration.cameras[0].model == "pinhole"
    health = await api(api.client.datasets.get_health(OWNER, SLUG))
    assert health.ingest_ok and health.data_type == "lidar" and health.is_sequence is True
    assert health.sequence_count == len(health.sequences) >= 1


async def test_transfer_moves_the_dataset(api: Surface, local_env: ServerHandle) -> None:
    slug = f"movable-{'a' if api.is_async else 's'}"
    await api(api.client.datasets.create(name="Movable", slug=slug, data_type="image"))
    moved = await api(api.client.datasets.transfer(OWNER, slug, owner_username="someone"))
    assert moved.owner_name == "someone"
    assert (await api(api.client.datasets.get_by_slug("someone", slug))).uid == moved.uid
    with pytest.raises(NotFoundError):
        await api(api.client.datasets.get_by_slug(OWNER, slug))
    with pytest.raises(ValidationError):  # no such organization
        await api(api.client.datasets.transfer("someone", slug, organization_uid="nope"))


async def test_manual_upload_rest_calls(
    api: Surface, local_env: ServerHandle, settings: dict[str, Any]
) -> None:
    settings["upload_quota_bytes"] = 1000
    settings["upload_used"] = {}
    mimes = await api(api.client.datasets.manual_upload_allowed_mimes())
    assert "image/png" in mimes.mime_types and mimes.video_prefix == "video/"
    before = await api(api.client.datasets.manual_upload_quota())
    target = await api(
        api.client.datasets.create_manual_upload_url(
            dataset_name="Up", file_path_in_dataset="a.png", content_length=600
        )
    )
    assert target["method"] == "POST" and target["fields"]
    after = await api(api.client.datasets.manual_upload_quota())
    assert after.used == before.used + 600 and after.remaining == 400
    with pytest.raises(QuotaExceededError) as caught:
        await api(
            api.client.datasets.create_manual_upload_url(
                dataset_name="Up", file_path_in_dataset="b.png", content_length=600
            )
        )
    assert (caught.value.limit, caught.value.used) == (1000, 600)
    slug = f"up-{'a' if api.is_async else 's'}"
    made = await api(
        api.client.datasets.create_from_manual_upload(name="Up", slug=slug, data_type="image")
    )
    assert made.status == "creating" and made.visibility == "private"


async def test_bulk_edit_is_lazy_chunked_and_idempotent(
    api: Surface, local_env: ServerHandle
) -> None:
    uid = await first_sequence(api)
    edits = [
        {"action": "upsert", "object_uuid": f"obj-{i}", "object_type": "cuboid 3d",
         "sequence_uid": uid, "object_data": {"label": "car", "object_id": i}}
        for i in range(5)
    ]  # fmt: skip
    local_env.state.clear_requests()
    walk = api.client.annotations.bulk_edit(OWNER, SLUG, iter(edits), chunk_size=2)
    assert not [r for r in local_env.state.requests if "bulk-edition" in r.path]  # lazy
    results = await api.each(walk)
    assert results == [(0, {"updated": 2, "deleted": 0}), (1, {"updated": 2, "deleted": 0}),
                       (2, {"updated": 1, "deleted": 0})]  # fmt: skip
    assert [len(r.json()) for r in local_env.state.requests if "bulk-edition" in r.path] == [
        2,
        2,
        1,
    ]
    again = await api.each(api.client.annotations.bulk_edit(OWNER, SLUG, edits))
    assert again == [(0, {"updated": 5, "deleted": 0})]
    stored = [
        o
        for o in local_env.state.store.records("annotation_objects")
        if o["uid"].startswith("obj-")
    ]
    assert len(stored) == 5  # idempotent: still five objects, not ten
    bad = [*edits[:2], {"action": "upsert", "object_uuid": "x", "sequence_uid": uid}]
    with pytest.raises(BulkEditError) as caught:
        await api.each(api.client.annotations.bulk_edit(OWNER, SLUG, bad, chunk_size=2))
    assert caught.value.chunk_index == 1  # the first chunk was applied, the second refused
    assert "object_type" in str(caught.value)


async def test_signup_on_both_surfaces(local_env: ServerHandle) -> None:
    made = await async_signup(email="New.User@example.com", password="long-enough", first_name="N")
    assert made.user.email == "new.user@example.com" and made.api_key.startswith("avk_")
    assert made.api_key not in repr(made)
    sent = [r for r in local_env.state.requests if r.path.endswith("/signup/")][-1]
    assert sent.header("X-Avala-Api-Key") is None  # anonymous
    async with AsyncClient(api_key=made.api_key) as client:  # the new key works at once
        assert (await client.projects.list()).items
    other = signup(email="second@example.com", password="long-enough")
    with Client(api_key=other.api_key) as sync_client:
        assert sync_client.datasets.list().items
    with pytest.raises(ValidationError) as caught:
        signup(email="second@example.com", password="short")
    assert set(caught.value.errors) == {"email", "password"}
    local_env.state.store.settings["signups_open"] = False
    try:
        with pytest.raises(ForbiddenError):
            await async_signup(email="third@example.com", password="long-enough")
    finally:
        local_env.state.store.settings["signups_open"] = True


def test_signup_follows_the_base_url_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        signup(email="a@b.co", password="long-enough", base_url="http://example.com/api/v1")
