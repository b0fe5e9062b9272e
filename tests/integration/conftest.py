"""Both surfaces against the bundled server: the ``api`` fixture runs a test body once with
``AsyncClient`` and once with the generated ``Client``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from avala import AsyncClient, Client
from avala.testing import ServerHandle

from ._surface import Surface


@pytest.fixture(params=["async", "sync"])
async def api(request: pytest.FixtureRequest, local_env: ServerHandle) -> AsyncIterator[Surface]:
    if request.param == "async":
        async with AsyncClient() as client:
            yield Surface(client)
    else:
        with Client() as sync_client:
            yield Surface(sync_client)
