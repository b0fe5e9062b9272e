"""datasets.wait / exports.wait: argument checks, terminal statuses, timeouts."""

from __future__ import annotations

import math
from typing import Any

import pytest
from aioresponses import aioresponses

from avala import AsyncClient, Dataset, Export, NotFoundError

from ._helpers import calls, dataset, url

EXPORT = "/exports/ex-1/"
DATASET = "/datasets/ds-1/"


def waiters(client: AsyncClient) -> dict[str, Any]:
    return {
        "datasets": lambda **kw: client.datasets.wait("ds-1", **kw),
        "exports": lambda **kw: client.exports.wait("ex-1", **kw),
    }


@pytest.mark.parametrize("which", ["datasets", "exports"])
@pytest.mark.parametrize("bad", [0, 0.0, -1, -0.5, math.nan, math.inf, -math.inf])
async def test_invalid_interval_is_refused(
    http: aioresponses, no_retry: AsyncClient, which: str, bad: float
) -> None:
    with pytest.raises(ValueError, match="interval") as info:
        await waiters(no_retry)[which](interval=bad, timeout=10)
    assert "timeout" not in str(info.value)
    assert calls(http) == []


@pytest.mark.parametrize("which", ["datasets", "exports"])
@pytest.mark.parametrize("bad", [-1, -0.001, math.nan, math.inf, -math.inf])
async def test_invalid_timeout_is_refused(
    http: aioresponses, no_retry: AsyncClient, which: str, bad: float
) -> None:
    with pytest.raises(ValueError, match="timeout") as info:
        await waiters(no_retry)[which](interval=1, timeout=bad)
    assert "interval" not in str(info.value)
    assert calls(http) == []


@pytest.mark.parametrize("which", ["datasets", "exports"])
@pytest.mark.parametrize("argument", ["interval", "timeout"])
@pytest.mark.parametrize("bad", ["5", None, True])
async def test_non_numeric_durations_are_refused(
    http: aioresponses, no_retry: AsyncClient, which: str, argument: str, bad: object
) -> None:
    with pytest.raises(TypeError, match=argument):
        await waiters(no_retry)[which](**{argument: bad})
    assert calls(http) == []


@pytest.mark.parametrize("status", ["exported", "failed", "completed"])
async def test_export_wait_stops_on_terminal_status(
    http: aioresponses, no_retry: AsyncClient, status: str
) -> None:
    http.get(url(EXPORT), payload={"uid": "ex-1", "status": status})
    got = await no_retry.exports.wait("ex-1", timeout=0)
    assert isinstance(got, Export)
    assert got.status == status
    assert len(calls(http)) == 1


@pytest.mark.parametrize("status", ["pending", "requested", "processing", None])
async def test_export_wait_times_out_naming_the_last_status(
    http: aioresponses, no_retry: AsyncClient, status: str | None
) -> None:
    http.get(url(EXPORT), payload={"uid": "ex-1", "status": status})
    with pytest.raises(TimeoutError) as info:
        await no_retry.exports.wait("ex-1", timeout=0)
    assert type(info.value) is TimeoutError
    assert f"last status: {status}" in str(info.value)
    assert "ex-1" in str(info.value)


async def test_export_wait_polls_until_done(
    http: aioresponses, no_retry: AsyncClient, sleeps: list[float]
) -> None:
    for status in ("pending", "processing"):
        http.get(url(EXPORT), payload={"uid": "ex-1", "status": status})
    http.get(url(EXPORT), payload={"uid": "ex-1", "status": "exported", "download_url": "u"})
    polled: list[str | None] = []
    got = await no_retry.exports.wait(
        "ex-1", interval=3, timeout=600, on_poll=lambda e: polled.append(e.status)
    )
    assert got.status == "exported"
    assert got.download_url == "u"
    assert polled == ["pending", "processing"]
    assert sleeps == [3.0, 3.0]
    assert len(calls(http)) == 3


async def test_failed_export_is_returned_not_raised(
    http: aioresponses, no_retry: AsyncClient, sleeps: list[float]
) -> None:
    http.get(url(EXPORT), payload={"uid": "ex-1", "status": "processing"})
    http.get(url(EXPORT), payload={"uid": "ex-1", "status": "failed"})
    got = await no_retry.exports.wait("ex-1", interval=1, timeout=60)
    assert got.status == "failed"


async def test_dataset_wait_returns_when_status_reached(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url(DATASET), payload=dataset("ds-1", status="created"))
    got = await no_retry.datasets.wait("ds-1", timeout=0)
    assert isinstance(got, Dataset)
    assert got.status == "created"


async def test_dataset_wait_for_a_custom_status(
    http: aioresponses, no_retry: AsyncClient, sleeps: list[float]
) -> None:
    http.get(url(DATASET), payload=dataset("ds-1", status="created"))
    http.get(url(DATASET), payload=dataset("ds-1", status="archived"))
    got = await no_retry.datasets.wait("ds-1", status="archived", interval=5, timeout=60)
    assert got.status == "archived"
    assert sleeps == [5.0]


async def test_dataset_wait_times_out_naming_the_last_status(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url(DATASET), payload=dataset("ds-1", status="creating"))
    polled: list[Dataset] = []
    with pytest.raises(TimeoutError) as info:
        await no_retry.datasets.wait("ds-1", timeout=0, on_poll=polled.append)
    message = str(info.value)
    assert "last status: creating" in message
    assert "'created'" in message
    assert [d.status for d in polled] == ["creating"]


async def test_wait_propagates_api_errors(http: aioresponses, no_retry: AsyncClient) -> None:
    http.get(url(EXPORT), status=404, payload={"detail": "Not found."})
    with pytest.raises(NotFoundError):
        await no_retry.exports.wait("ex-1", timeout=0)
