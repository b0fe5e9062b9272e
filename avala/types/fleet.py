"""Fleet: devices, recordings, events, rules, alerts and alert channels (the official SDK's
``avala.types.fleet``; the classes of :mod:`avala.models.fleet`).

Also here: ``AlertChannelTestResult``, the typed dict ``fleet.alert_channels.test()`` returns
(a plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.fleet.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.fleet import (
    Alert as Alert,
    AlertChannel as AlertChannel,
    AlertChannelTestResult as AlertChannelTestResult,
    BatchEventParams as BatchEventParams,
    Device as Device,
    FleetEvent as FleetEvent,
    Recording as Recording,
    Rule as Rule,
)

__all__ = [
    "Alert",
    "AlertChannel",
    "AlertChannelTestResult",
    "BatchEventParams",
    "Device",
    "FleetEvent",
    "Recording",
    "Rule",
]
