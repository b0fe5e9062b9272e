"""The aiohttp.web application: routes, handlers, auth, pagination, errors and faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import re
import socket
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._faults import API_PREFIX, Fault
from ._state import RecordedRequest, ServerState
from ._store import (
    DATA_TYPES,
    DEMO_OWNER,
    VISIBILITIES,
    DatasetRecord,
    JSONDict,
    dumps,
    filter_records,
)

__all__ = ["STATE_KEY", "create_app", "decode_cursor", "encode_cursor"]

logger = logging.getLogger("avala.testing")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
AUTH_HEADER = "X-Avala-Api-Key"

STATE_KEY = web.AppKey("avala_testing_state", ServerState)
"""Application key under which :func:`create_app` stores the :class:`ServerState`."""

_CLOSING_KEY = web.AppKey("avala_testing_closing", asyncio.Event)

_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")
_CURSOR_TEXT_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CURSOR_VALUE_RE = re.compile(r"o=(\d{1,15})")
_NOT_FOUND = {"detail": "Not found."}


class ApiError(Exception):
    """Raised by handlers to answer with a JSON error body."""

    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


def _text_response(status: int, text: str) -> web.Response:
    """Answer with ``text``, which is already JSON."""
    return web.Response(status=status, body=text.encode(), content_type="application/json")


def _json_response(status: int, payload: Any) -> web.Response:
    return _text_response(status, dumps(payload))


def _not_found() -> ApiError:
    return ApiError(404, _NOT_FOUND)


# --------------------------------------------------------------------------- pagination


def encode_cursor(offset: int) -> str:
    """Return the opaque ``cursor`` value the server uses for a page starting at ``offset``.

    Clients should treat cursors as opaque; tests may use this to jump straight to a page.
    """
    if offset < 0:
        raise ValueError("offset must be >= 0")
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """Return the offset encoded in ``cursor``, or ``None`` if it is not a valid cursor."""
    if not _CURSOR_TEXT_RE.fullmatch(cursor):
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    match = _CURSOR_VALUE_RE.fullmatch(raw.decode("ascii", "replace"))
    return None if match is None else int(match.group(1))


def _page_window(request: web.Request) -> tuple[int, int]:
    query = request.query
    raw_limit = query.get("limit")
    if raw_limit is None or raw_limit == "":
        limit = DEFAULT_PAGE_SIZE
    else:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ApiError(400, {"limit": ["A valid integer is required."]}) from None
        if limit < 1:
            raise ApiError(400, {"limit": ["Ensure this value is greater than or equal to 1."]})
        limit = min(limit, MAX_PAGE_SIZE)
    raw_cursor = query.get("cursor")
    if raw_cursor is None:
        return 0, limit
    offset = decode_cursor(raw_cursor)
    if offset is None:
        raise ApiError(400, {"detail": "Invalid cursor"})
    return offset, limit


def _cursor_url(request: web.Request, offset: int) -> str:
    return str(request.url.update_query(cursor=encode_cursor(offset)))


def _page(request: web.Request, total: int, render: Callable[[int, int], str]) -> web.Response:
    """Answer with one cursor page; ``render(start, stop)`` returns the JSON array text."""
    offset, limit = _page_window(request)
    stop = min(offset + limit, total)
    results = render(offset, stop) if offset < stop else "[]"
    next_url = _cursor_url(request, stop) if stop < total else None
    prev_url = _cursor_url(request, max(0, min(offset, total) - limit)) if offset > 0 else None
    body = f'{{"next":{dumps(next_url)},"previous":{dumps(prev_url)},"results":{results}}}'
    return _text_response(200, body)


def _page_of(request: web.Request, records: Sequence[JSONDict]) -> web.Response:
    return _page(request, len(records), lambda start, stop: dumps(records[start:stop]))


def _filter(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    return value if value else None


# --------------------------------------------------------------------------- body validation

_TRUE = {True, "true", "True", "TRUE", "1", "yes", "on"}
_FALSE = {False, "false", "False", "FALSE", "0", "no", "off"}


async def _read_object(request: web.Request) -> JSONDict:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise ApiError(400, {"detail": f"JSON parse error - Expected a JSON object, got {kind}"})
    return value


class _Validator:
    """Collects DRF-style field errors (``{"field": ["message"]}``)."""

    def __init__(self, data: JSONDict) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def string(self, name: str, *, required: bool = False, max_length: int = 255) -> str | None:
        if name not in self.data:
            if required:
                self.fail(name, "This field is required.")
            return None
        value = self.data[name]
        if value is None:
            if required:
                self.fail(name, "This field may not be null.")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(name, "Not a valid string.")
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.fail(name, "This field may not be blank.")
            return None
        if len(text) > max_length:
            self.fail(name, f"Ensure this field has no more than {max_length} characters.")
            return None
        return text

    def choice(self, name: str, choices: Sequence[str], *, required: bool = False) -> str | None:
        if required and name not in self.data:
            self.fail(name, "This field is required.")
            return None
        value = self.data.get(name)
        if value is None:
            if name in self.data and required:
                self.fail(name, "This field may not be null.")
            return None
        if not isinstance(value, str) or value not in choices:
            self.fail(name, f'"{value}" is not a valid choice.')
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        try:
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
        except TypeError:  # unhashable (list, dict)
            pass
        self.fail(name, "Must be a valid boolean.")
        return None

    def mapping(self, name: str) -> None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, dict):
            kind = type(value).__name__
            self.fail(name, f'Expected a dictionary of items but got type "{kind}".')


# --------------------------------------------------------------------------- handlers


class _Handlers:
    """The endpoint handlers, bound to one :class:`ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.store = state.store

    # ---- datasets

    async def list_datasets(self, request: web.Request) -> web.Response:
        records: Sequence[JSONDict] = filter_records(
            [record.data for record in self.store.datasets],
            data_type=_filter(request, "data_type"),
            status=_filter(request, "status"),
            visibility=_filter(request, "visibility"),
        )
        name = _filter(request, "name")
        if name is not None:
            needle = name.casefold()
            records = [r for r in records if needle in str(r["name"]).casefold()]
        return _page_of(request, records)

    async def create_dataset(self, request: web.Request) -> web.Response:
        check = _Validator(await _read_object(request))
        name = check.string("name", required=True)
        slug = check.string("slug", required=True, max_length=100)
        if slug is not None and not _SLUG_RE.fullmatch(slug):
            check.fail(
                "slug",
                'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
            )
            slug = None
        data_type = check.choice("data_type", DATA_TYPES, required=True)
        visibility = check.choice("visibility", VISIBILITIES) or "private"
        owner = check.string("owner_name") or DEMO_OWNER
        is_sequence = check.boolean("is_sequence")
        check.boolean("create_metadata")
        check.mapping("provider_config")
        check.mapping("metadata")
        if slug is not None and self.store.dataset_by_slug(owner, slug) is not None:
            check.fail("slug", "dataset with this slug already exists.")
        if check.errors or name is None or slug is None or data_type is None:
            raise ApiError(400, check.errors)
        try:
            data = self.store.create_dataset(
                name=name,
                slug=slug,
                data_type=data_type,
                owner_name=owner,
                visibility=visibility,
                is_sequence=bool(is_sequence),
            )
        except ValueError:
            raise ApiError(400, {"slug": ["dataset with this slug already exists."]}) from None
        return _json_response(201, data)

    def _dataset(self, request: web.Request) -> DatasetRecord:
        info = request.match_info
        record = self.store.dataset_by_slug(info["owner"], info["slug"])
        if record is None:
            raise _not_found()
        return record

    async def get_dataset(self, request: web.Request) -> web.Response:
        record = self.store.dataset(request.match_info["uid"])
        if record is None:
            raise _not_found()
        return _json_response(200, self.store.poll_dataset(record))

    async def get_dataset_by_slug(self, request: web.Request) -> web.Response:
        return _json_response(200, self.store.poll_dataset(self._dataset(request)))

    async def list_items(self, request: web.Request) -> web.Response:
        items = self._dataset(request).items
        return _page(request, len(items), items.render_page)

    async def get_item(self, request: web.Request) -> web.Response:
        text = self._dataset(request).items.render_item(request.match_info["item_uid"])
        if text is None:
            raise _not_found()
        return _text_response(200, text)

    async def list_sequences(self, request: web.Request) -> web.Response:
        return _page_of(request, self._dataset(request).sequences)

    async def get_sequence(self, request: web.Request) -> web.Response:
        sequence = self._dataset(request).sequences_by_uid.get(request.match_info["sequence_uid"])
        if sequence is None:
            raise _not_found()
        return _json_response(200, sequence)

    async def get_health(self, request: web.Request) -> web.Response:
        record = self._dataset(request)
        data = record.data
        ready = data["status"] == "created"
        sequences = [
            {
                "uid": seq["uid"],
                "key": seq["key"],
                "status": seq["status"],
                "frame_count": seq["number_of_frames"],
                "has_lidar_calibration": seq["lidar_calibration_enabled"],
                "has_camera_calibration": seq["camera_calibration_enabled"],
            }
            for seq in record.sequences
        ]
        health = {
            "dataset_uid": record.uid,
            "dataset_slug": data["slug"],
            "dataset_status": data["status"],
            "item_count": data["item_count"],
            "sequence_count": len(sequences),
            "total_frames": sum(seq["frame_count"] for seq in sequences),
            "s3_prefix": None,
            "gc_storage_prefix": None,
            "last_updated_at": data["updated_at"],
            "sequences": sequences,
            "ingest_ok": ready,
            "issues": [] if ready else ["Dataset is still being created."],
        }
        return _json_response(200, health)

    # ---- projects and tasks

    async def list_projects(self, request: web.Request) -> web.Response:
        return _page_of(request, self.store.projects)

    async def get_project(self, request: web.Request) -> web.Response:
        project = self.store.project(request.match_info["uid"])
        if project is None:
            raise _not_found()
        return _json_response(200, project)

    async def list_tasks(self, request: web.Request) -> web.Response:
        tasks = filter_records(
            self.store.tasks,
            project=_filter(request, "project"),
            status=_filter(request, "status"),
        )
        return _page_of(request, tasks)

    async def get_task(self, request: web.Request) -> web.Response:
        task = self.store.task(request.match_info["uid"])
        if task is None:
            raise _not_found()
        return _json_response(200, task)

    # ---- exports

    async def list_exports(self, request: web.Request) -> web.Response:
        return _page_of(request, [record.data for record in self.store.exports])

    async def create_export(self, request: web.Request) -> web.Response:
        data = await _read_object(request)
        errors: dict[str, list[str]] = {}
        project_uid = data.get("project")
        dataset_uid = data.get("dataset")
        project = dataset = None
        if project_uid is not None:
            if not isinstance(project_uid, str):
                errors["project"] = ["Invalid value."]
            elif (project := self.store.project(project_uid)) is None:
                errors["project"] = [f"Object with uid={project_uid} does not exist."]
        if dataset_uid is not None:
            if not isinstance(dataset_uid, str):
                errors["dataset"] = ["Invalid value."]
            elif (dataset := self.store.dataset(dataset_uid)) is None:
                errors["dataset"] = [f"Object with uid={dataset_uid} does not exist."]
        if errors:
            raise ApiError(400, errors)
        return _json_response(201, self.store.create_export(project=project, dataset=dataset))

    async def get_export(self, request: web.Request) -> web.Response:
        record = self.store.export(request.match_info["uid"])
        if record is None:
            raise _not_found()
        return _json_response(200, self.store.poll_export(record))


# --------------------------------------------------------------------------- middleware


def _error_from_http_exception(request: web.Request, exc: web.HTTPException) -> web.Response:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response = _json_response(405, {"detail": f'Method "{request.method}" not allowed.'})
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return response
    if exc.status == 404:
        return _json_response(404, _NOT_FOUND)
    response = _json_response(exc.status, {"detail": exc.reason})
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


def _make_middleware(state: ServerState) -> Middleware:
    async def serve(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if not isinstance(request.match_info.http_exception, web.HTTPNotFound):
                detail = state.auth_error(request.headers.get(AUTH_HEADER))
                if detail is not None:
                    response = _json_response(401, {"detail": detail})
                    response.headers["WWW-Authenticate"] = "Api-Key"
                    return response
            return await handler(request)
        except ApiError as exc:
            return _json_response(exc.status, exc.payload)
        except web.HTTPException as exc:
            return _error_from_http_exception(request, exc)
        except Exception:
            logger.exception("Unhandled error serving %s %s", request.method, request.path)
            return _json_response(500, {"detail": "A server error occurred."})

    async def inject(request: web.Request, handler: Handler, fault: Fault) -> web.StreamResponse:
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
                body = await request.read() if request.can_read_body else b""
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
        fault = state.faults.take(request.method, request.path)
        if fault is not None:
            return await inject(request, handler, fault)
        return await serve(request, handler)

    return middleware


# --------------------------------------------------------------------------- app


def create_app(state: ServerState | None = None) -> web.Application:
    """Build the aiohttp application serving the Avala API slice under ``/api/v1/``.

    Args:
        state: The state to serve; a fresh :class:`ServerState` with seed data if omitted.

    Returns:
        The application. Its state is available as ``app[STATE_KEY]``.
    """
    if state is None:
        state = ServerState()
    app = web.Application(middlewares=[_make_middleware(state)])
    app[STATE_KEY] = state
    app[_CLOSING_KEY] = asyncio.Event()

    async def decorate(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        if "X-Request-Id" not in headers:
            headers["X-Request-Id"] = state.next_request_id()
        limit, remaining, reset = state.rate_limit_tick()
        headers.setdefault("X-RateLimit-Limit", limit)
        headers.setdefault("X-RateLimit-Remaining", remaining)
        headers.setdefault("X-RateLimit-Reset", reset)

    async def on_shutdown(app: web.Application) -> None:
        app[_CLOSING_KEY].set()  # wake delayed requests

    app.on_response_prepare.append(decorate)
    app.on_shutdown.append(on_shutdown)

    h = _Handlers(state)
    add_get = app.router.add_get
    p = API_PREFIX
    add_get(f"{p}/datasets/", h.list_datasets)
    app.router.add_post(f"{p}/datasets/", h.create_dataset)
    add_get(f"{p}/datasets/{{uid}}/", h.get_dataset)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/", h.get_dataset_by_slug)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/health/", h.get_health)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/items/", h.list_items)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/items/{{item_uid}}/", h.get_item)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/sequences/", h.list_sequences)
    add_get(f"{p}/datasets/{{owner}}/{{slug}}/sequences/{{sequence_uid}}/", h.get_sequence)
    add_get(f"{p}/users/me/projects/", h.list_projects)
    add_get(f"{p}/users/me/projects/{{uid}}/", h.get_project)
    add_get(f"{p}/tasks/", h.list_tasks)
    add_get(f"{p}/tasks/{{uid}}/", h.get_task)
    add_get(f"{p}/exports/", h.list_exports)
    app.router.add_post(f"{p}/exports/", h.create_export)
    add_get(f"{p}/exports/{{uid}}/", h.get_export)
    return app
