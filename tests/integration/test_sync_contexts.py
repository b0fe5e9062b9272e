"""The generated sync Client where users put it: scripts, threads, code already inside an
event loop, FastAPI sync routes; and its construction errors are AsyncClient's."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from avala import AsyncClient, Client
from avala.testing import ServerHandle


def test_plain_script(local_env: ServerHandle) -> None:
    script = textwrap.dedent(
        """
        from avala import Client
        client = Client()
        print(len(list(client.tasks.list(limit=7))))
        client.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert int(done.stdout) == len(local_env.state.store.tasks)


def test_sync_function_called_under_asyncio_run(local_env: ServerHandle) -> None:
    def report() -> list[str]:  # sync code, unaware it runs inside an event loop
        with Client() as client:
            return [p.name for p in client.projects.list()]

    async def main() -> tuple[list[str], list[str]]:
        asyncio.get_running_loop()  # a loop is running here, as in a notebook cell
        names = report()
        async with AsyncClient() as client:
            async_names = [p.name async for p in client.projects.list()]
        return names, async_names

    names, async_names = asyncio.run(main())
    assert names == async_names and names


async def test_inside_a_running_loop_like_a_notebook_cell(local_env: ServerHandle) -> None:
    # Jupyter runs cells inside a running loop; a sync call there must not need nest_asyncio.
    client = Client()
    try:
        page = client.datasets.list(limit=2).first_page()
        assert len(page.items) == 2
    finally:
        client.close()


def test_fastapi_sync_route_shares_one_client(local_env: ServerHandle) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    client = Client()

    @app.get("/project-names")
    def project_names() -> list[str]:  # a sync route: FastAPI runs it in a worker thread
        return [p.name for p in client.projects.list()]

    try:
        with TestClient(app) as http:
            answers = [http.get("/project-names").json() for _ in range(5)]
    finally:
        client.close()
    assert all(a == answers[0] for a in answers) and answers[0]


@pytest.mark.parametrize(
    ("kwargs", "env", "match"),
    [
        ({}, {}, "No Avala API key found"),
        ({"api_key": "  "}, {}, "empty"),
        ({"api_key": "avk_x", "base_url": "ftp://x"}, {}, "unsupported scheme"),
        ({"api_key": "avk_x", "base_url": "http://example.com"}, {}, "plain http"),
        ({"api_key": "avk_x", "timeout": -1}, {}, "timeout"),
        ({"api_key": "avk_x", "max_retries": -1}, {}, "max_retries"),
        ({}, {"AVALA_BASE_URL": "nope"}, "AVALA_BASE_URL"),
    ],
)
def test_construction_errors_are_identical(
    kwargs: dict[str, Any], env: dict[str, str], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=match) as async_error:
        AsyncClient(**kwargs)
    with pytest.raises(ValueError, match=match) as sync_error:
        Client(**kwargs)
    assert type(sync_error.value) is type(async_error.value)
    assert str(sync_error.value) == str(async_error.value)
