"""avala.integrations.fastapi and examples/fastapi_app.py, against the bundled server:
the lifespan-owned client (one pool for every request), startup failures, webhook
verification, and per-tenant keys over the shared pool (AsyncClient.with_credential)."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket
from fastapi.testclient import TestClient

from avala import AsyncClient, Client
from avala.errors import ClientClosedError, ConfigurationError
from avala.integrations.fastapi import (
    CLIENT_STATE_KEY,
    WEBHOOK_SECRET_ENV,
    AvalaClient,
    AvalaWebhookEvent,
    avala_lifespan,
    get_avala_client,
    verified_webhook_event,
)
from avala.testing import Fault, ServerHandle
from avala.webhooks import SIGNATURE_HEADER, WebhookEvent, signed_headers

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_fastapi_test_9Qp2"
OLD_SECRET = "whsec_fastapi_previous_4Kd8"
TENANT_A = "avk_tenant_acme_0123456789abcdef01"
TENANT_B = "avk_tenant_globex_0123456789abcdef"
TENANT_REVOKED = "avk_tenant_revoked_0123456789abcd"
DELIVERY = "00000000-0000-4000-8000-000000000001"


def load_example() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("examples.fastapi_app")


example = load_example()


@pytest.fixture
def env(local_env: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> ServerHandle:
    """The bundled server, the example's configuration, two extra valid tenant keys."""
    local_env.state.add_key(TENANT_A)
    local_env.state.add_key(TENANT_B)
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, SECRET)
    monkeypatch.setenv(
        example.TENANT_KEYS_ENV, f"acme={TENANT_A},globex={TENANT_B},gone={TENANT_REVOKED}"
    )
    local_env.state.clear_requests()
    return local_env


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[aiohttp.ClientSession]:
    """Every aiohttp session created during the test."""
    made: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession.__init__

    def counting(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting)
    return made


def api_requests(server: ServerHandle) -> list[Any]:
    return [r for r in server.state.requests if r.path.startswith("/api/v1/datasets")]


def webhook_body(event: str = "export.completed") -> bytes:
    return json.dumps(
        {"event": event, "timestamp": "2025-03-14T12:00:00Z", "data": {"uid": "exp_1"}}
    ).encode()


# --- the lifespan and the client dependency ---------------------------------------------------


def test_example_lists_datasets_with_one_shared_client(
    env: ServerHandle, sessions: list[aiohttp.ClientSession]
) -> None:
    app = example.create_app()
    with TestClient(app) as http:
        shared = app.state.avala_client
        assert isinstance(shared, AsyncClient) and not shared.is_closed
        first = http.get("/datasets", params={"limit": 2})
        second = http.get("/datasets")
        assert first.status_code == 200, first.text
        assert len(first.json()) == 2 and {"slug", "name", "items"} <= first.json()[0].keys()
        assert second.status_code == 200 and len(second.json()) >= 2
    assert shared.is_closed  # closed at shutdown
    assert not hasattr(app.state, CLIENT_STATE_KEY)
    assert len(sessions) == 1
    keys = {r.header("X-Avala-Api-Key") for r in api_requests(env)}
    assert keys == {env.api_key}


async def test_fifty_concurrent_requests_share_one_pool(
    env: ServerHandle, sessions: list[aiohttp.ClientSession]
) -> None:
    app = example.create_app()
    async with app.router.lifespan_context(app):  # what TestClient does; ASGITransport does not
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            responses = await asyncio.gather(
                *(http.get("/datasets", params={"limit": 1}) for _ in range(50))
            )
        shared: AsyncClient = app.state.avala_client
        assert not shared.is_closed
    assert [r.status_code for r in responses] == [200] * 50
    assert len(sessions) == 1 and sessions[0].closed
    assert shared.is_closed
    assert len(api_requests(env)) == 50


def test_concurrent_threads_through_testclient_share_one_pool(
    env: ServerHandle, sessions: list[aiohttp.ClientSession]
) -> None:
    app = example.create_app()
    with TestClient(app) as http, ThreadPoolExecutor(10) as pool:
        paths = ["/datasets", "/tenants/acme/datasets", "/tenants/globex/datasets"] * 10
        statuses = list(pool.map(lambda path: http.get(path).status_code, paths))
    assert statuses == [200] * 30
    assert len(sessions) == 1


def test_annotated_and_depends_forms_get_the_same_client(local_env: ServerHandle) -> None:
    app = FastAPI(lifespan=avala_lifespan())
    seen: list[AsyncClient] = []

    @app.get("/a")
    async def a(client: AvalaClient) -> str:
        seen.append(client)
        return client.base_url

    @app.get("/b")
    async def b(client: AsyncClient = Depends(get_avala_client)) -> str:  # noqa: B008
        seen.append(client)
        return client.base_url

    with TestClient(app) as http:
        assert http.get("/a").json() == local_env.base_url
        assert http.get("/b").json() == local_env.base_url
    assert seen[0] is seen[1] is not None


def test_client_arguments_and_factory(local_env: ServerHandle) -> None:
    made: list[AsyncClient] = []

    def factory() -> AsyncClient:
        made.append(AsyncClient(max_retries=0, timeout=5))
        return made[-1]

    app = FastAPI(lifespan=avala_lifespan(client_factory=factory))

    @app.get("/retries")
    async def retries(client: AvalaClient) -> int:
        return client.max_retries

    with TestClient(app) as http:
        assert http.get("/retries").json() == 0
    assert len(made) == 1 and made[0].is_closed

    with pytest.raises(TypeError, match="either client_factory= or client arguments"):
        avala_lifespan(client_factory=factory, max_retries=1)

    app = FastAPI(lifespan=avala_lifespan(max_retries=1, connection_limit=3))
    app.get("/retries")(retries)
    with TestClient(app) as http:
        assert http.get("/retries").json() == 1


def test_factory_returning_something_else_fails_at_startup(local_env: ServerHandle) -> None:
    app = FastAPI(lifespan=avala_lifespan(client_factory=lambda: "nope"))  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"must return an avala\.AsyncClient"), TestClient(app):
        pass


def test_composes_with_the_apps_own_lifespan(local_env: ServerHandle) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        client: AsyncClient = app.state.avala_client  # open before the app's own startup
        page = await client.datasets.list(limit=1)
        events.append(f"startup {len(page.items)}")
        yield {"greeting": "hello"}
        events.append(f"shutdown closed={client.is_closed}")

    app = FastAPI(lifespan=avala_lifespan(own))

    @app.get("/greeting")
    async def greeting(request: Request, client: AvalaClient) -> str:
        return f"{request.state.greeting} from {client.base_url}"

    with TestClient(app) as http:
        assert http.get("/greeting").json() == f"hello from {local_env.base_url}"
    assert events == ["startup 1", "shutdown closed=False"]


def test_stateless_own_lifespan_and_router_lifespan(local_env: ServerHandle) -> None:
    calls: list[str] = []

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        calls.append("up")
        yield
        calls.append("down")

    router = APIRouter(lifespan=avala_lifespan(own))

    @router.get("/slugs")
    async def slugs(client: AvalaClient) -> list[str]:
        return [d.slug for d in (await client.datasets.list(limit=2)).items]

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as http:
        response = http.get("/slugs")
        assert response.status_code == 200 and len(response.json()) == 2
    assert calls == ["up", "down"]


def test_mounted_app_and_websocket_routes_get_the_client(local_env: ServerHandle) -> None:
    sub = FastAPI()  # mounted apps never run a lifespan: the parent's state reaches them

    @sub.get("/slug")
    async def slug(client: AvalaClient) -> str:
        return (await client.datasets.list(limit=1)).items[0].slug

    app = FastAPI(lifespan=avala_lifespan())
    app.mount("/sub", sub)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, client: AvalaClient) -> None:
        await websocket.accept()
        await websocket.send_text((await client.datasets.list(limit=1)).items[0].slug)
        await websocket.close()

    with TestClient(app) as http:
        response = http.get("/sub/slug")
        assert response.status_code == 200, response.text
        with http.websocket_connect("/ws") as socket:
            assert socket.receive_text() == response.json()


def test_without_the_lifespan_the_dependency_is_a_clear_500(local_env: ServerHandle) -> None:
    app = FastAPI()

    @app.get("/")
    async def index(client: AvalaClient) -> str:  # pragma: no cover - never reached
        return client.base_url

    with TestClient(app) as http, pytest.raises(RuntimeError, match="avala_lifespan"):
        http.get("/")
    with TestClient(app, raise_server_exceptions=False) as http:
        assert http.get("/").status_code == 500


# --- startup failures --------------------------------------------------------------------------


def test_missing_key_fails_at_startup(
    env: ServerHandle, monkeypatch: pytest.MonkeyPatch, sessions: list[aiohttp.ClientSession]
) -> None:
    monkeypatch.delenv("AVALA_API_KEY")
    app = example.create_app()  # building the app reads nothing
    with pytest.raises(ValueError, match="No Avala API key found"), TestClient(app):
        pass  # pragma: no cover - startup fails
    assert sessions == [] and api_requests(env) == []


@pytest.mark.parametrize(
    ("base_url", "match"),
    [("http://api.example.com/api/v1", "https"), ("not a url", "AVALA_BASE_URL")],
)
def test_bad_base_url_fails_at_startup(
    env: ServerHandle, monkeypatch: pytest.MonkeyPatch, base_url: str, match: str
) -> None:
    monkeypatch.setenv("AVALA_BASE_URL", base_url)
    app = example.create_app()
    with pytest.raises(ValueError, match=match), TestClient(app):
        pass  # pragma: no cover


def test_malformed_key_fails_at_startup_without_showing_it(
    env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVALA_API_KEY", "avk_broken\nkey_secret_part")
    with pytest.raises(ValueError) as caught, TestClient(example.create_app()):
        pass  # pragma: no cover
    assert "secret_part" not in str(caught.value)


def test_webhook_route_without_a_secret_fails_at_startup(
    env: ServerHandle, monkeypatch: pytest.MonkeyPatch, sessions: list[aiohttp.ClientSession]
) -> None:
    monkeypatch.delenv(WEBHOOK_SECRET_ENV)
    with (
        pytest.raises(ConfigurationError, match=WEBHOOK_SECRET_ENV),
        TestClient(example.create_app()),
    ):
        pass  # pragma: no cover
    assert sessions == []  # checked before the client is built

    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "   ")  # blank counts as missing
    with pytest.raises(ConfigurationError), TestClient(example.create_app()):
        pass  # pragma: no cover


def test_webhook_route_in_a_router_or_sub_dependency_is_found(
    local_env: ServerHandle,
) -> None:
    async def wrapped(event: AvalaWebhookEvent) -> WebhookEvent:
        return event

    router = APIRouter()

    @router.post("/hook")
    async def hook(event: WebhookEvent = Depends(wrapped)) -> None:  # noqa: B008
        """Never called."""

    app = FastAPI(lifespan=avala_lifespan())
    app.include_router(router, prefix="/nested")
    with pytest.raises(ConfigurationError, match="receives Avala webhooks"), TestClient(app):
        pass  # pragma: no cover

    plain = APIRouter()

    @plain.post("/hook")
    async def plain_hook() -> None:
        """Never called."""

    app = FastAPI(lifespan=avala_lifespan())
    app.include_router(plain, dependencies=[Depends(verified_webhook_event)])
    with pytest.raises(ConfigurationError, match="receives Avala webhooks"), TestClient(app):
        pass  # pragma: no cover


def test_no_webhook_routes_need_no_secret(local_env: ServerHandle) -> None:
    app = FastAPI(lifespan=avala_lifespan())
    with TestClient(app):
        pass


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"webhook_secret": ""}, "secret is empty"),
        ({"webhook_secret": [SECRET, "  "]}, "secret 2 of 2"),
        ({"webhook_secret": []}, "no webhook signing secret"),
        ({"webhook_secret": SECRET, "webhook_tolerance": 0}, "positive number"),
        ({"webhook_secret": SECRET, "webhook_tolerance": float("nan")}, "positive number"),
    ],
)
def test_bad_webhook_settings_fail_at_startup(
    local_env: ServerHandle, kwargs: dict[str, Any], match: str
) -> None:
    app = FastAPI(lifespan=avala_lifespan(**kwargs))
    with pytest.raises(ConfigurationError, match=match), TestClient(app):
        pass  # pragma: no cover


# --- webhooks -------------------------------------------------------------------------------


@pytest.fixture
def service(env: ServerHandle) -> Iterator[TestClient]:
    with TestClient(example.create_app()) as http:
        yield http


def test_webhook_success_and_duplicate(service: TestClient) -> None:
    body = webhook_body()
    headers = signed_headers(body, SECRET, event="export.completed", delivery_id=DELIVERY)
    first = service.post("/avala/webhooks", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": "export.completed", "duplicate": False}
    again = service.post("/avala/webhooks", content=body, headers=headers)
    assert again.json() == {"received": "export.completed", "duplicate": True}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing X-Avala-Webhook-Signature"),
        ({SIGNATURE_HEADER: "abc123"}, "malformed"),
        ({SIGNATURE_HEADER: "0" * 64}, "does not match"),
        ({SIGNATURE_HEADER: "sha256="}, "malformed"),
    ],
)
def test_bad_or_missing_signature_is_a_400(
    service: TestClient, headers: dict[str, str], reason: str
) -> None:
    response = service.post("/avala/webhooks", content=webhook_body(), headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert reason in detail
    assert SECRET not in response.text


def test_signature_over_other_bytes_is_a_400(service: TestClient) -> None:
    body = webhook_body()
    headers = signed_headers(body, SECRET)
    reencoded = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    response = service.post("/avala/webhooks", content=reencoded, headers=headers)
    assert response.status_code == 400 and "does not match" in response.json()["detail"]
    wrong_secret = signed_headers(body, "whsec_someone_else")
    response = service.post("/avala/webhooks", content=body, headers=wrong_secret)
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_signed_body_that_is_not_an_object_is_a_400(service: TestClient, body: bytes) -> None:
    response = service.post("/avala/webhooks", content=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 400
    assert "webhook body" in response.json()["detail"]


def test_rotated_secrets_and_tolerance(local_env: ServerHandle) -> None:
    received: list[WebhookEvent] = []
    app = FastAPI(
        lifespan=avala_lifespan(webhook_secret=[OLD_SECRET, SECRET], webhook_tolerance=300)
    )

    @app.post("/hook")
    async def hook(event: AvalaWebhookEvent, payload: dict[str, Any]) -> str | None:
        # the raw body is verified even though the route also parses it
        assert payload == event.payload
        received.append(event)
        return event.event

    fresh = json.dumps({"event": "task.completed", "timestamp": time.time()}).encode()
    as_json = {"Content-Type": "application/json"}
    with TestClient(app) as http:
        for secret in (SECRET, OLD_SECRET):
            headers = {**signed_headers(fresh, secret), **as_json}
            response = http.post("/hook", content=fresh, headers=headers)
            assert response.status_code == 200 and response.json() == "task.completed"
        stale = webhook_body()  # dated 2025-03-14: beyond 300 s
        headers = {**signed_headers(stale, SECRET), **as_json}
        response = http.post("/hook", content=stale, headers=headers)
        assert response.status_code == 400 and "too old" in response.json()["detail"]
        wrong = {**signed_headers(fresh, "whsec_neither"), **as_json}
        assert http.post("/hook", content=fresh, headers=wrong).status_code == 400
        no_signature = http.post("/hook", content=fresh, headers=as_json)
        assert "missing" in no_signature.json()["detail"]
    assert len(received) == 2


# --- tenants ----------------------------------------------------------------------------------


async def test_tenant_keys_never_cross_requests(
    env: ServerHandle, sessions: list[aiohttp.ClientSession]
) -> None:
    """Interleaved requests with the service's key and two tenants' keys: the server's log
    shows each request with exactly its own key (told apart by ``limit``)."""
    app = example.create_app()
    expected = {"1": env.api_key, "2": TENANT_A, "3": TENANT_B}
    routes = {"1": "/datasets", "2": "/tenants/acme/datasets", "3": "/tenants/globex/datasets"}
    async with app.router.lifespan_context(app) as state:

        async def served(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(state)  # what an ASGI server does with lifespan state
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            responses = await asyncio.gather(
                *(
                    http.get(routes[limit], params={"limit": limit})
                    for _ in range(20)
                    for limit in expected
                )
            )
    assert [r.status_code for r in responses] == [200] * 60
    assert responses[1].json()["tenant"] == "acme"
    recorded = api_requests(env)
    assert len(recorded) == 60
    for request in recorded:
        keys = [v for k, v in request.headers.items() if k.lower() == "x-avala-api-key"]
        assert keys == [expected[request.query["limit"]]]
    assert len(sessions) == 1


def test_rejected_tenant_key_is_reported_without_the_key(service: TestClient) -> None:
    response = service.get("/tenants/gone/datasets")
    assert response.status_code == 502
    assert response.json() == {"detail": "Avala rejected the key: Invalid API key."}
    assert TENANT_REVOKED not in response.text
    # the shared client still uses the service's key
    assert service.get("/datasets").status_code == 200
    assert service.get("/tenants/nobody/datasets").status_code == 404


def test_bad_tenant_configuration_fails_at_startup(
    env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(example.TENANT_KEYS_ENV, "acme=avk_with space_inside")
    with pytest.raises(ValueError) as caught, TestClient(example.create_app()):
        pass  # pragma: no cover
    assert "space_inside" not in str(caught.value) and "acme" in str(caught.value)
    monkeypatch.setenv(example.TENANT_KEYS_ENV, "just-a-key")
    with pytest.raises(ValueError, match="tenant=key"), TestClient(example.create_app()):
        pass  # pragma: no cover


# --- AsyncClient.with_credential ------------------------------------------------------------


async def test_with_credential_shares_the_pool_and_not_the_key(
    env: ServerHandle, sessions: list[aiohttp.ClientSession]
) -> None:
    async with AsyncClient() as client:
        tenant = client.with_credential(TENANT_A)
        assert TENANT_A not in repr(tenant) and TENANT_A not in repr(tenant._transport)
        assert TENANT_A not in repr(tenant.credential)
        assert tenant.credential.api_key == TENANT_A and tenant.base_url == client.base_url
        await asyncio.gather(client.datasets.list(limit=1), tenant.datasets.list(limit=2))
        twin = tenant.with_options(max_retries=0)  # keeps the tenant's key
        other = tenant.with_credential(TENANT_B)  # derived from the original's pool
        await asyncio.gather(twin.datasets.list(limit=2), other.datasets.list(limit=3))
        async with tenant:
            pass
        await tenant.close()
        assert not client.is_closed and not tenant.is_closed
        await client.datasets.list(limit=1)  # the pool is still open
        assert client._transport._session is not None
        assert client._transport._session.headers["X-Avala-Api-Key"] == env.api_key
    assert tenant.is_closed and other.is_closed
    with pytest.raises(ClientClosedError):
        await tenant.datasets.list()
    assert len(sessions) == 1
    expected = {"1": env.api_key, "2": TENANT_A, "3": TENANT_B}
    for request in api_requests(env):
        assert request.header("X-Avala-Api-Key") == expected[request.query["limit"]]


async def test_tenant_post_carries_its_key_and_an_idempotency_key(env: ServerHandle) -> None:
    async with AsyncClient() as client:
        tenant = client.with_credential(TENANT_A)
        await tenant.webhooks.create(
            target_url="https://hooks.example.com/avala", events=["export.completed"]
        )
        await client.datasets.list(limit=1)
    post, get = [r for r in env.state.requests if r.path.startswith("/api/v1/")][-2:]
    assert post.method == "POST" and post.header("X-Avala-Api-Key") == TENANT_A
    assert (post.header("Idempotency-Key") or "").startswith("avala-retry-")
    assert get.header("X-Avala-Api-Key") == env.api_key


async def test_with_credential_rejects_bad_keys_without_showing_them(
    env: ServerHandle,
) -> None:
    async with AsyncClient() as client:
        for bad in ("", "   ", "avk_a\nsecret_tail", "avk_a secret_tail"):
            with pytest.raises(ValueError) as caught:
                client.with_credential(bad)
            assert "secret_tail" not in str(caught.value)
        with pytest.raises(ValueError):
            client.with_credential(123)  # type: ignore[arg-type]


async def test_tenant_key_is_scrubbed_from_echoed_errors(env: ServerHandle) -> None:
    env.state.faults.push(
        Fault.status(422, json={"detail": f"bad key {TENANT_A}"}, path="/datasets/")
    )
    async with AsyncClient() as client:
        with pytest.raises(Exception) as caught:
            await client.with_credential(TENANT_A).datasets.list()
    assert TENANT_A not in str(caught.value) and TENANT_A not in repr(caught.value.__dict__)


async def test_closing_the_original_stops_a_tenant_request_in_backoff(
    env: ServerHandle,
) -> None:
    env.state.faults.push(
        Fault.status(503, path="/datasets/"), Fault.status(503, path="/datasets/")
    )
    client = AsyncClient(max_retries=5)
    tenant = client.with_credential(TENANT_A)
    call = asyncio.ensure_future(tenant.datasets.list())
    while not env.state.requests:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # in its backoff (0.375 s or more)
    started = time.monotonic()
    await client.close()
    with pytest.raises(ClientClosedError):
        await call
    assert time.monotonic() - started < 0.3


def test_sync_client_with_credential(env: ServerHandle) -> None:
    with Client() as client:
        tenant = client.with_credential(TENANT_B)
        assert [d.slug for d in tenant.datasets.list(limit=3).items]
        tenant.close()  # leaves the shared pool open
        assert client.datasets.list(limit=1).items
    assert [r.header("X-Avala-Api-Key") for r in api_requests(env)] == [TENANT_B, env.api_key]
