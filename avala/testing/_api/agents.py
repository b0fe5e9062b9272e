"""Agents (callbacks on annotation events) and their executions."""

from __future__ import annotations

import secrets

from aiohttp import web

from .._engine import Call, json_response
from .._schema import READ, STAMPS, Action, Endpoint, Field, JSONDict, Parent, Scope, Table
from .._store import Store, now_timestamp, seed_time, stable_uid
from .projects import project_uid

_AGENTS = (
    ("QA Bot", ["result.submitted"], True, "Highway Annotation"),
    ("Export Notifier", ["task.completed", "export.completed"], False, None),
)


def _seed_agents(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": stable_uid("agent", name),
            "name": name,
            "description": f"{name} (seed)",
            "events": events,
            "callback_url": f"https://hooks.example.com/{name.lower().replace(' ', '-')}",
            "is_active": active,
            "project": project_uid(project) if project else None,
            "execution_stats": {"succeeded": 2, "failed": 0},
        }
        for name, events, active, project in _AGENTS
    ]


def _seed_executions(store: Store) -> list[JSONDict]:
    out = []
    for name, events, _, _ in _AGENTS:
        for n in range(2):
            out.append(
                {
                    "uid": stable_uid("agent-execution", name, str(n)),
                    "registration": stable_uid("agent", name),
                    "event_type": events[0],
                    "status": "succeeded",
                    "action": "none",
                    "event_payload": {"event": events[0]},
                    "response_payload": {"ok": True},
                    "started_at": seed_time(days=50, minutes=n),
                    "completed_at": seed_time(days=50, minutes=n, seconds=2),
                }
            )
    return out


def _on_create(call: Call, values: JSONDict) -> None:
    values["secret"] = secrets.token_hex(16)
    values["execution_stats"] = {"succeeded": 0, "failed": 0}


AGENTS = Table(
    "agents",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "description": Field(),
        "events": Field(kind="array", items="str", default=list, nullable=False),
        "callback_url": Field(),
        "is_active": Field(kind="bool", default=True, nullable=False),
        "project": Field(ref="projects"),
        "task_types": Field(kind="array", items="str", default=list, nullable=False),
        "secret": Field(read_only=True, secret=True),
        "execution_stats": Field(kind="object", read_only=True),
    },
    seed=_seed_agents,
    on_create=_on_create,
)

EXECUTIONS = Table(
    "agent_executions",
    {
        **STAMPS,
        **{name: Field() for name in ("registration", "event_type", "task", "result")},
        **{name: Field() for name in ("status", "action", "error_message")},
        "event_payload": Field(kind="object"),
        "response_payload": Field(kind="object"),
        "started_at": Field(kind="datetime"),
        "completed_at": Field(kind="datetime"),
    },
    parent=Parent("agents", "registration"),
    seed=_seed_executions,
)


async def test_agent(call: Call) -> web.StreamResponse:
    """Record a test execution and report it delivered."""
    agent = call.record
    assert agent is not None
    now = now_timestamp()
    call.store.insert(
        "agent_executions",
        {
            "registration": agent["uid"],
            "event_type": "agent.test",
            "status": "succeeded",
            "event_payload": {"event": "agent.test"},
            "started_at": now,
            "completed_at": now,
        },
    )
    return json_response(
        {"success": True, "delivered": True, "status_code": 200, "detail": "Test event sent."}
    )


ENDPOINTS = (
    Endpoint(AGENTS, "/agents/", actions=(Action("test", test_agent),), ordering=("name",)),
    Endpoint(
        EXECUTIONS,
        "/agents/{uid}/executions/",
        scope=(Scope("agents", uid="uid"),),
        detail=None,
        verbs=READ,
    ),
)

TABLES = (AGENTS, EXECUTIONS)
