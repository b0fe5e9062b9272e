"""``client.agents`` through both surfaces against the bundled server."""

from __future__ import annotations

import pytest

from avala import NotFoundError, ValidationError
from avala.models.agents import Agent, AgentExecution

from ._surface import Surface


async def test_agents_lifecycle(api: Surface) -> None:
    seeded = await api.all(api.client.agents.list())
    assert seeded and all(isinstance(a, Agent) for a in seeded)

    created = await api(
        api.client.agents.create(
            name="Reviewer", events=["task.completed"], callback_url="https://x.test/hook"
        )
    )
    assert created.secret and created.is_active and created.events == ["task.completed"]
    assert "secret" not in repr(created)
    fetched = await api(api.client.agents.get(created.uid))
    assert fetched.name == "Reviewer" and fetched.secret is None  # shown on create only
    assert created.uid in [a.uid for a in await api.all(api.client.agents.list(limit=1))]

    updated = await api(api.client.agents.update(created.uid, is_active=False))
    assert updated.is_active is False and updated.name == "Reviewer"  # the rest is kept

    report = await api(api.client.agents.test(created.uid))
    assert report["delivered"] is True
    runs = await api.all(api.client.agents.list_executions(created.uid))
    assert [r.event_type for r in runs] == ["agent.test"]
    assert all(isinstance(r, AgentExecution) for r in runs)

    assert await api(api.client.agents.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(api.client.agents.get(created.uid))


async def test_agents_validation(api: Surface) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(api.client.agents.create(name="", events=["x"]))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(api.client.agents.create(name="x", project="no-such-project"))
    assert "project" in caught.value.errors
