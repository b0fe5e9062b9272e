"""The request path's fast paths give the same answers as the general ones they skip:
JSON decoding with orjson (and the stdlib where orjson says no, or is missing), model
structuring shortcuts, the connection-pool slots and path segments."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone

import pytest
from aioresponses import aioresponses

import avala._transport as transport
from avala import AsyncClient, DatasetItem
from avala._serde import converter, structure
from avala._transport import _decode, _Slots
from avala.resources._base import segment

from ._helpers import BASE, KEY


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
        ('{"name": "caf\u00e9"}'.encode(), {"name": "caf\u00e9"}),
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b"[]", []),
    ],
)
def test_json_decodes_alike_with_and_without_orjson(
    monkeypatch: pytest.MonkeyPatch, fast: bool, raw: bytes, expected: object
) -> None:
    if not fast:
        monkeypatch.setattr(transport, "_fast_loads", None)
    assert _decode(raw, 200, "GET", "/x/", None) == expected


def test_what_orjson_refuses_the_stdlib_still_reads() -> None:
    # NaN and lone surrogates are not strict JSON; the stdlib took them before orjson came
    decoded = _decode(b'{"v": NaN, "s": "\\ud800"}', 200, "GET", "/x/", None)
    assert math.isnan(decoded["v"]) and decoded["s"] == "\ud800"


async def test_a_body_that_is_not_json_is_still_a_validation_error() -> None:
    with aioresponses() as mock:
        mock.get(f"{BASE}/datasets/ds/", status=200, body=b"<html>", content_type="text/html")
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(Exception, match="not JSON"):
                await client.datasets.get("ds")


def test_a_list_of_strings_is_kept_when_every_element_fits_and_fixed_otherwise() -> None:
    kept = ["https://a", "https://b"]
    item = structure({"uid": "i", "thumbnails": kept}, DatasetItem)
    assert item.thumbnails is kept
    assert structure({"uid": "i", "thumbnails": ["a", 7]}, DatasetItem).thumbnails == ["a", "7"]
    assert structure({"uid": "i", "thumbnails": None}, DatasetItem).thumbnails is None
    with pytest.raises(Exception, match="expected an array"):
        structure({"uid": "i", "thumbnails": "https://a"}, DatasetItem)


def test_optional_fields_missing_or_null_take_their_default_and_timestamps_parse() -> None:
    hook = converter.get_structure_hook(DatasetItem)
    item = hook({"uid": "i", "created_at": "2025-01-06T09:00:00Z", "key": None}, DatasetItem)
    assert item.key is None and item.status is None and item.is_hidden is False
    assert item.created_at == datetime(2025, 1, 6, 9, tzinfo=timezone.utc)
    naive = hook({"uid": "i", "updated_at": "2025-01-06T09:00:00"}, DatasetItem)
    assert naive.updated_at is not None and naive.updated_at.tzinfo is timezone.utc
    with pytest.raises(Exception, match="ISO 8601"):
        structure({"uid": "i", "created_at": 12}, DatasetItem)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ds-1_a.b~c", "ds-1_a.b~c"), ("a/b", "a%2Fb"), ("a b?", "a%20b%3F"), ("é", "%C3%A9")],
)
def test_segments_without_reserved_characters_pass_as_they_are(value: str, expected: str) -> None:
    assert segment("uid", value) == expected


async def test_pool_slots_go_to_waiters_in_order_and_survive_cancelled_waiters() -> None:
    slots = _Slots(1)
    assert slots.try_take() and not slots.try_take()
    order: list[str] = []

    async def wait(name: str) -> None:
        await slots.take()
        order.append(name)

    first = asyncio.ensure_future(wait("first"))
    gone = asyncio.ensure_future(wait("gone"))
    last = asyncio.ensure_future(wait("last"))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    slots.give()  # to "first"
    await first
    slots.give()  # skips the cancelled waiter: to "last"
    await last
    assert order == ["first", "last"]
    slots.give()
    assert slots.free == 1 and slots.try_take()


async def test_a_slot_handed_to_a_waiter_cancelled_meanwhile_passes_on() -> None:
    slots = _Slots(1)
    assert slots.try_take()
    unlucky = asyncio.ensure_future(slots.take())
    await asyncio.sleep(0)
    slots.give()  # the slot is handed over ...
    unlucky.cancel()  # ... and the waiter cancelled before it ran
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert slots.free == 1 and slots.try_take()  # not lost
