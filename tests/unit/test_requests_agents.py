"""``client.agents``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.agents import Agent, AgentExecution

from ._helpers import page
from ._requests import Case, ids, run

AGENT = {"uid": "ag-1", "name": "QA Bot", "events": ["result.submitted"]}
EXECUTION = {"uid": "ex-1", "registration": "ag-1", "event_type": "result.submitted"}

CASES = [
    Case(
        "list",
        lambda c: c.agents.list(limit=5, cursor="abc"),
        "GET",
        "/agents/",
        query={"limit": "5", "cursor": "abc"},
        response=page([AGENT]),
        check=lambda p: isinstance(p.items[0], Agent),
    ),
    Case("get", lambda c: c.agents.get("a/1"), "GET", "/agents/a%2F1/", response=AGENT),
    Case(
        "create sends only what is given",
        lambda c: c.agents.create(name="QA Bot", events=["result.submitted"], is_active=False),
        "POST",
        "/agents/",
        body={"name": "QA Bot", "events": ["result.submitted"], "is_active": False},
        response=AGENT,
        status=201,
        check=lambda a: a.uid == "ag-1",
    ),
    Case(
        "update is a partial PATCH",
        lambda c: c.agents.update("ag-1", description="new"),
        "PATCH",
        "/agents/ag-1/",
        body={"description": "new"},
        response=AGENT,
    ),
    Case(
        "delete",
        lambda c: c.agents.delete("ag-1"),
        "DELETE",
        "/agents/ag-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "list_executions",
        lambda c: c.agents.list_executions("ag-1", limit=2),
        "GET",
        "/agents/ag-1/executions/",
        query={"limit": "2"},
        response=page([EXECUTION]),
        check=lambda p: isinstance(p.items[0], AgentExecution),
    ),
    Case(
        "test sends no body",
        lambda c: c.agents.test("ag-1"),
        "POST",
        "/agents/ag-1/test/",
        response={"delivered": True, "status_code": 200},
        check=lambda r: r == {"delivered": True, "status_code": 200},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
