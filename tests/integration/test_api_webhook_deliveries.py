"""``client.webhook_deliveries`` (read-only) through both surfaces against the bundled
server: the seeded deliveries, and the ones ``webhooks.test()`` records."""

from __future__ import annotations

import pytest

from avala import NotFoundError
from avala.models.webhooks import WebhookDelivery

from ._surface import Surface


async def test_webhook_deliveries_seeded(api: Surface) -> None:
    deliveries = await api.all(api.client.webhook_deliveries.list())
    assert all(isinstance(d, WebhookDelivery) for d in deliveries)
    hooks = {h.uid for h in await api.all(api.client.webhooks.list())}
    seeded = [d for d in deliveries if d.event_type != "webhook.test"]
    assert len(seeded) >= 3 and all(d.subscription in hooks for d in seeded)
    assert {"delivered", "failed"} <= {d.status for d in seeded}
    failed = next(d for d in seeded if d.status == "failed")
    assert failed.response_status == 503 and failed.attempts == 3
    for delivery in seeded:
        assert delivery.payload and delivery.payload["event"] == delivery.event_type
        assert delivery.created_at and delivery.created_at.tzinfo
        assert await api(api.client.webhook_deliveries.get(delivery.uid)) == delivery


async def test_test_deliveries_are_listed(api: Surface) -> None:
    hook = await api(
        api.client.webhooks.create(target_url="https://hooks.example.com/d", events=["a"])
    )
    made = [(await api(api.client.webhooks.test(hook.uid)))["delivery_uid"] for _ in range(2)]
    page = await api.first_page(api.client.webhook_deliveries.list(limit=2))
    assert len(page.items) == 2 and page.has_more
    walked = await api.all(api.client.webhook_deliveries.list(limit=2))
    assert len({d.uid for d in walked}) == len(walked)
    mine = [d for d in walked if d.subscription == hook.uid]
    assert [d.uid for d in mine] == made
    assert all((d.event_type, d.status) == ("webhook.test", "pending") for d in mine)
    assert mine[0].payload == {
        "event": "webhook.test",
        "timestamp": mine[0].payload["timestamp"] if mine[0].payload else None,
        "data": {"webhook_uid": hook.uid},
    }
    await api(api.client.webhooks.delete(hook.uid))


async def test_webhook_deliveries_are_read_only(api: Surface) -> None:
    with pytest.raises(NotFoundError):
        await api(api.client.webhook_deliveries.get("no-such-delivery"))
    assert not hasattr(api.client.webhook_deliveries, "create")
    assert not hasattr(api.client.webhook_deliveries, "delete")
