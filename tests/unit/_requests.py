"""Exact-request tests as data: each :class:`Case` is one SDK call, the one HTTP request it
must make (method, path, query, JSON body or none), the answer to give it, and a check of
what the call returns. :func:`run` plays a case against aioresponses."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aioresponses import aioresponses
from yarl import URL

from avala import AsyncClient, AsyncPaginator

from ._helpers import BASE, KEY, calls

NO_BODY: Any = object()
"""``body=NO_BODY``: the request must carry no body at all."""


@dataclass
class Case:
    """One SDK call and the single request it must send.

    Attributes:
        id: The pytest id.
        call: ``lambda c: c.agents.get("ag-1")``; may return a coroutine, a paginator (its
            first page is fetched) or an async iterator (it is drained).
        method: Expected HTTP method.
        path: Expected path after the base URL, already percent-encoded.
        query: Expected query parameters (exactly these).
        body: Expected JSON body, or :data:`NO_BODY`.
        response: JSON the mock answers with.
        status: Status the mock answers with.
        check: Called with the call's result; must return True.
    """

    id: str
    call: Callable[[AsyncClient], Any]
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = NO_BODY
    response: Any = None
    status: int = 200
    check: Callable[[Any], bool] = lambda result: True


async def _settle(value: Any) -> Any:
    if isinstance(value, AsyncPaginator):
        return await value.first_page()
    if inspect.isawaitable(value):
        return await value
    if hasattr(value, "__aiter__"):
        return [item async for item in value]
    return value


async def run(case: Case) -> Any:
    """Play ``case``; assert the request was exactly as described; return the result."""
    target = URL(BASE + case.path, encoded=True)
    if case.query:
        target = target.with_query(case.query)
    with aioresponses() as mock:
        payload = None if case.response is None else json.dumps(case.response)
        mock.add(
            target,
            case.method,
            status=case.status,
            body=payload or "",
            content_type="application/json",
            repeat=True,
        )
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            result = await _settle(case.call(client))
        seen = calls(mock)
    assert len(seen) == 1, f"expected one request, saw {[(m, str(u)) for m, u, _ in seen]}"
    method, url, call = seen[0]
    assert method == case.method
    assert url.raw_path == target.raw_path and dict(url.query) == case.query, str(url)
    sent = call.kwargs.get("json")
    if case.body is NO_BODY:
        assert sent is None and call.kwargs.get("data") is None, f"unexpected body {sent!r}"
    else:
        assert sent == case.body
    assert case.check(result), f"unexpected result {result!r}"
    return result


def ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]
