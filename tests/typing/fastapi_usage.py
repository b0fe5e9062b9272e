from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from typing_extensions import assert_type

from avala import AsyncClient, Client
from avala.integrations.fastapi import (
    AvalaClient,
    AvalaWebhookEvent,
    avala_lifespan,
    get_avala_client,
)
from avala.webhooks import WebhookEvent


@asynccontextmanager
async def own(app: FastAPI) -> AsyncIterator[None]:
    yield


@asynccontextmanager
async def stateful(app: FastAPI) -> AsyncIterator[dict[str, int]]:
    yield {"answer": 42}


app = FastAPI(lifespan=avala_lifespan())
composed = FastAPI(lifespan=avala_lifespan(own, max_retries=0, webhook_secret="whsec_x"))
with_state = FastAPI(lifespan=avala_lifespan(stateful, webhook_secret=["a", b"b"]))
router = APIRouter(lifespan=avala_lifespan(client_factory=lambda: AsyncClient(pacing=None)))


@app.get("/")
async def index(client: AvalaClient) -> str:
    assert_type(client, AsyncClient)
    assert_type(client.with_credential("avk_tenant"), AsyncClient)
    return client.base_url


@app.get("/other")
async def other(client: AsyncClient = Depends(get_avala_client)) -> str:  # noqa: B008
    return client.base_url


@app.post("/hook")
async def hook(event: AvalaWebhookEvent) -> str | None:
    assert_type(event, WebhookEvent)
    return event.event


def sync_usage(client: Client) -> None:
    assert_type(client.with_credential("avk_tenant"), Client)
