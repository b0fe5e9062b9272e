"""Client-side pacing and pool waits, against bundled servers that enforce a rate limit.

Rates are measured from the server's request log, never by timing the client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator

import pytest

from avala import AsyncClient, Client, Pacing, PoolTimeoutError, RateLimitError, Timeout
from avala.testing import Fault, RateLimit, ServerHandle, serve_async


@pytest.fixture
async def limited() -> AsyncIterator[ServerHandle]:
    """A server allowing 200 requests a second, in bursts of at most 50."""
    async with serve_async(rate_limit=RateLimit(per_minute=None, per_second=200, burst=50)) as srv:
        yield srv


def client_for(server: ServerHandle, **options: object) -> AsyncClient:
    return AsyncClient(api_key=server.api_key, base_url=server.base_url, **options)  # type: ignore[arg-type]


def api_requests(server: ServerHandle) -> list[float]:
    return [r.time for r in server.state.requests if r.path.startswith("/api/v1/datasets/")]


async def test_a_burst_of_a_thousand_requests_stays_inside_the_limit(limited: ServerHandle) -> None:
    async with client_for(limited) as probe:
        uid = (await probe.datasets.list(limit=1)).items[0].uid
    async with client_for(limited, max_retries=2) as client:  # knows nothing of the budget yet
        gate = asyncio.Semaphore(64)

        async def one() -> str:
            async with gate:
                return (await client.datasets.get(uid)).uid

        results = await asyncio.gather(*(one() for _ in range(1000)))
        info = client.rate_limit_info
    assert results == [uid] * 1000  # every request succeeded
    # 429s only for the first 64 in flight, sent before the client learnt the budget
    assert 0 < limited.state.throttled <= 64
    assert info.limit == "50" and info.budget is not None


async def test_the_sync_client_from_sixteen_threads_paces_the_same(limited: ServerHandle) -> None:
    errors: list[BaseException] = []

    def work(client: Client, uid: str) -> None:
        try:
            for _ in range(25):
                assert client.datasets.get(uid).uid == uid
        except BaseException as exc:  # reported below
            errors.append(exc)

    def run() -> None:
        with Client(api_key=limited.api_key, base_url=limited.base_url, max_retries=2) as client:
            uid = client.datasets.list(limit=1).items[0].uid
            threads = [threading.Thread(target=work, args=(client, uid)) for _ in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

    await asyncio.to_thread(run)
    assert errors == []
    assert limited.state.throttled <= 16


async def test_a_fixed_rate_is_kept_within_ten_percent(local_env: ServerHandle) -> None:
    server = local_env
    server.state.clear_requests()
    async with client_for(server, pacing=Pacing(requests_per_second=40, burst=1)) as client:
        uid = (await client.datasets.list(limit=1)).items[0].uid
        server.state.clear_requests()
        await asyncio.gather(*(client.datasets.get(uid) for _ in range(41)))
    times = sorted(api_requests(server))
    assert len(times) == 41
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 36 <= rate <= 44


async def test_max_in_flight_caps_concurrency(
    local_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = local_env
    for _ in range(8):
        server.state.faults.push(Fault.delay(0.02, path="/datasets/", method="GET"))
    async with client_for(server, pacing=Pacing(max_in_flight=2)) as client:
        pacer = client._transport._pacer
        assert pacer is not None
        peaks: list[int] = []
        take = pacer._take

        def counted() -> int:
            seq = take()
            peaks.append(pacer._in_flight)
            return seq

        monkeypatch.setattr(pacer, "_take", counted)
        pages = await asyncio.gather(*(client.datasets.list(limit=1) for _ in range(8)))
    server.state.faults.clear()
    assert len(pages) == 8 and len(peaks) == 8 and max(peaks) == 2


async def test_a_429_pauses_every_request_of_the_client_and_derived_clients(
    local_env: ServerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    server = local_env
    caplog.set_level(logging.DEBUG, logger="avala")
    async with client_for(server) as client:
        uid = (await client.datasets.list(limit=1)).items[0].uid
        server.state.clear_requests()
        server.state.faults.push(
            Fault.status(429, headers={"Retry-After": "0.4"}, path=f"/datasets/{uid}/")
        )
        derived = client.with_options(max_retries=5)
        first = asyncio.ensure_future(client.datasets.get(uid))
        while client.rate_limit_info.resumes_in is None:  # until the 429 is back
            await asyncio.sleep(0.001)
        others = await asyncio.gather(*(derived.datasets.get(uid) for _ in range(5)))
        assert (await first).uid == uid and all(o.uid == uid for o in others)
    times = sorted(api_requests(server))
    # Server side: nothing arrived during the pause that followed the 429.
    assert len(times) == 7 and times[1] - times[0] >= 0.35
    assert "pacing: HTTP 429, pausing every request" in caplog.text


async def test_pacing_can_be_turned_off(limited: ServerHandle) -> None:
    async with client_for(limited, pacing=None, max_retries=0) as client:
        uid = (await client.datasets.list(limit=1)).items[0].uid
        results = await asyncio.gather(
            *(client.datasets.get(uid) for _ in range(120)), return_exceptions=True
        )
    assert any(isinstance(r, RateLimitError) for r in results)  # what pacing prevents


# --------------------------------------------------------------------------- the pool


async def test_waiting_for_a_pooled_connection_is_not_a_connect_failure(
    local_env: ServerHandle,
) -> None:
    server = local_env
    options = {"connection_limit": 4, "timeout": Timeout(total=10, connect=0.05)}
    async with client_for(server, **options) as client:
        # Open the four connections first, with room to connect on a loaded machine (a
        # 50 ms connect once failed on CI): what the tight connect timeout meets below is
        # the queueing only, 100-400 ms of it for most requests.
        for _ in range(4):
            server.state.faults.push(Fault.delay(0.1, path="/datasets/", method="GET"))
        roomy = client.with_options(timeout=Timeout(total=10))
        await asyncio.gather(*(roomy.datasets.list(limit=1) for _ in range(4)))
        for _ in range(20):
            server.state.faults.push(Fault.delay(0.1, path="/datasets/", method="GET"))
        pages = await asyncio.gather(*(client.datasets.list(limit=1) for _ in range(20)))
    server.state.faults.clear()
    assert all(page.items for page in pages)
    assert all(page.retries_taken == 0 for page in pages)  # queueing was no retry


async def test_a_pool_wait_that_runs_out_says_so(local_env: ServerHandle) -> None:
    server = local_env
    for _ in range(2):
        server.state.faults.push(Fault.delay(1.0, path="/datasets/", method="GET"))
    async with client_for(server, connection_limit=2, timeout=Timeout(pool=0.2)) as client:
        busy = [asyncio.ensure_future(client.datasets.list(limit=1)) for _ in range(2)]
        while len(server.state.faults.pending):  # both hold a connection now
            await asyncio.sleep(0.001)
        with pytest.raises(PoolTimeoutError) as caught:
            await client.datasets.list(limit=1)
        assert "connection_limit" in caught.value.message and caught.value.retries_taken == 0
        await asyncio.gather(*busy)
    server.state.faults.clear()
