"""A FastAPI service on the Avala SDK: one shared client, per-tenant keys, and webhooks.

* ``GET /datasets``: the first page of datasets, with the service's own key.
* ``GET /tenants/{tenant}/datasets``: the same with a tenant's key, over the same
  connection pool (``client.with_credential(key)``: no new session per request).
* ``POST /avala/webhooks``: a verified webhook delivery (400 for a bad or missing
  signature), de-duplicated on its delivery id.

Configuration, all read at startup (a missing or bad value stops the app from starting):

``AVALA_API_KEY`` (and optionally ``AVALA_BASE_URL``)
    The service's own key.
``AVALA_WEBHOOK_SECRET``
    The signing secret Avala returned when the webhook was created.
``AVALA_TENANT_KEYS``
    The tenants' keys as ``tenant=key`` pairs separated by commas (in production, read
    them from your database or secret manager instead).

Run it (uvicorn is not a dependency of the SDK: ``pip install uvicorn`` first)::

    uvicorn examples.fastapi_app:app --port 8000
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from avala import AsyncClient
from avala.credentials import check_api_key
from avala.errors import APIConnectionError, APIStatusError, AuthenticationError
from avala.integrations.fastapi import AvalaClient, AvalaWebhookEvent, avala_lifespan

__all__ = [
    "TENANT_KEYS_ENV",
    "TenantClient",
    "app",
    "create_app",
    "parse_tenant_keys",
    "tenant_client",
]

TENANT_KEYS_ENV = "AVALA_TENANT_KEYS"


def parse_tenant_keys(text: str) -> dict[str, str]:
    """``"acme=avk_1,globex=avk_2"`` as ``{"acme": "avk_1", "globex": "avk_2"}``; errors
    name the tenant, never the key."""
    keys: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        tenant, sep, key = pair.partition("=")
        tenant = tenant.strip()
        if not sep or not tenant:
            raise ValueError(f"{TENANT_KEYS_ENV}: expected tenant=key pairs separated by commas")
        keys[tenant] = check_api_key(key, f"{TENANT_KEYS_ENV}[{tenant}]")
    return keys


async def tenant_client(tenant: str, request: Request, client: AvalaClient) -> AsyncClient:
    """The shared client, sending the tenant's key: derived per request, nothing to close."""
    key = request.state.tenant_keys.get(tenant)
    if key is None:
        raise HTTPException(404, detail=f"unknown tenant {tenant!r}")
    return client.with_credential(key)


TenantClient = Annotated[AsyncClient, Depends(tenant_client)]
"""A route parameter: the client for the ``{tenant}`` of the path."""


def create_app(
    *,
    tenant_keys: Mapping[str, str] | None = None,
    webhook_secret: str | None = None,
) -> FastAPI:
    """Build the service.

    Args:
        tenant_keys: Tenant name to API key; by default parsed from ``$AVALA_TENANT_KEYS``
            at startup.
        webhook_secret: The webhook signing secret; by default ``$AVALA_WEBHOOK_SECRET``.
    """

    @asynccontextmanager
    async def service_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # The app's own startup, run inside avala_lifespan (the shared client is open
        # here, as app.state.avala_client, if this code needs it).
        if tenant_keys is not None:
            tenants = {
                name: check_api_key(key, f"tenant {name}") for name, key in tenant_keys.items()
            }
        else:
            tenants = parse_tenant_keys(os.environ.get(TENANT_KEYS_ENV, ""))
        yield {"tenant_keys": tenants, "seen_deliveries": set(), "events": []}

    app = FastAPI(
        title="Avala example service",
        lifespan=avala_lifespan(service_lifespan, webhook_secret=webhook_secret),
    )

    @app.exception_handler(AuthenticationError)
    async def rejected_key(request: Request, exc: AuthenticationError) -> JSONResponse:
        # The SDK's messages never contain the key.
        return JSONResponse({"detail": f"Avala rejected the key: {exc.message}"}, 502)

    @app.exception_handler(APIStatusError)
    @app.exception_handler(APIConnectionError)
    async def upstream_failed(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"Avala API error: {exc}"}, 502)

    @app.get("/datasets")
    async def list_datasets(client: AvalaClient, limit: int = 10) -> list[dict[str, Any]]:
        page = await client.datasets.list(limit=limit)
        return [{"slug": d.slug, "name": d.name, "items": d.item_count} for d in page.items]

    @app.get("/tenants/{tenant}/datasets")
    async def list_tenant_datasets(
        tenant: str, client: TenantClient, limit: int = 10
    ) -> dict[str, Any]:
        page = await client.datasets.list(limit=limit)
        return {"tenant": tenant, "datasets": [d.slug for d in page.items]}

    @app.post("/avala/webhooks")
    async def receive_webhook(event: AvalaWebhookEvent, request: Request) -> dict[str, Any]:
        # Avala retries a delivery with the same id: handle each id once.
        seen: set[str] = request.state.seen_deliveries
        duplicate = event.delivery_id is not None and event.delivery_id in seen
        if not duplicate:
            if event.delivery_id is not None:
                seen.add(event.delivery_id)
            request.state.events.append(event)  # process it here: event.event, event.data
        return {"received": event.event, "duplicate": duplicate}

    return app


app = create_app()
"""For ``uvicorn examples.fastapi_app:app``: nothing is read until it starts."""


def main() -> None:
    """Serve on ``127.0.0.1:8000`` with uvicorn, if it is installed."""
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ImportError:
        raise SystemExit(
            "uvicorn is not installed: `pip install uvicorn`, then run "
            "`uvicorn examples.fastapi_app:app`"
        ) from None
    uvicorn.run(app, host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
