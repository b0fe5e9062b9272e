"""Inference providers: model endpoints (HTTP or SageMaker) used for auto-labelling.

``project`` is served as it was given: the API reference types it as an integer id, the
official SDK as text, so the server accepts either (the SDK model keeps it as text).

The connection test never leaves the server and is deterministic: an ``http`` provider needs
an ``http(s)://`` ``config.endpoint_url``, a ``sagemaker`` one ``config.endpoint_name`` and
``config.region``, and an inactive provider always fails. The outcome is recorded on the
provider (``last_test_at``, ``last_test_success``).
"""

from __future__ import annotations

from aiohttp import web

from .._engine import Call, json_response
from .._schema import STAMPS, Action, ApiError, Endpoint, Field, JSONDict, Table
from .._store import Store, now_timestamp, seed_time, stable_uid
from .projects import project_uid

_PROVIDERS = (
    # name, type, config, project, tested (success)
    (
        "YOLO detector",
        "http",
        {"endpoint_url": "https://models.example.com/yolo/predict", "timeout": 30},
        "Highway Annotation",
        True,
    ),
    (
        "SageMaker segmenter",
        "sagemaker",
        {"endpoint_name": "sam-segmenter", "region": "us-west-2"},
        None,
        None,
    ),
)


def provider_uid(name: str) -> str:
    """The uid of a seeded inference provider."""
    return stable_uid("inference-provider", name)


def _seed(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": provider_uid(name),
            "name": name,
            "description": f"{name} (seed)",
            "provider_type": kind,
            "config": config,
            "project": project_uid(project) if project else None,
            "last_test_at": None if tested is None else seed_time(days=12),
            "last_test_success": tested,
        }
        for name, kind, config, project, tested in _PROVIDERS
    ]


def _on_create(call: Call, values: JSONDict) -> None:
    project = values.get("project")
    if project is not None and (isinstance(project, bool) or not isinstance(project, (str, int))):
        raise ApiError(400, {"project": ["Enter a project uid or id."]})


PROVIDERS = Table(
    "inference_providers",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "description": Field(),
        "provider_type": Field(required=True, max_length=50),
        "config": Field(kind="object", required=True),
        "is_active": Field(kind="bool", default=True, nullable=False),
        "project": Field(kind="any"),
        "last_test_at": Field(kind="datetime", read_only=True),
        "last_test_success": Field(kind="bool", read_only=True),
    },
    seed=_seed,
    on_create=_on_create,
)


def _problem(provider: JSONDict) -> str | None:
    """Why the test fails, or None when it succeeds."""
    if not provider.get("is_active"):
        return "The provider is inactive."
    config = provider.get("config") or {}
    kind = provider.get("provider_type")
    if kind == "http":
        url = config.get("endpoint_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return "config.endpoint_url must be an http(s) URL."
        return None
    if kind == "sagemaker":
        missing = [k for k in ("endpoint_name", "region") if not config.get(k)]
        return f"config needs {' and '.join(missing)}." if missing else None
    return f"Unknown provider type {kind!r}."


async def test_provider(call: Call) -> web.StreamResponse:
    """Test the connection and record the outcome on the provider."""
    provider = call.record
    assert provider is not None
    problem = _problem(provider)
    now = now_timestamp()
    with call.store.lock:
        provider["last_test_at"] = now
        provider["last_test_success"] = problem is None
    report: JSONDict = {
        "success": problem is None,
        "message": problem or "Connection successful.",
        "tested_at": now,
    }
    if problem is None:
        report["latency_ms"] = 42.0
    return json_response(report)


ENDPOINTS = (
    Endpoint(
        PROVIDERS,
        "/inference-providers/",
        ordering=("name", "created_at"),
        actions=(Action("test", test_provider),),
    ),
)

TABLES = (PROVIDERS,)
