"""The documentation examples create webhooks, teams, bulk edits and accounts: they run
against a bundled server of their own, so the other test packages never see those objects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from avala.testing import ServerHandle, serve


@pytest.fixture(scope="package")
def docs_server() -> Iterator[ServerHandle]:
    with serve() as handle:
        yield handle


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch, docs_server: ServerHandle) -> ServerHandle:
    """The environment the examples read, pointing at the docs' own server."""
    monkeypatch.setenv("AVALA_BASE_URL", docs_server.base_url)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    monkeypatch.setenv("AVALA_API_KEY", docs_server.api_key)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_STORAGE_URLS", "true")
    docs_server.state.faults.clear()
    return docs_server
