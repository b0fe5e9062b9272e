"""``client.webhooks`` and ``client.webhook_deliveries`` through both surfaces against the
bundled server, with real deliveries to a receiver built from ``examples/webhook_aiohttp.py``.

The receiver runs on an event loop of its own (an anyio portal thread): the sync surface
blocks the test's loop for the whole ``test()`` call, while the bundled server is POSTing to
the receiver.
"""

from __future__ import annotations

import importlib
import json
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp.test_utils import TestServer
from anyio.from_thread import start_blocking_portal

from avala import NotFoundError, ValidationError
from avala.models.webhooks import Webhook, WebhookDelivery
from avala.testing import ServerHandle
from avala.webhooks import WebhookEvent

from ._surface import Surface

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9/avala/webhooks"  # loopback, never listening (discard port)


def load_example() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("examples.webhook_aiohttp")


example = load_example()


@dataclass
class Receiver:
    """A running example receiver: where it listens and what it accepted."""

    url: str
    events: list[WebhookEvent] = field(default_factory=list)


@contextmanager
def receiver(secret: str) -> Iterator[Receiver]:
    """Serve ``examples.webhook_aiohttp.create_app(secret)`` on 127.0.0.1, on its own loop."""
    events: list[WebhookEvent] = []

    async def keep(event: WebhookEvent) -> None:
        events.append(event)

    async def start() -> TestServer:
        server = TestServer(example.create_app(secret, on_event=keep), host="127.0.0.1")
        await server.start_server()
        return server

    with start_blocking_portal() as portal:
        server = portal.call(start)
        try:
            yield Receiver(str(server.make_url(example.ROUTE)), events)
        finally:
            portal.call(server.close)


async def test_webhooks_lifecycle(api: Surface) -> None:
    hooks = api.client.webhooks
    seeded = await api.all(hooks.list())
    assert len(seeded) >= 2 and all(isinstance(h, Webhook) for h in seeded)
    assert all(h.secret is None for h in seeded)

    created = await api(
        hooks.create(target_url="https://hooks.example.com/new", events=["export.completed"])
    )
    assert created.secret and created.secret.startswith("whsec_")  # generated, shown once
    assert created.is_active and created.events == ["export.completed"]
    assert created.secret not in repr(created)
    fetched = await api(hooks.get(created.uid))
    assert fetched.secret is None and fetched.target_url == created.target_url
    first = await api.first_page(hooks.list(limit=1))
    assert len(first.items) == 1 and first.has_more
    listed = await api.all(hooks.list(limit=1))
    assert created.uid in [h.uid for h in listed] and all(h.secret is None for h in listed)

    updated = await api(hooks.update(created.uid, events=["export.failed"], is_active=False))
    assert (updated.events, updated.is_active) == (["export.failed"], False)
    assert updated.target_url == created.target_url and updated.secret is None

    report = await api(hooks.test(created.uid))  # not loopback: recorded, never contacted
    assert (report["success"], report["delivered"]) == (False, False)
    assert "status_code" not in report
    delivery = await api(api.client.webhook_deliveries.get(report["delivery_uid"]))
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 0, None)
    assert delivery.subscription == created.uid and delivery.event_type == "webhook.test"

    assert await api(hooks.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(hooks.get(created.uid))
    with pytest.raises(NotFoundError):
        await api(hooks.test(created.uid))


async def test_test_delivers_a_signed_event(api: Surface, local_env: ServerHandle) -> None:
    hooks = api.client.webhooks
    created = await api(hooks.create(target_url=UNREACHABLE, events=["export.completed"]))
    secret = created.secret
    assert secret
    with receiver(secret) as good:
        moved = await api(hooks.update(created.uid, target_url=good.url))
        assert moved.target_url == good.url
        report = await api(hooks.test(created.uid))
    assert report["success"] is True and report["delivered"] is True
    assert report["status_code"] == 200

    (event,) = good.events  # construct_event verified the signature, or it would be a 400
    assert event.event == "webhook.test" and event.delivery_id == report["delivery_uid"]
    assert event.data == {"webhook_uid": created.uid}
    assert event.payload["event"] == "webhook.test" and event.timestamp is not None

    delivery = await api(api.client.webhook_deliveries.get(report["delivery_uid"]))
    assert isinstance(delivery, WebhookDelivery)
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)
    assert delivery.payload == event.payload
    assert delivery.response_body is not None and "webhook.test" in delivery.response_body
    sent = local_env.state.store.get("webhooks", created.uid)
    assert isinstance(sent, dict) and sent["secret"] == secret  # signed with this secret

    all_deliveries = await api.all(api.client.webhook_deliveries.list(limit=2))
    assert delivery.uid in [d.uid for d in all_deliveries]
    await api(hooks.delete(created.uid))


async def test_a_wrong_secret_fails_the_delivery(api: Surface) -> None:
    hooks = api.client.webhooks
    with receiver("whsec_not_the_right_one") as wrong:
        created = await api(
            hooks.create(target_url=wrong.url, events=["export.completed"], secret="whsec_mine")
        )
        assert created.secret == "whsec_mine"
        report = await api(hooks.test(created.uid))
    assert report["delivered"] is False and report["success"] is False
    assert report["status_code"] == 400 and wrong.events == []
    delivery = await api(api.client.webhook_deliveries.get(report["delivery_uid"]))
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("failed", 400, 1)
    assert delivery.response_body is not None and "does not match" in delivery.response_body

    with receiver("whsec_mine") as right:  # the same webhook, with its real secret
        await api(hooks.update(created.uid, target_url=right.url))
        assert (await api(hooks.test(created.uid)))["delivered"] is True
    assert len(right.events) == 1
    await api(hooks.delete(created.uid))


async def test_an_unreachable_receiver_fails_the_delivery(api: Surface) -> None:
    hooks = api.client.webhooks
    created = await api(hooks.create(target_url=UNREACHABLE, events=["export.completed"]))
    report = await api(hooks.test(created.uid))
    assert report["delivered"] is False and "status_code" not in report
    delivery = await api(api.client.webhook_deliveries.get(report["delivery_uid"]))
    assert delivery.status == "failed" and delivery.response_status is None
    assert delivery.response_body  # what went wrong
    await api(hooks.delete(created.uid))


@pytest.mark.parametrize(
    ("target_url", "message"),
    [
        ("http://hooks.example.com/x", "HTTPS"),
        ("http://10.0.0.1/x", "HTTPS"),
        ("ftp://hooks.example.com/x", "valid URL"),
        ("not a url", "valid URL"),
    ],
)
async def test_target_url_must_be_https(api: Surface, target_url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(api.client.webhooks.create(target_url=target_url, events=["a"]))
    assert list(caught.value.errors) == ["target_url"]
    assert message in caught.value.errors["target_url"][0]


@pytest.mark.parametrize(
    "target_url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://[::1]:80/h"]
)
async def test_http_is_allowed_on_loopback(api: Surface, target_url: str) -> None:
    created = await api(api.client.webhooks.create(target_url=target_url, events=["a"]))
    assert created.target_url == target_url
    await api(api.client.webhooks.delete(created.uid))


async def test_webhooks_validation(api: Surface) -> None:
    hooks = api.client.webhooks
    with pytest.raises(ValidationError) as caught:
        await api(hooks.create(target_url="https://x.test/h", events=[]))
    assert caught.value.errors == {"events": ["This list may not be empty."]}
    with pytest.raises(ValidationError) as caught:
        await api(hooks.create(target_url="https://x.test/h", events=[{"a": 1}]))
    assert list(caught.value.errors) == ["events"]
    created = await api(hooks.create(target_url="https://x.test/h", events=["a"]))
    with pytest.raises(ValidationError) as caught:  # update is checked like create
        await api(hooks.update(created.uid, target_url="http://x.test/h"))
    assert list(caught.value.errors) == ["target_url"]
    with pytest.raises(ValidationError):
        await api(hooks.update(created.uid, events=[]))
    kept = await api(hooks.get(created.uid))
    assert (kept.target_url, kept.events) == ("https://x.test/h", ["a"])
    await api(hooks.delete(created.uid))


def raw_patch(server: ServerHandle, path: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(
        server.url(path),
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={"X-Avala-Api-Key": server.api_key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        status: int = response.status
        assert "secret" not in json.loads(response.read())
        return status


async def test_update_cannot_change_the_secret(api: Surface, local_env: ServerHandle) -> None:
    hooks = api.client.webhooks
    created = await api(hooks.create(target_url=UNREACHABLE, events=["a"], secret="whsec_first"))
    with receiver("whsec_first") as first:
        body = {"target_url": first.url, "secret": "whsec_changed"}
        assert raw_patch(local_env, f"/webhooks/{created.uid}/", body) == 200
        assert (await api(hooks.test(created.uid)))["delivered"] is True  # still the first
    assert len(first.events) == 1
    await api(hooks.delete(created.uid))
