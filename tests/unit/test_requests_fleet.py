"""``client.fleet``: the exact request of every method."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from aioresponses import aioresponses

from avala import AsyncClient
from avala.models.fleet import Alert, AlertChannel, Device, FleetEvent, Recording, Rule

from ._helpers import calls, page
from ._requests import Case, ids, run

DEVICE = {"uid": "dv-1", "name": "Rover 01", "type": "robot", "status": "online"}
RECORDING = {"uid": "rc-1", "device": "dv-1", "status": "ready", "topics": [{"name": "/odom"}]}
EVENT = {
    "uid": "ev-1",
    "recording": "rc-1",
    "device": "dv-1",
    "type": "anomaly",
    "label": "Lidar dropout",
    "timestamp": "2025-03-01T12:00:00Z",
}
RULE = {"uid": "ru-1", "name": "Low battery", "enabled": True, "actions": [{"type": "alert"}]}
ALERT = {"uid": "al-1", "rule": "ru-1", "device": "dv-1", "status": "open"}
CHANNEL = {"uid": "ch-1", "name": "Ops Slack", "type": "slack", "config": {"channel": "#ops"}}
CEST = timezone(timedelta(hours=2))

DEVICES = [
    Case(
        "devices.list renames nothing and filters",
        lambda c: c.fleet.devices.list(status="online", type="robot", limit=5, cursor="abc"),
        "GET",
        "/fleet/devices/",
        query={"status": "online", "type": "robot", "limit": "5", "cursor": "abc"},
        response=page([DEVICE]),
        check=lambda p: isinstance(p.items[0], Device),
    ),
    Case(
        "devices.register sends only what is given",
        lambda c: c.fleet.devices.register(name="Rover 01", type="robot", tags=["a", "b"]),
        "POST",
        "/fleet/devices/",
        body={"name": "Rover 01", "type": "robot", "tags": ["a", "b"]},
        response={**DEVICE, "device_token": "tok-secret"},
        status=201,
        check=lambda d: d.device_token == "tok-secret" and "tok-secret" not in repr(d),
    ),
    Case(
        "devices.get encodes the id",
        lambda c: c.fleet.devices.get("d/1"),
        "GET",
        "/fleet/devices/d%2F1/",
        response=DEVICE,
        check=lambda d: isinstance(d, Device) and d.name == "Rover 01",
    ),
    Case(
        "devices.update is a partial PATCH",
        lambda c: c.fleet.devices.update("dv-1", status="maintenance", metadata={"k": 1}),
        "PATCH",
        "/fleet/devices/dv-1/",
        body={"status": "maintenance", "metadata": {"k": 1}},
        response=DEVICE,
        check=lambda d: isinstance(d, Device),
    ),
    Case(
        "devices.delete",
        lambda c: c.fleet.devices.delete("dv-1"),
        "DELETE",
        "/fleet/devices/dv-1/",
        status=204,
        check=lambda r: r is None,
    ),
]

RECORDINGS = [
    Case(
        "recordings.list sends device_id as device",
        lambda c: c.fleet.recordings.list(device_id="dv-1", status="ready", ordering="-started_at"),
        "GET",
        "/fleet/recordings/",
        query={"device": "dv-1", "status": "ready", "ordering": "-started_at"},
        response=page([RECORDING]),
        check=lambda p: isinstance(p.items[0], Recording),
    ),
    Case(
        "recordings.get keeps topics as sent",
        lambda c: c.fleet.recordings.get("rc-1"),
        "GET",
        "/fleet/recordings/rc-1/",
        response=RECORDING,
        check=lambda r: isinstance(r, Recording) and r.topics == [{"name": "/odom"}],
    ),
    Case(
        "recordings.get accepts topics as an object (OpenAPI)",
        lambda c: c.fleet.recordings.get("rc-1"),
        "GET",
        "/fleet/recordings/rc-1/",
        response={**RECORDING, "topics": {}},
        check=lambda r: r.topics == {},
    ),
    Case(
        "recordings.update is a partial PATCH",
        lambda c: c.fleet.recordings.update("rc-1", tags=["keep"]),
        "PATCH",
        "/fleet/recordings/rc-1/",
        body={"tags": ["keep"]},
        response=RECORDING,
        check=lambda r: isinstance(r, Recording),
    ),
    Case(
        "recordings.delete",
        lambda c: c.fleet.recordings.delete("rc-1"),
        "DELETE",
        "/fleet/recordings/rc-1/",
        status=204,
        check=lambda r: r is None,
    ),
]

EVENTS = [
    Case(
        "events.list renames recording_id and device_id",
        lambda c: c.fleet.events.list(
            recording_id="rc-1", device_id="dv-1", type="anomaly", severity="error", limit=2
        ),
        "GET",
        "/fleet/events/",
        query={
            "recording": "rc-1",
            "device": "dv-1",
            "type": "anomaly",
            "severity": "error",
            "limit": "2",
        },
        response=page([EVENT]),
        check=lambda p: isinstance(p.items[0], FleetEvent),
    ),
    Case(
        "events.create with a str timestamp sends it as given",
        lambda c: c.fleet.events.create(
            recording="rc-1",
            device="dv-1",
            label="Lidar dropout",
            type="anomaly",
            timestamp="2025-03-01T12:00:00Z",
            duration_ms=800,
        ),
        "POST",
        "/fleet/events/",
        body={
            "recording": "rc-1",
            "device": "dv-1",
            "label": "Lidar dropout",
            "type": "anomaly",
            "timestamp": "2025-03-01T12:00:00Z",
            "duration_ms": 800,
        },
        response=EVENT,
        status=201,
        check=lambda e: isinstance(e, FleetEvent) and e.timestamp is not None,
    ),
    Case(
        "events.create sends an aware datetime in ISO form",
        lambda c: c.fleet.events.create(
            recording="rc-1",
            device="dv-1",
            label="x",
            type="anomaly",
            timestamp=datetime(2025, 3, 1, 14, 0, tzinfo=CEST),
            severity="info",
        ),
        "POST",
        "/fleet/events/",
        body={
            "recording": "rc-1",
            "device": "dv-1",
            "label": "x",
            "type": "anomaly",
            "timestamp": "2025-03-01T14:00:00+02:00",
            "severity": "info",
        },
        response=EVENT,
        status=201,
    ),
    Case(
        "events.create_batch returns the count",
        lambda c: c.fleet.events.create_batch(
            events=[
                {
                    "recording": "rc-1",
                    "device": "dv-1",
                    "label": "a",
                    "type": "anomaly",
                    "timestamp": datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc),
                    "severity": None,
                },
                {
                    "recording": "rc-1",
                    "device": "dv-1",
                    "label": "b",
                    "type": "detection",
                    "timestamp": "2025-03-01T12:00:05Z",
                    "tags": ["t"],
                },
            ]
        ),
        "POST",
        "/fleet/events/batch/",
        body={
            "events": [
                {
                    "recording": "rc-1",
                    "device": "dv-1",
                    "label": "a",
                    "type": "anomaly",
                    "timestamp": "2025-03-01T12:00:00+00:00",
                },
                {
                    "recording": "rc-1",
                    "device": "dv-1",
                    "label": "b",
                    "type": "detection",
                    "timestamp": "2025-03-01T12:00:05Z",
                    "tags": ["t"],
                },
            ]
        },
        response={"created": 2},
        status=201,
        check=lambda n: n == 2 and type(n) is int,
    ),
    Case(
        "events.get",
        lambda c: c.fleet.events.get("ev-1"),
        "GET",
        "/fleet/events/ev-1/",
        response=EVENT,
        check=lambda e: isinstance(e, FleetEvent) and e.label == "Lidar dropout",
    ),
    Case(
        "events.delete",
        lambda c: c.fleet.events.delete("ev-1"),
        "DELETE",
        "/fleet/events/ev-1/",
        status=204,
        check=lambda r: r is None,
    ),
]

RULES = [
    Case(
        "rules.list sends enabled as false",
        lambda c: c.fleet.rules.list(enabled=False, limit=3),
        "GET",
        "/fleet/rules/",
        query={"enabled": "false", "limit": "3"},
        response=page([RULE]),
        check=lambda p: isinstance(p.items[0], Rule),
    ),
    Case(
        "rules.create",
        lambda c: c.fleet.rules.create(
            name="Low battery",
            condition={"field": "battery_pct", "operator": "lt", "value": 15},
            actions=[{"type": "alert"}],
            enabled=True,
        ),
        "POST",
        "/fleet/rules/",
        body={
            "name": "Low battery",
            "condition": {"field": "battery_pct", "operator": "lt", "value": 15},
            "actions": [{"type": "alert"}],
            "enabled": True,
        },
        response=RULE,
        status=201,
        check=lambda r: isinstance(r, Rule) and r.actions == [{"type": "alert"}],
    ),
    Case(
        "rules.get",
        lambda c: c.fleet.rules.get("ru-1"),
        "GET",
        "/fleet/rules/ru-1/",
        response=RULE,
        check=lambda r: isinstance(r, Rule),
    ),
    Case(
        "rules.update sends enabled=False (not dropped as falsy)",
        lambda c: c.fleet.rules.update("ru-1", enabled=False),
        "PATCH",
        "/fleet/rules/ru-1/",
        body={"enabled": False},
        response={**RULE, "enabled": False},
        check=lambda r: r.enabled is False,
    ),
    Case(
        "rules.delete",
        lambda c: c.fleet.rules.delete("ru-1"),
        "DELETE",
        "/fleet/rules/ru-1/",
        status=204,
        check=lambda r: r is None,
    ),
]

ALERTS = [
    Case(
        "alerts.list renames device_id and rule_id",
        lambda c: c.fleet.alerts.list(
            status="open", severity="critical", device_id="dv-1", rule_id="ru-1"
        ),
        "GET",
        "/fleet/alerts/",
        query={"status": "open", "severity": "critical", "device": "dv-1", "rule": "ru-1"},
        response=page([ALERT]),
        check=lambda p: isinstance(p.items[0], Alert),
    ),
    Case(
        "alerts.get",
        lambda c: c.fleet.alerts.get("al-1"),
        "GET",
        "/fleet/alerts/al-1/",
        response=ALERT,
        check=lambda a: isinstance(a, Alert),
    ),
    Case(
        "alerts.acknowledge sends no body",
        lambda c: c.fleet.alerts.acknowledge("al-1"),
        "POST",
        "/fleet/alerts/al-1/acknowledge/",
        response={**ALERT, "status": "acknowledged", "acknowledged_by": "demo"},
        check=lambda a: isinstance(a, Alert) and a.status == "acknowledged",
    ),
    Case(
        "alerts.resolve without a note sends no body",
        lambda c: c.fleet.alerts.resolve("al-1"),
        "POST",
        "/fleet/alerts/al-1/resolve/",
        response={**ALERT, "status": "resolved"},
        check=lambda a: isinstance(a, Alert) and a.status == "resolved",
    ),
    Case(
        "alerts.resolve with a note",
        lambda c: c.fleet.alerts.resolve("al-1", resolution_note="Swapped battery"),
        "POST",
        "/fleet/alerts/al-1/resolve/",
        body={"resolution_note": "Swapped battery"},
        response={**ALERT, "status": "resolved", "resolution_note": "Swapped battery"},
        check=lambda a: a.resolution_note == "Swapped battery",
    ),
]

CHANNELS = [
    Case(
        "alert_channels.list",
        lambda c: c.fleet.alert_channels.list(limit=1, cursor="xyz"),
        "GET",
        "/fleet/alert-channels/",
        query={"limit": "1", "cursor": "xyz"},
        response=page([CHANNEL]),
        check=lambda p: isinstance(p.items[0], AlertChannel),
    ),
    Case(
        "alert_channels.create",
        lambda c: c.fleet.alert_channels.create(
            name="Ops Slack", type="slack", config={"channel": "#ops"}
        ),
        "POST",
        "/fleet/alert-channels/",
        body={"name": "Ops Slack", "type": "slack", "config": {"channel": "#ops"}},
        response=CHANNEL,
        status=201,
        check=lambda ch: isinstance(ch, AlertChannel) and ch.config == {"channel": "#ops"},
    ),
    Case(
        "alert_channels.delete",
        lambda c: c.fleet.alert_channels.delete("ch-1"),
        "DELETE",
        "/fleet/alert-channels/ch-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "alert_channels.test sends no body",
        lambda c: c.fleet.alert_channels.test("ch-1"),
        "POST",
        "/fleet/alert-channels/ch-1/test/",
        response={"detail": "sent", "channel_uid": "ch-1", "channel_type": "slack"},
        check=lambda r: r == {"detail": "sent", "channel_uid": "ch-1", "channel_type": "slack"},
    ),
]

CASES = DEVICES + RECORDINGS + EVENTS + RULES + ALERTS + CHANNELS


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


async def test_naive_timestamp_is_refused_before_any_request(
    no_retry: AsyncClient, http: aioresponses
) -> None:
    naive = datetime(2025, 3, 1, 12, 0)
    events = no_retry.fleet.events
    with pytest.raises(ValueError, match="timestamp must be timezone-aware"):
        await events.create(recording="rc-1", device="dv-1", label="x", type="t", timestamp=naive)
    event = {"recording": "rc-1", "device": "dv-1", "label": "x", "type": "t"}
    with pytest.raises(ValueError, match=r"events\[1\]\.timestamp must be timezone-aware"):
        await events.create_batch(
            events=[{**event, "timestamp": "2025-03-01T12:00:00Z"}, {**event, "timestamp": naive}]
        )
    with pytest.raises(TypeError, match="timestamp must be an ISO-8601 str or a datetime"):
        await events.create(
            recording="rc-1",
            device="dv-1",
            label="x",
            type="t",
            timestamp=1740830400,  # type: ignore[arg-type]
        )
    assert calls(http) == []


@pytest.mark.parametrize(
    ("events", "match"),
    [
        ({"recording": "rc-1"}, "events must be a sequence of event dicts"),
        ("not events", "events must be a sequence of event dicts"),
        ([{"label": "ok"}, "oops"], r"events\[1\] must be a dict"),
    ],
    ids=["a dict", "a str", "a str element"],
)
async def test_batch_shape_is_checked_before_any_request(
    no_retry: AsyncClient, http: aioresponses, events: object, match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        await no_retry.fleet.events.create_batch(events=events)  # type: ignore[arg-type]
    assert calls(http) == []
