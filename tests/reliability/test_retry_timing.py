"""How long the client waits between attempts, measured where it matters: the arrival times
in the server's request log. Only lower bounds are tight (a sleep is never shorter than
asked); upper bounds are generous, so a slow machine cannot fail these tests."""

from __future__ import annotations

import email.utils
import itertools
import time

import pytest

from avala import AsyncClient, RateLimitError, ServerError
from avala.testing import Fault, ServerHandle

from ._support import Since, Surface

TASKS = "/tasks/"
SLACK = 1.0  # scheduling slack allowed on top of an expected wait


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_backoff_doubles_from_half_a_second_with_jitter(
    api: Surface, srv: ServerHandle
) -> None:
    srv.state.faults.push(Fault.status(503, path=TASKS), Fault.status(500, path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list())
    assert page.retries_taken == 2
    first, second = gaps([r.time for r in sent()])
    # 0.5 s then 1 s, each minus up to 25% jitter.
    assert 0.375 <= first <= 0.5 + SLACK
    assert 0.75 <= second <= 1.0 + SLACK


async def test_retry_after_seconds_is_honoured(api: Surface, srv: ServerHandle) -> None:
    srv.state.faults.push(Fault.status(429, headers={"Retry-After": "1"}, path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list())
    assert page.retries_taken == 1
    (gap,) = gaps([r.time for r in sent()])
    assert 1.0 <= gap <= 1.0 + SLACK  # longer than any first backoff (<= 0.5 s)


async def test_retry_after_http_date_is_honoured(aclient: AsyncClient, srv: ServerHandle) -> None:
    api = Surface(aclient)
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1-2 s away
    srv.state.faults.push(Fault.status(503, headers={"Retry-After": when}, path=TASKS))
    sent = Since(srv)
    page = await api(lambda c: c.tasks.list())
    assert page.retries_taken == 1
    (gap,) = gaps([r.time for r in sent()])
    assert 0.9 <= gap <= 2.0 + SLACK


async def test_retry_after_ms_is_honoured_and_wins(aclient: AsyncClient, srv: ServerHandle) -> None:
    api = Surface(aclient)
    srv.state.faults.push(Fault.status(503, headers={"retry-after-ms": "800"}, path=TASKS))
    sent = Since(srv)
    assert (await api(lambda c: c.tasks.list())).retries_taken == 1
    (gap,) = gaps([r.time for r in sent()])
    assert 0.8 <= gap <= 0.8 + SLACK

    # retry-after-ms is read first: with it at 0, a Retry-After beyond the cap is moot.
    srv.state.faults.push(
        Fault.status(503, headers={"retry-after-ms": "0", "Retry-After": "3600"}, path=TASKS)
    )
    assert (await api(lambda c: c.tasks.list())).retries_taken == 1


async def test_unparsable_retry_after_falls_back_to_backoff(
    aclient: AsyncClient, srv: ServerHandle
) -> None:
    api = Surface(aclient)
    srv.state.faults.push(Fault.status(503, headers={"Retry-After": "soon"}, path=TASKS))
    sent = Since(srv)
    assert (await api(lambda c: c.tasks.list())).retries_taken == 1
    (gap,) = gaps([r.time for r in sent()])
    assert 0.375 <= gap <= 0.5 + SLACK


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "61"},
        {"Retry-After": "3600"},
        {"retry-after-ms": "600000"},
        {"Retry-After": "@DATE+3600"},
    ],
    ids=["61s", "1h", "600000ms", "date-1h"],
)
@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_beyond_the_cap_raises_instead_of_sleeping(
    api: Surface, srv: ServerHandle, status: int, headers: dict[str, str]
) -> None:
    if headers.get("Retry-After", "").startswith("@DATE"):
        headers = {"Retry-After": email.utils.formatdate(time.time() + 3600, usegmt=True)}
    srv.state.faults.push(Fault.status(status, headers=headers, path=TASKS))
    sent = Since(srv)
    started = time.monotonic()
    with pytest.raises((RateLimitError, ServerError)) as info:
        await api(lambda c: c.tasks.list())
    assert time.monotonic() - started < 5  # it raised; it did not wait a minute or more
    assert info.value.status_code == status
    assert info.value.retries_taken == 0
    assert len(sent()) == 1
    if status == 429:
        assert isinstance(info.value, RateLimitError)
        assert info.value.retry_after is not None and info.value.retry_after > 60


async def test_rate_limit_error_after_exhaustion_carries_retry_after(
    api: Surface, srv: ServerHandle
) -> None:
    srv.state.faults.push(*[Fault.status(429, headers={"Retry-After": "0"}, path=TASKS)] * 3)
    with pytest.raises(RateLimitError) as info:
        await api(lambda c: c.tasks.list())
    assert info.value.retries_taken == 2
    assert info.value.retry_after == 0
