"""``client.webhook_deliveries``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.webhooks import WebhookDelivery

from ._helpers import page
from ._requests import Case, ids, run

DELIVERY = {
    "uid": "wd-1",
    "subscription": "wh-1",
    "event_type": "export.completed",
    "response_status": 200,
    "attempts": 1,
    "status": "delivered",
}

CASES = [
    Case(
        "list",
        lambda c: c.webhook_deliveries.list(limit=10, cursor="abc"),
        "GET",
        "/webhook-deliveries/",
        query={"limit": "10", "cursor": "abc"},
        response=page([DELIVERY]),
        check=lambda p: isinstance(p.items[0], WebhookDelivery) and p.items[0].attempts == 1,
    ),
    Case(
        "get",
        lambda c: c.webhook_deliveries.get("d/1"),
        "GET",
        "/webhook-deliveries/d%2F1/",
        response=DELIVERY,
        check=lambda d: isinstance(d, WebhookDelivery) and d.subscription == "wh-1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
