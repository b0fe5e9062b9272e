"""FastAPI: one shared ``AsyncClient`` for the app, and verified webhooks, as dependencies
(``pip install "avala[fastapi]"``).

::

    from fastapi import FastAPI

    from avala.integrations.fastapi import AvalaClient, AvalaWebhookEvent, avala_lifespan

    app = FastAPI(lifespan=avala_lifespan())


    @app.get("/datasets")
    async def datasets(client: AvalaClient) -> list[str]:
        page = await client.datasets.list(limit=10)
        return [d.slug for d in page.items]


    @app.post("/avala/webhooks")
    async def webhook(event: AvalaWebhookEvent) -> dict[str, str | None]:
        return {"received": event.event}

:func:`avala_lifespan` builds the client when the app starts (on the server's event loop,
where its connection pool must live) and closes it when the app stops; every request shares
that one pool. A missing API key, a malformed key or an invalid base URL stops the app at
startup, as does a webhook route without a signing secret, instead of failing requests.

For several tenants, derive a client per request with
:meth:`AsyncClient.with_credential <avala.AsyncClient.with_credential>`: it sends the
tenant's key over the same pool, opens no session, and needs no closing.

Tests: the lifespan runs under ``with TestClient(app):``. ``httpx.ASGITransport`` does not
run it; enter ``app.router.lifespan_context(app)`` yourself around the requests (the client
is also kept on ``app.state`` for that case).
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Final

try:
    from fastapi import Depends, HTTPException, Request
    from starlette.applications import Starlette
    from starlette.requests import HTTPConnection
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        'avala.integrations.fastapi needs FastAPI: pip install "avala[fastapi]"'
    ) from _missing

from .._client import AsyncClient
from .._config import TimeoutTypes
from ..credentials import CredentialProvider
from ..errors import ConfigurationError
from ..webhooks import (
    WebhookError,
    WebhookEvent,
    WebhookSignatureError,
    compute_signature,
    construct_event,
)

__all__ = [
    "CLIENT_STATE_KEY",
    "WEBHOOK_SECRET_ENV",
    "AvalaClient",
    "AvalaWebhookEvent",
    "avala_lifespan",
    "get_avala_client",
    "verified_webhook_event",
]

CLIENT_STATE_KEY: Final = "avala_client"
"""Where the shared client is kept: ``request.state.avala_client`` (lifespan state) and
``app.state.avala_client``."""
WEBHOOK_SECRET_ENV: Final = "AVALA_WEBHOOK_SECRET"
"""The environment variable read at startup for the webhook signing secret."""

_WEBHOOKS_STATE_KEY: Final = "avala_webhooks"
_NOT_RUNNING = (
    "the Avala client is not available: the app was not started with avala_lifespan() "
    "(pass FastAPI(lifespan=avala_lifespan(...)), or an APIRouter(lifespan=...) included "
    "in it; under tests use `with TestClient(app):` so the lifespan runs)"
)


class _Webhooks:
    """The webhook settings resolved at startup."""

    __slots__ = ("secrets", "tolerance")

    def __init__(self, secrets: tuple[str | bytes, ...], tolerance: float | None) -> None:
        self.secrets = secrets
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"_Webhooks(secrets=<{len(self.secrets)} redacted>, tolerance={self.tolerance!r})"


def avala_lifespan(
    lifespan: Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any] | None]] | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    credentials: CredentialProvider | Iterable[CredentialProvider] | None = None,
    timeout: TimeoutTypes | None = None,
    max_retries: int | None = None,
    connection_limit: int | None = None,
    client_factory: Callable[[], AsyncClient] | None = None,
    webhook_secret: str | bytes | Sequence[str | bytes] | None = None,
    webhook_tolerance: float | None = None,
) -> Callable[[Starlette], AbstractAsyncContextManager[dict[str, Any]]]:
    """A lifespan that opens one shared :class:`~avala.AsyncClient` at startup and closes it
    at shutdown: ``FastAPI(lifespan=avala_lifespan())``.

    Everything is read and checked at startup, not when this is called: the client is built
    then (so ``AVALA_API_KEY`` and ``AVALA_BASE_URL`` are read then), and a configuration it
    cannot use raises, so the server refuses to start rather than failing requests. The
    client is put in the lifespan state (``request.state.avala_client``) and on
    ``app.state``; routes take it with :data:`AvalaClient` (or :func:`get_avala_client`).

    It also works as ``APIRouter(lifespan=...)`` (FastAPI merges it into the app's), and it
    composes with the app's own lifespan: pass that as ``lifespan``. It runs inside, after
    the client is open and before it is closed, and the state it yields is kept.

    Args:
        lifespan: The app's own lifespan (an async context manager factory taking the app),
            run inside this one.
        api_key: The API key; by default ``AVALA_API_KEY``, then ``.env``.
        base_url: The API root; by default ``AVALA_BASE_URL``, then the production API.
        credentials: Credential providers instead of the default chain (e.g. a secret
            manager from :mod:`avala.integrations`).
        timeout: Seconds per attempt, or an :class:`avala.Timeout`.
        max_retries: Retries after the first attempt (the client's default when ``None``).
        connection_limit: Most connections open at once, shared by every request and every
            derived client (the client's default when ``None``).
        client_factory: Builds the client instead, for settings not listed here (called at
            startup). Excludes the client arguments above.
        webhook_secret: The webhook signing secret, or several (during a rotation a
            delivery signed with any of them is accepted). By default
            ``AVALA_WEBHOOK_SECRET`` is read at startup; it is required when a route
            depends on :func:`verified_webhook_event`.
        webhook_tolerance: If given, refuse webhook deliveries whose body timestamp is more
            than this many seconds from now, or that have none (a replay defence).

    Returns:
        The lifespan: a function of the app returning an async context manager that yields
        the lifespan state. Entering it (the app's startup) raises :class:`ValueError` for
        settings the client cannot use (no API key: a
        :class:`~avala.credentials.CredentialsNotFoundError` listing where it looked; a
        malformed key or base URL), :class:`~avala.errors.ConfigurationError` (a
        ``ValueError``) for missing or bad webhook settings, and :class:`TypeError` when
        ``client_factory`` returns something else than an ``AsyncClient``.

    Raises:
        TypeError: ``client_factory`` was combined with client arguments.
    """
    given: dict[str, Any] = {
        "api_key": api_key,
        "base_url": base_url,
        "credentials": credentials,
        "timeout": timeout,
        "max_retries": max_retries,
        "connection_limit": connection_limit,
    }
    options = {name: value for name, value in given.items() if value is not None}
    if client_factory is not None and options:
        raise TypeError(
            "avala_lifespan: pass either client_factory= or client arguments "
            f"({', '.join(sorted(options))}), not both."
        )

    def build_client() -> AsyncClient:
        if client_factory is None:
            return AsyncClient(**options)
        client = client_factory()
        if not isinstance(client, AsyncClient):
            raise TypeError(
                "avala_lifespan: client_factory must return an avala.AsyncClient, "
                f"got {type(client).__name__}."
            )
        return client

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        webhooks = _resolve_webhooks(app, webhook_secret, webhook_tolerance)
        client = build_client()
        ours: dict[str, Any] = {CLIENT_STATE_KEY: client, _WEBHOOKS_STATE_KEY: webhooks}
        try:
            for name, value in ours.items():
                setattr(app.state, name, value)
            if lifespan is None:
                yield ours
            else:
                async with lifespan(app) as theirs:
                    yield {**(theirs or {}), **ours}
        finally:
            for name in ours:
                if getattr(app.state, name, None) is ours[name]:
                    delattr(app.state, name)
            await client.close()

    return run


async def get_avala_client(connection: HTTPConnection) -> AsyncClient:
    """The app's shared client, for ``client: AsyncClient = Depends(get_avala_client)``.

    Works in HTTP and WebSocket routes, and in mounted sub-applications of an app started
    with :func:`avala_lifespan`. Do not close it: the lifespan does, at shutdown.

    Args:
        connection: The request (or WebSocket), supplied by FastAPI.

    Returns:
        The :class:`~avala.AsyncClient` opened by :func:`avala_lifespan`.

    Raises:
        RuntimeError: the app was not started with :func:`avala_lifespan` (a deployment
            error, answered with a 500).
    """
    client = _from_state(connection, CLIENT_STATE_KEY)
    if not isinstance(client, AsyncClient):
        raise RuntimeError(_NOT_RUNNING)
    return client


async def verified_webhook_event(request: Request) -> WebhookEvent:
    """The verified, parsed webhook delivery of this request, for
    ``event: WebhookEvent = Depends(verified_webhook_event)``.

    The signature (``X-Avala-Webhook-Signature``) is checked on the raw body with
    :func:`avala.webhooks.construct_event`, under the secret configured at startup (see
    :func:`avala_lifespan`), before anything is parsed. The route may still declare a body
    parameter: Starlette caches the raw body.

    Args:
        request: The request, supplied by FastAPI.

    Returns:
        The delivery as an :class:`avala.webhooks.WebhookEvent`.

    Raises:
        HTTPException: 400 with ``{"detail": <reason>}`` when the signature is missing,
            malformed or wrong, the body is not a JSON object, or the delivery is outside
            the tolerance. The reason never contains the secret or the expected signature.
        RuntimeError: the app was not started with :func:`avala_lifespan`, or no secret was
            configured (a deployment error, answered with a 500).
    """
    webhooks = _from_state(request, _WEBHOOKS_STATE_KEY)
    if not isinstance(webhooks, _Webhooks):
        raise RuntimeError(_NOT_RUNNING)
    if not webhooks.secrets:
        raise RuntimeError(
            f"no webhook signing secret: set {WEBHOOK_SECRET_ENV} or pass "
            "avala_lifespan(webhook_secret=...)"
        )
    body = await request.body()
    *earlier, last = webhooks.secrets
    try:
        for secret in earlier:  # several during a rotation: each in turn
            try:
                return construct_event(body, request.headers, secret, tolerance=webhooks.tolerance)
            except WebhookSignatureError as exc:
                if exc.reason != "mismatch":  # missing or malformed under any secret
                    raise
        return construct_event(body, request.headers, last, tolerance=webhooks.tolerance)
    except WebhookError as exc:
        raise _bad_delivery(exc) from None


AvalaClient = Annotated[AsyncClient, Depends(get_avala_client)]
"""The shared client as a route parameter: ``async def route(client: AvalaClient)``."""

AvalaWebhookEvent = Annotated[WebhookEvent, Depends(verified_webhook_event)]
"""A verified webhook delivery as a route parameter: ``async def hook(event:
AvalaWebhookEvent)``; bad or unsigned deliveries are answered with a 400 first."""


# --- internals ------------------------------------------------------------------------------


def _bad_delivery(error: WebhookError) -> HTTPException:
    return HTTPException(status_code=400, detail=error.message)


def _from_state(connection: HTTPConnection, name: str) -> object:
    """Lifespan state first (it reaches mounted sub-apps), then the app's own state."""
    value = getattr(connection.state, name, None)
    if value is None:
        app = connection.scope.get("app")
        value = getattr(getattr(app, "state", None), name, None)
    return value


def _resolve_webhooks(
    app: Starlette,
    secret: str | bytes | Sequence[str | bytes] | None,
    tolerance: float | None,
) -> _Webhooks:
    if tolerance is not None and (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise ConfigurationError(
            f"avala_lifespan: webhook_tolerance must be a positive number of seconds, got "
            f"{tolerance!r}."
        )
    where = "avala_lifespan(webhook_secret=...)"
    if secret is None:
        where = f"the {WEBHOOK_SECRET_ENV} environment variable"
        from_env = os.environ.get(WEBHOOK_SECRET_ENV)
        secret = from_env if from_env and from_env.strip() else None
    if secret is None:
        if _routes_depend_on(getattr(app, "routes", ()), verified_webhook_event):
            raise ConfigurationError(
                f"A route receives Avala webhooks but there is no signing secret: set "
                f"{WEBHOOK_SECRET_ENV} to the secret Avala returned when the webhook was "
                "created, or pass avala_lifespan(webhook_secret=...)."
            )
        return _Webhooks((), None if tolerance is None else float(tolerance))
    secrets = (secret,) if isinstance(secret, (str, bytes)) else tuple(secret)
    if not secrets:
        raise ConfigurationError(f"{where}: no webhook signing secret was given.")
    for index, one in enumerate(secrets):
        try:
            compute_signature(b"", one)  # the checks construct_event makes, once, here
        except (TypeError, ValueError) as exc:
            which = "" if len(secrets) == 1 else f" (secret {index + 1} of {len(secrets)})"
            raise ConfigurationError(f"{where}{which}: {exc}.") from None
    return _Webhooks(secrets, None if tolerance is None else float(tolerance))


def _routes_depend_on(routes: Iterable[Any], target: Callable[..., Any]) -> bool:
    """Whether any route has ``target`` among its dependencies: routes of included routers
    and mounted apps too, and dependencies given to ``include_router``. Duck-typed, so it
    follows FastAPI's route classes across versions."""
    pending: list[Any] = list(routes)
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        # a Dependant (.call) or a Depends marker (.dependency)
        if getattr(node, "call", None) is target or getattr(node, "dependency", None) is target:
            return True
        for name in ("dependant", "original_router", "include_context"):
            child = getattr(node, name, None)
            if child is not None:
                pending.append(child)
        for name in ("dependencies", "routes"):
            children = getattr(node, name, None)
            if isinstance(children, (list, tuple)):
                pending.extend(children)
    return False
