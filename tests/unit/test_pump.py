"""``avala._portal.pump``: batches from the loop thread to a sync consumer through a queue,
bounded ahead of the consumer, with the generator always closed on its loop."""

from __future__ import annotations

import _thread
import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import pytest

from avala._portal import Portal, pump
from avala.errors import ClientClosedError


class _Nothing:
    async def close(self) -> None:
        pass


class _Source:
    """Batches of one int each, recording what ran where."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.produced = 0
        self.closed_on: int | None = None  # the thread the generator's finally ran on

    async def batches(self) -> AsyncGenerator[list[int], None]:
        try:
            for index in range(self.count):
                if index == self.fail_at:
                    raise LookupError(f"no item {index}")
                self.produced += 1
                yield [index]
                await asyncio.sleep(0)
        finally:
            self.closed_on = threading.get_ident()


@pytest.fixture
def portal() -> Iterator[Portal]:
    made = Portal(_Nothing())
    yield made
    made.close()


def _loop_thread(portal: Portal) -> int:
    async def ident() -> int:
        return threading.get_ident()

    return portal.call(ident)


def _until(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_every_batch_in_order_and_the_generator_closed_on_its_loop(portal: Portal) -> None:
    source = _Source(50)
    assert [batch for batch in pump(source.batches, portal, 4)] == [[i] for i in range(50)]
    assert source.closed_on == _loop_thread(portal)


def test_nothing_starts_before_the_first_next(portal: Portal) -> None:
    source = _Source(5)
    walk = pump(source.batches, portal, 4)
    assert source.produced == 0
    assert next(walk) == [0]
    walk.close()


def test_it_reads_ahead_but_never_more_than_ahead(portal: Portal) -> None:
    source = _Source(40)
    for taken, _ in enumerate(pump(source.batches, portal, 6), start=1):
        assert source.produced - taken <= 6  # handed over and not yet taken: at most 6
        if taken == 1:  # it does run ahead of a consumer that is not asking
            assert _until(lambda: source.produced >= 6)


def test_an_error_on_the_loop_is_raised_after_the_generator_closed(portal: Portal) -> None:
    source = _Source(10, fail_at=3)
    walk = pump(source.batches, portal, 4)
    with pytest.raises(LookupError, match="no item 3"):
        for _ in walk:
            pass
    assert source.closed_on == _loop_thread(portal)


def test_stopping_early_cancels_and_closes_before_returning(portal: Portal) -> None:
    source = _Source(1000)
    walk = pump(source.batches, portal, 8)
    assert next(walk) == [0]
    walk.close()
    assert source.closed_on == _loop_thread(portal)  # closed before close() returned
    assert source.produced < 20
    # the portal is still usable
    assert list(pump(_Source(3).batches, portal, 2)) == [[0], [1], [2]]


def test_closing_the_client_under_it_is_a_clear_error(portal: Portal) -> None:
    walk = pump(_Source(10**6).batches, portal, 4)
    assert next(walk) == [0]
    portal.close()
    with pytest.raises(ClientClosedError, match="closed while this iteration ran"):
        for _ in walk:
            pass


def test_ctrl_c_in_the_consumer_stops_the_task(portal: Portal) -> None:
    closed: list[int] = []

    async def stalls() -> AsyncGenerator[list[int], None]:
        try:
            yield [0]
            await asyncio.Event().wait()  # never set: the consumer waits for the next batch
            yield [1]
        finally:
            closed.append(threading.get_ident())

    walk = pump(stalls, portal, 4)
    assert next(walk) == [0]
    timer = threading.Timer(0.05, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(walk)
    finally:
        timer.join()
    assert closed == [_loop_thread(portal)]


def test_closed_on_the_loop_thread_it_does_not_wait_for_itself(portal: Portal) -> None:
    source = _Source(1000)
    walk = pump(source.batches, portal, 4)
    assert next(walk) == [0]

    async def close_here() -> None:  # as when the loop thread collects an abandoned walk
        walk.close()

    started = time.monotonic()
    portal.call(close_here)
    assert time.monotonic() - started < 5  # not the 10 s it would wait for a word
    assert _until(lambda: source.closed_on == _loop_thread(portal))
