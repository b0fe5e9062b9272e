"""Shared fixtures: the bundled server, environment isolation, and an aioresponses shim."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import aioresponses.core
import pytest

from avala.testing import ServerHandle, serve


def _install_aioresponses_shim() -> None:
    """aioresponses 0.7.9 builds ``ClientResponse`` without ``stream_writer``, which aiohttp
    3.14 requires. Supply a stand-in only when the signature asks for it; drop this once
    aioresponses ships the fix."""
    params = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    if "stream_writer" not in params or params["stream_writer"].default is not inspect._empty:
        return

    class CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", mock.Mock(spec=aiohttp.abc.AbstractStreamWriter))
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = CompatClientResponse  # type: ignore[misc]


_install_aioresponses_shim()

_AVALA_ENV = (
    "AVALA_API_KEY",
    "AVALA_BASE_URL",
    "AVALA_ALLOW_INSECURE_BASE_URL",
    "AVALA_API_KEY_FILE",
    "AVALA_ALLOW_INSECURE_STORAGE_URLS",
    "AVALA_PROFILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts with no AVALA_* variables and an empty working directory, so a
    developer's own key or .env can never leak into (or satisfy) a test. Upload state goes
    to the test's own directory, never the real home."""
    for name in _AVALA_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AVALA_STATE_DIR", str(tmp_path / "avala-state"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    # Saved profiles (``avala configure``) too: never the developer's own.
    monkeypatch.setenv("AVALA_CONFIG_DIR", str(tmp_path / "avala-config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # The object cache of ``avala.load`` too.
    monkeypatch.setenv("AVALA_CACHE_DIR", str(tmp_path / "avala-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def _global_tracer_provider() -> Iterator[None]:
    """A test (or a docs example) that sets OpenTelemetry's global tracer provider, as an
    application does once at startup, leaves the next test with none: the API allows one
    per process, so its private "set once" guard is restored here."""
    yield
    otel = sys.modules.get("opentelemetry.trace")
    if otel is not None and getattr(otel, "_TRACER_PROVIDER", None) is not None:
        otel._TRACER_PROVIDER = None  # type: ignore[attr-defined]
        otel._TRACER_PROVIDER_SET_ONCE._done = False  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def server() -> Iterator[ServerHandle]:
    """One bundled Avala server on loopback for the whole session."""
    with serve() as handle:
        yield handle


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch, server: ServerHandle) -> ServerHandle:
    """Environment pointing at the bundled server, as the seed's "Local development" shows."""
    monkeypatch.setenv("AVALA_BASE_URL", server.base_url)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    monkeypatch.setenv("AVALA_API_KEY", server.api_key)
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_STORAGE_URLS", "true")
    server.state.faults.clear()
    return server
