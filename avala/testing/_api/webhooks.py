"""Webhook subscriptions and their deliveries.

A webhook's ``target_url`` must be HTTPS; plain HTTP is allowed only on loopback
(``127.0.0.1``, ``localhost``, ``[::1]``), for local receivers. The signing ``secret`` is
generated when none is given, shown only in the response to create, and cannot be changed.

``POST /webhooks/{uid}/test/`` records a ``webhook.test`` delivery. Only a loopback target is
really contacted: the server POSTs the JSON payload with the ``X-Avala-Webhook-Signature``
(HMAC-SHA256 of the body under the secret), ``-Event`` and ``-Delivery`` headers, a short
timeout and no redirects, and records the receiver's answer on the delivery (``delivered``
for a 2xx, else ``failed``). Any other target is never contacted: the delivery stays
``pending``.

Deliveries are read-only (``/webhook-deliveries/``); the seed has a few, delivered and failed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from ...webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, compute_signature
from .._engine import Call, json_response
from .._schema import READ, STAMPS, Action, ApiError, Endpoint, Field, JSONDict, Table
from .._store import Store, dumps, now_timestamp, seed_time, stable_uid

TEST_EVENT = "webhook.test"
DELIVERY_TIMEOUT = 5.0
"""Seconds the server waits for a loopback receiver."""
MAX_RESPONSE_BODY = 1024
"""Characters of the receiver's answer kept on a delivery."""

_HOOKS = (
    # target, events, active
    ("https://hooks.example.com/avala/exports", ["export.completed", "export.failed"], True),
    ("https://ci.example.com/avala/datasets", ["dataset.created", "dataset.updated"], False),
)


def webhook_uid(target_url: str) -> str:
    """The uid of a seeded webhook."""
    return stable_uid("webhook", target_url)


def _seed_hooks(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": webhook_uid(url),
            "target_url": url,
            "events": events,
            "is_active": active,
            "secret": "whsec_" + stable_uid("webhook-secret", url).replace("-", ""),
        }
        for url, events, active in _HOOKS
    ]


def _seed_deliveries(store: Store) -> list[JSONDict]:
    exports, datasets = (webhook_uid(url) for url, _, _ in _HOOKS)
    rows = (
        # webhook, event, object, status, http status, attempts
        (exports, "export.completed", "exp-1", "delivered", 200, 1),
        (exports, "export.failed", "exp-2", "delivered", 204, 1),
        (datasets, "dataset.created", "ds-1", "failed", 503, 3),
    )
    out = []
    for i, (hook, event, obj, status, code, attempts) in enumerate(rows):
        when = seed_time(days=8, minutes=30 * i)
        out.append(
            {
                "uid": stable_uid("webhook-delivery", hook, str(i)),
                "subscription": hook,
                "event_type": event,
                "payload": {"event": event, "timestamp": when, "data": {"uid": obj}},
                "response_status": code,
                "response_body": '{"ok":true}' if status == "delivered" else "Service Unavailable",
                "attempts": attempts,
                "next_retry_at": None,
                "status": status,
            }
        )
    return out


# --------------------------------------------------------------------------- validation


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (as ``urlsplit`` gives it: no brackets) is this machine."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_error(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ("http", "https") or not host:
        return "Enter a valid URL."
    if parts.scheme == "http" and not is_loopback(host):
        return "The URL must use HTTPS (plain HTTP is accepted only on loopback)."
    return None


def _check(values: JSONDict) -> None:
    errors: dict[str, list[str]] = {}
    url = values.get("target_url")
    if url is not None and (problem := url_error(str(url))) is not None:
        errors["target_url"] = [problem]
    if values.get("events") == []:
        errors["events"] = ["This list may not be empty."]
    if errors:
        raise ApiError(400, errors)


def _on_create(call: Call, values: JSONDict) -> None:
    _check(values)
    if not values.get("secret"):
        values["secret"] = "whsec_" + secrets.token_hex(24)


HOOKS = Table(
    "webhooks",
    {
        **STAMPS,
        "target_url": Field(required=True, max_length=2048),
        "events": Field(kind="array", items="str", required=True),
        "is_active": Field(kind="bool", default=True, nullable=False),
        "secret": Field(secret=True, create_only=True, max_length=255),
    },
    seed=_seed_hooks,
    on_create=_on_create,
    on_update=lambda call, record, changes: _check(changes),  # the secret is create-only
)

DELIVERIES = Table(
    "webhook_deliveries",
    {
        **STAMPS,
        "subscription": Field(),
        "event_type": Field(),
        "payload": Field(kind="object"),
        "response_status": Field(kind="int"),
        "response_body": Field(),
        "attempts": Field(kind="int", default=0),
        "next_retry_at": Field(kind="datetime"),
        "status": Field(default="pending"),
    },
    seed=_seed_deliveries,
)


# --------------------------------------------------------------------------- actions


async def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST to a loopback receiver: (status, start of the answer), or (None, the error)."""
    timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            raw = await response.content.read(MAX_RESPONSE_BODY * 4)
            return response.status, raw.decode("utf-8", "replace")[:MAX_RESPONSE_BODY]
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_RESPONSE_BODY]


async def test_webhook(call: Call) -> web.StreamResponse:
    """Record a test delivery; deliver it for real when the target is on loopback."""
    hook = call.record
    assert hook is not None
    payload = {
        "event": TEST_EVENT,
        "timestamp": now_timestamp(),
        "data": {"webhook_uid": hook["uid"]},
    }
    delivery = call.store.insert(
        "webhook_deliveries",
        {"subscription": hook["uid"], "event_type": TEST_EVENT, "payload": payload},
    )
    report: JSONDict = {"delivery_uid": delivery["uid"]}
    url = str(hook["target_url"])
    if not is_loopback(urlsplit(url).hostname):
        report.update(
            success=False,
            delivered=False,
            detail="Test event queued: the test server only contacts loopback receivers.",
        )
        return json_response(report)
    body = dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: compute_signature(body, str(hook["secret"])),
        EVENT_HEADER: TEST_EVENT,
        DELIVERY_HEADER: str(delivery["uid"]),
    }
    status, answer = await _post(url, body, headers)
    delivered = status is not None and 200 <= status < 300
    with call.store.lock:
        delivery.update(
            response_status=status,
            response_body=answer,
            attempts=1,
            status="delivered" if delivered else "failed",
            updated_at=now_timestamp(),
        )
    report.update(success=delivered, delivered=delivered)
    if status is not None:
        report["status_code"] = status
    return json_response(report)


ENDPOINTS = (
    Endpoint(
        HOOKS,
        "/webhooks/",
        ordering=("created_at", "target_url"),
        actions=(Action("test", test_webhook),),
    ),
    Endpoint(DELIVERIES, "/webhook-deliveries/", verbs=READ, ordering=("created_at",)),
)

TABLES = (HOOKS, DELIVERIES)
