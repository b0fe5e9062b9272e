"""Fleet devices, events and alerts, then the two upload helpers the official SDK offers on
its sync client: a local folder into a dataset, and a folder into a fleet recording."""

from pathlib import Path

from avala import Client

with Client() as client:
    for device in client.fleet.devices.list():
        print("device", device.name, device.status)

    device = client.fleet.devices.register(name="Migration rover", type="ugv", tags=["test"])
    device = client.fleet.devices.update(device.uid, status="maintenance")
    print("registered", device.name, device.status)

    recording = client.fleet.recordings.list(status="uploading").items[0]
    event = client.fleet.events.create(
        recording=recording.uid,
        device=recording.device or device.uid,
        label="hard brake",
        type="intervention",
        timestamp="2026-01-05T10:00:00Z",
        severity="warning",
    )
    print("event", event.label)
    created = client.fleet.events.create_batch(
        events=[
            {
                "recording": recording.uid,
                "device": recording.device or device.uid,
                "label": f"marker {n}",
                "type": "marker",
                "timestamp": "2026-01-05T10:00:01Z",
            }
            for n in range(3)
        ]
    )
    print("batch created", created)

    alert = client.fleet.alerts.list(status="open").items[0]
    print("acknowledged", client.fleet.alerts.acknowledge(alert.uid).status)
    print("resolved", client.fleet.alerts.resolve(alert.uid, resolution_note="checked").status)
    client.fleet.devices.delete(device.uid)

    folder = Path("frames")
    folder.mkdir(exist_ok=True)
    for i in range(3):
        (folder / f"{i:03d}.jpg").write_bytes(bytes([i + 1]) * 2048)
    sent: list[tuple[str, int]] = []
    dataset = client.datasets.create_from_local(
        source=folder,
        name="Migration frames",
        slug="migration-frames",
        data_type="image",
        on_progress=lambda path, size: sent.append((path, size)),
    )
    print("dataset", dataset.slug, dataset.item_count, sorted(p for p, _ in sent))

    run = Path("recording")
    (run / "camera").mkdir(parents=True, exist_ok=True)
    for i in range(2):
        (run / "camera" / f"{i}.bin").write_bytes(bytes([i + 1]) * 4096)
    batches: list[int] = []
    session = client.fleet.uploads.upload_recording(
        recording.uid, str(run), on_progress=lambda p: batches.append(p.uploaded_files)
    )
    print("recording upload", session.status, session.confirmed_files, batches[-1])
