"""An Avala webhook receiver built with aiohttp.web.

``POST /avala/webhooks`` reads the raw body, verifies it with
:func:`avala.webhooks.construct_event`, answers ``400 {"detail": ...}`` for any delivery it
cannot trust and ``200 {"received": <event name>}`` otherwise.

Run it from the repository root (aiohttp is already a dependency of the SDK)::

    export AVALA_WEBHOOK_SECRET=...   # the secret returned when the webhook was created
    python -m examples.webhook_aiohttp

It listens on ``127.0.0.1:8000``. Point the webhook's ``target_url`` at
``https://<your host>/avala/webhooks`` (Avala requires HTTPS, so put a TLS-terminating proxy
or tunnel in front of a local server).

In your own code call :func:`create_app` with a ``secret`` and an ``on_event`` coroutine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable

from aiohttp import web

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
) -> web.Application:
    """Build the receiver.

    Args:
        secret: The webhook's signing secret; defaults to ``$AVALA_WEBHOOK_SECRET``.
        tolerance: If given, refuse deliveries whose body timestamp is further than this many
            seconds from now (and deliveries without one).
        on_event: Awaited with each verified event. If it raises, the request fails with a
            500, so Avala will retry the delivery; make it idempotent on ``delivery_id``.
    """
    signing_secret = resolve_secret(secret)

    async def receive_webhook(request: web.Request) -> web.Response:
        body = await request.read()  # the raw bytes the signature covers
        try:
            event = construct_event(body, request.headers, signing_secret, tolerance=tolerance)
        except WebhookError as exc:
            return web.json_response({"detail": exc.message}, status=400)
        await on_event(event)
        return web.json_response({"received": event.event})

    app = web.Application()
    app.router.add_post(ROUTE, receive_webhook)
    return app


def main() -> None:
    """Serve on ``127.0.0.1:8000``."""
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
