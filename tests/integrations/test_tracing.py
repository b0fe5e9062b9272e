"""OpenTelemetry spans of API calls, on both surfaces, recorded by the SDK's in-memory
exporter; and nothing at all when OpenTelemetry is absent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avala import AsyncClient, Client, NotFoundError
from avala.testing import Fault, ServerHandle

trace = pytest.importorskip("opentelemetry.trace")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

REPO = Path(__file__).resolve().parents[2]
_EXPORTER = InMemorySpanExporter()
_PROVIDER = sdk_trace.TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The global tracer provider, recording into memory, for this test only (the global
    is reset after each test by ``tests/conftest.py``)."""
    trace.set_tracer_provider(_PROVIDER)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def finished(exporter: InMemorySpanExporter, prefix: str = "avala.") -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]


@pytest.mark.parametrize("surface", ["async", "sync"])
async def test_every_call_is_a_client_span_under_the_callers_span(
    surface: str, spans: InMemorySpanExporter, local_env: ServerHandle
) -> None:
    tracer = _PROVIDER.get_tracer("test")
    with tracer.start_as_current_span("handler") as parent:
        if surface == "async":
            async with AsyncClient() as client:
                page = await client.datasets.list(limit=2)
                await client.datasets.get(page.items[0].uid)
                devices = [d async for d in client.fleet.devices.list(limit=2)]
        else:
            with Client() as sync_client:
                page = sync_client.datasets.list(limit=2)
                sync_client.datasets.get(page.items[0].uid)
                devices = list(sync_client.fleet.devices.list(limit=2))
    assert devices
    recorded = finished(spans)
    names = [s.name for s in recorded]
    assert names[:2] == ["avala.datasets.list", "avala.datasets.get"]
    assert set(names[2:]) == {"avala.fleet.devices.list"}  # one span per page
    get = recorded[1]
    assert get.kind == trace.SpanKind.CLIENT
    assert get.parent is not None and get.parent.span_id == parent.get_span_context().span_id
    attributes = dict(get.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.template"] == "/datasets/{uid}/"
    assert attributes["http.response.status_code"] == 200
    assert attributes["avala.attempts"] == 1
    assert attributes["avala.pacing.wait_s"] == 0 and attributes["avala.pool.wait_s"] == 0
    for span in recorded:  # never the key, a query string or a body
        text = repr(dict(span.attributes or {})) + repr([e.attributes for e in span.events])
        assert local_env.api_key not in text and "?" not in text and "limit" not in text


async def test_retries_are_events_and_failures_set_the_status(
    spans: InMemorySpanExporter, local_env: ServerHandle
) -> None:
    local_env.state.faults.push(
        Fault.status(503, headers={"Retry-After": "0"}, path="/datasets/", method="GET")
    )
    async with AsyncClient() as client:
        await client.datasets.list(limit=1)
        with pytest.raises(NotFoundError):
            await client.datasets.get("no-such-dataset")
    listed, failed = finished(spans)
    assert listed.attributes["avala.attempts"] == 2
    (event,) = listed.events
    assert event.name == "retry" and event.attributes["avala.reason"] == "HTTP 503"
    assert failed.status.status_code == trace.StatusCode.ERROR
    assert failed.attributes["http.response.status_code"] == 404
    assert failed.attributes["error.type"] == "NotFoundError"


def test_without_opentelemetry_nothing_is_imported(server: ServerHandle, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        from avala import Client
        with Client(api_key={server.api_key!r}, base_url={server.base_url!r}) as client:
            client.datasets.list(limit=1)
        loaded = [m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]]
        assert not loaded, loaded
        print("ok")
        """
    )
    env = {**os.environ, "AVALA_ALLOW_INSECURE_BASE_URL": "true", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_installed_but_unconfigured_records_nothing(local_env: ServerHandle) -> None:
    from avala import _tracing

    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert _tracing.tracer() is None  # no SDK set up: no span objects are made at all
    with Client() as client:
        assert client.datasets.list(limit=1).items
