"""Fixtures of the ``avala.torch`` tests: a client of the session's bundled server, and its
media knobs put back after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from avala import Client
from avala.testing import ServerHandle
from avala.testing._media import Media


@pytest.fixture
def client(local_env: ServerHandle) -> Iterator[Client]:
    with Client() as sync_client:
        yield sync_client


@pytest.fixture
def media(local_env: ServerHandle) -> Iterator[Media]:
    """The server's item media settings, reset (and faults cleared) after the test."""
    knobs = local_env.state.storage.media
    yield knobs
    knobs.reset()
    local_env.state.faults.clear()
