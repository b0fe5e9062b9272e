"""Fleet models: devices, recordings, events, rules, alerts and alert channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import attrs


@attrs.frozen(kw_only=True)
class Device:
    """A registered device of your fleet (a robot, a vehicle, a drone...)."""

    uid: str
    """The device's unique id."""
    name: str
    """Display name."""
    type: str | None = None
    """Kind of device."""
    status: str | None = None
    """``online``, ``offline`` or ``maintenance``."""
    tags: list[str] = attrs.Factory(list)
    """Tags."""
    firmware_version: str | None = None
    """Firmware version."""
    metadata: dict[str, Any] | None = None
    """Free-form metadata."""
    last_seen_at: datetime | None = None
    """Last contact (timezone-aware)."""
    device_token: str | None = attrs.field(default=None, repr=False)
    """The device's credential, returned on registration (kept out of ``repr``)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class Recording:
    """A recording made by a device (e.g. an MCAP log of one run)."""

    uid: str
    """The recording's unique id."""
    device: str | None = None
    """Uid of the device that recorded it."""
    status: str | None = None
    """``uploading``, ``processing``, ``ready``, ``error`` or ``archived``."""
    duration_seconds: float | None = None
    """Length, in seconds."""
    size_bytes: int | None = None
    """Size, in bytes."""
    topic_count: int = 0
    """Number of topics."""
    tags: list[str] = attrs.Factory(list)
    """Tags."""
    topics: Any = None
    """The recorded topics: a list of topic objects in the official SDK, an object on the
    OpenAPI page; either is kept as sent."""
    started_at: datetime | None = None
    """Start of the recording (timezone-aware)."""
    ended_at: datetime | None = None
    """End of the recording (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class FleetEvent:
    """Something that happened during a recording (a disengagement, a detection...)."""

    uid: str
    """The event's unique id."""
    recording: str | None = None
    """Uid of the recording."""
    device: str | None = None
    """Uid of the device."""
    type: str | None = None
    """Kind of event."""
    label: str | None = None
    """Short label."""
    description: str | None = None
    """Free-text description."""
    timestamp: datetime | None = None
    """When it happened (timezone-aware)."""
    duration_ms: int | None = None
    """How long it lasted, in milliseconds."""
    tags: list[str] = attrs.Factory(list)
    """Tags."""
    metadata: dict[str, Any] | None = None
    """Free-form metadata."""
    severity: str | None = None
    """Severity."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class Rule:
    """A fleet rule: a condition on incoming data and the actions to take when it matches."""

    uid: str
    """The rule's unique id."""
    name: str
    """Display name."""
    description: str | None = None
    """Free-text description."""
    enabled: bool = True
    """Whether the rule is evaluated."""
    condition: dict[str, Any] | None = None
    """When the rule matches."""
    actions: list[dict[str, Any]] = attrs.Factory(list)
    """What to do when it matches."""
    scope: dict[str, Any] | None = None
    """Which devices or recordings it applies to."""
    hit_count: int = 0
    """Number of matches so far."""
    last_hit_at: datetime | None = None
    """Time of the last match (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class Alert:
    """An alert raised by a rule, and its handling."""

    uid: str
    """The alert's unique id."""
    rule: str | None = None
    """Uid of the rule that raised it."""
    device: str | None = None
    """Uid of the device concerned."""
    recording: str | None = None
    """Uid of the recording concerned."""
    severity: str | None = None
    """Severity."""
    status: str | None = None
    """``open``, ``acknowledged`` or ``resolved``."""
    message: str | None = None
    """What happened, in words."""
    triggered_at: datetime | None = None
    """When it was raised (timezone-aware)."""
    acknowledged_at: datetime | None = None
    """When it was acknowledged (timezone-aware)."""
    acknowledged_by: str | None = None
    """Who acknowledged it."""
    resolved_at: datetime | None = None
    """When it was resolved (timezone-aware)."""
    resolution_note: str | None = None
    """The note left on resolution."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class AlertChannel:
    """Where alerts are sent: a Slack channel, email addresses or a webhook."""

    uid: str
    """The channel's unique id."""
    name: str
    """Display name."""
    type: str | None = None
    """``slack``, ``email`` or ``webhook``."""
    config: dict[str, Any] | None = None
    """Channel settings."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class _BatchEventRequired(TypedDict):
    """The fields every event of a batch must have."""

    recording: str  # uid of the recording
    device: str  # uid of the device
    label: str  # short label
    type: str  # kind of event
    timestamp: str  # when it happened (ISO 8601)


class BatchEventParams(_BatchEventRequired, total=False):
    """One event of a batch of fleet events to create."""

    severity: str  # severity
    description: str  # free-text description
    duration_ms: int  # how long it lasted, in milliseconds
    tags: list[str]  # tags
    metadata: dict[str, Any]  # free-form metadata


class AlertChannelTestResult(TypedDict, total=False):
    """The outcome of sending a test alert to a channel."""

    detail: str  # a message about the outcome
    channel_uid: str  # uid of the channel tested
    channel_type: str  # the channel's type
