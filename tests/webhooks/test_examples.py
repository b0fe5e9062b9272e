"""The webhook receiver examples, exercised over HTTP: FastAPI through Starlette's TestClient,
aiohttp through its TestServer/TestClient."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp.test_utils import TestClient as AiohttpTestClient, TestServer
from fastapi.testclient import TestClient

import avala.webhooks
from avala.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookEvent,
    compute_signature,
    signed_headers,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_example_5mQ2rN8"
ROUTE = "/avala/webhooks"


def load_example(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"examples.{name}")


fastapi_example = load_example("webhook_fastapi")
aiohttp_example = load_example("webhook_aiohttp")


def delivery(n: int = 0, event: str = "export.completed") -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"event": event, "timestamp": "2025-03-14T12:00:00Z", "data": {"uid": f"exp_{n}"}}
    ).encode()
    delivery_id = f"00000000-0000-4000-8000-{n:012d}"
    return body, signed_headers(body, SECRET, event=event, delivery_id=delivery_id)


def bad_deliveries() -> list[tuple[str, bytes, dict[str, str]]]:
    body, headers = delivery()
    unsigned = {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}

    def signed(raw: bytes) -> dict[str, str]:
        return {**unsigned, SIGNATURE_HEADER: compute_signature(raw, SECRET)}

    return [
        ("no-signature", body, unsigned),
        ("wrong-secret", body, {**unsigned, SIGNATURE_HEADER: compute_signature(body, "nope")}),
        ("garbage-signature", body, {**unsigned, SIGNATURE_HEADER: "definitely not hex"}),
        ("tampered-body", body.replace(b"exp_0", b"exp_9"), headers),
        ("empty-body", b"", headers),
        ("signed-non-json", b"<xml/>", signed(b"<xml/>")),
        ("signed-array", b"[1]", signed(b"[1]")),
        ("signed-bad-timestamp", b'{"timestamp": "soon"}', signed(b'{"timestamp": "soon"}')),
    ]


BAD = bad_deliveries()
BAD_IDS = [name for name, _, _ in BAD]


class Recorder:
    """An ``on_event`` handler that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []

    async def __call__(self, event: WebhookEvent) -> None:
        self.events.append(event)


# --- FastAPI ---------------------------------------------------------------------------------


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def fastapi_client(recorder: Recorder) -> Iterator[TestClient]:
    app = fastapi_example.create_app(SECRET, on_event=recorder)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def test_fastapi_valid_delivery(fastapi_client: TestClient, recorder: Recorder) -> None:
    body, headers = delivery(1, "task.completed")
    response = fastapi_client.post(ROUTE, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"received": "task.completed"}
    [event] = recorder.events
    assert event.delivery_id == headers[DELIVERY_HEADER]
    assert event.data == {"uid": "exp_1"}


def test_fastapi_bad_signature_is_400_with_detail(
    fastapi_client: TestClient, recorder: Recorder
) -> None:
    body, headers = delivery()
    headers[SIGNATURE_HEADER] = compute_signature(body, "not-the-secret")
    response = fastapi_client.post(ROUTE, content=body, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert "does not match" in detail
    assert SECRET not in response.text
    assert compute_signature(body, SECRET) not in response.text
    assert recorder.events == []


@pytest.mark.parametrize(("name", "body", "headers"), BAD, ids=BAD_IDS)
def test_fastapi_bad_deliveries_are_400_never_500(
    fastapi_client: TestClient,
    recorder: Recorder,
    name: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    response = fastapi_client.post(ROUTE, content=body, headers=headers)
    assert response.status_code == 400, (name, response.text)
    payload = response.json()
    assert list(payload) == ["detail"]
    assert isinstance(payload["detail"], str) and payload["detail"]
    assert SECRET not in response.text
    assert recorder.events == []


def test_fastapi_lowercase_headers_from_a_proxy(fastapi_client: TestClient) -> None:
    body, headers = delivery(2)
    lowered = {name.lower(): value for name, value in headers.items()}
    response = fastapi_client.post(ROUTE, content=body, headers=lowered)
    assert response.status_code == 200
    assert response.json() == {"received": "export.completed"}


def test_fastapi_concurrent_deliveries_from_threads(
    fastapi_client: TestClient, recorder: Recorder
) -> None:
    deliveries = [delivery(n, f"event.{n}") for n in range(24)]
    forged = [(body, {**h, SIGNATURE_HEADER: "0" * 64}) for body, h in deliveries[:6]]

    def post(item: tuple[bytes, dict[str, str]]) -> tuple[int, Any]:
        response = fastapi_client.post(ROUTE, content=item[0], headers=item[1])
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, deliveries + forged))

    good, bad = results[: len(deliveries)], results[len(deliveries) :]
    assert good == [(200, {"received": f"event.{n}"}) for n in range(24)]
    assert all(status == 400 and "does not match" in body["detail"] for status, body in bad)
    received = sorted(event.delivery_id or "" for event in recorder.events)
    assert received == sorted(h[DELIVERY_HEADER] for _, h in deliveries)


def test_fastapi_tolerance_option(recorder: Recorder) -> None:
    app = fastapi_example.create_app(SECRET, tolerance=300, on_event=recorder)
    body, headers = delivery()  # dated 2025-03-14, far outside five minutes
    with TestClient(app) as client:
        response = client.post(ROUTE, content=body, headers=headers)
    assert response.status_code == 400
    assert "tolerance of 300 seconds" in response.json()["detail"]
    assert recorder.events == []


def test_fastapi_wrong_method_is_not_a_server_error(fastapi_client: TestClient) -> None:
    assert fastapi_client.get(ROUTE).status_code == 405


def test_fastapi_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVALA_WEBHOOK_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="AVALA_WEBHOOK_SECRET"):
        fastapi_example.create_app()
    monkeypatch.setenv("AVALA_WEBHOOK_SECRET", SECRET)
    monkeypatch.setattr(fastapi_example, "_app", None)
    app = fastapi_example.app  # what `uvicorn examples.webhook_fastapi:app` loads
    assert fastapi_example.app is app
    body, headers = delivery(3)
    with TestClient(app) as client:
        assert client.post(ROUTE, content=body, headers=headers).status_code == 200
    with pytest.raises(AttributeError):
        _ = fastapi_example.not_there


# --- aiohttp ---------------------------------------------------------------------------------


async def test_aiohttp_example() -> None:
    recorder = Recorder()
    app = aiohttp_example.create_app(SECRET, on_event=recorder)
    async with TestServer(app) as server, AiohttpTestClient(server) as client:
        body, headers = delivery(1, "dataset.created")
        response = await client.post(ROUTE, data=body, headers=headers)
        assert response.status == 200
        assert await response.json() == {"received": "dataset.created"}
        assert [e.delivery_id for e in recorder.events] == [headers[DELIVERY_HEADER]]

        for name, bad_body, bad_headers in BAD:
            response = await client.post(ROUTE, data=bad_body, headers=bad_headers)
            assert response.status == 400, name
            payload = await response.json()
            assert list(payload) == ["detail"] and isinstance(payload["detail"], str), name
            assert SECRET not in payload["detail"]
        assert len(recorder.events) == 1

        response = await client.get(ROUTE)
        assert response.status == 405


async def test_aiohttp_concurrent_deliveries() -> None:
    recorder = Recorder()
    app = aiohttp_example.create_app(SECRET, on_event=recorder)
    deliveries = [delivery(n, f"event.{n}") for n in range(24)]
    async with TestServer(app) as server, AiohttpTestClient(server) as client:

        async def post(body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
            async with client.post(ROUTE, data=body, headers=headers) as response:
                return response.status, await response.json()

        results = await asyncio.gather(*(post(b, h) for b, h in deliveries))
    assert results == [(200, {"received": f"event.{n}"}) for n in range(24)]
    assert sorted(e.delivery_id or "" for e in recorder.events) == sorted(
        h[DELIVERY_HEADER] for _, h in deliveries
    )


async def test_aiohttp_event_header_missing_falls_back_to_the_body() -> None:
    app = aiohttp_example.create_app(SECRET)
    body, headers = delivery(5, "result.submitted")
    del headers[EVENT_HEADER]
    async with TestServer(app) as server, AiohttpTestClient(server) as client:
        response = await client.post(ROUTE, data=body, headers=headers)
        assert response.status == 200
        assert await response.json() == {"received": "result.submitted"}


def test_aiohttp_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVALA_WEBHOOK_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="AVALA_WEBHOOK_SECRET"):
        aiohttp_example.create_app()
    monkeypatch.setenv("AVALA_WEBHOOK_SECRET", "  ")
    with pytest.raises(RuntimeError, match="AVALA_WEBHOOK_SECRET"):
        aiohttp_example.create_app()
    monkeypatch.setenv("AVALA_WEBHOOK_SECRET", SECRET)
    routes = aiohttp_example.create_app().router.routes()
    assert [(r.method, r.resource.canonical) for r in routes if r.resource] == [("POST", ROUTE)]


# --- the module docstring's receiver ---------------------------------------------------------


def test_module_docstring_example_runs() -> None:
    doc = avala.webhooks.__doc__ or ""
    start = doc.index("::\n\n") + 4
    end = doc.index("\n\n", doc.index('return JSONResponse({"received"', start))
    namespace: dict[str, Any] = {"__name__": "docstring_example"}
    exec(compile(textwrap.dedent(doc[start:end]), "avala.webhooks docstring", "exec"), namespace)
    secret = namespace["SECRET"]
    body, _ = delivery(7)
    with TestClient(namespace["app"]) as client:
        ok = client.post(ROUTE, content=body, headers=signed_headers(body, secret))
        forged = client.post(ROUTE, content=body, headers=signed_headers(body, SECRET))
    assert (ok.status_code, ok.json()) == (200, {"received": "export.completed"})
    assert forged.status_code == 400
    assert "does not match" in forged.json()["detail"]
