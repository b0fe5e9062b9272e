"""``client.fleet`` through both surfaces against the bundled server.

The server is shared by the whole session, so tests that change an object make their own
(through the API, or straight into the store where the API has no create) instead of
changing the seeded ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from avala import NotFoundError, ValidationError
from avala.models.fleet import Alert, AlertChannel, Device, FleetEvent, Recording, Rule
from avala.testing import ServerHandle
from avala.testing._api.fleet import device_uid, recording_uid, rule_uid

from ._surface import Surface

ROVER = device_uid("Rover 01")
DRONE = device_uid("Drone 03")
LOW_BATTERY = rule_uid("Low battery")


def new_recording(server: ServerHandle, device: str = ROVER) -> str:
    """A recording of our own (the API has no create for recordings)."""
    record = server.state.store.insert(
        "fleet_recordings",
        {
            "device": device,
            "status": "ready",
            "tags": ["test"],
            "topics": [{"name": "/odom", "schema_name": "nav_msgs/Odometry"}],
            "topic_count": 1,
            "duration_seconds": 12.5,
            "size_bytes": 1024,
        },
    )
    return str(record["uid"])


def new_alert(server: ServerHandle, device: str = DRONE) -> str:
    """An open alert of our own (alerts are raised by the server, never created)."""
    record = server.state.store.insert(
        "fleet_alerts",
        {
            "rule": LOW_BATTERY,
            "device": device,
            "severity": "warning",
            "status": "open",
            "message": "Battery at 9%",
            "triggered_at": "2025-03-01T12:00:00Z",
        },
    )
    return str(record["uid"])


# --------------------------------------------------------------------------- devices


async def test_devices_lifecycle(api: Surface) -> None:
    seeded = await api.all(api.client.fleet.devices.list())
    assert all(isinstance(d, Device) and d.device_token is None for d in seeded)
    assert {"online", "offline", "maintenance"} <= {d.status for d in seeded}
    drones = await api.all(api.client.fleet.devices.list(type="drone", status="maintenance"))
    assert DRONE in [d.uid for d in drones]
    assert all(d.type == "drone" and d.status == "maintenance" for d in drones)

    created = await api(
        api.client.fleet.devices.register(
            name="Rover 99", type="robot", firmware_version="1.0.0", tags=["test"]
        )
    )
    token = created.device_token
    assert token and token not in repr(created)
    assert (created.name, created.type, created.tags) == ("Rover 99", "robot", ["test"])
    fetched = await api(api.client.fleet.devices.get(created.uid))
    assert fetched.device_token is None and fetched.firmware_version == "1.0.0"  # once only
    assert created.uid in [d.uid for d in await api.all(api.client.fleet.devices.list(limit=2))]

    updated = await api(
        api.client.fleet.devices.update(created.uid, status="maintenance", metadata={"bay": 4})
    )
    assert (updated.status, updated.metadata) == ("maintenance", {"bay": 4})
    assert (updated.name, updated.firmware_version, updated.tags) == ("Rover 99", "1.0.0", ["test"])

    assert await api(api.client.fleet.devices.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.devices.get(created.uid))
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.devices.delete(created.uid))


async def test_devices_validation(api: Surface) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.devices.register(name="", type="robot"))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.devices.register(name="x", type="robot", tags="a"))
    assert list(caught.value.errors) == ["tags"]
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.devices.update(ROVER, metadata=["not", "an", "object"]))
    assert list(caught.value.errors) == ["metadata"]


async def test_devices_paginate(api: Surface) -> None:
    page = await api.first_page(api.client.fleet.devices.list(limit=1))
    assert len(page.items) == 1 and page.has_more
    second = await api.next_page(page)
    assert second.items[0].uid != page.items[0].uid
    walked = await api.all(api.client.fleet.devices.list(limit=1))
    everything = await api.all(api.client.fleet.devices.list(limit=1000))
    assert [d.uid for d in walked] == [d.uid for d in everything]


# --------------------------------------------------------------------------- recordings


async def test_recordings_seeded_and_filtered(api: Surface) -> None:
    seeded = await api.all(api.client.fleet.recordings.list())
    assert all(isinstance(r, Recording) for r in seeded)
    assert {"uploading", "processing", "ready", "error"} <= {r.status for r in seeded}
    known_devices = {d.uid for d in await api.all(api.client.fleet.devices.list())}
    assert all(r.device in known_devices for r in seeded)

    rover = await api.all(api.client.fleet.recordings.list(device_id=ROVER, limit=1))
    assert len(rover) >= 2 and all(r.device == ROVER for r in rover)
    ready = await api.all(api.client.fleet.recordings.list(status="ready"))
    assert ready and all(r.status == "ready" for r in ready)
    newest_first = await api.all(api.client.fleet.recordings.list(ordering="-started_at"))
    starts = [r.started_at for r in newest_first if r.started_at is not None]
    assert len(starts) >= 4 and starts == sorted(starts, reverse=True)

    run = await api(api.client.fleet.recordings.get(recording_uid("rover-run-1")))
    assert isinstance(run.topics, list) and run.topic_count == len(run.topics) >= 1
    assert all(isinstance(t, dict) and t["name"].startswith("/") for t in run.topics)
    assert run.started_at and run.ended_at and run.started_at < run.ended_at
    assert run.started_at.tzinfo is not None


async def test_recordings_lifecycle(api: Surface, local_env: ServerHandle) -> None:
    uid = new_recording(local_env)
    updated = await api(api.client.fleet.recordings.update(uid, status="archived"))
    assert (updated.status, updated.tags) == ("archived", ["test"])  # tags kept
    updated = await api(api.client.fleet.recordings.update(uid, tags=["keep", "flagged"]))
    assert (updated.status, updated.tags) == ("archived", ["keep", "flagged"])
    assert await api(api.client.fleet.recordings.get(uid)) == updated
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.recordings.update(uid, tags="flagged"))
    assert list(caught.value.errors) == ["tags"]

    assert await api(api.client.fleet.recordings.delete(uid)) is None
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.recordings.get(uid))
    assert uid not in [r.uid for r in await api.all(api.client.fleet.recordings.list())]


# --------------------------------------------------------------------------- events


async def test_events_lifecycle(api: Surface, local_env: ServerHandle) -> None:
    seeded = await api.all(api.client.fleet.events.list(recording_id=recording_uid("rover-run-1")))
    assert len(seeded) >= 2 and all(isinstance(e, FleetEvent) for e in seeded)
    assert all(e.device == ROVER for e in seeded)
    critical = await api.all(api.client.fleet.events.list(severity="critical", device_id=DRONE))
    assert critical and all(e.severity == "critical" and e.device == DRONE for e in critical)

    recording = new_recording(local_env)
    at = datetime(2025, 3, 1, 14, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    created = await api(
        api.client.fleet.events.create(
            recording=recording,
            device=ROVER,
            label="Operator takeover",
            type="intervention",
            timestamp=at,
            severity="warning",
            duration_ms=1500,
            tags=["manual"],
            metadata={"operator": "kim"},
        )
    )
    assert created.timestamp == at and created.timestamp.utcoffset() == timedelta(0)
    assert (created.label, created.duration_ms, created.tags) == (
        "Operator takeover",
        1500,
        ["manual"],
    )
    assert await api(api.client.fleet.events.get(created.uid)) == created
    from_str = await api(
        api.client.fleet.events.create(
            recording=recording,
            device=ROVER,
            label="Stop",
            type="intervention",
            timestamp="2025-03-01T12:31:00Z",
        )
    )
    assert from_str.timestamp == datetime(2025, 3, 1, 12, 31, tzinfo=timezone.utc)

    listed = await api.all(
        api.client.fleet.events.list(recording_id=recording, type="intervention")
    )
    assert [e.uid for e in listed] == [created.uid, from_str.uid]

    assert await api(api.client.fleet.events.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.events.get(created.uid))
    remaining = await api.all(api.client.fleet.events.list(recording_id=recording))
    assert [e.uid for e in remaining] == [from_str.uid]


async def test_events_validation(api: Surface) -> None:
    recording = recording_uid("rover-run-1")
    with pytest.raises(ValidationError) as caught:
        await api(
            api.client.fleet.events.create(
                recording="no-such-recording",
                device="no-such-device",
                label="x",
                type="anomaly",
                timestamp="2025-03-01T12:00:00Z",
            )
        )
    assert set(caught.value.errors) == {"recording", "device"}
    with pytest.raises(ValidationError) as caught:
        await api(
            api.client.fleet.events.create(
                recording=recording, device=ROVER, label="x", type="t", timestamp="yesterday"
            )
        )
    assert list(caught.value.errors) == ["timestamp"]
    with pytest.raises(ValueError, match="timestamp must be timezone-aware"):
        await api(
            api.client.fleet.events.create(
                recording=recording, device=ROVER, label="x", type="t", timestamp=datetime.now()
            )
        )


async def test_events_batch(api: Surface, local_env: ServerHandle) -> None:
    recording = new_recording(local_env)
    base = {"recording": recording, "device": ROVER, "type": "detection"}
    stamp = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    created = await api(
        api.client.fleet.events.create_batch(
            events=[
                {**base, "label": "Person", "timestamp": stamp, "severity": "info"},
                {**base, "label": "Pallet", "timestamp": "2025-03-01T12:00:01Z", "tags": ["p"]},
                {**base, "label": "Forklift", "timestamp": stamp + timedelta(seconds=2)},
            ]
        )
    )
    assert created == 3 and type(created) is int
    stored = await api.all(api.client.fleet.events.list(recording_id=recording))
    assert [e.label for e in stored] == ["Person", "Pallet", "Forklift"]
    assert stored[0].timestamp == stamp and stored[1].tags == ["p"]

    with pytest.raises(ValidationError) as caught:
        await api(
            api.client.fleet.events.create_batch(
                events=[
                    {**base, "label": "Fine", "timestamp": stamp},
                    {**base, "label": "Bad", "timestamp": stamp, "device": "no-such-device"},
                    {**base, "timestamp": stamp},  # no label
                ]
            )
        )
    body = caught.value.body
    assert set(body["events"]) == {"1", "2"}
    assert list(body["events"]["1"]) == ["device"] and list(body["events"]["2"]) == ["label"]
    assert "no-such-device" in caught.value.message
    after = await api.all(api.client.fleet.events.list(recording_id=recording))
    assert [e.uid for e in after] == [e.uid for e in stored]  # nothing of the bad batch

    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.events.create_batch(events=[{**base, "label": "No time"}]))
    assert json.loads(caught.value.errors["events"][0]) == {
        "0": {"timestamp": ["This field is required."]}
    }
    assert await api(api.client.fleet.events.create_batch(events=[])) == 0


# --------------------------------------------------------------------------- rules


async def test_rules_lifecycle(api: Surface) -> None:
    seeded = await api.all(api.client.fleet.rules.list())
    assert len(seeded) >= 3 and all(isinstance(r, Rule) for r in seeded)
    disabled = await api.all(api.client.fleet.rules.list(enabled=False))
    enabled = await api.all(api.client.fleet.rules.list(enabled=True))
    assert disabled and enabled and all(not r.enabled for r in disabled)
    assert all(r.enabled for r in enabled)
    assert {r.uid for r in disabled}.isdisjoint({r.uid for r in enabled})
    assert LOW_BATTERY in {r.uid for r in enabled}

    created = await api(
        api.client.fleet.rules.create(
            name="Stuck robot",
            condition={"field": "speed_mps", "operator": "eq", "value": 0, "for_seconds": 60},
            actions=[{"type": "alert", "severity": "warning"}],
            description="Not moving for a minute.",
            scope={"device_types": ["robot"]},
        )
    )
    assert created.enabled is True and created.hit_count == 0  # the server's defaults
    assert created.actions == [{"type": "alert", "severity": "warning"}]
    assert await api(api.client.fleet.rules.get(created.uid)) == created

    paused = await api(api.client.fleet.rules.update(created.uid, enabled=False))
    assert paused.enabled is False
    assert (paused.name, paused.condition, paused.scope) == (
        created.name,
        created.condition,
        created.scope,
    )
    assert created.uid in {r.uid for r in await api.all(api.client.fleet.rules.list(enabled=False))}
    assert created.uid not in {
        r.uid for r in await api.all(api.client.fleet.rules.list(enabled=True))
    }
    renamed = await api(api.client.fleet.rules.update(created.uid, name="Stalled robot"))
    assert (renamed.name, renamed.enabled) == ("Stalled robot", False)

    assert await api(api.client.fleet.rules.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.rules.get(created.uid))


async def test_rules_validation(api: Surface) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.rules.create(name="x", condition="always", actions=["alert"]))
    assert set(caught.value.errors) == {"condition", "actions"}
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.rules.create(name="", condition={}, actions=[]))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.rules.update(LOW_BATTERY, enabled="sometimes"))
    assert caught.value.errors == {"enabled": ["Must be a valid boolean."]}


# --------------------------------------------------------------------------- alerts


async def test_alerts_seeded_and_filtered(api: Surface) -> None:
    seeded = await api.all(api.client.fleet.alerts.list(limit=1))
    assert all(isinstance(a, Alert) for a in seeded)
    assert {"open", "acknowledged", "resolved"} <= {a.status for a in seeded}
    opened = await api.all(api.client.fleet.alerts.list(status="open"))
    assert len(opened) >= 2 and all(a.status == "open" for a in opened)
    for alert in await api.all(api.client.fleet.alerts.list(status="acknowledged")):
        assert alert.acknowledged_at and alert.acknowledged_by
    by_rule = await api.all(api.client.fleet.alerts.list(rule_id=LOW_BATTERY, device_id=DRONE))
    assert by_rule and all(a.rule == LOW_BATTERY and a.device == DRONE for a in by_rule)
    critical = await api.all(api.client.fleet.alerts.list(severity="critical"))
    assert critical and all(a.severity == "critical" for a in critical)
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.alerts.get("no-such-alert"))


async def test_alerts_acknowledge_then_resolve(api: Surface, local_env: ServerHandle) -> None:
    uid = new_alert(local_env)
    fresh = await api(api.client.fleet.alerts.get(uid))
    assert (fresh.status, fresh.acknowledged_at, fresh.resolved_at) == ("open", None, None)

    acked = await api(api.client.fleet.alerts.acknowledge(uid))
    assert acked.status == "acknowledged" and acked.acknowledged_by == "demo"
    assert acked.acknowledged_at and acked.acknowledged_at.tzinfo is not None
    again = await api(api.client.fleet.alerts.acknowledge(uid))
    assert again.acknowledged_at == acked.acknowledged_at  # already acknowledged: unchanged
    assert await api(api.client.fleet.alerts.get(uid)) == again

    resolved = await api(api.client.fleet.alerts.resolve(uid, resolution_note="Swapped battery"))
    assert (resolved.status, resolved.resolution_note) == ("resolved", "Swapped battery")
    assert resolved.resolved_at and resolved.acknowledged_at == acked.acknowledged_at
    assert uid in {a.uid for a in await api.all(api.client.fleet.alerts.list(status="resolved"))}

    with pytest.raises(ValidationError, match="already resolved"):
        await api(api.client.fleet.alerts.acknowledge(uid))
    with pytest.raises(ValidationError, match="already resolved"):
        await api(api.client.fleet.alerts.resolve(uid))
    assert (await api(api.client.fleet.alerts.get(uid))).resolution_note == "Swapped battery"


async def test_alerts_resolve_without_note(api: Surface, local_env: ServerHandle) -> None:
    uid = new_alert(local_env)
    resolved = await api(api.client.fleet.alerts.resolve(uid))  # straight from open, no body
    assert (resolved.status, resolved.resolution_note) == ("resolved", None)
    assert resolved.resolved_at and resolved.acknowledged_at is None
    sent = [r for r in local_env.state.requests if r.path.endswith(f"/{uid}/resolve/")]
    assert [r.body for r in sent] == [b""]


# --------------------------------------------------------------------------- alert channels


async def test_alert_channels_lifecycle(api: Surface) -> None:
    seeded = await api.all(api.client.fleet.alert_channels.list())
    assert len(seeded) >= 3 and all(isinstance(c, AlertChannel) for c in seeded)
    assert {"slack", "email", "webhook"} <= {c.type for c in seeded}

    created = await api(
        api.client.fleet.alert_channels.create(
            name="Pager", type="webhook", config={"url": "https://pager.example.com/hook"}
        )
    )
    assert (created.name, created.type) == ("Pager", "webhook")
    assert created.config == {"url": "https://pager.example.com/hook"}
    walked = await api.all(api.client.fleet.alert_channels.list(limit=1))
    assert created in walked

    report = await api(api.client.fleet.alert_channels.test(created.uid))
    assert report["channel_uid"] == created.uid and report["channel_type"] == "webhook"
    assert "Pager" in report["detail"]

    assert await api(api.client.fleet.alert_channels.delete(created.uid)) is None
    remaining = await api.all(api.client.fleet.alert_channels.list())
    assert created.uid not in {c.uid for c in remaining}
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.alert_channels.test(created.uid))
    with pytest.raises(NotFoundError):
        await api(api.client.fleet.alert_channels.delete(created.uid))


async def test_alert_channels_validation(api: Surface) -> None:
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.alert_channels.create(name="x", type="slack", config="#ops"))
    assert list(caught.value.errors) == ["config"]
    with pytest.raises(ValidationError) as caught:
        await api(api.client.fleet.alert_channels.create(name="", type="", config={}))
    assert set(caught.value.errors) == {"name", "type"}
