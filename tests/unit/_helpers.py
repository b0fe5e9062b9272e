"""Constants and small helpers shared by the unit tests (no fixtures here)."""

from __future__ import annotations

from typing import Any

from aioresponses import aioresponses
from yarl import URL

KEY = "avk_unit_test_key_0123456789"
BASE = "https://api.avala.ai/api/v1"


def url(path: str, base: str = BASE) -> URL:
    """The exact (already percent-encoded) URL the SDK must request for ``path``."""
    return URL(base + path, encoded=True)


def calls(mock: aioresponses, method: str | None = None) -> list[tuple[str, URL, Any]]:
    """Every request aioresponses saw, as (method, url, call) with call.kwargs."""
    out: list[tuple[str, URL, Any]] = []
    for (meth, seen), recorded in mock.requests.items():
        if method is None or meth == method:
            out.extend((meth, seen, call) for call in recorded)
    return out


def headers_of(call: Any) -> dict[str, str]:
    return dict(call.kwargs["headers"])


def dataset(uid: str = "ds-1", **extra: Any) -> dict[str, Any]:
    return {"uid": uid, "name": f"Dataset {uid}", "slug": f"slug-{uid}", **extra}


def page(
    results: list[Any], next: str | None = None, previous: str | None = None
) -> dict[str, Any]:
    return {"next": next, "previous": previous, "results": results}
