"""Pacing on its own: the budget it counts, waits and refusals, settings and their errors."""

from __future__ import annotations

import logging
import time

import pytest
from aioresponses import aioresponses

from avala import AsyncClient, Pacing, RateLimitError, Timeout
from avala._pacing import Pacer

from ._helpers import calls, dataset, url

LIMITED = {"X-RateLimit-Limit": "100", "X-RateLimit-Reset": str(int(time.time()) + 3600)}


def answered(http: aioresponses, remaining: int, **headers: str) -> None:
    http.get(
        url("/datasets/a/"),
        payload=dataset("a"),
        headers={**LIMITED, "X-RateLimit-Remaining": str(remaining), **headers},
    )


async def test_the_budget_is_the_servers_remaining_less_what_was_sent_since() -> None:
    pacer = Pacer(Pacing())
    first, second, third = (pacer.try_acquire() for _ in range(3))
    assert (first, second, third) == (1, 2, 3)
    pacer.release(1, 200, {"x-ratelimit-remaining": "5"})  # two more were sent after it
    assert pacer.snapshot() == (3, None)
    pacer.release(3, 200, {"x-ratelimit-remaining": "4"})  # the newest answer
    assert pacer.snapshot()[0] == 4


async def test_a_spent_budget_with_a_distant_reset_refuses_at_once_and_sends_nothing(
    http: aioresponses, client: AsyncClient
) -> None:
    answered(http, 0)
    answered(http, 99)
    await client.datasets.get("a")
    info = client.rate_limit_info
    assert info.budget == 0 and info.resumes_in is not None and info.resumes_in > 3000
    with pytest.raises(RateLimitError, match="Client-side pacing") as caught:
        await client.datasets.get("a")
    assert caught.value.retry_after is not None and caught.value.retry_after > 3000
    assert caught.value.retries_taken == 0
    assert len(calls(http)) == 1  # the second request was never sent


async def test_a_short_wait_is_waited_out_and_logged(
    http: aioresponses, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="avala")
    soon = f"{time.time() + 2:.3f}"
    answered(http, 0, **{"X-RateLimit-Reset": soon})
    answered(http, 50)
    async with AsyncClient(api_key="avk_test_0123456789abcdef0123") as client:
        await client.datasets.get("a")
        await client.datasets.get("a")  # waits for the reset, then goes
        assert sleeps and 1.0 < sleeps[0] <= 2.0
        assert client.rate_limit_info.budget == 50
    assert "pacing: waiting" in caplog.text


async def test_without_pacing_nothing_waits(http: aioresponses, sleeps: list[float]) -> None:
    answered(http, 0)
    answered(http, 0)
    async with AsyncClient(api_key="avk_test_0123456789abcdef0123", pacing=None) as client:
        await client.datasets.get("a")
        await client.datasets.get("a")
        assert sleeps == [] and client.rate_limit_info.budget is None


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"requests_per_second": 0}, "finite number > 0"),
        ({"requests_per_second": float("inf")}, "finite number > 0"),
        ({"requests_per_second": "10"}, "must be a number"),
        ({"requests_per_second": 5, "burst": 0}, "int >= 1"),
        ({"burst": 5}, "needs requests_per_second"),
        ({"max_in_flight": 0}, "int >= 1"),
    ],
)
def test_bad_pacing_settings_name_the_setting(options: dict[str, object], problem: str) -> None:
    with pytest.raises((TypeError, ValueError), match=problem):
        Pacing(**options)  # type: ignore[arg-type]


def test_pacing_must_be_a_pacing_or_none() -> None:
    with pytest.raises(TypeError, match=r"pacing must be an avala\.Pacing or None"):
        AsyncClient(api_key="avk_test_0123456789abcdef0123", pacing=True)  # type: ignore[arg-type]


def test_pool_timeout_is_validated() -> None:
    assert Timeout(pool=2).pool == 2.0
    with pytest.raises(ValueError, match=r"Timeout\.pool"):
        Timeout(pool=0)


def test_fewer_timers_per_request() -> None:
    from avala._transport import RequestOptions

    # ``total`` is bounded by the transport's shared deadline timers (test_deadlines.py), not
    # by a timer aiohttp would arm per request.
    default = RequestOptions(Timeout(), 2).client_timeout
    assert (default.total, default.sock_connect, default.connect, default.sock_read) == (
        None, 10.0, None, None,
    )  # fmt: skip
    custom = RequestOptions(Timeout(total=30, read=5), 2).client_timeout
    assert custom.sock_read == 5.0
