"""The migration scripts create webhooks, devices, datasets and exports: each one runs
against a fresh bundled server of its own (starting one takes milliseconds), so neither the
other scripts nor the other test packages see those objects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from avala.testing import ServerHandle, serve


@pytest.fixture
def migration_server() -> Iterator[ServerHandle]:
    with serve() as handle:
        yield handle
