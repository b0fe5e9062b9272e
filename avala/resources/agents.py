"""``client.agents``: automation agents that Avala calls on annotation events."""

from __future__ import annotations

from collections.abc import Sequence

from ..models.agents import Agent, AgentExecution, AgentTestResult
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path


class AsyncAgents(AsyncResource):
    """Automation agents that Avala calls on annotation events."""

    __slots__ = ()

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPaginator[Agent]:
        """List agents.

        Returns:
            A paginator: iterate it for every agent, or call ``first_page()`` for one page.
        """
        return self._list("/agents/", Agent, locals())

    async def get(self, uid: str) -> Agent:
        """Fetch an agent by uid.

        Raises:
            NotFoundError: no such agent.
        """
        return await self._get(path("/agents/{uid}/", uid=uid), Agent)

    async def create(
        self,
        *,
        name: str,
        events: Sequence[str] | None = None,
        description: str | None = None,
        callback_url: str | None = None,
        is_active: bool | None = None,
        project: str | None = None,
        task_types: Sequence[str] | None = None,
    ) -> Agent:
        """Register an agent.

        Args:
            name: Display name.
            events: Events that trigger it, e.g. ``["result.submitted", "task.completed"]``.
            description: Free text.
            callback_url: The HTTPS URL Avala calls.
            is_active: Whether it runs (the server's default when omitted: active).
            project: Limit it to this project (uid).
            task_types: Limit it to these task types.

        Returns:
            The agent; its ``secret`` (for verifying callbacks) is returned only here.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/agents/", Agent, given(locals()))

    async def update(
        self,
        uid: str,
        *,
        name: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        callback_url: str | None = None,
        is_active: bool | None = None,
        project: str | None = None,
        task_types: Sequence[str] | None = None,
    ) -> Agent:
        """Change an agent: only the fields given are sent (PATCH).

        Args:
            uid: The agent.
            name: New display name.
            events: New trigger events (replaces the list).
            description: New description.
            callback_url: New callback URL.
            is_active: Pause (False) or resume (True).
            project: New project scope (uid).
            task_types: New task-type scope (replaces the list).
        """
        return await self._patch(path("/agents/{uid}/", uid=uid), Agent, given(locals(), "uid"))

    async def delete(self, uid: str) -> None:
        """Delete an agent.

        Raises:
            NotFoundError: no such agent.
        """
        await self._void("DELETE", path("/agents/{uid}/", uid=uid))

    def list_executions(
        self, uid: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[AgentExecution]:
        """List an agent's executions (each event it was called for, and the outcome).

        Returns:
            A paginator of :class:`~avala.models.agents.AgentExecution`.
        """
        return self._list(
            path("/agents/{uid}/executions/", uid=uid), AgentExecution, locals(), "uid"
        )

    async def test(self, uid: str) -> AgentTestResult:
        """Send a test event to the agent's callback (no body is sent).

        Returns:
            The server's report as a dict, e.g. ``{"delivered": True, "status_code": 200}``.
        """
        return await self._post(path("/agents/{uid}/test/", uid=uid), AgentTestResult)
