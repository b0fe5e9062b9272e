"""The generic handlers: one list, create, retrieve, update and destroy for every endpoint,
driven by its :class:`~avala.testing._schema.Endpoint` description, plus the routes.

Pagination is DRF's: cursor pages (``{next, previous, results}``, an opaque ``cursor``),
page-number pages (``{count, next, previous, results}``, ``?page=N``) or a bare array.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._schema import (
    Action,
    ApiError,
    Endpoint,
    Filter,
    JSONDict,
    Table,
    Validator,
    not_found,
)
from ._store import Store, dumps, now_timestamp, public

if TYPE_CHECKING:
    from ._state import ServerState

__all__ = ["Call", "decode_cursor", "encode_cursor", "json_response", "routes"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CURSOR_TEXT_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CURSOR_VALUE_RE = re.compile(r"o=(\d{1,15})")
_KEYWORD = re.compile(r"\{(\w+)\}")


def text_response(status: int, text: str) -> web.Response:
    """Answer with ``text``, which is already JSON."""
    return web.Response(status=status, body=text.encode(), content_type="application/json")


def json_response(payload: Any, status: int = 200) -> web.Response:
    """Answer with ``payload`` as JSON."""
    return text_response(status, dumps(payload))


def no_content() -> web.Response:
    """204 with no body."""
    return web.Response(status=204)


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


def _limit(request: web.Request, default: int) -> int:
    raw = request.query.get("limit") or request.query.get("page_size")
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, {"limit": ["A valid integer is required."]}) from None
    if limit < 1:
        raise ApiError(400, {"limit": ["Ensure this value is greater than or equal to 1."]})
    return min(limit, MAX_PAGE_SIZE)


def cursor_page(
    request: web.Request, total: int, render: Callable[[int, int], str], default: int
) -> web.Response:
    """One cursor page; ``render(start, stop)`` returns the JSON array text."""
    limit = _limit(request, default)
    raw_cursor = request.query.get("cursor")
    offset = 0
    if raw_cursor is not None:
        decoded = decode_cursor(raw_cursor)
        if decoded is None:
            raise ApiError(400, {"detail": "Invalid cursor"})
        offset = decoded
    stop = min(offset + limit, total)
    results = render(offset, stop) if offset < stop else "[]"
    url = request.url
    next_url = str(url.update_query(cursor=encode_cursor(stop))) if stop < total else None
    prev_url = (
        str(url.update_query(cursor=encode_cursor(max(0, min(offset, total) - limit))))
        if offset > 0
        else None
    )
    return text_response(
        200, f'{{"next":{dumps(next_url)},"previous":{dumps(prev_url)},"results":{results}}}'
    )


def number_page(
    request: web.Request, total: int, render: Callable[[int, int], str], default: int
) -> web.Response:
    """One page-number page (``?page=N``, 1-based), with ``count``, as DRF's
    PageNumberPagination answers."""
    limit = _limit(request, default)
    raw = request.query.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise ApiError(404, {"detail": "Invalid page."}) from None
    pages = max(1, -(-total // limit))
    if number < 1 or number > pages:
        raise ApiError(404, {"detail": "Invalid page."})
    start, stop = (number - 1) * limit, min(number * limit, total)
    url = request.url
    next_url = str(url.update_query(page=number + 1)) if stop < total else None
    prev_url = str(url.update_query(page=number - 1)) if number > 1 else None
    results = render(start, stop) if start < stop else "[]"
    return text_response(
        200,
        f'{{"count":{total},"next":{dumps(next_url)},"previous":{dumps(prev_url)},'
        f'"results":{results}}}',
    )


# --------------------------------------------------------------------------- requests


async def read_json(request: web.Request) -> Any:
    """The request body as JSON (``{}`` for an empty body).

    Raises:
        ApiError: 400 in DRF's words when it is not JSON.
    """
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None


async def read_object(request: web.Request) -> JSONDict:
    """The request body, which must be a JSON object."""
    value = await read_json(request)
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise ApiError(400, {"detail": f"JSON parse error - Expected a JSON object, got {kind}"})
    return value


class Call:
    """What an action or hook gets: the request, the store, and the objects the URL named.

    Attributes:
        request: The aiohttp request.
        state: The server state.
        store: The data.
        endpoint: The endpoint serving this request.
        parent: The innermost parent object the URL named, if any.
        record: The object a detail URL named (detail actions, retrieve, update, destroy).
    """

    def __init__(self, request: web.Request, state: ServerState, endpoint: Endpoint) -> None:
        self.request = request
        self.state = state
        self.store: Store = state.store
        self.endpoint = endpoint
        self.parent: JSONDict | None = None
        self.record: JSONDict | None = None
        self.text: str | None = None

    @property
    def parent_id(self) -> str | None:
        """The id the collection's objects are grouped under (None at top level)."""
        if self.parent is None:
            return None
        scope = self.endpoint.scope[-1]
        return str(self.parent[self.store.tables[scope.table].id_field])

    async def body(self) -> JSONDict:
        """The request body, which must be a JSON object."""
        return await read_object(self.request)

    def query(self, name: str) -> str | None:
        """A query parameter, None when absent or empty."""
        value = self.request.query.get(name)
        return value or None


def resolve(call: Call) -> None:
    """Find the parent chain, and the object a detail URL names; 404 when any is missing."""
    info = call.request.match_info
    store = call.store
    parent: JSONDict | None = None
    parent_id: str | None = None
    for step in call.endpoint.scope:
        match = {fld: info[kw] for kw, fld in step.match.items()}
        parent = store.find(step.table, parent_id, **match)
        if parent is None:
            raise not_found()
        parent_id = str(parent[store.tables[step.table].id_field])
    call.parent = parent
    endpoint = call.endpoint
    if endpoint.singleton:
        table = endpoint.table
        records = store.group(table.name, parent_id).records()
        if records:
            call.record = records[0]
        else:
            fresh: JSONDict = {}
            if table.parent is not None:
                fresh[table.parent.field] = parent_id
            call.record = store.insert(table.name, fresh)
        return
    if endpoint.detail and all(kw in info for kw in endpoint.lookup):
        match = {fld: info[kw] for kw, fld in endpoint.lookup.items()}
        table = endpoint.table
        found: JSONDict | str | None
        if list(match) == [table.id_field]:
            found = store.get(table.name, match[table.id_field], parent_id)
        else:
            found = store.find(table.name, parent_id, **match)
        if found is None:
            raise not_found()
        if isinstance(found, str):
            call.text = found  # a generated object, already JSON
        else:
            call.record = found


def render(table: Table, record: JSONDict, *, reveal: bool = False) -> JSONDict:
    """The object as served: server-only fields out, secrets only when ``reveal``."""
    shown = public(record)
    for name, spec in table.fields.items():
        if spec.write_only or (spec.secret and not reveal):
            shown.pop(name, None)
    return shown


def _matches(value: Any, flt: Filter, wanted: str) -> bool:
    if flt.mode == "icontains":
        return wanted.casefold() in str(value or "").casefold()
    if flt.mode == "iexact":
        return str(value or "").casefold() == wanted.casefold()
    if flt.mode == "bool":
        return value is (wanted.lower() in ("true", "1", "yes"))
    return value == wanted or (value is not None and str(value) == wanted)


def _filtered(call: Call) -> tuple[Sequence[JSONDict] | None, int]:
    """The objects to list, or None when the whole group is listed unchanged (fast path)."""
    endpoint, request = call.endpoint, call.request
    missing = {q: ["This field is required."] for q in endpoint.required_query if not call.query(q)}
    if missing:
        raise ApiError(400, missing)
    active = [(f, v) for f in endpoint.filters if (v := call.query(f.query)) is not None]
    ordering = request.query.get("ordering")
    source = call.store.group(endpoint.table.name, call.parent_id)
    if not active and not ordering:
        return None, len(source)
    records: Sequence[JSONDict] = [
        r for r in source.records() if all(_matches(r.get(f.target), f, v) for f, v in active)
    ]
    if ordering:
        for key in reversed(ordering.split(",")):
            name = key.lstrip("-")
            if name not in endpoint.ordering:
                continue  # DRF ignores unknown ordering fields
            records = sorted(
                records,
                key=lambda r: (r.get(name) is None, r.get(name) or 0),
                reverse=key.startswith("-"),
            )
    return records, len(records)


async def handle_list(call: Call) -> web.StreamResponse:
    endpoint = call.endpoint
    table = endpoint.table
    records, total = _filtered(call)
    page_of: Callable[[int, int], str]
    if records is None:
        source = call.store.group(table.name, call.parent_id)
        if any(spec.secret or spec.write_only for spec in table.fields.values()):
            records = source.records()
        else:
            page_of = source.render_page  # fast path: no copy, pre-rendered where generated
    if records is not None:
        chosen = records

        def page_of(start: int, stop: int) -> str:
            return dumps([render(table, r) for r in chosen[start:stop]])

    present = endpoint.present
    if present is not None:
        unpresented = page_of

        def page_of(start: int, stop: int) -> str:
            return present(call, unpresented(start, stop))

    if endpoint.paging == "array":
        return text_response(200, page_of(0, total))
    pager = number_page if endpoint.paging == "page" else cursor_page
    return pager(call.request, total, page_of, endpoint.page_size)


async def handle_create(call: Call) -> web.StreamResponse:
    endpoint = call.endpoint
    table = endpoint.table
    data = await call.body()
    values = Validator(call.store, table, data, partial=False).clean()
    if table.parent is not None:
        values[table.parent.field] = call.parent_id
    if table.on_create is not None:
        table.on_create(call, values)
    with call.store.lock:
        for fields in table.unique:
            match = {f: values.get(f) for f in fields}
            if call.store.find(table.name, call.parent_id, **match) is not None:
                label = fields[-1]
                raise ApiError(
                    400, {label: [f"{table.name.rstrip('s')} with this {label} already exists."]}
                )
        record = call.store.insert(table.name, values)
    return json_response(render(table, record, reveal=True), endpoint.create_status)


async def handle_retrieve(call: Call) -> web.StreamResponse:
    present = call.endpoint.present
    if call.text is not None:
        return text_response(200, call.text if present is None else present(call, call.text))
    record = call.record
    table = call.endpoint.table
    assert record is not None
    if table.on_retrieve is not None:
        with call.store.lock:
            table.on_retrieve(call.store, record)
    if present is not None:
        return text_response(200, present(call, dumps(render(table, record))))
    return json_response(render(table, record))


async def handle_update(call: Call) -> web.StreamResponse:
    record = call.record
    table = call.endpoint.table
    assert record is not None
    values = Validator(call.store, table, await call.body(), partial=True).clean()
    if table.on_update is not None:
        table.on_update(call, record, values)
    with call.store.lock:
        record.update(values)
        if table.updated_field is not None and table.updated_field in record:
            record[table.updated_field] = now_timestamp()
    return json_response(render(table, record))


async def handle_destroy(call: Call) -> web.StreamResponse:
    assert call.record is not None
    call.store.delete(call.endpoint.table.name, call.record)
    return no_content()


_VERB_HANDLERS = {
    "list": handle_list,
    "create": handle_create,
    "retrieve": handle_retrieve,
    "update": handle_update,
    "destroy": handle_destroy,
}


# --------------------------------------------------------------------------- routes


Handler = Callable[[web.Request], Any]


def _bind(state: ServerState, endpoint: Endpoint, verb: str, action: Action | None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        call = Call(request, state, endpoint)
        resolve(call)
        if action is not None:
            return await action.handler(call)
        return await _VERB_HANDLERS[verb](call)

    return handler


def _route_key(path: str) -> list[tuple[int, str]]:
    """Literal segments sort before parameters at each position, so ``/datasets/manual-upload/``
    is matched before ``/datasets/{uid}/``."""
    return [(1, "") if _KEYWORD.fullmatch(seg) else (0, seg) for seg in path.split("/")]


def routes(
    state: ServerState, endpoints: Sequence[Endpoint], prefix: str
) -> list[tuple[str, str, Handler, bool]]:
    """Every (method, path, handler, anonymous) route the endpoints describe, in match order."""
    found: list[tuple[str, str, Handler, bool]] = []
    for endpoint in endpoints:
        base = prefix + endpoint.path
        detail = None if endpoint.detail is None else base + endpoint.detail
        verbs = endpoint.verbs
        anon = endpoint.anonymous
        if endpoint.singleton:
            for verb, method in (("retrieve", "GET"), ("update", endpoint.update_method)):
                if verb in verbs:
                    found.append((method, base, _bind(state, endpoint, verb, None), anon))
        else:
            for verb, method in (("list", "GET"), ("create", "POST")):
                if verb in verbs:
                    found.append((method, base, _bind(state, endpoint, verb, None), anon))
            if detail is not None:
                for verb, method in (
                    ("retrieve", "GET"),
                    ("update", endpoint.update_method),
                    ("destroy", "DELETE"),
                ):
                    if verb in verbs:
                        found.append((method, detail, _bind(state, endpoint, verb, None), anon))
        for action in endpoint.actions:
            where = detail if action.detail else base
            if where is None:
                raise ValueError(f"{endpoint.path}: detail action {action.name} needs a detail")
            path = where + action.name + "/" if action.name else where
            found.append((action.method, path, _bind(state, endpoint, "action", action), anon))
    seen: set[tuple[str, str]] = set()
    for method, path, _, _ in found:
        if (method, path) in seen:
            raise ValueError(f"route {method} {path} is described twice")
        seen.add((method, path))
    found.sort(key=lambda route: _route_key(route[1]))
    return found
