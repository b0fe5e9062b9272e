"""Fixtures for the reliability tests.

They run against a bundled server of their own (so faults, revoked keys and created exports
never leak into other test packages), with a second server as "another host". Most tests run
once per surface: the ``AsyncClient`` and the generated sync ``Client``, driven by one test body
through :class:`Surface`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from avala import AsyncClient, Client
from avala.testing import ServerHandle, serve

from ._support import Surface


@pytest.fixture(scope="package")
def api_server() -> Iterator[ServerHandle]:
    """The reliability tests' own bundled server."""
    with serve() as handle:
        yield handle


@pytest.fixture(scope="package")
def other_server() -> Iterator[ServerHandle]:
    """A second server: the "other host" a redirect may point to."""
    with serve() as handle:
        yield handle


@pytest.fixture
def srv(api_server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerHandle]:
    """The server with no pending faults, and plain http allowed for it (loopback)."""
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    api_server.state.faults.clear()
    yield api_server
    api_server.state.faults.clear()


@pytest.fixture
def other(other_server: ServerHandle) -> Iterator[ServerHandle]:
    other_server.state.faults.clear()
    yield other_server
    other_server.state.faults.clear()


@pytest.fixture(params=["async", "sync"])
async def make_api(
    request: pytest.FixtureRequest, srv: ServerHandle
) -> AsyncIterator[Callable[..., Surface]]:
    """Build clients of the parametrized surface (closed after the test)."""
    made: list[Surface] = []

    def make(**kwargs: Any) -> Surface:
        kwargs.setdefault("base_url", srv.base_url)
        if "credentials" not in kwargs:
            kwargs.setdefault("api_key", srv.api_key)
        client = AsyncClient(**kwargs) if request.param == "async" else Client(**kwargs)
        surface = Surface(client)
        made.append(surface)
        return surface

    yield make
    for surface in made:
        await surface.close()


@pytest.fixture
def api(make_api: Callable[..., Surface]) -> Surface:
    """A default client (2 retries, default timeouts) on the parametrized surface."""
    return make_api()


@pytest.fixture
async def aclient(srv: ServerHandle) -> AsyncIterator[AsyncClient]:
    """A default AsyncClient, for the tests that concern the async core only."""
    async with AsyncClient(api_key=srv.api_key, base_url=srv.base_url) as client:
        yield client
