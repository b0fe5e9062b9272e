"""The aiohttp.web application: auth, errors, faults and the request log as middleware, and the
routes of every endpoint description in :mod:`avala.testing._api`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import struct
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._api import ENDPOINTS
from ._api.resolver import resolver_routes
from ._engine import decode_cursor, encode_cursor, json_response, routes
from ._faults import API_PREFIX, RESPONSE_FAULTS, Fault
from ._ratelimit import throttled_headers
from ._schema import ApiError
from ._state import RecordedRequest, ServerState
from ._storage import RESPONSE_FAULT, is_storage_path, storage_routes

__all__ = ["STATE_KEY", "create_app", "decode_cursor", "encode_cursor"]

logger = logging.getLogger("avala.testing")

AUTH_HEADER = "X-Avala-Api-Key"

#: What Django answers for a URL no route matches: an HTML page, unlike DRF's JSON
#: ``{"detail": "Not found."}`` for a missing object, so a typo in a path is never mistaken
#: for "no such object".
UNKNOWN_ROUTE_HTML = (
    '<!doctype html>\n<html lang="en">\n<head><title>Not Found</title></head>\n'
    "<body><h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
    "</body>\n</html>\n"
)

STATE_KEY = web.AppKey("avala_testing_state", ServerState)
"""Application key under which :func:`create_app` stores the :class:`ServerState`."""

_CLOSING_KEY = web.AppKey("avala_testing_closing", asyncio.Event)
#: The X-RateLimit-* headers of a request's answer.
_RATE_HEADERS = web.RequestKey("avala_testing_rate_headers", dict[str, str])


# --------------------------------------------------------------------------- middleware


def _error_from_http_exception(request: web.Request, exc: web.HTTPException) -> web.Response:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response = json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
    if exc.status == 404:
        return web.Response(status=404, text=UNKNOWN_ROUTE_HTML, content_type="text/html")
    response = json_response({"detail": exc.reason}, exc.status)
    for name in ("Location", "Retry-After"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


def _abort_connection(request: web.Request) -> None:
    """Close the connection at once with a TCP reset, sending nothing."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _read_body_prefix(request: web.Request, count: int) -> None:
    """Read (and drop) up to ``count`` bytes of the request body."""
    remaining = count
    with contextlib.suppress(Exception):
        while remaining > 0:
            chunk = await request.content.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)


def _make_middleware(state: ServerState, anonymous: set[web.AbstractRoute]) -> Middleware:
    async def serve(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            match = request.match_info
            if match.http_exception is None and match.route not in anonymous:
                detail = state.auth_error(request.headers.get(AUTH_HEADER))
                if detail is not None:
                    response = json_response({"detail": detail}, 401)
                    response.headers["WWW-Authenticate"] = "Api-Key"
                    return response
            return await handler(request)
        except ApiError as exc:
            return json_response(exc.payload, exc.status)
        except web.HTTPException as exc:
            return _error_from_http_exception(request, exc)
        except Exception:
            logger.exception("Unhandled error serving %s %s", request.method, request.path)
            return json_response({"detail": "A server error occurred."}, 500)

    async def inject(request: web.Request, handler: Handler, fault: Fault) -> web.StreamResponse:
        if fault.kind in RESPONSE_FAULTS:
            request[RESPONSE_FAULT] = fault  # the download handler applies it as it streams
            return await serve(request, handler)
        if fault.kind == "delay":
            closing = request.app[_CLOSING_KEY]
            try:
                await asyncio.wait_for(closing.wait(), fault.seconds)
            except asyncio.TimeoutError:
                return await serve(request, handler)
            _abort_connection(request)  # the server is shutting down
            return web.Response(status=503)
        if fault.kind == "reset":
            _abort_connection(request)
            return web.Response(status=500)  # never sent: the transport is gone
        if fault.kind == "reset_mid_body":
            await _read_body_prefix(request, fault.after_bytes)
            _abort_connection(request)
            return web.Response(status=500)  # never sent: the transport is gone
        if fault.kind == "truncated":
            response = web.StreamResponse(status=200, headers=dict(fault.headers))
            response.content_length = len(fault.body) + 4096
            await response.prepare(request)
            await response.write(fault.body)
            if request.transport is not None:
                request.transport.close()
            return response
        return web.Response(
            status=fault.status_code, headers=dict(fault.headers), body=fault.body or None
        )

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if state.record_requests:
            try:
                # storage bodies stream through their handler and are not logged
                streamed = is_storage_path(request.path)
                body = await request.read() if request.can_read_body and not streamed else b""
            except web.HTTPException as exc:  # e.g. 413 for a body over client_max_size
                return _error_from_http_exception(request, exc)
            state.record(
                RecordedRequest(
                    method=request.method,
                    path=request.rel_url.raw_path,
                    query=dict(request.query),
                    headers=dict(request.headers),
                    body=body,
                    time=time.monotonic(),
                )
            )
        allowed, wait = True, 0.0
        if not is_storage_path(request.path):  # storage is not rate limited
            allowed, request[_RATE_HEADERS], wait = state.rate_limit_check()
        fault = state.faults.take(request.method, request.path, request.query_string)
        if fault is not None:
            return await inject(request, handler, fault)
        if not allowed:
            seconds = math.ceil(wait)
            response = json_response(
                {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
                429,
            )
            response.headers.update(throttled_headers(wait))
            return response
        return await serve(request, handler)

    return middleware


# --------------------------------------------------------------------------- app


def create_app(state: ServerState | None = None) -> web.Application:
    """Build the aiohttp application serving the Avala API slice under ``/api/v1/``, and the
    object storage its upload grants point at under ``/_storage/`` (no API key needed there).

    Args:
        state: The state to serve; a fresh :class:`ServerState` with seed data if omitted.

    Returns:
        The application. Its state is available as ``app[STATE_KEY]``.
    """
    if state is None:
        state = ServerState()
    anonymous: set[web.AbstractRoute] = set()
    app = web.Application(middlewares=[_make_middleware(state, anonymous)])
    app[STATE_KEY] = state
    app[_CLOSING_KEY] = asyncio.Event()

    async def decorate(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        if "X-Request-Id" not in headers:
            headers["X-Request-Id"] = state.next_request_id()
        for name, value in request.get(_RATE_HEADERS, {}).items():
            headers.setdefault(name, value)

    async def on_shutdown(app: web.Application) -> None:
        app[_CLOSING_KEY].set()  # wake delayed requests

    app.on_response_prepare.append(decorate)
    app.on_shutdown.append(on_shutdown)

    for method, path, handler, anon in routes(state, ENDPOINTS, API_PREFIX):
        route = app.router.add_route(method, path, handler)
        if anon:
            anonymous.add(route)
    for method, path, resolver_handler in resolver_routes(state):
        anonymous.add(app.router.add_route(method, API_PREFIX + path, resolver_handler))
    for method, path, storage_handler in storage_routes(state.storage):
        anonymous.add(app.router.add_route(method, path, storage_handler))
    return app
