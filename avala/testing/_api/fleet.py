"""The fleet: devices, their recordings, events on recordings, rules, the alerts rules raise,
and the channels alerts are sent to.

Seeded devices, recordings, events, rules and alerts reference each other consistently. An
alert moves ``open`` -> ``acknowledged`` -> ``resolved`` (or straight to ``resolved``);
acknowledging twice answers the alert unchanged, while acknowledging or resolving a resolved
alert is a 400. A batch of events is validated as a whole: one bad event (named by its
index) and nothing is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from .._engine import Call, json_response, read_json, render
from .._schema import (
    STAMPS,
    Action,
    ApiError,
    Endpoint,
    Field,
    Filter,
    JSONDict,
    Table,
    Validator,
)
from .._store import DEMO_OWNER, Store, format_timestamp, now_timestamp, seed_time, stable_uid

# --------------------------------------------------------------------------- seed data

_DEVICES = (
    # name, type, status, firmware, tags
    ("Rover 01", "robot", "online", "2.4.1", ["warehouse", "lidar"]),
    ("Truck 07", "vehicle", "offline", "1.9.0", ["highway"]),
    ("Drone 03", "drone", "maintenance", "3.0.2", ["aerial", "camera"]),
)
_TOPICS = {
    "robot": (
        ("/lidar/points", "sensor_msgs/PointCloud2", 6000),
        ("/camera/front/image_raw", "sensor_msgs/Image", 18000),
        ("/odom", "nav_msgs/Odometry", 60000),
    ),
    "vehicle": (
        ("/camera/front/compressed", "sensor_msgs/CompressedImage", 9000),
        ("/can/speed", "std_msgs/Float32", 30000),
    ),
    "drone": (
        ("/gimbal/image", "sensor_msgs/CompressedImage", 7200),
        ("/imu", "sensor_msgs/Imu", 72000),
        ("/gps/fix", "sensor_msgs/NavSatFix", 600),
    ),
}
_RECORDINGS: tuple[tuple[str, str, str, float | None, int | None, list[str]], ...] = (
    # key, device name, status, duration (s), size (bytes), tags
    ("rover-run-1", "Rover 01", "ready", 600.0, 3_221_225_472, ["aisle-4"]),
    ("rover-run-2", "Rover 01", "processing", 300.0, 1_610_612_736, []),
    ("truck-run-1", "Truck 07", "uploading", None, None, ["night"]),
    ("drone-run-1", "Drone 03", "error", 120.5, 524_288_000, ["windy"]),
)
_EVENTS = (
    # recording key, type, label, severity, offset (s), duration (ms)
    ("rover-run-1", "intervention", "Operator takeover", "warning", 42.0, 3500),
    ("rover-run-1", "anomaly", "Lidar dropout", "error", 310.5, 800),
    ("rover-run-2", "detection", "Person in aisle", "info", 12.25, None),
    ("drone-run-1", "anomaly", "GPS glitch", "critical", 60.0, 1200),
)
_CHANNELS = (
    ("Ops Slack", "slack", {"channel": "#fleet-ops"}),
    ("On-call email", "email", {"recipients": ["oncall@avala.test"]}),
    ("Incident webhook", "webhook", {"url": "https://hooks.example.com/fleet"}),
)
_RULES = (
    # name, enabled, condition, severity, channel, scope
    (
        "Low battery",
        True,
        {"field": "battery_pct", "operator": "lt", "value": 15},
        "warning",
        "Ops Slack",
        {"device_types": ["robot", "drone"]},
    ),
    (
        "Collision risk",
        True,
        {"event_type": "anomaly", "severity_at_least": "error"},
        "critical",
        "On-call email",
        None,
    ),
    (
        "Overheating",
        False,
        {"field": "cpu_temp_c", "operator": "gt", "value": 85},
        "error",
        "Incident webhook",
        {"tags": ["highway"]},
    ),
)
_ALERTS = (
    # key, rule, device, recording key, status, message
    ("battery-drone", "Low battery", "Drone 03", "drone-run-1", "open", "Battery at 12%"),
    ("collision-rover", "Collision risk", "Rover 01", "rover-run-1", "open", "Lidar dropout"),
    ("battery-rover", "Low battery", "Rover 01", "rover-run-2", "acknowledged", "Battery 14%"),
    ("collision-drone", "Collision risk", "Drone 03", "drone-run-1", "resolved", "GPS glitch"),
)
_RULE_SEVERITY = {name: severity for name, _, _, severity, _, _ in _RULES}
_DAY = 60  # seed day of the fleet data


def device_uid(name: str) -> str:
    """The uid of a seeded device."""
    return stable_uid("fleet-device", name)


def recording_uid(key: str) -> str:
    """The uid of a seeded recording (keys: ``rover-run-1``, ``rover-run-2``,
    ``truck-run-1``, ``drone-run-1``)."""
    return stable_uid("fleet-recording", key)


def rule_uid(name: str) -> str:
    """The uid of a seeded rule."""
    return stable_uid("fleet-rule", name)


def channel_uid(name: str) -> str:
    """The uid of a seeded alert channel."""
    return stable_uid("fleet-alert-channel", name)


def _seed_devices(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": device_uid(name),
            "name": name,
            "type": kind,
            "status": status,
            "tags": tags,
            "firmware_version": firmware,
            "metadata": {"serial": f"SN-{i + 1:04d}", "site": "demo"},
            "last_seen_at": seed_time(days=_DAY + 5 - i),
            "device_token": stable_uid("fleet-device-token", name).replace("-", ""),
            "created_at": seed_time(days=_DAY, minutes=i),
            "updated_at": seed_time(days=_DAY + 1, minutes=i),
        }
        for i, (name, kind, status, firmware, tags) in enumerate(_DEVICES)
    ]


def _kind_of(device_name: str) -> str:
    return next(kind for name, kind, *_ in _DEVICES if name == device_name)


def _start(index: int) -> float:
    return (_DAY + 2 + index) * 86400.0


def _seed_recordings(store: Store) -> list[JSONDict]:
    out = []
    for i, (key, device, status, duration, size, tags) in enumerate(_RECORDINGS):
        topics = [
            {"name": name, "schema_name": schema, "message_count": count}
            for name, schema, count in _TOPICS[_kind_of(device)]
        ]
        out.append(
            {
                "uid": recording_uid(key),
                "device": device_uid(device),
                "status": status,
                "duration_seconds": duration,
                "size_bytes": size,
                "topic_count": len(topics),
                "tags": tags,
                "topics": topics,
                "started_at": seed_time(seconds=_start(i)),
                "ended_at": None if duration is None else seed_time(seconds=_start(i) + duration),
                "created_at": seed_time(seconds=_start(i)),
                "updated_at": seed_time(seconds=_start(i) + (duration or 0) + 60),
            }
        )
    return out


def _recording_device(key: str) -> str:
    return next(device for k, device, *_ in _RECORDINGS if k == key)


def _recording_index(key: str) -> int:
    return next(i for i, (k, *_) in enumerate(_RECORDINGS) if k == key)


def _seed_events(store: Store) -> list[JSONDict]:
    out = []
    for n, (key, kind, label, severity, offset, duration) in enumerate(_EVENTS):
        at = seed_time(seconds=_start(_recording_index(key)) + offset)
        out.append(
            {
                "uid": stable_uid("fleet-event", key, str(n)),
                "recording": recording_uid(key),
                "device": device_uid(_recording_device(key)),
                "type": kind,
                "label": label,
                "description": f"{label} (seed)",
                "timestamp": at,
                "duration_ms": duration,
                "tags": [kind],
                "metadata": {"source": "seed"},
                "severity": severity,
                "created_at": at,
                "updated_at": at,
            }
        )
    return out


def _seed_channels(store: Store) -> list[JSONDict]:
    return [
        {"uid": channel_uid(name), "name": name, "type": kind, "config": config}
        for name, kind, config in _CHANNELS
    ]


def _seed_rules(store: Store) -> list[JSONDict]:
    hits = {name: sum(1 for alert in _ALERTS if alert[1] == name) for name, *_ in _RULES}
    return [
        {
            "uid": rule_uid(name),
            "name": name,
            "description": f"Alert when: {name.lower()}.",
            "enabled": enabled,
            "condition": condition,
            "actions": [{"type": "alert", "severity": severity, "channel": channel_uid(channel)}],
            "scope": scope,
            "hit_count": hits[name],
            "last_hit_at": seed_time(days=_DAY + 6, minutes=i * 10) if hits[name] else None,
        }
        for i, (name, enabled, condition, severity, channel, scope) in enumerate(_RULES)
    ]


def _seed_alerts(store: Store) -> list[JSONDict]:
    out = []
    for i, (key, rule, device, recording, status, message) in enumerate(_ALERTS):
        raised = seed_time(days=_DAY + 6, minutes=i * 10)
        acknowledged = status in ("acknowledged", "resolved")
        resolved = status == "resolved"
        out.append(
            {
                "uid": stable_uid("fleet-alert", key),
                "rule": rule_uid(rule),
                "device": device_uid(device),
                "recording": recording_uid(recording),
                "severity": _RULE_SEVERITY[rule],
                "status": status,
                "message": message,
                "triggered_at": raised,
                "acknowledged_at": (
                    seed_time(days=_DAY + 6, minutes=i * 10 + 5) if acknowledged else None
                ),
                "acknowledged_by": DEMO_OWNER if acknowledged else None,
                "resolved_at": seed_time(days=_DAY + 6, minutes=i * 10 + 30) if resolved else None,
                "resolution_note": "Recalibrated the GPS receiver." if resolved else None,
                "created_at": raised,
                "updated_at": raised,
            }
        )
    return out


# --------------------------------------------------------------------------- hooks


def _register(call: Call, values: JSONDict) -> None:
    """A new device gets its credential (shown once, in this answer)."""
    values["device_token"] = secrets.token_urlsafe(24)


def _utc(text: str) -> str:
    """A validated ISO-8601 timestamp in the server's form (UTC, ``Z``); naive means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_timestamp(moment)


def _event_create(call: Call, values: JSONDict) -> None:
    values["timestamp"] = _utc(str(values["timestamp"]))


# --------------------------------------------------------------------------- tables

_TAGS = Field(kind="array", items="str", default=list, nullable=False)

DEVICES = Table(
    "fleet_devices",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "type": Field(required=True, max_length=100),
        "status": Field(default="offline", nullable=False),
        "tags": _TAGS,
        "firmware_version": Field(max_length=100),
        "metadata": Field(kind="object"),
        "last_seen_at": Field(kind="datetime", read_only=True),
        "device_token": Field(read_only=True, secret=True),
    },
    seed=_seed_devices,
    on_create=_register,
)

RECORDINGS = Table(
    "fleet_recordings",
    {
        **STAMPS,
        "device": Field(ref="fleet_devices", read_only=True),
        "status": Field(default="uploading", nullable=False),
        "duration_seconds": Field(kind="float", read_only=True),
        "size_bytes": Field(kind="int", read_only=True),
        "topic_count": Field(kind="int", read_only=True, default=0),
        "tags": _TAGS,
        "topics": Field(kind="array", read_only=True, default=list),
        "started_at": Field(kind="datetime", read_only=True),
        "ended_at": Field(kind="datetime", read_only=True),
    },
    seed=_seed_recordings,
)

EVENTS = Table(
    "fleet_events",
    {
        **STAMPS,
        "recording": Field(required=True, ref="fleet_recordings"),
        "device": Field(required=True, ref="fleet_devices"),
        "type": Field(required=True, max_length=100),
        "label": Field(required=True, max_length=255),
        "description": Field(),
        "timestamp": Field(kind="datetime", required=True),
        "duration_ms": Field(kind="int"),
        "tags": _TAGS,
        "metadata": Field(kind="object"),
        "severity": Field(),
    },
    seed=_seed_events,
    on_create=_event_create,
)

RULES = Table(
    "fleet_rules",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "description": Field(),
        "enabled": Field(kind="bool", default=True, nullable=False),
        "condition": Field(kind="object", required=True),
        "actions": Field(kind="array", items="object", required=True),
        "scope": Field(kind="object"),
        "hit_count": Field(kind="int", read_only=True, default=0),
        "last_hit_at": Field(kind="datetime", read_only=True),
    },
    seed=_seed_rules,
)

ALERT_CHANNELS = Table(
    "fleet_alert_channels",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "type": Field(required=True, max_length=50),
        "config": Field(kind="object", required=True),
    },
    seed=_seed_channels,
)

ALERTS = Table(
    "fleet_alerts",
    {
        **STAMPS,
        "rule": Field(ref="fleet_rules", read_only=True),
        "device": Field(ref="fleet_devices", read_only=True),
        "recording": Field(ref="fleet_recordings", read_only=True),
        "severity": Field(read_only=True),
        "status": Field(read_only=True, default="open"),
        "message": Field(read_only=True),
        "triggered_at": Field(kind="datetime", read_only=True),
        "acknowledged_at": Field(kind="datetime", read_only=True),
        "acknowledged_by": Field(read_only=True),
        "resolved_at": Field(kind="datetime", read_only=True),
        "resolution_note": Field(read_only=True),
    },
    seed=_seed_alerts,
)


# --------------------------------------------------------------------------- actions


async def create_batch(call: Call) -> web.StreamResponse:
    """Validate every event, then store them all; one bad event stores nothing."""
    body = await call.body()
    events = body.get("events")
    if events is None:
        raise ApiError(400, {"events": ["This field is required."]})
    if not isinstance(events, list):
        kind = type(events).__name__
        raise ApiError(400, {"events": [f'Expected a list of items but got type "{kind}".']})
    cleaned: list[JSONDict] = []
    errors: dict[str, Any] = {}
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            kind = type(event).__name__
            message = f"Invalid data. Expected a dictionary, but got {kind}."
            errors[str(index)] = {"non_field_errors": [message]}
            continue
        try:
            values = Validator(call.store, EVENTS, event, partial=False).clean()
        except ApiError as invalid:
            errors[str(index)] = invalid.payload
            continue
        _event_create(call, values)
        cleaned.append(values)
    if errors:
        raise ApiError(400, {"events": errors})
    with call.store.lock:
        for values in cleaned:
            call.store.insert(EVENTS.name, values)
    return json_response({"created": len(cleaned)}, 201)


def _alert(call: Call) -> JSONDict:
    alert = call.record
    assert alert is not None
    if alert["status"] == "resolved":
        raise ApiError(400, {"detail": "This alert is already resolved."})
    return alert


def _caller(call: Call) -> str:
    """The username of the key that made the request."""
    key = call.request.headers.get("X-Avala-Api-Key", "")
    uid = call.store.settings.get("key_users", {}).get(key)
    user = None if uid is None else call.store.find("users", uid=uid)
    return DEMO_OWNER if user is None else str(user["username"])


async def acknowledge(call: Call) -> web.StreamResponse:
    """``open`` -> ``acknowledged``; an acknowledged alert is answered unchanged."""
    alert = _alert(call)
    if alert["status"] != "acknowledged":
        now = now_timestamp()
        with call.store.lock:
            alert.update(
                status="acknowledged",
                acknowledged_at=now,
                acknowledged_by=_caller(call),
                updated_at=now,
            )
    return json_response(render(ALERTS, alert))


async def resolve(call: Call) -> web.StreamResponse:
    """-> ``resolved``, with the optional ``resolution_note`` of the body (which may be
    absent)."""
    alert = _alert(call)
    body = await read_json(call.request)
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise ApiError(400, {"detail": f"JSON parse error - Expected a JSON object, got {kind}"})
    note = body.get("resolution_note")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, {"resolution_note": ["Not a valid string."]})
    now = now_timestamp()
    with call.store.lock:
        alert.update(status="resolved", resolved_at=now, resolution_note=note, updated_at=now)
    return json_response(render(ALERTS, alert))


async def test_channel(call: Call) -> web.StreamResponse:
    channel = call.record
    assert channel is not None
    return json_response(
        {
            "detail": f"Test alert sent to {channel['name']}.",
            "channel_uid": channel["uid"],
            "channel_type": channel["type"],
        }
    )


ENDPOINTS = (
    Endpoint(
        DEVICES,
        "/fleet/devices/",
        filters=(Filter("status"), Filter("type")),
        ordering=("name", "created_at", "last_seen_at"),
    ),
    Endpoint(
        RECORDINGS,
        "/fleet/recordings/",
        verbs=frozenset({"list", "retrieve", "update", "destroy"}),
        filters=(Filter("device"), Filter("status")),
        ordering=("started_at", "created_at", "duration_seconds", "size_bytes"),
    ),
    Endpoint(
        EVENTS,
        "/fleet/events/",
        verbs=frozenset({"list", "create", "retrieve", "destroy"}),
        filters=(Filter("recording"), Filter("device"), Filter("type"), Filter("severity")),
        ordering=("timestamp", "created_at"),
        actions=(Action("batch", create_batch, detail=False),),
    ),
    Endpoint(RULES, "/fleet/rules/", filters=(Filter("enabled", mode="bool"),)),
    Endpoint(
        ALERTS,
        "/fleet/alerts/",
        verbs=frozenset({"list", "retrieve"}),
        filters=(Filter("status"), Filter("severity"), Filter("device"), Filter("rule")),
        ordering=("triggered_at", "created_at"),
        actions=(Action("acknowledge", acknowledge), Action("resolve", resolve)),
    ),
    Endpoint(
        ALERT_CHANNELS,
        "/fleet/alert-channels/",
        verbs=frozenset({"list", "create", "destroy"}),
        actions=(Action("test", test_channel),),
    ),
)

TABLES = (DEVICES, RECORDINGS, EVENTS, RULES, ALERT_CHANNELS, ALERTS)
