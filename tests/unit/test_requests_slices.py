"""``client.slices``: the exact request of every method, and the page-number paging of
``list``."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from avala import AsyncClient
from avala.models.slices import Slice, SliceItem, SubSlice

from ._helpers import BASE, KEY, calls, page
from ._requests import Case, ids, run

SLICE = {"uid": "sl-1", "name": "Night", "slug": "night", "owner_name": "demo",
         "item_count": 2, "sub_slices": [{"type": "dataset", "dataset_uid": "ds-1"}]}  # fmt: skip
ITEM = {"uid": "it-1", "key": "a.jpg", "dataset": "ds-1", "is_hidden": False}
SUB: SubSlice = {"type": "dataset", "dataset_uid": "ds-1"}

CASES = [
    Case("list", lambda c: c.slices.list("demo", limit=5), "GET", "/slices/demo/list/",
         query={"limit": "5"},
         response={"count": 9, **page([SLICE], next=BASE + "/slices/demo/list/?page=2")},
         check=lambda p: isinstance(p.items[0], Slice) and p.next_cursor == "2"),
    Case("list page= resumes at a page", lambda c: c.slices.list("demo", page=2), "GET",
         "/slices/demo/list/", query={"page": "2"}, response=page([SLICE])),
    Case("list sends a page-number cursor as page (not cursor=, the official bug)",
         lambda c: c.slices.list("demo", cursor="3"), "GET", "/slices/demo/list/",
         query={"page": "3"}, response=page([SLICE])),
    Case("list encodes the owner as one segment", lambda c: c.slices.list("a@b.c/d"), "GET",
         "/slices/a%40b.c%2Fd/list/", response=page([])),
    Case("get", lambda c: c.slices.get("demo", "night"), "GET", "/slices/demo/night/",
         response=SLICE, check=lambda s: isinstance(s, Slice) and s.item_count == 2),
    Case("create sends only what is given",
         lambda c: c.slices.create(name="Night", visibility="private", sub_slices=[SUB]),
         "POST", "/slices/",
         body={"name": "Night", "visibility": "private", "sub_slices": [SUB]},
         response=SLICE, status=201, check=lambda s: s.slug == "night"),
    Case("create with every field",
         lambda c: c.slices.create(name="Night", visibility="public",
                                   sub_slices=[{"type": "dataset", "dataset_uid": "ds-2"}],
                                   organization="acme", random_selection_count=10),
         "POST", "/slices/",
         body={"name": "Night", "visibility": "public",
               "sub_slices": [{"type": "dataset", "dataset_uid": "ds-2"}],
               "organization": "acme", "random_selection_count": 10},
         response=SLICE, status=201),
    Case("list_items", lambda c: c.slices.list_items("demo", "night", limit=1, cursor="c2"),
         "GET", "/slices/demo/night/items/list/", query={"limit": "1", "cursor": "c2"},
         response=page([ITEM]), check=lambda p: isinstance(p.items[0], SliceItem)),
    Case("get_item", lambda c: c.slices.get_item("demo", "night", "it-1"), "GET",
         "/slices/demo/night/items/it-1/", response=ITEM,
         check=lambda i: isinstance(i, SliceItem) and i.key == "a.jpg"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


async def test_walking_the_list_follows_next_by_page() -> None:
    listing = f"{BASE}/slices/demo/list/"
    with aioresponses() as mock:
        mock.get(f"{listing}?limit=1", payload=page([SLICE], next=f"{listing}?limit=1&page=2"))
        mock.get(f"{listing}?limit=1&page=2", payload=page([{**SLICE, "uid": "sl-2"}]))
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            uids = [s.uid async for s in client.slices.list("demo", limit=1)]
        assert uids == ["sl-1", "sl-2"]
        assert [dict(url.query) for _, url, _ in calls(mock)] == [
            {"limit": "1"},
            {"limit": "1", "page": "2"},
        ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cursor": "2", "page": 2}, "at most one of cursor or page"),
        ({"page": -1}, "page must be a positive page number"),
    ],
)
async def test_list_checks_page_before_any_request(kwargs: dict[str, Any], match: str) -> None:
    async with AsyncClient(api_key=KEY) as client:
        with pytest.raises(ValueError, match=match):
            client.slices.list("demo", **kwargs)
