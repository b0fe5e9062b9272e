"""Runners of the bundled test server: serve() on a thread, serve_async(), and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import threading
import types
import urllib.request
from pathlib import Path

import aiohttp
import pytest

import avala.testing
from avala.testing import DEMO_API_KEY, EXPIRED_API_KEY, ServerState, serve, serve_async

REPO_ROOT = Path(avala.testing.__file__).resolve().parents[2]


def test_serve_from_sync_code() -> None:
    before = threading.active_count()
    with serve() as handle:
        assert handle.host == "127.0.0.1" and handle.port > 0
        assert handle.base_url == f"http://127.0.0.1:{handle.port}/api/v1"
        assert handle.api_key == DEMO_API_KEY
        assert handle.expired_api_key == EXPIRED_API_KEY
        request = urllib.request.Request(
            handle.url("/users/me/projects/"), headers={"X-Avala-Api-Key": handle.api_key}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert len(json.load(response)["results"]) == 3
    assert threading.active_count() == before
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", handle.port), 1):
        pass


async def test_serve_from_async_code() -> None:
    with serve(bench_items=10) as handle:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                handle.url("/datasets/bench/bench/items/"),
                headers={"X-Avala-Api-Key": handle.api_key},
            ) as response,
        ):
            assert len((await response.json())["results"]) == 10


async def test_serve_async_handle() -> None:
    state = ServerState(seed=False)
    async with serve_async(state=state) as handle:
        assert handle.state is state
        assert handle.origin == f"http://127.0.0.1:{handle.port}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                handle.url("/datasets/"), headers={"X-Avala-Api-Key": handle.api_key}
            ) as response,
        ):
            assert (await response.json())["results"] == []


async def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        async with serve_async(host="::1") as handle:
            assert handle.base_url == f"http://[::1]:{handle.port}/api/v1"
    except OSError:
        pytest.skip("IPv6 loopback unavailable")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"), serve(host=host):
        pass


def test_state_and_bench_items_are_exclusive() -> None:
    with pytest.raises(ValueError), serve(state=ServerState(), bench_items=5):
        pass


def test_port_in_use_raises_from_serve() -> None:
    with serve() as first, pytest.raises(OSError), serve(port=first.port):
        pass


# --------------------------------------------------------------------------- CLI


async def _start_cli(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "avala.testing",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines = []
    try:
        for _ in range(2):
            raw = await asyncio.wait_for(proc.stdout.readline(), 30)
            lines.append(raw.decode().rstrip("\n"))
    except BaseException:
        proc.kill()
        await proc.communicate()
        raise
    return proc, lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_cli(sig: signal.Signals) -> None:
    proc, lines = await _start_cli("--port", "0", "--bench-items", "50")
    try:
        match = re.fullmatch(
            r"Avala test server listening on (http://127\.0\.0\.1:\d+/api/v1)", lines[0]
        )
        assert match, lines
        assert lines[1] == f"Demo API key: {DEMO_API_KEY}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                match.group(1) + "/datasets/bench/bench/", headers={"X-Avala-Api-Key": DEMO_API_KEY}
            ) as response,
        ):
            assert response.status == 200
            assert (await response.json())["item_count"] == 50
    finally:
        if proc.returncode is None:
            proc.send_signal(sig)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert stdout == b""
    assert b"Traceback" not in stderr and stderr == b""


async def test_cli_refuses_remote_host() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "avala.testing",
        "--host",
        "0.0.0.0",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert b"loopback" in stderr


async def test_cli_enforces_a_rate_limit() -> None:
    proc, lines = await _start_cli("--port", "0", "--rate-limit", "3", "--burst-rate", "1000")
    try:
        base = lines[0].rsplit(" ", 1)[-1]
        statuses, remaining = [], []
        async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": DEMO_API_KEY}) as session:
            for _ in range(4):
                async with session.get(base + "/datasets/") as response:
                    statuses.append(response.status)
                    remaining.append(response.headers["X-RateLimit-Remaining"])
                    retry_after = response.headers.get("Retry-After")
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    if statuses == [200, 200, 200, 200]:
        pytest.skip("the minute window turned over mid-test")
    assert statuses == [200, 200, 200, 429] and remaining == ["2", "1", "0", "0"]
    assert retry_after is not None and 1 <= int(retry_after) <= 60


async def test_serve_enforces_a_burst_limit() -> None:
    from avala.testing import RateLimit

    limit = RateLimit(per_minute=None, per_second=1, burst=2)
    answers = []
    async with (
        serve_async(rate_limit=limit) as srv,
        aiohttp.ClientSession(headers={"X-Avala-Api-Key": srv.api_key}) as session,
    ):
        for _ in range(3):
            async with session.get(srv.url("/datasets/")) as response:
                answers.append((response.status, dict(response.headers), await response.json()))
    assert [status for status, _, _ in answers] == [200, 200, 429]
    _, headers, body = answers[-1]
    assert headers["X-RateLimit-Limit"] == "2" and headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["Retry-After"]) == 1 and 0 < int(headers["retry-after-ms"]) <= 1000
    assert body["detail"].startswith("Request was throttled.")
    assert srv.state.throttled == 1


@pytest.mark.parametrize("fraction", [0.0, 0.0001, 0.0004, 0.0005, 0.0009])
def test_a_burst_limit_reset_never_comes_before_the_token(
    monkeypatch: pytest.MonkeyPatch, fraction: float
) -> None:
    # A client that waits until X-RateLimit-Reset and sends must be let through: a reset
    # rounded down to the millisecond sent paced clients up to 0.5 ms early, into a 429.
    from avala.testing import RateLimit, _ratelimit

    clock = [1_800_000_000.0 + fraction]
    fake = types.SimpleNamespace(time=lambda: clock[0], monotonic=lambda: clock[0])
    monkeypatch.setattr(_ratelimit, "time", fake)  # this module's clock only
    limiter = _ratelimit.RateLimiter(RateLimit(per_minute=None, per_second=200, burst=1))
    allowed, headers, _ = limiter.check()
    assert allowed and headers["X-RateLimit-Remaining"] == "0"
    clock[0] = float(headers["X-RateLimit-Reset"])  # the client arrives exactly then
    allowed, _, wait = limiter.check()
    assert allowed, f"refused at the announced reset, {wait * 1000:.3f} ms early"
