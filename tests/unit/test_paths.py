"""Caller-supplied ids are percent-encoded as exactly one path segment, or refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from avala import AsyncClient
from avala.resources._base import segment

from ._helpers import calls, dataset, page, url

# (raw id, its encoding as one segment)
IDS = [
    ("plain-uid-123", "plain-uid-123"),
    ("a/b", "a%2Fb"),
    ("../admin", "..%2Fadmin"),
    ("%2e%2e", "%252e%252e"),
    ("%2F", "%252F"),
    ("?x=1", "%3Fx%3D1"),
    ("#frag", "%23frag"),
    ("serve.robotics@avala.ai", "serve.robotics%40avala.ai"),
    ("naïve-日本", "na%C3%AFve-%E6%97%A5%E6%9C%AC"),
    ("a b", "a%20b"),
    ("a+b", "a%2Bb"),
    ("a;b", "a%3Bb"),
    ("a\\b", "a%5Cb"),
    ("...", "..."),
    ("a\r\nb", "a%0D%0Ab"),
    ("~user_name.x-1", "~user_name.x-1"),
]


@pytest.mark.parametrize(("raw", "encoded"), IDS)
def test_segment_encodes_one_segment(raw: str, encoded: str) -> None:
    got = segment("uid", raw)
    assert got == encoded
    assert "/" not in got
    assert "?" not in got
    assert "#" not in got
    assert got not in (".", "..")


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_segment_refuses_empty_and_dot_segments(bad: str) -> None:
    with pytest.raises(ValueError, match="item_uid"):
        segment("item_uid", bad)


@pytest.mark.parametrize("bad", [None, 123, b"uid", ["a"]])
def test_segment_refuses_non_strings(bad: object) -> None:
    with pytest.raises(TypeError, match="owner"):
        segment("owner", bad)


Call = Callable[[AsyncClient, str], Awaitable[Any]]

SINGLE: list[tuple[str, Call, str, dict[str, Any]]] = [
    ("datasets.get", lambda c, v: c.datasets.get(v), "/datasets/{v}/", dataset()),
    (
        "datasets.get_by_slug owner",
        lambda c, v: c.datasets.get_by_slug(v, "cars"),
        "/datasets/{v}/cars/",
        dataset(),
    ),
    (
        "datasets.get_by_slug slug",
        lambda c, v: c.datasets.get_by_slug("serve.robotics@avala.ai", v),
        "/datasets/serve.robotics%40avala.ai/{v}/",
        dataset(),
    ),
    (
        "datasets.get_item",
        lambda c, v: c.datasets.get_item("owner", "slug", v),
        "/datasets/owner/slug/items/{v}/",
        {"uid": "item"},
    ),
    (
        "datasets.get_sequence",
        lambda c, v: c.datasets.get_sequence(v, "slug", "seq-1"),
        "/datasets/{v}/slug/sequences/seq-1/",
        {"uid": "seq"},
    ),
    (
        "datasets.get_sequence uid",
        lambda c, v: c.datasets.get_sequence("owner", "slug", v),
        "/datasets/owner/slug/sequences/{v}/",
        {"uid": "seq"},
    ),
    (
        "projects.get",
        lambda c, v: c.projects.get(v),
        "/users/me/projects/{v}/",
        {"uid": "p", "name": "P"},
    ),
    ("tasks.get", lambda c, v: c.tasks.get(v), "/tasks/{v}/", {"uid": "t"}),
    ("exports.get", lambda c, v: c.exports.get(v), "/exports/{v}/", {"uid": "e"}),
]


@pytest.mark.parametrize(("raw", "encoded"), IDS)
@pytest.mark.parametrize(("name", "call", "template", "body"), SINGLE, ids=[s[0] for s in SINGLE])
async def test_exact_url_requested(
    http: aioresponses,
    no_retry: AsyncClient,
    name: str,
    call: Call,
    template: str,
    body: dict[str, Any],
    raw: str,
    encoded: str,
) -> None:
    expected = url(template.format(v=encoded))
    http.get(expected, payload=body)
    await call(no_retry, raw)
    ((method, seen, _),) = calls(http)
    assert method == "GET"
    assert seen == expected
    assert seen.raw_path == "/api/v1" + template.format(v=encoded)
    assert seen.raw_query_string == ""


@pytest.mark.parametrize(("raw", "encoded"), IDS[:9])
async def test_list_items_path(
    http: aioresponses, no_retry: AsyncClient, raw: str, encoded: str
) -> None:
    expected = url(f"/datasets/{encoded}/{encoded}/items/")
    http.get(expected, payload=page([{"uid": "i-1"}]))
    items = await no_retry.datasets.list_items(raw, raw)
    assert [i.uid for i in items] == ["i-1"]
    ((_, seen, _),) = calls(http)
    assert seen.raw_path == f"/api/v1/datasets/{encoded}/{encoded}/items/"


async def test_list_sequences_path(http: aioresponses, no_retry: AsyncClient) -> None:
    expected = url("/datasets/serve.robotics%40avala.ai/a%2Fb/sequences/")
    http.get(expected, payload=page([{"uid": "s-1"}]))
    await no_retry.datasets.list_sequences("serve.robotics@avala.ai", "a/b")
    ((_, seen, _),) = calls(http)
    assert seen == expected


async def test_fixed_collection_paths(http: aioresponses, no_retry: AsyncClient) -> None:
    for path in ("/datasets/", "/users/me/projects/", "/tasks/", "/exports/"):
        http.get(url(path), payload=page([]))
    await no_retry.datasets.list()
    await no_retry.projects.list()
    await no_retry.tasks.list()
    await no_retry.exports.list()
    assert [u.raw_path for _, u, _ in calls(http)] == [
        "/api/v1/datasets/",
        "/api/v1/users/me/projects/",
        "/api/v1/tasks/",
        "/api/v1/exports/",
    ]


INVALID: list[tuple[str, Callable[[AsyncClient, Any], Any]]] = [
    ("uid", lambda c, v: c.datasets.get(v)),
    ("owner", lambda c, v: c.datasets.get_by_slug(v, "slug")),
    ("slug", lambda c, v: c.datasets.get_by_slug("owner", v)),
    ("item_uid", lambda c, v: c.datasets.get_item("owner", "slug", v)),
    ("sequence_uid", lambda c, v: c.datasets.get_sequence("owner", "slug", v)),
    ("owner", lambda c, v: c.datasets.list_items(v, "slug")),
    ("slug", lambda c, v: c.datasets.list_sequences("owner", v)),
    ("uid", lambda c, v: c.projects.get(v)),
    ("uid", lambda c, v: c.tasks.get(v)),
    ("uid", lambda c, v: c.exports.get(v)),
    ("uid", lambda c, v: c.exports.wait(v, timeout=0)),
    ("uid", lambda c, v: c.datasets.wait(v, timeout=0)),
]


async def _invoke(call: Callable[[AsyncClient, Any], Any], client: AsyncClient, v: Any) -> None:
    result = call(client, v)
    if hasattr(result, "__await__"):
        await result


@pytest.mark.parametrize("bad", ["", ".", ".."])
@pytest.mark.parametrize(("argument", "call"), INVALID)
async def test_invalid_ids_are_refused_before_any_request(
    http: aioresponses, no_retry: AsyncClient, argument: str, call: Any, bad: str
) -> None:
    with pytest.raises(ValueError) as info:
        await _invoke(call, no_retry, bad)
    assert argument in str(info.value)
    assert calls(http) == []


@pytest.mark.parametrize("bad", [None, 42, b"uid"])
@pytest.mark.parametrize(("argument", "call"), INVALID)
async def test_non_string_ids_are_refused_before_any_request(
    http: aioresponses, no_retry: AsyncClient, argument: str, call: Any, bad: object
) -> None:
    with pytest.raises(TypeError) as info:
        await _invoke(call, no_retry, bad)
    assert argument in str(info.value)
    assert calls(http) == []
