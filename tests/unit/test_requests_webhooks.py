"""``client.webhooks``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala import AsyncClient
from avala.models.webhooks import Webhook

from ._helpers import KEY, page
from ._requests import NO_BODY, Case, ids, run

HOOK = {"uid": "wh-1", "target_url": "https://x.test/hook", "events": ["export.completed"]}

CASES = [
    Case(
        "list",
        lambda c: c.webhooks.list(limit=4, cursor="abc"),
        "GET",
        "/webhooks/",
        query={"limit": "4", "cursor": "abc"},
        response=page([HOOK]),
        check=lambda p: isinstance(p.items[0], Webhook) and p.items[0].secret is None,
    ),
    Case(
        "get",
        lambda c: c.webhooks.get("w/1"),
        "GET",
        "/webhooks/w%2F1/",
        response=HOOK,
        check=lambda w: isinstance(w, Webhook),
    ),
    Case(
        "create sends only what is given",
        lambda c: c.webhooks.create(target_url="https://x.test/hook", events=("export.completed",)),
        "POST",
        "/webhooks/",
        body={"target_url": "https://x.test/hook", "events": ["export.completed"]},
        response={**HOOK, "secret": "whsec_1"},
        status=201,
        check=lambda w: w.secret == "whsec_1" and "whsec_1" not in repr(w),
    ),
    Case(
        "create with a secret",
        lambda c: c.webhooks.create(
            target_url="https://x.test/hook", events=["a"], is_active=False, secret="s3"
        ),
        "POST",
        "/webhooks/",
        body={
            "target_url": "https://x.test/hook",
            "events": ["a"],
            "is_active": False,
            "secret": "s3",
        },
        response={**HOOK, "secret": "s3", "is_active": False},
        status=201,
        check=lambda w: w.is_active is False,
    ),
    Case(
        "update is a partial PATCH",
        lambda c: c.webhooks.update("wh-1", events=["export.failed"], is_active=True),
        "PATCH",
        "/webhooks/wh-1/",
        body={"events": ["export.failed"], "is_active": True},
        response=HOOK,
        check=lambda w: isinstance(w, Webhook),
    ),
    Case(
        "delete",
        lambda c: c.webhooks.delete("wh-1"),
        "DELETE",
        "/webhooks/wh-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "test sends no body",
        lambda c: c.webhooks.test("wh-1"),
        "POST",
        "/webhooks/wh-1/test/",
        body=NO_BODY,
        response={"success": True, "delivered": True, "status_code": 200, "delivery_uid": "d"},
        check=lambda r: r["delivered"] is True and r["delivery_uid"] == "d",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


async def test_events_as_a_str_is_refused_before_any_request() -> None:
    async with AsyncClient(api_key=KEY, max_retries=0) as client:
        with pytest.raises(TypeError, match="events"):
            await client.webhooks.create(target_url="https://x.test", events="export.completed")
        with pytest.raises(TypeError, match="events"):
            await client.webhooks.update("wh-1", events="export.completed")
