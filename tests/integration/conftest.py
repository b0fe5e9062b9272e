"""Both surfaces against the bundled server: the ``api`` fixture runs a test body once with
``AsyncClient`` and once with the generated ``Client``."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

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


@pytest.fixture
def settings(server: ServerHandle) -> Iterator[dict[str, Any]]:
    """The shared server's settings (quota, upload geometry, ...), restored after the test;
    the server's internal registries (keys starting with ``_``) are left alone."""
    live = server.state.store.settings
    saved = {k: copy.deepcopy(v) for k, v in live.items() if not k.startswith("_")}
    yield live
    for key in [k for k in live if not k.startswith("_") and k not in saved]:
        del live[key]
    live.update(saved)
