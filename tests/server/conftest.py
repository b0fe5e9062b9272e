"""Fixtures for the bundled test server's own tests: a fresh server per test, raw aiohttp."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from avala.testing import ServerHandle, serve_async


@pytest.fixture
async def srv() -> AsyncIterator[ServerHandle]:
    """A fresh seeded server on the test's own event loop."""
    async with serve_async() as handle:
        yield handle


@pytest.fixture
async def http(srv: ServerHandle) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp session that sends the demo API key."""
    async with aiohttp.ClientSession(headers={"X-Avala-Api-Key": srv.api_key}) as session:
        yield session


@pytest.fixture
async def anon() -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp session without any API key."""
    async with aiohttp.ClientSession() as session:
        yield session
