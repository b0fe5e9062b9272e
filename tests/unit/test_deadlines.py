"""The attempts' time limits: shared slot timers, never early, and cancellation that stays
the caller's (the request-level behaviour is in tests/reliability/test_retry_policy.py)."""

from __future__ import annotations

import asyncio
import sys

import pytest
from aioresponses import aioresponses

from avala import APITimeoutError, AsyncClient
from avala._deadlines import Deadlines

from ._helpers import KEY, dataset, url


async def _held(deadlines: Deadlines, seconds: float, started: asyncio.Event | None = None) -> str:
    """An attempt that never finishes by itself: how its wait ended."""
    deadline = deadlines.enter(seconds)
    try:
        if started is not None:
            started.set()
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        if deadline.timed_out():
            return "timed out"
        raise
    finally:
        deadline.leave()
    return "finished"


async def test_an_attempt_past_its_limit_is_cancelled_as_a_timeout_never_early() -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines()
    started = loop.time()
    assert await _held(deadlines, 0.05) == "timed out"
    assert loop.time() >= started + 0.05
    assert deadlines._slots == {}  # the slot went with its timer


@pytest.mark.parametrize("seconds", [0.2, 4.9, 5.0, 60.0])
async def test_deadlines_round_up_by_at_most_one_step(seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadlines = Deadlines()
    before = loop.time()
    deadline = deadlines.enter(seconds)
    after = loop.time()
    (when,) = deadlines._slots
    step = 1.0 if seconds >= 5 else seconds / 20
    assert before + seconds <= when <= after + seconds + step
    deadline.leave()


async def test_attempts_ending_in_the_same_slot_share_one_timer() -> None:
    deadlines = Deadlines()
    entered = [deadlines.enter(60.0) for _ in range(100)]
    assert len(deadlines._slots) <= 2  # one, or two if a second boundary passed between
    for deadline in entered:
        deadline.leave()
    assert all(not slot.members for slot in deadlines._slots.values())


async def test_an_attempt_that_left_is_not_cancelled_when_its_slot_fires() -> None:
    deadlines = Deadlines()
    deadline = deadlines.enter(0.02)
    deadline.leave()
    # This task would be cancelled in the sleep if the slot's timer still held it.
    await asyncio.sleep(0.05)
    assert deadlines._slots == {}  # the slot has fired


async def test_a_cancellation_from_the_caller_stays_a_cancellation() -> None:
    deadlines = Deadlines()
    started = asyncio.Event()
    task = asyncio.ensure_future(_held(deadlines, 60.0, started))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 cannot count cancellations")
async def test_a_caller_cancelling_as_the_limit_fires_still_gets_its_cancellation() -> None:
    deadlines = Deadlines()
    started = asyncio.Event()
    task = asyncio.ensure_future(_held(deadlines, 0.02, started))
    await started.wait()
    (when,) = deadlines._slots
    deadlines._expire(when)  # the limit fires...
    task.cancel()  # ...and the caller cancels before the task runs again
    with pytest.raises(asyncio.CancelledError):
        await task
    if sys.version_info >= (3, 11):  # (for mypy: the test is skipped on 3.10)
        assert task.cancelling() == 1  # ours was taken back; the caller's stands


async def test_a_request_slower_than_its_timeout_raises_api_timeout_error() -> None:
    async def slow(*_: object, **__: object) -> None:
        await asyncio.sleep(5)

    with aioresponses() as http:
        http.get(url("/datasets/ds-1/"), callback=slow, payload=dataset())
        async with AsyncClient(api_key=KEY, timeout=0.1, max_retries=0) as client:
            with pytest.raises(APITimeoutError, match="Timed out waiting for the response"):
                await client.datasets.get("ds-1")
            assert client._transport._session is not None
            assert client._transport._session.timeout.total is None  # no per-request timer
