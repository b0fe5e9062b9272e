"""Cursor pages and lazy auto-pagination (catalog 1.4)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from avala import APIResponseValidationError, AsyncClient, AsyncPage, Dataset, NotFoundError
from avala.pagination import cursor_params

from ._helpers import BASE, calls, dataset, page

LIST = f"{BASE}/datasets/"


def at(query: str = "") -> URL:
    return URL(LIST + (f"?{query}" if query else ""))


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (None, None),
        ("", None),
        (f"{LIST}?cursor=cD0y", {"cursor": "cD0y"}),
        (f"{LIST}?limit=10&cursor=abc%3D%3D", {"cursor": "abc=="}),
        (f"{LIST}?page=3", {"page": "3"}),
        (f"{LIST}?page=3&cursor=c", {"cursor": "c"}),
        (f"{LIST}?cursor=first&cursor=second", {"cursor": "first"}),
        (f"{LIST}?limit=10", None),
        ("/api/v1/datasets/?cursor=rel", {"cursor": "rel"}),
    ],
)
def test_cursor_params(link: str | None, expected: dict[str, str] | None) -> None:
    assert cursor_params(link) == expected


async def test_page_attributes(http: aioresponses, client: AsyncClient) -> None:
    http.get(
        at(),
        payload=page(
            [dataset("a"), dataset("b")],
            next=f"{LIST}?cursor=NEXT&limit=2",
            previous=f"{LIST}?cursor=PREV&limit=2",
        ),
        headers={"X-Request-Id": "req-page-1"},
    )
    first = await client.datasets.list()
    assert isinstance(first, AsyncPage)
    assert first.has_more is True
    assert first.has_next_page() is True
    assert first.next_cursor == "NEXT"
    assert first.previous_cursor == "PREV"
    assert len(first) == 2
    assert [d.uid for d in first] == ["a", "b"]
    assert [d.uid for d in first.items] == ["a", "b"]
    assert first[1].uid == "b"
    assert all(isinstance(d, Dataset) for d in first)
    assert first.request_id == "req-page-1"
    assert first.retries_taken == 0


async def test_last_page(http: aioresponses, client: AsyncClient) -> None:
    http.get(at(), payload=page([dataset("a")]))
    last = await client.datasets.list()
    assert last.has_more is False
    assert last.has_next_page() is False
    assert last.next_cursor is None
    assert last.previous_cursor is None
    with pytest.raises(LookupError):
        await last.get_next_page()
    assert len(calls(http)) == 1


async def test_empty_page(http: aioresponses, client: AsyncClient) -> None:
    http.get(at(), payload=page([]))
    empty = await client.datasets.list()
    assert len(empty) == 0
    assert list(empty) == []
    assert empty.has_more is False


async def test_get_next_page_sends_the_cursor_and_the_filters(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(
        at("name=car&limit=1"),
        payload=page([dataset("a")], next=f"{LIST}?cursor=C2&limit=1&name=car"),
    )
    http.get(at("name=car&limit=1&cursor=C2"), payload=page([dataset("b")]))
    first = await client.datasets.list(name="car", limit=1)
    second = await first.get_next_page()
    assert [d.uid for d in second] == ["b"]
    assert second.has_more is False
    queries = [dict(u.query) for _, u, _ in calls(http)]
    assert queries == [
        {"limit": "1", "name": "car"},
        {"cursor": "C2", "limit": "1", "name": "car"},
    ]


async def test_page_number_endpoints_are_paged_with_page_not_cursor(
    http: aioresponses, client: AsyncClient
) -> None:
    first_body = {"count": 3, **page([dataset("a")], next=f"{LIST}?page=2")}
    http.get(at(), payload=first_body, repeat=2)
    http.get(at("page=2"), payload=page([dataset("b")], next=f"{LIST}?page=3"))
    http.get(at("page=3"), payload=page([dataset("c")], previous=f"{LIST}?page=2"))
    first = await client.datasets.list()
    assert first.next_cursor == "2"
    uids = [d.uid async for d in client.datasets.list()]
    assert uids == ["a", "b", "c"]
    for _, seen, _ in calls(http):
        assert "cursor" not in seen.query
    assert [u.query.get("page") for _, u, _ in calls(http)] == [None, None, "2", "3"]


async def test_async_for_walks_every_page(http: aioresponses, client: AsyncClient) -> None:
    http.get(at(), payload=page([dataset("a"), dataset("b")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), payload=page([dataset("c")], next=f"{LIST}?cursor=P3"))
    http.get(at("cursor=P3"), payload=page([dataset("d")]))
    uids = [d.uid async for d in client.datasets.list()]
    assert uids == ["a", "b", "c", "d"]
    assert len(calls(http)) == 3


async def test_async_for_reads_at_most_one_page_ahead(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(at(), payload=page([dataset("a"), dataset("b")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), payload=page([dataset("c")], next=f"{LIST}?cursor=P3"))
    http.get(at("cursor=P3"), payload=page([dataset("d")]))
    iterator = client.datasets.list().__aiter__()
    async with contextlib.aclosing(iterator):  # type: ignore[type-var]
        assert calls(http) == []  # nothing until iteration starts
        assert (await anext(iterator)).uid == "a"
        assert len(calls(http)) == 2  # page 1, and page 2 requested while page 1 is read
        assert (await anext(iterator)).uid == "b"
        assert len(calls(http)) == 2  # page 3 not asked for while page 2 is unread
        assert (await anext(iterator)).uid == "c"
        assert len(calls(http)) == 3
        assert (await anext(iterator)).uid == "d"
        with pytest.raises(StopAsyncIteration):
            await anext(iterator)
    assert len(calls(http)) == 3


async def test_breaking_out_early_cancels_the_read_ahead(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(at(), payload=page([dataset("a"), dataset("b")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), payload=page([dataset("c")], next=f"{LIST}?cursor=P3"))
    seen: list[str] = []
    iterator = client.datasets.list().__aiter__()
    async with contextlib.aclosing(iterator):  # type: ignore[type-var]
        async for d in iterator:
            seen.append(d.uid)
            if d.uid == "b":
                break
    assert seen == ["a", "b"]
    # At most the one read-ahead request went out; page 3 never did.
    assert [dict(u.query) for _, u, _ in calls(http)] in ([{}], [{}, {"cursor": "P2"}])


async def test_read_ahead_failure_surfaces_only_when_its_page_is_reached(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(at(), payload=page([dataset("a")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), status=404, payload={"detail": "Not found."})
    seen: list[str] = []
    with pytest.raises(NotFoundError):
        async for d in client.datasets.list():
            seen.append(d.uid)
    assert seen == ["a"]


async def test_abandoned_walk_with_failed_read_ahead_reports_nothing(
    http: aioresponses, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    http.get(at(), payload=page([dataset("a")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), status=404, payload={"detail": "Not found."})
    iterator = client.datasets.list().__aiter__()
    async with contextlib.aclosing(iterator):  # type: ignore[type-var]
        assert (await anext(iterator)).uid == "a"
        for _ in range(10):  # let the read-ahead finish (and fail) before abandoning the walk
            await asyncio.sleep(0)
    del iterator
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_filters_are_repeated_on_every_page(http: aioresponses, client: AsyncClient) -> None:
    filters = {"data_type": "image", "status": "created", "visibility": "private", "limit": "1"}
    q = "&".join(f"{k}={v}" for k, v in filters.items())
    http.get(at(q), payload=page([dataset("a")], next=f"{LIST}?cursor=P2&limit=1"))
    http.get(at(q + "&cursor=P2"), payload=page([dataset("b")], next=f"{LIST}?cursor=P3"))
    http.get(at(q + "&cursor=P3"), payload=page([dataset("c")]))
    paginator = client.datasets.list(
        data_type="image", status="created", visibility="private", limit=1
    )
    assert [d.uid async for d in paginator] == ["a", "b", "c"]
    queries = [dict(u.query) for _, u, _ in calls(http)]
    assert queries == [filters, {**filters, "cursor": "P2"}, {**filters, "cursor": "P3"}]


async def test_tasks_filters_are_repeated_on_every_page(
    http: aioresponses, client: AsyncClient
) -> None:
    tasks = f"{BASE}/tasks/"
    http.get(
        URL(f"{tasks}?project=p1&status=pending"),
        payload=page([{"uid": "t1"}], next=f"{tasks}?cursor=T2"),
    )
    http.get(URL(f"{tasks}?project=p1&status=pending&cursor=T2"), payload=page([{"uid": "t2"}]))
    assert [t.uid async for t in client.tasks.list(project="p1", status="pending")] == [
        "t1",
        "t2",
    ]
    assert [dict(u.query) for _, u, _ in calls(http)][1] == {
        "project": "p1",
        "status": "pending",
        "cursor": "T2",
    }


async def test_pages_iterator_yields_each_page(http: aioresponses, client: AsyncClient) -> None:
    http.get(at(), payload=page([dataset("a")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), payload=page([dataset("b"), dataset("c")]))
    sizes = [len(p) async for p in client.datasets.list().pages()]
    assert sizes == [1, 2]


async def test_start_from_a_cursor(http: aioresponses, client: AsyncClient) -> None:
    http.get(at("cursor=RESUME"), payload=page([dataset("z")]))
    resumed = await client.datasets.list(cursor="RESUME")
    assert [d.uid for d in resumed] == ["z"]


async def test_retries_taken_is_reported_on_pages(
    http: aioresponses, client: AsyncClient, sleeps: list[float]
) -> None:
    http.get(at(), status=503, payload={"detail": "busy"})
    http.get(at(), payload=page([dataset("a")]))
    first = await client.datasets.list()
    assert first.retries_taken == 1
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "not a page",
        {"next": None, "previous": None},
        {"results": None},
        {"results": {"uid": "a"}},
        {"results": [1, 2]},
        {"results": [{"name": "no uid"}]},
        {"results": [], "next": 5},
        {"results": [], "next": {"cursor": "x"}},
        {"results": [], "previous": ["x"]},
    ],
)
async def test_malformed_page_is_a_response_validation_error(
    http: aioresponses, client: AsyncClient, body: Any
) -> None:
    if body is None:
        http.get(at(), status=204)
    else:
        http.get(at(), payload=body)
    with pytest.raises(APIResponseValidationError) as info:
        await client.datasets.list()
    assert "/datasets/" in info.value.message
    assert info.value.body == body


async def test_malformed_second_page_surfaces_during_iteration(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(at(), payload=page([dataset("a")], next=f"{LIST}?cursor=P2"))
    http.get(at("cursor=P2"), payload={"unexpected": True})
    seen: list[str] = []
    with pytest.raises(APIResponseValidationError):
        async for d in client.datasets.list():
            seen.append(d.uid)
    assert seen == ["a"]


async def test_base64_cursor_survives_the_round_trip(
    http: aioresponses, client: AsyncClient
) -> None:
    raw_cursor = "cj0xJnA9MjAyNC0wMS0xNSsxMCUzQTMw+/=="
    encoded = "cj0xJnA9MjAyNC0wMS0xNSsxMCUzQTMw%2B%2F%3D%3D"
    http.get(at(), payload=page([dataset("a")], next=f"{LIST}?cursor={encoded}"))
    http.get(URL(f"{LIST}?cursor={encoded}", encoded=True), payload=page([dataset("b")]))
    first = await client.datasets.list()
    assert first.next_cursor == raw_cursor
    second = await first.get_next_page()
    assert [d.uid for d in second] == ["b"]
    assert [u.query.get("cursor") for _, u, _ in calls(http)] == [None, raw_cursor]
