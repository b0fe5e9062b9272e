"""Fault injection and the request log of the bundled test server."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from avala.testing import Fault, RecordedRequest, ServerHandle, ServerState, serve, serve_async


async def status_of(session: aiohttp.ClientSession, url: str, method: str = "GET") -> int:
    async with session.request(method, url, allow_redirects=False) as response:
        await response.read()
        return response.status


# --------------------------------------------------------------------------- Fault.status


async def test_status_fault_replaces_the_handler_once(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    srv.state.faults.push(
        Fault.status(429, headers={"Retry-After": "7"}, json={"detail": "slow down", "code": "x"})
    )
    async with http.get(srv.url("/datasets/")) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
        assert await response.json() == {"detail": "slow down", "code": "x"}
        assert response.headers["X-Request-Id"].startswith("req_")
        assert "X-RateLimit-Remaining" in response.headers
    assert await status_of(http, srv.url("/datasets/")) == 200
    assert srv.state.faults.pending == []


@pytest.mark.parametrize(
    ("fault", "status", "content_type", "body"),
    [
        (Fault.status(503), 503, "application/json", b'{"detail": '),
        (Fault.status(500, body="boom"), 500, "text/plain", b"boom"),
        (Fault.status(502, body=b"<h1>bad</h1>", headers={"Content-Type": "text/html"}), 502,
         "text/html", b"<h1>bad</h1>"),
        (Fault.status(204), 204, "application/octet-stream", b""),
        (Fault.non_json(), 200, "text/html", b"<html>oops</html>"),
        (Fault.non_json(502, body="<p>gateway</p>"), 502, "text/html", b"<p>gateway</p>"),
    ],
)  # fmt: skip
async def test_canned_responses(
    srv: ServerHandle,
    http: aiohttp.ClientSession,
    fault: Fault,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    srv.state.faults.push(fault)
    async with http.get(srv.url("/tasks/")) as response:
        assert response.status == status
        assert response.content_type == content_type
        assert (await response.read()).startswith(body)


async def test_redirect_fault(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    srv.state.faults.push(Fault.redirect("http://127.0.0.2:9/steal", status=307))
    async with http.get(srv.url("/tasks/"), allow_redirects=False) as response:
        assert response.status == 307
        assert response.headers["Location"] == "http://127.0.0.2:9/steal"


async def test_faults_apply_before_auth(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    srv.state.faults.push(Fault.status(503))
    assert await status_of(anon, srv.url("/datasets/")) == 503
    assert await status_of(anon, srv.url("/datasets/")) == 401


async def test_matching_by_path_method_and_order(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    faults = srv.state.faults
    faults.push(
        Fault.status(501, path="/exports/", exact=True),
        Fault.status(502, path="/api/v1/datasets/", method="post"),
        Fault.status(503, path="datasets/"),
        Fault.status(504),
    )
    # GET /tasks/ skips the first three and takes the catch-all.
    assert await status_of(http, srv.url("/tasks/")) == 504
    # A dataset GET takes the prefix fault, not the POST-only one.
    assert await status_of(http, srv.url("/datasets/demo/robot-logs/items/")) == 503
    # An export detail does not match the exact /exports/ path.
    assert await status_of(http, srv.url("/exports/x/")) == 404
    assert await status_of(http, srv.url("/exports/")) == 501
    assert [f.status_code for f in faults.pending] == [502]
    async with http.post(srv.url("/datasets/"), json={}) as response:
        assert response.status == 502
    assert faults.pending == []


async def test_clear_drops_faults(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    srv.state.faults.push(Fault.status(500), Fault.status(500))
    srv.state.faults.set_random(status_503=1.0, seed=1)
    srv.state.faults.clear()
    assert await status_of(http, srv.url("/tasks/")) == 200


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault.status(99)
    with pytest.raises(ValueError):
        Fault.redirect("/x", status=200)
    with pytest.raises(ValueError):
        Fault.delay(-1)
    with pytest.raises(ValueError):
        ServerState().faults.set_random(status_503=0.7, reset=0.7)


# --------------------------------------------------------------------------- connection faults


async def test_reset_drops_the_connection(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    seeded = len(srv.state.store.exports)
    srv.state.faults.push(Fault.reset(method="POST"))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.post(srv.url("/exports/"), json={}):
            pass
    assert len(srv.state.store.exports) == seeded  # nothing was created
    assert await status_of(http, srv.url("/exports/")) == 200


async def test_aiohttp_retries_an_idempotent_request_once_after_a_reset(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    # aiohttp's client silently re-sends a GET once when the connection drops, so one reset
    # is invisible to the caller; the request log shows both attempts.
    srv.state.faults.push(Fault.reset())
    assert await status_of(http, srv.url("/tasks/")) == 200
    assert [r.path for r in srv.state.requests] == ["/api/v1/tasks/"] * 2

    srv.state.faults.push(Fault.reset(), Fault.reset())
    with pytest.raises(aiohttp.ClientOSError):
        await status_of(http, srv.url("/tasks/"))


async def test_delay_pushes_past_a_client_timeout(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    srv.state.faults.push(Fault.delay(5.0))
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(srv.url("/tasks/"), timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    # The next request is served normally while the delayed one still sleeps.
    assert await status_of(http, srv.url("/tasks/")) == 200


async def test_short_delay_then_normal_response(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    srv.state.faults.push(Fault.delay(0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await status_of(http, srv.url("/tasks/")) == 200
    assert loop.time() - started >= 0.2


async def test_server_stops_promptly_with_a_delayed_request_pending() -> None:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        async with serve_async() as handle:
            handle.state.faults.push(Fault.delay(60))
            pending = asyncio.ensure_future(status_of(session, handle.url("/tasks/")))
            while not handle.state.requests:
                await asyncio.sleep(0.01)
            started = loop.time()
        assert loop.time() - started < 5
        with pytest.raises(aiohttp.ClientConnectionError):
            await pending


async def test_truncated_body(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    srv.state.faults.push(Fault.truncated())
    async with http.get(srv.url("/datasets/")) as response:
        assert response.status == 200
        declared = int(response.headers["Content-Length"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert declared > 100
    assert await status_of(http, srv.url("/datasets/")) == 200


# --------------------------------------------------------------------------- random faults


async def _outcomes(seed: int, n: int) -> list[str]:
    async with (
        serve_async() as handle,
        aiohttp.ClientSession(
            headers={"X-Avala-Api-Key": handle.api_key},
            connector=aiohttp.TCPConnector(force_close=True),
        ) as session,
    ):
        handle.state.faults.set_random(status_503=0.3, reset=0.2, seed=seed)
        results = []
        for _ in range(n):
            try:
                async with session.post(handle.url("/exports/"), json={}) as response:
                    if response.status == 503:
                        assert response.headers["Retry-After"] == "0"
                    results.append(str(response.status))
            except aiohttp.ClientConnectionError:
                results.append("reset")
        return results


async def test_random_faults_are_deterministic_with_a_seed() -> None:
    first = await _outcomes(seed=42, n=40)
    assert first == await _outcomes(seed=42, n=40)
    assert {"201", "503", "reset"} == set(first)
    assert first != await _outcomes(seed=7, n=40)


# --------------------------------------------------------------------------- request log


async def test_request_log(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    headers = {"Idempotency-Key": "idem-123"}
    srv.state.faults.push(Fault.status(503, method="POST"), Fault.status(503, method="POST"))
    for _ in range(3):
        async with http.post(
            srv.url("/exports/"), json={"project": None}, headers=headers
        ) as response:
            await response.read()
    assert response.status == 201
    async with http.get(srv.url("/tasks/"), params={"status": "pending", "limit": "2"}):
        pass

    log = srv.state.requests
    assert [(r.method, r.path) for r in log] == [("POST", "/api/v1/exports/")] * 3 + [
        ("GET", "/api/v1/tasks/")
    ]
    assert {r.header("idempotency-key") for r in log[:3]} == {"idem-123"}
    assert log[0].header("X-AVALA-API-KEY") == srv.api_key
    assert log[0].json() == {"project": None}
    assert log[3].query == {"status": "pending", "limit": "2"}
    assert log[3].body == b""
    assert log[0].time <= log[3].time
    assert isinstance(log[0], RecordedRequest)

    async with http.get(srv.url("/tasks/a%2Fb/")):
        pass
    assert srv.state.requests[-1].path == "/api/v1/tasks/a%2Fb/"

    srv.state.clear_requests()
    assert srv.state.requests == []


async def test_a_second_server_receives_nothing(http: aiohttp.ClientSession) -> None:
    async with serve_async() as one, serve_async() as two:
        assert one.port != two.port
        assert await status_of(http, one.url("/tasks/")) == 200
        assert len(one.state.requests) == 1
        assert two.state.requests == []


async def test_request_log_is_bounded(http: aiohttp.ClientSession) -> None:
    state = ServerState(max_recorded=5)
    async with serve_async(state=state) as handle:
        for _ in range(8):
            await status_of(http, handle.url("/tasks/"))
    assert len(state.requests) == 5


async def test_request_log_can_be_switched_off(http: aiohttp.ClientSession) -> None:
    state = ServerState(record_requests=False)
    async with serve_async(state=state) as handle:
        assert await status_of(http, handle.url("/tasks/")) == 200
    assert state.requests == []


# --------------------------------------------------------------------------- threads


async def test_faults_pushed_from_another_thread_than_the_server() -> None:
    with serve() as handle:
        async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": handle.api_key}) as session:
            for code in (500, 502, 503):
                handle.state.faults.push(Fault.status(code, path="/tasks/"))
            results: list[Any] = [await status_of(session, handle.url("/tasks/")) for _ in "abcd"]
    assert results == [500, 502, 503, 200]
    assert len(handle.state.requests) == 4
