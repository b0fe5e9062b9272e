"""What every resource shares: path building, requests through the client's transport,
page construction and polling. Resources declare verb, path, query, body and model;
they never touch aiohttp, headers or status codes."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from yarl import URL

from .. import _tracing
from .._serde import converter, structure
from .._transport import Response
from ..errors import APIResponseValidationError
from ..pagination import FOLLOW, AsyncPage, AsyncPaginator, cursor_params

if TYPE_CHECKING:
    from .._client import AsyncClient

T = TypeVar("T")


def segment(name: str, value: object) -> str:
    """Percent-encode a caller-supplied id as exactly one path segment.

    ``/``, ``?``, ``#`` and ``%`` are encoded, so no value can reach another endpoint;
    empty values and the dot segments ``.`` and ``..`` are refused.

    Raises:
        TypeError: ``value`` is not a str.
        ValueError: ``value`` is empty, ``.`` or ``..``.
    """
    if type(value) is str and _PLAIN(value):  # uids, slugs, handles: nothing to encode
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}.")
    if value in ("", ".", ".."):
        raise ValueError(f"{name} must be a non-empty id, not {value!r}.")
    return quote(value, safe="")


#: A segment of RFC 3986 unreserved characters only (which ``quote`` leaves as they are),
#: other than the dot segments.
_PLAIN = re.compile(r"(?!\.\.?\Z)[A-Za-z0-9_.~-]+").fullmatch


def query(**params: Any) -> dict[str, str]:
    """Query parameters with None dropped and bools spelled ``true``/``false``."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive int (items per page), got {limit!r}.")
    return limit


def check_seconds(name: str, value: float, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}.")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}.")
    return float(value)


def path(template: str, **ids: object) -> str:
    """Fill each ``{name}`` of ``template`` with its id, encoded as one path segment
    (see :func:`segment`): ``path("/agents/{uid}/", uid=uid)``. With tracing on, the
    template is remembered for the request's span."""
    if _tracing.enabled():
        _TEMPLATE.set(template)
    for name, value in ids.items():  # ``ids`` is this call's own dict: encoded in place
        if type(value) is not str or not _PLAIN(value):
            ids[name] = segment(name, value)
    return template.format_map(ids)


_TEMPLATE: ContextVar[str | None] = ContextVar("avala_route_template", default=None)


def _traced(resource: object, url: str) -> tuple[str | None, str | None]:
    """The span name and route template of the call ``resource`` is making, when tracing."""
    if not _tracing.enabled():
        return None, None
    template = _TEMPLATE.get()
    _TEMPLATE.set(None)
    if template is None or template.count("/") != url.count("/"):
        template = url
    return _tracing.operation(resource), template


def body(**values: Any) -> dict[str, Any]:
    """A JSON body of the fields given: None means "not given" and is left out, so PATCH
    changes only what the caller passed. Fields the API always wants are passed non-None."""
    return {key: value for key, value in values.items() if value is not None}


def given(arguments: Mapping[str, Any], *skip: str) -> dict[str, Any]:
    """The arguments of a method call that were given (not None), as a body or query.

    Called as ``given(locals(), "uid")`` first thing in a method, so ``locals()`` holds
    exactly its parameters; ``self`` and the names in ``skip`` (path ids) are left out.
    """
    return {
        key: value
        for key, value in arguments.items()
        if value is not None and key != "self" and key not in skip
    }


def locals_but_self(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A method's arguments (``locals()`` first thing in it) without ``self``, to forward."""
    return {key: value for key, value in arguments.items() if key != "self"}


def page_query(cursor: str | None, page: int | str | None) -> dict[str, int | str | None]:
    """The query selecting a page of a page-number endpoint.

    ``page`` is sent as ``page``. So is a ``cursor`` that is a page number (what
    ``page.next_cursor`` holds for such an endpoint); any other ``cursor`` is sent as
    ``cursor``, for a server that pages the endpoint by cursor instead.

    Raises:
        ValueError: both are given, or ``page`` is not a positive page number.
    """
    if cursor is not None and page is not None:
        raise ValueError("Pass at most one of cursor or page.")
    if page is not None:
        text = str(page) if isinstance(page, (int, str)) and not isinstance(page, bool) else ""
        if not _is_number(text) or int(text) < 1:
            raise ValueError(f"page must be a positive page number (1, 2, ...), got {page!r}.")
        return {"page": text}
    if isinstance(cursor, str) and _is_number(cursor):
        return {"page": cursor}
    return {"cursor": cursor}


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


class AsyncResource:
    """Base of the async resource classes; holds the owning client.

    Every method of a resource is one call to a helper here: the verb, the path, the query
    or body, and the model to build from the response.
    """

    __slots__ = ("_client",)

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _send(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> T:
        client = self._client
        operation, template = _traced(self, path)
        response = await client._transport.request(
            method,
            path,
            client._options,
            params=params,
            json_body=json,
            operation=operation,
            template=template,
        )
        return structure(response.data, model)

    # The verb helpers hand back ``_send``'s coroutine rather than awaiting it in a
    # coroutine of their own: one layer less for every suspension of every request.

    def _get(
        self, path: str, model: type[T], params: Mapping[str, str] | None = None
    ) -> Coroutine[Any, Any, T]:
        return self._send("GET", path, model, params=params)

    def _post(self, path: str, model: type[T], json: Any = None) -> Coroutine[Any, Any, T]:
        """POST ``json`` (None sends no body at all, as the API's payload-less actions want)."""
        return self._send("POST", path, model, json=json)

    def _patch(self, path: str, model: type[T], json: Any) -> Coroutine[Any, Any, T]:
        return self._send("PATCH", path, model, json=json)

    def _put(self, path: str, model: type[T], json: Any) -> Coroutine[Any, Any, T]:
        return self._send("PUT", path, model, json=json)

    async def _void(self, method: str, path: str, json: Any = None) -> None:
        """A call whose answer carries nothing to return (204, or a body the API documents
        as ignored)."""
        client = self._client
        operation, template = _traced(self, path)
        await client._transport.request(
            method, path, client._options, json_body=json, operation=operation, template=template
        )

    def _list(
        self,
        path: str,
        model: type[T],
        arguments: Mapping[str, Any],
        *skip: str,
        rename: Mapping[str, str] | None = None,
    ) -> AsyncPaginator[T]:
        """A paginator over ``path``; the query is the method's given arguments
        (``locals()``, less ``skip``), ``limit`` checked, names mapped through ``rename``
        where the API's query name differs from the official parameter name."""
        params = given(arguments, *skip)
        check_limit(params.get("limit"))
        if rename:
            params = {rename.get(key, key): value for key, value in params.items()}
        endpoint = ListEndpoint(self._client, path, model, query(**params))
        endpoint.operation, endpoint.template = _traced(self, path)
        return AsyncPaginator(endpoint)


class ListEndpoint(Generic[T]):
    """A paginated endpoint with its filters: what a paginator fetches and decodes."""

    __slots__ = ("_client", "_hook", "_model", "_params", "_path", "operation", "template")

    def __init__(
        self, client: AsyncClient, path: str, model: type[T], params: dict[str, str]
    ) -> None:
        self.operation: str | None = None
        self.template: str | None = None
        self._client = client
        self._path = path
        self._model = model
        self._params = params
        self._hook = converter.get_structure_hook(model)

    async def fetch(self, cursor: Mapping[str, str]) -> Response:
        client = self._client
        if FOLLOW in cursor:  # a next link with no cursor/page: its own path and query
            path = cursor[FOLLOW]
            params: Mapping[str, str] = {k: v for k, v in cursor.items() if k != FOLLOW}
        else:
            path = self._path
            params = {**self._params, **cursor} if cursor else self._params
        return await client._transport.request(
            "GET",
            path,
            client._options,
            params=params,
            operation=self.operation,
            template=self.template,
        )

    def _invalid(self, response: Response, problem: object) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"GET {self._path} did not return a page of {self._model.__name__} "
            f"({{next, previous, results}}): {problem}",
            body=response.data,
        )

    def follow(self, link: str | None, response: Response) -> dict[str, str] | None:
        """What to request for the page a ``next`` link names, or None when there is none.

        A ``cursor`` or ``page`` parameter is sent with this list's own filters. Any other
        link (e.g. ``offset`` pagination) is followed as it is, path and query, but only on
        the API's own host and under its base path: a link elsewhere raises rather than
        being followed or ending the walk early without a word.
        """
        if not link:
            return None
        found = cursor_params(link)
        base = URL(self._client.base_url)
        target = URL(link)
        if target.is_absolute() and target.origin() != base.origin():
            raise self._invalid(response, f"the next link leaves the API's host: {link!r}")
        if not target.path.startswith(base.path.rstrip("/") + "/"):
            raise self._invalid(response, f"the next link leaves the API's base URL: {link!r}")
        if found is not None:
            return found
        return {FOLLOW: target.raw_path[len(base.raw_path.rstrip("/")) :], **target.query}

    def next_cursor(self, response: Response) -> dict[str, str] | None:
        data = response.data
        link = data.get("next") if isinstance(data, dict) else None
        if link is not None and not isinstance(link, str):
            raise self._invalid(response, f"next must be a URL, got {link!r}")
        return self.follow(link, response)

    def decode(self, response: Response) -> AsyncPage[T]:
        data, model, hook = response.data, self._model, self._hook
        try:
            items = [hook(item, model) for item in data["results"]]
            next_url, previous_url = data.get("next"), data.get("previous")
            for link in (next_url, previous_url):
                if link is not None and not isinstance(link, str):
                    raise TypeError(f"next/previous must be URLs, got {link!r}")
        except Exception as exc:
            raise self._invalid(response, exc) from exc
        return AsyncPage(
            items,
            next=self.follow(next_url, response),
            previous=cursor_params(previous_url),
            source=self,
            request_id=response.request_id,
            retries_taken=response.retries_taken,
        )


async def poll(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    status_of: Callable[[T], str | None],
    *,
    what: str,
    interval: float,
    timeout: float,
    on_poll: Callable[[T], object] | None,
) -> T:
    """Fetch until ``done``; raise the built-in ``TimeoutError`` naming the last status."""
    interval = check_seconds("interval", interval, allow_zero=False)
    timeout = check_seconds("timeout", timeout, allow_zero=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = await fetch()
        if done(current):
            return current
        if on_poll is not None:
            on_poll(current)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"{what} within {timeout:g}s (last status: {status_of(current)}).")
        await asyncio.sleep(min(interval, remaining))
