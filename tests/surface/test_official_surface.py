"""Every call written for the official SDK 0.10 works unchanged on both our surfaces: each
(resource, method) exists, its official positional parameters come first in the same order,
every official parameter exists under the same name, what is optional there is optional
here with the same default, and what we add is optional and keyword-only."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import avala
from avala import AsyncClient, Client, errors

from .official_0_10 import ASYNC, REQUIRED, SYNC

SIGNUP = (
    ("email", "kw", REQUIRED),
    ("password", "kw", REQUIRED),
    ("first_name", "kw", "None"),
    ("last_name", "kw", "None"),
    ("base_url", "kw", "None"),
    ("timeout", "kw", "30.0"),
)


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    sync_client = Client(api_key="avk_surface_check")
    async_client = AsyncClient(api_key="avk_surface_check")
    yield {"sync": sync_client, "async": async_client}
    sync_client.close()


def resolve(client: Any, resource: str, method: str) -> Any:
    target = client
    for name in resource.split("."):
        target = getattr(target, name, None)
        if target is None:
            return None
    return getattr(target, method, None)


def problems(ours: Any, official: tuple[tuple[str, str, str], ...]) -> list[str]:
    """How our signature breaks a call written for the official one (empty: none)."""
    params = list(inspect.signature(ours).parameters.values())
    found: list[str] = []
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    wanted = [name for name, kind, _ in official if kind == "pos"]
    if positional[: len(wanted)] != wanted:
        found.append(f"positional parameters {positional} do not start with {wanted}")
    by_name = {p.name: p for p in params}
    for name, kind, default in official:
        param = by_name.get(name)
        if param is None:
            found.append(f"missing parameter {name!r}")
            continue
        if kind == "kw" and param.kind not in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
            found.append(f"{name!r} cannot be passed by keyword")
        if default != REQUIRED:
            if param.default is param.empty:
                found.append(f"{name!r} is optional there (default {default}), required here")
            elif repr(param.default) != default:
                found.append(f"{name!r} defaults to {param.default!r} here, {default} there")
    official_names = {name for name, _, _ in official}
    for param in params:
        if param.name in official_names:
            continue
        if param.default is param.empty:
            found.append(f"extra parameter {param.name!r} is required")
        if param.kind is not param.KEYWORD_ONLY:
            found.append(f"extra parameter {param.name!r} is not keyword-only")
    return found


def table(surface: str) -> list[tuple[str, str, tuple[tuple[str, str, str], ...]]]:
    rows = SYNC if surface == "sync" else ASYNC
    return [(r, m, params) for (r, m), params in sorted(rows.items())]


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_every_official_method_exists_with_compatible_parameters(
    surface: str, clients: dict[str, Any]
) -> None:
    failures: list[str] = []
    for resource, method, official in table(surface):
        ours = resolve(clients[surface], resource, method)
        where = f"{surface} {resource}.{method}"
        if ours is None:
            failures.append(f"{where}: missing")
            continue
        failures += [f"{where}: {p}" for p in problems(ours, official)]
    assert failures == []


def test_the_async_surface_awaits_like_the_official_one(clients: dict[str, Any]) -> None:
    """Official async methods are awaited (lists included: ``await client.x.list()`` is the
    first page here too); ``bulk_edit`` is an async iterator there and here."""
    for resource, method, _ in table("async"):
        ours = resolve(clients["async"], resource, method)
        if ours is None:
            continue
        returns = str(inspect.signature(ours).return_annotation)
        where = f"{resource}.{method}"
        if method == "bulk_edit":
            assert returns.startswith("AsyncIterator"), where
        else:
            assert inspect.iscoroutinefunction(ours) or returns.startswith("AsyncPaginator"), where


def test_the_sync_surface_goes_beyond_async_gaps_of_the_official_sdk(
    clients: dict[str, Any],
) -> None:
    """Methods the official async client lacks (the upload flows, ``fleet.uploads``,
    ``slug_for_uid``, ...) exist on our async client as well."""
    missing = [f"{r}.{m}" for r, m, _ in table("sync") if resolve(clients["async"], r, m) is None]
    assert missing == []


@pytest.mark.parametrize("func", [avala.signup, avala.async_signup])
def test_signup_module_functions(func: Any) -> None:
    assert problems(func, SIGNUP) == []


def test_official_exception_attributes_exist() -> None:
    validation = errors.ValidationError("bad", status_code=400, body=[{"a": ["b"]}])
    assert validation.details == [{"a": ["b"]}] and validation.errors == {}
    assert errors.ValidationError("bad", status_code=400, body={"a": 1}).details == []
    quota = errors.QuotaExceededError("full", status_code=413, limit=10, used=9)
    assert (quota.limit, quota.used) == (10, 9)
    limited = errors.RateLimitError("slow", status_code=429, retry_after=3.0)
    assert limited.retry_after == 3.0
    for name in ("AuthenticationError", "ForbiddenError", "NotFoundError", "ServerError"):
        error = getattr(errors, name)("x", status_code=500, body={"detail": "x"})
        assert (error.message, error.status_code, error.body) == ("x", 500, {"detail": "x"})
    assert avala.Avala is avala.Client
