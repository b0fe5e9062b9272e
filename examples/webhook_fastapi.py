"""An Avala webhook receiver built with FastAPI.

``POST /avala/webhooks`` reads the raw body, verifies it with
:func:`avala.webhooks.construct_event`, answers ``400 {"detail": ...}`` for any delivery it
cannot trust and ``200 {"received": <event name>}`` otherwise.

Run it (uvicorn is not a dependency of the SDK: ``pip install uvicorn`` first)::

    export AVALA_WEBHOOK_SECRET=...   # the secret returned when the webhook was created
    uvicorn examples.webhook_fastapi:app --port 8000

or ``python -m examples.webhook_fastapi`` from the repository root, which does the same.
Then point the webhook's ``target_url`` at ``https://<your host>/avala/webhooks`` (Avala
requires HTTPS, so put a TLS-terminating proxy or tunnel in front of a local server).

In your own code call :func:`create_app` with a ``secret`` and an ``on_event`` coroutine.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from avala.webhooks import WebhookError, WebhookEvent, construct_event

__all__ = ["ROUTE", "SECRET_ENV", "create_app"]

ROUTE = "/avala/webhooks"
SECRET_ENV = "AVALA_WEBHOOK_SECRET"

EventHandler = Callable[[WebhookEvent], Awaitable[None]]

logger = logging.getLogger(__name__)


async def log_event(event: WebhookEvent) -> None:
    """The default handler: log the event. Replace it with your own processing."""
    logger.info("Avala webhook %s (delivery %s)", event.event, event.delivery_id)


def resolve_secret(secret: str | None) -> str:
    """``secret`` if given, else ``$AVALA_WEBHOOK_SECRET``; fail at startup when neither is set,
    rather than answering every delivery with an error."""
    value = secret if secret is not None else os.environ.get(SECRET_ENV, "")
    if not value.strip():
        raise RuntimeError(
            f"no webhook secret: set {SECRET_ENV} to the secret Avala returned when the webhook "
            "was created, or pass create_app(secret=...)"
        )
    return value


def create_app(
    secret: str | None = None,
    *,
    tolerance: float | None = None,
    on_event: EventHandler = log_event,
) -> FastAPI:
    """Build the receiver.

    Args:
        secret: The webhook's signing secret; defaults to ``$AVALA_WEBHOOK_SECRET``.
        tolerance: If given, refuse deliveries whose body timestamp is further than this many
            seconds from now (and deliveries without one).
        on_event: Awaited with each verified event. If it raises, the request fails with a
            500, so Avala will retry the delivery; make it idempotent on ``delivery_id``.
    """
    signing_secret = resolve_secret(secret)
    app = FastAPI(title="Avala webhook receiver")

    @app.post(ROUTE)
    async def receive_webhook(request: Request) -> Response:
        body = await request.body()  # the raw bytes the signature covers
        try:
            event = construct_event(body, request.headers, signing_secret, tolerance=tolerance)
        except WebhookError as exc:
            return JSONResponse({"detail": exc.message}, status_code=400)
        await on_event(event)
        return JSONResponse({"received": event.event})

    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    """``examples.webhook_fastapi:app`` for uvicorn, built on first use so that importing this
    module never needs the secret."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = create_app()
    return _app


def main() -> None:
    """Serve on ``127.0.0.1:8000`` with uvicorn, if it is installed."""
    try:
        uvicorn = importlib.import_module("uvicorn")
    except ImportError:
        raise SystemExit(
            "uvicorn is not installed: `pip install uvicorn`, then run "
            "`uvicorn examples.webhook_fastapi:app`"
        ) from None
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_app(), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
