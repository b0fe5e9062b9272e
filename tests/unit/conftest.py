"""Fixtures for the unit tests: a mocked HTTP layer and a recorder in place of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from aioresponses import aioresponses

import avala._transport
from avala import AsyncClient

from ._helpers import KEY


@pytest.fixture
def http() -> Iterator[aioresponses]:
    """Every aiohttp request in the test is answered by aioresponses (or refused)."""
    with aioresponses() as mock:
        yield mock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace ``asyncio.sleep`` as the transport calls it: record the delay, don't wait.

    Assert on the list while the client is still open (closing it sleeps 0 once).
    """
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, result: object = None) -> object:
        recorded.append(delay)
        await real_sleep(0)
        return result

    monkeypatch.setattr(avala._transport.asyncio, "sleep", fake_sleep)
    return recorded


@pytest.fixture
async def client(http: aioresponses) -> AsyncIterator[AsyncClient]:
    """A client with the default retry policy (sleeps must be patched where it retries)."""
    async with AsyncClient(api_key=KEY) as c:
        yield c


@pytest.fixture
async def no_retry(http: aioresponses) -> AsyncIterator[AsyncClient]:
    """A client that makes exactly one attempt per call."""
    async with AsyncClient(api_key=KEY, max_retries=0) as c:
        yield c
