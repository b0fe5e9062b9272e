"""pytest fixtures for testing code that uses avala, against the bundled server.

Enable in a ``conftest.py``::

    pytest_plugins = ["avala.testing.pytest_plugin"]

Fixtures:

* ``avala_server`` (session): a running :func:`avala.testing.serve` server.
* ``avala_env``: ``AVALA_BASE_URL``, ``AVALA_API_KEY``, ``AVALA_ALLOW_INSECURE_BASE_URL`` and
  ``AVALA_ALLOW_INSECURE_STORAGE_URLS`` set for that server, so code that builds its own
  ``Client()`` / ``AsyncClient()`` from the environment talks to it; faults are cleared
  before each test.
* ``avala_client``: a sync ``Client`` for the server, closed after the test.
* ``avala_async_client``: an ``AsyncClient`` for the server (async tests), closed after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from .. import AsyncClient, Client
from ._runner import ServerHandle, serve

__all__ = ["avala_async_client", "avala_client", "avala_env", "avala_server"]


@pytest.fixture(scope="session")
def avala_server() -> Iterator[ServerHandle]:
    """The bundled Avala server on loopback, shared by the whole test session."""
    with serve() as server:
        yield server


@pytest.fixture
def avala_env(avala_server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> ServerHandle:
    """Point clients built from the environment at the bundled server."""
    monkeypatch.setenv("AVALA_BASE_URL", avala_server.base_url)
    monkeypatch.setenv("AVALA_API_KEY", avala_server.api_key)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_STORAGE_URLS", "true")
    avala_server.state.faults.clear()
    return avala_server


@pytest.fixture
def avala_client(avala_env: ServerHandle) -> Iterator[Client]:
    """A sync client for the bundled server."""
    with Client() as client:
        yield client


@pytest.fixture
async def avala_async_client(avala_env: ServerHandle) -> AsyncIterator[AsyncClient]:
    """An async client for the bundled server (needs pytest-asyncio or anyio's plugin)."""
    async with AsyncClient() as client:
        yield client
