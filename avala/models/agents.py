"""Agent models: callbacks that act on annotation events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import attrs


@attrs.frozen(kw_only=True)
class Agent:
    """An agent: an HTTPS callback Avala calls on the events it subscribes to."""

    uid: str
    """The agent's unique id."""
    name: str
    """Display name."""
    description: str | None = None
    """Free-text description."""
    events: list[str] = attrs.Factory(list)
    """Subscribed events, e.g. ``result.submitted`` or ``task.completed``."""
    callback_url: str | None = None
    """HTTPS URL the events are sent to."""
    is_active: bool = True
    """Whether events are delivered."""
    project: str | None = None
    """Uid of the project the agent is limited to, if any."""
    task_types: list[str] = attrs.Factory(list)
    """Task types the agent is limited to (empty: all)."""
    secret: str | None = attrs.field(default=None, repr=False)
    """Signing secret of the callbacks (kept out of ``repr``)."""
    execution_stats: dict[str, int] | None = None
    """Execution counts per outcome."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class AgentExecution:
    """One run of an agent: the event sent and what the callback answered."""

    uid: str
    """The execution's unique id."""
    registration: str
    """Uid of the agent that ran."""
    event_type: str
    """The event that triggered the run."""
    task: str | None = None
    """Uid of the task concerned, if any."""
    result: str | None = None
    """Uid of the result concerned, if any."""
    status: str | None = None
    """Execution status."""
    action: str | None = None
    """The action the callback asked for."""
    event_payload: dict[str, Any] | None = None
    """The JSON sent to the callback."""
    response_payload: dict[str, Any] | None = None
    """The JSON the callback answered."""
    error_message: str | None = None
    """Why the run failed, if it did."""
    started_at: datetime | None = None
    """Start time (timezone-aware)."""
    completed_at: datetime | None = None
    """End time (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class DeliveryTestResult(TypedDict, total=False):
    """The outcome of sending a test event to a receiver (an agent's callback, a webhook)."""

    success: bool  # whether the test succeeded
    delivered: bool  # whether the receiver got the event
    status_code: int  # the HTTP status the receiver answered


class AgentTestResult(DeliveryTestResult, total=False):
    """The outcome of sending a test event to an agent's callback."""

    detail: str  # a message about the outcome
