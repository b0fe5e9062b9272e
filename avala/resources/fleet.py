"""``client.fleet``: devices, recordings, events, rules, alerts, alert channels and uploads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from os import PathLike
from typing import TYPE_CHECKING, Any

import attrs

from ..models.fleet import (
    Alert,
    AlertChannel,
    AlertChannelTestResult,
    BatchEventParams,
    Device,
    FleetEvent,
    Recording,
    Rule,
)
from ..models.uploads import (
    ManagedFleetUploadStatus,
    SourceInventory,
    UploadConfirmResponse,
    UploadFinalizeResponse,
    UploadProgress,
    UploadSession,
    UploadStatusResponse,
    UploadUrlsResponse,
)
from ..pagination import AsyncPaginator
from ._base import AsyncResource, body, given, path

if TYPE_CHECKING:
    from .._client import AsyncClient

_DEVICE = "/fleet/devices/{device_id}/"
_RECORDING = "/fleet/recordings/{recording_id}/"
_EVENT = "/fleet/events/{event_id}/"
_RULE = "/fleet/rules/{rule_id}/"
_ALERT = "/fleet/alerts/{alert_id}/"
_CHANNEL = "/fleet/alert-channels/{channel_id}/"
_UPLOAD = "/fleet/recordings/{recording_uid}/upload/"


@attrs.frozen
class _BatchCreated:
    """The answer to a batch of events: how many were stored."""

    created: int


def _iso(name: str, value: object) -> str:
    """An ISO-8601 timestamp: a str as given, an aware datetime in its ISO form.

    Raises:
        ValueError: a naive datetime (the server could only guess its zone).
        TypeError: neither a str nor a datetime.
    """
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(
                f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc)); a naive "
                "datetime has no zone the server could know."
            )
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be an ISO-8601 str or a datetime, got {type(value).__name__}.")


def _batch(events: object) -> list[dict[str, Any]]:
    """The batch as sent: each event's given fields, its ``timestamp`` in ISO form."""
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise TypeError(
            "events must be a sequence of event dicts (BatchEventParams), "
            f"got {type(events).__name__}."
        )
    out: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise TypeError(
                f"events[{index}] must be a dict (BatchEventParams), got {type(event).__name__}."
            )
        fields = {str(key): value for key, value in event.items() if value is not None}
        if "timestamp" in fields:
            fields["timestamp"] = _iso(f"events[{index}].timestamp", fields["timestamp"])
        out.append(fields)
    return out


class AsyncDevices(AsyncResource):
    """Registered devices (robots, vehicles, sensors) of the fleet."""

    __slots__ = ()

    def list(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Device]:
        """List the fleet's devices.

        Args:
            status: Only this status (``online``, ``offline`` or ``maintenance``).
            type: Only this kind of device.
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every device, or call ``first_page()`` for one page.
        """
        return self._list("/fleet/devices/", Device, locals())

    async def register(
        self,
        *,
        name: str,
        type: str,
        firmware_version: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Device:
        """Register a device.

        Args:
            name: Display name.
            type: Kind of device (e.g. ``robot``, ``vehicle``, ``drone``).
            firmware_version: Its firmware version.
            tags: Tags.
            metadata: Free-form metadata.

        Returns:
            The device, with its ``device_token``: the device's credential, returned only
            here (store it now; it is kept out of ``repr``).

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/fleet/devices/", Device, given(locals()))

    async def get(self, device_id: str) -> Device:
        """Fetch a device by uid (without its ``device_token``).

        Raises:
            NotFoundError: no such device.
        """
        return await self._get(path(_DEVICE, device_id=device_id), Device)

    async def update(
        self,
        device_id: str,
        *,
        name: str | None = None,
        status: str | None = None,
        firmware_version: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Device:
        """Change a device: only the fields given are sent (PATCH).

        Args:
            device_id: The device.
            name: New display name.
            status: New status (``online``, ``offline`` or ``maintenance``).
            firmware_version: New firmware version.
            tags: New tags (replaces the list).
            metadata: New metadata (replaces the object).
        """
        return await self._patch(
            path(_DEVICE, device_id=device_id), Device, given(locals(), "device_id")
        )

    async def delete(self, device_id: str) -> None:
        """Delete a device.

        Raises:
            NotFoundError: no such device.
        """
        await self._void("DELETE", path(_DEVICE, device_id=device_id))


class AsyncRecordings(AsyncResource):
    """Recordings uploaded by fleet devices."""

    __slots__ = ()

    def list(
        self,
        *,
        device_id: str | None = None,
        status: str | None = None,
        ordering: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Recording]:
        """List recordings.

        Args:
            device_id: Only this device's recordings (sent as the API's ``device`` query).
            status: Only this status (``uploading``, ``processing``, ``ready``, ``error`` or
                ``archived``).
            ordering: Sort by this field, ``-field`` for descending (e.g. ``-started_at``);
                the API documents it, the official SDK does not offer it.
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every recording, or call ``first_page()`` for one page.
        """
        return self._list("/fleet/recordings/", Recording, locals(), rename={"device_id": "device"})

    async def get(self, recording_id: str) -> Recording:
        """Fetch a recording by uid.

        ``topics`` is kept as the server sends it: a list of topic objects in practice,
        although the OpenAPI page calls it an object.

        Raises:
            NotFoundError: no such recording.
        """
        return await self._get(path(_RECORDING, recording_id=recording_id), Recording)

    async def update(
        self,
        recording_id: str,
        *,
        status: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Recording:
        """Change a recording's status or tags: only the fields given are sent (PATCH).

        Args:
            recording_id: The recording.
            status: New status (e.g. ``archived``).
            tags: New tags (replaces the list).
        """
        return await self._patch(
            path(_RECORDING, recording_id=recording_id), Recording, given(locals(), "recording_id")
        )

    async def delete(self, recording_id: str) -> None:
        """Delete a recording.

        Raises:
            NotFoundError: no such recording.
        """
        await self._void("DELETE", path(_RECORDING, recording_id=recording_id))


class AsyncFleetEvents(AsyncResource):
    """Events marked on recordings (interventions, anomalies, labels)."""

    __slots__ = ()

    def list(
        self,
        *,
        recording_id: str | None = None,
        device_id: str | None = None,
        type: str | None = None,
        severity: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[FleetEvent]:
        """List events.

        Args:
            recording_id: Only this recording's events (sent as the ``recording`` query).
            device_id: Only this device's events (sent as the ``device`` query).
            type: Only this kind of event.
            severity: Only this severity (``info``, ``warning``, ``error``, ``critical``).
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every event, or call ``first_page()`` for one page.
        """
        return self._list(
            "/fleet/events/",
            FleetEvent,
            locals(),
            rename={"recording_id": "recording", "device_id": "device"},
        )

    async def create(
        self,
        *,
        recording: str,
        device: str,
        label: str,
        type: str,
        timestamp: str | datetime,
        severity: str | None = None,
        description: str | None = None,
        duration_ms: int | None = None,
        tags: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> FleetEvent:
        """Mark an event on a recording.

        Args:
            recording: Uid of the recording.
            device: Uid of the device.
            label: Short label.
            type: Kind of event (e.g. ``intervention``, ``anomaly``).
            timestamp: When it happened: an ISO-8601 str (as the official SDK takes) or a
                timezone-aware ``datetime``, sent in its ISO form.
            severity: ``info``, ``warning``, ``error`` or ``critical``.
            description: Free text.
            duration_ms: How long it lasted, in milliseconds.
            tags: Tags.
            metadata: Free-form metadata.

        Raises:
            ValueError: ``timestamp`` is a naive datetime (its zone is unknown); nothing is
                sent.
            TypeError: ``timestamp`` is neither a str nor a datetime.
            ValidationError: the server rejected a field (e.g. no such recording).
        """
        body = given(locals())
        body["timestamp"] = _iso("timestamp", timestamp)
        return await self._post("/fleet/events/", FleetEvent, body)

    async def create_batch(self, *, events: Sequence[BatchEventParams | dict[str, Any]]) -> int:
        """Create many events in one request; all or nothing.

        Args:
            events: The events, each with the fields of :meth:`create`. A ``timestamp`` may
                be a timezone-aware ``datetime`` here too; keys set to None are left out.

        Returns:
            How many events were created (the server answers ``{"created": n}``; like the
            official Python SDK, this returns the int).

        Raises:
            ValueError: an event's ``timestamp`` is a naive datetime (the message names its
                index); nothing is sent.
            TypeError: ``events`` is not a sequence of dicts.
            ValidationError: the server rejected an event; ``.errors`` names its index, and
                no event of the batch was stored.
        """
        batch = _batch(events)
        created = await self._post("/fleet/events/batch/", _BatchCreated, {"events": batch})
        return created.created

    async def get(self, event_id: str) -> FleetEvent:
        """Fetch an event by uid.

        Raises:
            NotFoundError: no such event.
        """
        return await self._get(path(_EVENT, event_id=event_id), FleetEvent)

    async def delete(self, event_id: str) -> None:
        """Delete an event.

        Raises:
            NotFoundError: no such event.
        """
        await self._void("DELETE", path(_EVENT, event_id=event_id))


class AsyncRules(AsyncResource):
    """Rules that raise alerts when a condition holds."""

    __slots__ = ()

    def list(
        self, *, enabled: bool | None = None, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Rule]:
        """List rules.

        Args:
            enabled: Only enabled (True) or disabled (False) rules; sent as ``true``/``false``.
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every rule, or call ``first_page()`` for one page.
        """
        return self._list("/fleet/rules/", Rule, locals())

    async def create(
        self,
        *,
        name: str,
        condition: dict[str, Any],
        actions: Sequence[dict[str, Any]],
        description: str | None = None,
        enabled: bool | None = None,
        scope: dict[str, Any] | None = None,
    ) -> Rule:
        """Create a rule.

        Args:
            name: Display name.
            condition: When it matches, e.g.
                ``{"field": "battery_pct", "operator": "lt", "value": 15}``.
            actions: What to do then, e.g. ``[{"type": "alert", "severity": "warning"}]``.
            description: Free text.
            enabled: Whether it is evaluated (the server's default when omitted: enabled).
            scope: Which devices or recordings it applies to.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/fleet/rules/", Rule, given(locals()))

    async def get(self, rule_id: str) -> Rule:
        """Fetch a rule by uid.

        Raises:
            NotFoundError: no such rule.
        """
        return await self._get(path(_RULE, rule_id=rule_id), Rule)

    async def update(
        self,
        rule_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        condition: dict[str, Any] | None = None,
        actions: Sequence[dict[str, Any]] | None = None,
        scope: dict[str, Any] | None = None,
    ) -> Rule:
        """Change a rule: only the fields given are sent (PATCH).

        Args:
            rule_id: The rule.
            name: New display name.
            description: New description.
            enabled: Pause (False) or resume (True) it.
            condition: New condition (replaces it).
            actions: New actions (replaces the list).
            scope: New scope (replaces it).
        """
        return await self._patch(path(_RULE, rule_id=rule_id), Rule, given(locals(), "rule_id"))

    async def delete(self, rule_id: str) -> None:
        """Delete a rule.

        Raises:
            NotFoundError: no such rule.
        """
        await self._void("DELETE", path(_RULE, rule_id=rule_id))


class AsyncAlerts(AsyncResource):
    """Alerts raised by rules: acknowledge and resolve them."""

    __slots__ = ()

    def list(
        self,
        *,
        status: str | None = None,
        severity: str | None = None,
        device_id: str | None = None,
        rule_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Alert]:
        """List alerts.

        Args:
            status: Only this status (``open``, ``acknowledged`` or ``resolved``).
            severity: Only this severity.
            device_id: Only alerts about this device (sent as the ``device`` query).
            rule_id: Only alerts raised by this rule (sent as the ``rule`` query).
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every alert, or call ``first_page()`` for one page.
        """
        return self._list(
            "/fleet/alerts/",
            Alert,
            locals(),
            rename={"device_id": "device", "rule_id": "rule"},
        )

    async def get(self, alert_id: str) -> Alert:
        """Fetch an alert by uid.

        Raises:
            NotFoundError: no such alert.
        """
        return await self._get(path(_ALERT, alert_id=alert_id), Alert)

    async def acknowledge(self, alert_id: str) -> Alert:
        """Acknowledge an alert (no body is sent).

        Returns:
            The alert, ``status="acknowledged"`` with ``acknowledged_at`` and
            ``acknowledged_by`` set.

        Raises:
            ValidationError: the alert is already resolved.
            NotFoundError: no such alert.
        """
        return await self._post(path(_ALERT + "acknowledge/", alert_id=alert_id), Alert)

    async def resolve(self, alert_id: str, *, resolution_note: str | None = None) -> Alert:
        """Resolve an alert.

        Args:
            alert_id: The alert.
            resolution_note: What was done; sent as ``{"resolution_note": ...}`` only when
                given, otherwise no body is sent.

        Returns:
            The alert, ``status="resolved"`` with ``resolved_at`` (and the note) set.

        Raises:
            ValidationError: the alert is already resolved.
            NotFoundError: no such alert.
        """
        return await self._post(
            path(_ALERT + "resolve/", alert_id=alert_id),
            Alert,
            given(locals(), "alert_id") or None,  # nothing given: no body at all
        )


class AsyncAlertChannels(AsyncResource):
    """Where alerts are sent (Slack, email, webhook).

    As in the official SDK there is no ``get`` or ``update``: list, create, delete, test.
    """

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[AlertChannel]:
        """List alert channels.

        Returns:
            A paginator: iterate it for every channel, or call ``first_page()`` for one page.
        """
        return self._list("/fleet/alert-channels/", AlertChannel, locals())

    async def create(self, *, name: str, type: str, config: dict[str, Any]) -> AlertChannel:
        """Create an alert channel.

        Args:
            name: Display name.
            type: ``slack``, ``email`` or ``webhook``.
            config: The channel's settings (an object), e.g. ``{"channel": "#fleet-ops"}``
                for Slack or ``{"url": "https://..."}`` for a webhook.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/fleet/alert-channels/", AlertChannel, given(locals()))

    async def delete(self, channel_id: str) -> None:
        """Delete an alert channel.

        Raises:
            NotFoundError: no such channel.
        """
        await self._void("DELETE", path(_CHANNEL, channel_id=channel_id))

    async def test(self, channel_id: str) -> AlertChannelTestResult:
        """Send a test alert through the channel (no body is sent).

        Returns:
            The server's report as a dict: ``{"detail", "channel_uid", "channel_type"}``.

        Raises:
            NotFoundError: no such channel.
        """
        return await self._post(
            path(_CHANNEL + "test/", channel_id=channel_id), AlertChannelTestResult
        )


class AsyncFleetUploads(AsyncResource):
    """Uploading a recording's files: the session calls, and the resumable flows on them."""

    __slots__ = ()

    async def init_upload(
        self,
        recording_uid: str,
        files: Sequence[Mapping[str, Any]],
        *,
        storage_config_uid: str | None = None,
    ) -> UploadSession:
        """Start an upload session for ``files`` (``[{"path", "size_bytes"}]``, as
        :meth:`SourceInventory.manifest <avala.models.SourceInventory.manifest>` gives)."""
        url = path(_UPLOAD + "init/", recording_uid=recording_uid)
        return await self._post(
            url, UploadSession, body(files=list(files), storage_config_uid=storage_config_uid)
        )

    async def get_upload_urls(
        self,
        recording_uid: str,
        session_uid: str,
        file_paths: Sequence[str],
        *,
        ttl_seconds: int = 3600,
    ) -> UploadUrlsResponse:
        """Presigned PUT URLs for ``file_paths`` of the session, valid ``ttl_seconds``."""
        url = path(_UPLOAD + "urls/", recording_uid=recording_uid)
        payload = {
            "session_uid": session_uid,
            "file_paths": list(file_paths),
            "ttl_seconds": ttl_seconds,
        }
        return await self._post(url, UploadUrlsResponse, payload)

    async def confirm_upload(
        self, recording_uid: str, session_uid: str, files: Sequence[Mapping[str, Any]]
    ) -> UploadConfirmResponse:
        """Confirm stored files (``[{"path", "etag", "size_bytes"}]``); the server checks
        each against storage."""
        url = path(_UPLOAD + "confirm/", recording_uid=recording_uid)
        payload = {"session_uid": session_uid, "files": [dict(f) for f in files]}
        return await self._post(url, UploadConfirmResponse, payload)

    async def finalize_upload(self, recording_uid: str, session_uid: str) -> UploadFinalizeResponse:
        """Finish the session once every file is confirmed; the recording is processed."""
        url = path(_UPLOAD + "finalize/", recording_uid=recording_uid)
        return await self._post(url, UploadFinalizeResponse, {"session_uid": session_uid})

    async def get_upload_status(self, recording_uid: str) -> UploadStatusResponse:
        """The recording's upload session: counts, status and (some of) the pending paths.

        Raises:
            NotFoundError: the recording has no upload session.
        """
        return await self._get(
            path(_UPLOAD + "status/", recording_uid=recording_uid), UploadStatusResponse
        )

    async def collect_files(self, source_dir: str | PathLike[str]) -> SourceInventory:
        """The files of ``source_dir`` (recursively, in path order) with their sizes and
        hashes, read once in worker threads. Links and special files are refused.

        Raises:
            ValueError: an empty folder, a link, a special file, an unportable name or
                more than 50,000 files.
        """
        from .._uploads import _fleet

        return (await _fleet.inventory(source_dir))[1]

    async def upload_recording(
        self,
        recording_uid: str,
        source_dir: str | PathLike[str],
        *,
        storage_config_uid: str | None = None,
        max_workers: int = 4,
        on_progress: Callable[[UploadProgress], object] | None = None,
        progress: Callable[[UploadProgress], object] | None = None,
    ) -> UploadSession:
        """Upload a folder as the recording's files (legacy protocol, to your own storage
        config or Avala's), resumably: run it again after any failure and it sends only
        what is missing, whatever the number of files.

        Each file is hashed once, streamed from disk, checked against the ETag storage
        returns, and confirmed in batches; then the session is finalized.

        Args:
            recording_uid: The recording.
            source_dir: The folder to upload.
            storage_config_uid: The storage config to upload to.
            max_workers: Files sent at once.
            on_progress: Called with an :class:`~avala.models.UploadProgress` after each
                batch of up to 100 files (as in the official SDK).
            progress: Called with an :class:`~avala.models.UploadProgress` as bytes move.

        Returns:
            The session as it stands at the end (``completing`` or ``completed``).

        Raises:
            UploadError: a file could not be stored after retries, or the recording already
                has an upload session for other files.
            UploadStateError: another run holds the lock, its state is unusable, or a file
                changed after it was stored.
        """
        from .._uploads import _fleet

        return await _fleet.upload_recording(
            self,
            recording_uid,
            source_dir,
            storage_config_uid,
            max_workers,
            on_progress,
            progress,
        )

    async def upload_managed_recording(
        self,
        recording_uid: str,
        source_dir: str | PathLike[str],
        *,
        max_workers: int = 2,
        wait_timeout: float = 0,
        progress: Callable[[UploadProgress], object] | None = None,
    ) -> ManagedFleetUploadStatus:
        """Upload MCAP files into Avala-managed storage (``fleet-managed-mcap-v1``; for
        enrolled organizations), resumably, then finalize and optionally wait.

        Every part is retried (connection errors, timeouts, 408/429/5xx, expired grants);
        the server verifies every file's SHA-256.

        Args:
            recording_uid: The recording (a lowercase UUID).
            source_dir: A folder of 1 to 64 ``.mcap`` files (each at most 8 GiB).
            max_workers: Parts sent at once (1 to 4).
            wait_timeout: Seconds to wait for the server's processing (0 to 3600; 0
                returns after finalizing).
            progress: Called with an :class:`~avala.models.UploadProgress` as bytes move.

        Returns:
            The upload's status; ``finalization`` says how processing went.

        Raises:
            NotEnrolledError: the organization is not enrolled in managed uploads (403).
            UploadError: a part could not be stored after retries, the server's session is
                for other files, or the server found the files invalid (``invalid_mcap``).
            UploadIntegrityError: the server found stored bytes that differ from their
                SHA-256 (``content_mismatch``).
            UploadStateError: another run holds the lock, or its state is unusable.
        """
        from .._uploads import _managed

        return await _managed.upload_managed_recording(
            self, recording_uid, source_dir, max_workers, wait_timeout, progress
        )


class AsyncFleet(AsyncResource):
    """The fleet: devices, recordings, events, rules, alerts and alert channels."""

    __slots__ = (
        "alert_channels",
        "alerts",
        "devices",
        "events",
        "recordings",
        "rules",
        "uploads",
    )

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
    uploads: AsyncFleetUploads
    """Uploading recordings' files."""

    def __init__(self, client: AsyncClient) -> None:
        super().__init__(client)
        self.devices = AsyncDevices(client)
        self.recordings = AsyncRecordings(client)
        self.events = AsyncFleetEvents(client)
        self.rules = AsyncRules(client)
        self.alerts = AsyncAlerts(client)
        self.alert_channels = AsyncAlertChannels(client)
        self.uploads = AsyncFleetUploads(client)
