"""Agents and their executions (the official SDK's ``avala.types.agent``; the classes of
:mod:`avala.models.agents`).

Also here: ``AgentTestResult``, the typed dict ``agents.test()`` returns (a plain dict in
the official SDK), and its base ``DeliveryTestResult``.

The classes are those of ``avala.models``: ``avala.types.agent.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.agents import (
    Agent as Agent,
    AgentExecution as AgentExecution,
    AgentTestResult as AgentTestResult,
    DeliveryTestResult as DeliveryTestResult,
)

__all__ = [
    "Agent",
    "AgentExecution",
    "AgentTestResult",
    "DeliveryTestResult",
]
