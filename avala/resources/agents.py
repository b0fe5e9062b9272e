"""``client.agents``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncAgents(AsyncResource):
    """Automation agents that Avala calls on annotation events."""

    __slots__ = ()
