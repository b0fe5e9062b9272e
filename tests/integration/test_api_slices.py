"""``client.slices`` through both surfaces against the bundled server."""

from __future__ import annotations

from typing import Any

import pytest

from avala import NotFoundError, ValidationError
from avala.models.slices import Slice, SliceItem

from ._surface import Surface, unsigned

OWNER = "demo"
SEEDED = "highway-night-scans"  # 12 items picked from highway-lidar


def tag(api: Surface) -> str:
    """A per-surface suffix: the server lives for the whole session, both surfaces share it."""
    return "a" if api.is_async else "s"


async def dataset(api: Surface, slug: str) -> Any:
    return await api(api.client.datasets.get_by_slug(OWNER, slug))


def from_dataset(uid: str) -> dict[str, str]:
    return {"type": "dataset", "dataset_uid": uid}


async def test_seeded_slices_hold_copies_of_dataset_items(api: Surface) -> None:
    slices = api.client.slices
    seeded = await api.all(slices.list(OWNER))
    assert len(seeded) >= 3 and all(isinstance(s, Slice) for s in seeded)
    assert all(s.owner_name == OWNER and s.item_count for s in seeded)

    night = await api(slices.get(OWNER, SEEDED))
    items = await api.all(slices.list_items(OWNER, SEEDED, limit=5))  # three pages
    assert night.item_count == len(items) == 12 and len({i.uid for i in items}) == 12
    assert all(isinstance(i, SliceItem) for i in items)
    source = await dataset(api, "highway-lidar")
    assert night.sub_slices == [from_dataset(source.uid)]
    assert night.featured_slice_item_urls and len(night.featured_slice_item_urls) == 4
    for item in items[:3]:
        original = await api(api.client.datasets.get_item(OWNER, "highway-lidar", item.uid))
        assert (item.key, item.dataset) == (original.key, source.uid)
        assert unsigned(item).url == unsigned(original).url
        assert unsigned(await api(slices.get_item(OWNER, SEEDED, item.uid))) == unsigned(item)

    with pytest.raises(NotFoundError):
        await api(slices.get(OWNER, "no-such-slice"))
    with pytest.raises(NotFoundError):
        await api(slices.get_item(OWNER, SEEDED, "no-such-item"))


async def test_create_slices(api: Surface) -> None:
    slices = api.client.slices
    drones, robots = await dataset(api, "drone-flights"), await dataset(api, "robot-logs")

    sample = await api(
        slices.create(
            name=f"Drone Sample {tag(api)}",
            visibility="private",
            sub_slices=[from_dataset(drones.uid)],
            random_selection_count=5,
        )
    )
    assert (sample.slug, sample.owner_name, sample.item_count) == (
        f"drone-sample-{tag(api)}",
        OWNER,
        5,
    )
    assert sample.visibility == "private" and sample.organization is None
    items = await api.all(slices.list_items(OWNER, str(sample.slug)))
    assert len(items) == 5 and {i.dataset_slug for i in items} == {"drone-flights"}
    assert (await api(slices.get(OWNER, str(sample.slug)))).uid == sample.uid
    assert sample.uid in [s.uid for s in await api.all(slices.list(OWNER))]

    again = await api(
        slices.create(
            name=f"Drone Sample {tag(api)}",
            visibility="private",
            sub_slices=[from_dataset(drones.uid)],
            random_selection_count=5,
        )
    )
    assert again.slug == f"drone-sample-{tag(api)}-2"  # a free slug
    same = await api.all(slices.list_items(OWNER, str(again.slug)))
    assert [i.uid for i in same] == [i.uid for i in items]  # the same request picks the same

    everything = await api(
        slices.create(
            name=f"Everything {tag(api)}",
            visibility="public",
            sub_slices=[from_dataset(drones.uid), from_dataset(robots.uid)],
        )
    )
    assert everything.item_count == drones.item_count + robots.item_count
    items = await api.all(slices.list_items(OWNER, str(everything.slug)))
    assert len(items) == everything.item_count
    assert [i.dataset_slug for i in items] == ["drone-flights"] * drones.item_count + [
        "robot-logs"
    ] * robots.item_count

    owned = await api(
        slices.create(
            name=f"Acme Pick {tag(api)}",
            visibility="private",
            sub_slices=[{"type": "slice", "slice_uid": sample.uid}],
            organization="acme-robotics",
        )
    )
    assert owned.owner_name == "acme-robotics" and owned.item_count == 5
    assert owned.organization and owned.organization["slug"] == "acme-robotics"
    assert owned.uid in [s.uid for s in await api.all(slices.list("acme-robotics"))]
    assert owned.uid not in [s.uid for s in await api.all(slices.list(OWNER))]
    organization = await api(api.client.organizations.get("acme-robotics"))
    assert organization.slice_count and organization.slice_count >= 1


async def test_create_validation(api: Surface) -> None:
    slices = api.client.slices
    drones = await dataset(api, "drone-flights")

    async def errors(**kwargs: Any) -> Any:
        arguments = {"name": "Bad", "visibility": "private", "sub_slices": [], **kwargs}
        with pytest.raises(ValidationError) as caught:
            await api(slices.create(**arguments))
        return caught.value.errors

    assert await errors() == {"sub_slices": ["This list may not be empty."]}
    assert await errors(name="", sub_slices=[from_dataset(drones.uid)]) == {
        "name": ["This field may not be blank."]
    }
    assert list(await errors(sub_slices=[from_dataset("no-such-dataset")])) == ["sub_slices"]
    assert list(await errors(sub_slices=["highway-lidar"])) == ["sub_slices"]
    assert list(await errors(sub_slices=[{"type": "folder"}])) == ["sub_slices"]
    bad_count = await errors(sub_slices=[from_dataset(drones.uid)], random_selection_count=0)
    assert list(bad_count) == ["random_selection_count"]
    unknown = await errors(sub_slices=[from_dataset(drones.uid)], organization="no-such-org")
    assert unknown == {"organization": ["Organization not found."]}


async def test_list_is_paged_by_page_number(api: Surface) -> None:
    slices = api.client.slices
    first = await api.first_page(slices.list(OWNER, limit=1))
    assert len(first.items) == 1 and first.has_more and first.next_cursor == "2"
    second = await api.first_page(slices.list(OWNER, limit=1, page=2))
    assert second.items[0].uid != first.items[0].uid
    resumed = await api.first_page(slices.list(OWNER, limit=1, cursor=first.next_cursor))
    assert resumed.items[0].uid == second.items[0].uid  # not page 1 again
    walked = [s.uid for s in await api.all(slices.list(OWNER, limit=1))]
    assert walked == [s.uid for s in await api.all(slices.list(OWNER))]
    assert len(set(walked)) == len(walked) >= 3
    with pytest.raises(NotFoundError):  # past the last page
        await api.first_page(slices.list(OWNER, limit=1, page=len(walked) + 1))
