"""``client.fleet``: devices, recordings, events, rules, alerts and alert channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import AsyncResource

if TYPE_CHECKING:
    from .._client import AsyncClient


class AsyncDevices(AsyncResource):
    """Registered devices (robots, vehicles, sensors) of the fleet."""

    __slots__ = ()


class AsyncRecordings(AsyncResource):
    """Recordings uploaded by fleet devices."""

    __slots__ = ()


class AsyncFleetEvents(AsyncResource):
    """Events marked on recordings (interventions, anomalies, labels)."""

    __slots__ = ()


class AsyncRules(AsyncResource):
    """Rules that raise alerts when a condition holds."""

    __slots__ = ()


class AsyncAlerts(AsyncResource):
    """Alerts raised by rules: acknowledge and resolve them."""

    __slots__ = ()


class AsyncAlertChannels(AsyncResource):
    """Where alerts are sent (Slack, email, webhook)."""

    __slots__ = ()


class AsyncFleet(AsyncResource):
    """The fleet: devices, recordings, events, rules, alerts and alert channels."""

    __slots__ = ("alert_channels", "alerts", "devices", "events", "recordings", "rules")

    devices: AsyncDevices
    """Registered devices."""
    recordings: AsyncRecordings
    """Recordings of devices."""
    events: AsyncFleetEvents
    """Events on recordings."""
    rules: AsyncRules
    """Alerting rules."""
    alerts: AsyncAlerts
    """Alerts raised by rules."""
    alert_channels: AsyncAlertChannels
    """Where alerts are delivered."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.devices = AsyncDevices(client)
        self.recordings = AsyncRecordings(client)
        self.events = AsyncFleetEvents(client)
        self.rules = AsyncRules(client)
        self.alerts = AsyncAlerts(client)
        self.alert_channels = AsyncAlertChannels(client)
