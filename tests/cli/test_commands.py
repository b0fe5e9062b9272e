"""Every command against the bundled server, in table and JSON modes.

JSON output must equal the SDK's own data for the same call (the cattrs converter's
unstructured models: every field, typed); table output must show the rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from avala import Client
from avala._serde import converter
from avala.testing import ServerHandle, without_signatures

from .conftest import Run


@pytest.fixture
def ids(local_env: Any) -> dict[str, str]:
    """Ids of seeded objects, found through the SDK."""
    with Client() as client:
        dataset = next(d for d in client.datasets.list() if d.slug == "highway-lidar")
        project = client.projects.list().items[0]
        found = {
            "dataset": dataset.uid,
            "owner": dataset.owner_name or "",
            "slug": dataset.slug,
            "sequence": client.datasets.list_sequences("demo", "highway-lidar").items[0].uid,
            "project": project.uid,
            "task": client.tasks.list().items[0].uid,
            "export": client.exports.list().items[0].uid,
            "agent": client.agents.list().items[0].uid,
            "provider": client.inference_providers.list().items[0].uid,
            "job": client.auto_label_jobs.list().items[0].uid,
            "target": client.quality_targets.list(project.uid).items[0].uid,
            "webhook": client.webhooks.list().items[0].uid,
            "delivery": client.webhook_deliveries.list().items[0].uid,
            "storage": client.storage_configs.list().items[0].uid,
            "device": client.fleet.devices.list().items[0].uid,
            "recording": client.fleet.recordings.list().items[0].uid,
            "event": client.fleet.events.list().items[0].uid,
            "rule": client.fleet.rules.list().items[0].uid,
            # the last open alert (docs/cli.md acknowledges the first)
            "alert": [a for a in client.fleet.alerts.list() if a.status == "open"][-1].uid,
            "org": client.organizations.list().items[0].slug,
        }
    return found


#: (command line with {id} fields, SDK call giving the same data)
READS: list[tuple[str, Callable[[Client, dict[str, str]], Any]]] = [
    ("datasets list", lambda c, i: c.datasets.list()),
    ("datasets get {dataset}", lambda c, i: c.datasets.get(i["dataset"])),
    (
        "datasets get-sequence {owner} {slug} {sequence}",
        lambda c, i: c.datasets.get_sequence(i["owner"], i["slug"], i["sequence"]),
    ),
    (
        "datasets get-frame {owner} {slug} {sequence} 0",
        lambda c, i: c.datasets.get_frame(i["owner"], i["slug"], i["sequence"], 0),
    ),
    (
        "datasets get-calibration {owner} {slug} {sequence}",
        lambda c, i: c.datasets.get_calibration(i["owner"], i["slug"], i["sequence"]),
    ),
    ("datasets health {owner} {slug}", lambda c, i: c.datasets.get_health(i["owner"], i["slug"])),
    ("datasets items {owner} {slug}", lambda c, i: c.datasets.list_items(i["owner"], i["slug"])),
    (
        "datasets sequences {owner} {slug}",
        lambda c, i: c.datasets.list_sequences(i["owner"], i["slug"]),
    ),
    ("datasets quota", lambda c, i: c.datasets.manual_upload_quota()),
    ("projects list", lambda c, i: c.projects.list()),
    ("projects get {project}", lambda c, i: c.projects.get(i["project"])),
    ("tasks list", lambda c, i: c.tasks.list()),
    ("tasks get {task}", lambda c, i: c.tasks.get(i["task"])),
    ("exports list", lambda c, i: c.exports.list()),
    ("exports get {export}", lambda c, i: c.exports.get(i["export"])),
    ("agents list", lambda c, i: c.agents.list()),
    ("agents get {agent}", lambda c, i: c.agents.get(i["agent"])),
    ("agents executions {agent}", lambda c, i: c.agents.list_executions(i["agent"])),
    ("inference-providers list", lambda c, i: c.inference_providers.list()),
    ("inference-providers get {provider}", lambda c, i: c.inference_providers.get(i["provider"])),
    ("auto-label list", lambda c, i: c.auto_label_jobs.list()),
    ("auto-label get {job}", lambda c, i: c.auto_label_jobs.get(i["job"])),
    ("quality-targets list --project {project}", lambda c, i: c.quality_targets.list(i["project"])),
    (
        "quality-targets get --project {project} {target}",
        lambda c, i: c.quality_targets.get(i["project"], i["target"]),
    ),
    ("consensus summary --project {project}", lambda c, i: c.consensus.get_summary(i["project"])),
    ("consensus scores --project {project}", lambda c, i: c.consensus.list_scores(i["project"])),
    ("consensus config --project {project}", lambda c, i: c.consensus.get_config(i["project"])),
    ("webhooks list", lambda c, i: c.webhooks.list()),
    ("webhooks get {webhook}", lambda c, i: c.webhooks.get(i["webhook"])),
    ("webhooks deliveries", lambda c, i: c.webhook_deliveries.list()),
    ("storage-configs list", lambda c, i: c.storage_configs.list()),
    ("storage-configs get {storage}", lambda c, i: c.storage_configs.get(i["storage"])),
    ("fleet devices list", lambda c, i: c.fleet.devices.list()),
    ("fleet devices get {device}", lambda c, i: c.fleet.devices.get(i["device"])),
    ("fleet recordings list", lambda c, i: c.fleet.recordings.list()),
    ("fleet recordings get {recording}", lambda c, i: c.fleet.recordings.get(i["recording"])),
    ("fleet events list", lambda c, i: c.fleet.events.list()),
    ("fleet events get {event}", lambda c, i: c.fleet.events.get(i["event"])),
    ("fleet rules list", lambda c, i: c.fleet.rules.list()),
    ("fleet rules get {rule}", lambda c, i: c.fleet.rules.get(i["rule"])),
    ("fleet alerts list", lambda c, i: c.fleet.alerts.list()),
    ("fleet alerts get {alert}", lambda c, i: c.fleet.alerts.get(i["alert"])),
    ("organizations list", lambda c, i: c.organizations.list()),
    ("organizations get {org}", lambda c, i: c.organizations.get(i["org"])),
]


def _expected(value: Any) -> Any:
    if not isinstance(value, (dict, list, str)) and hasattr(value, "__iter__"):
        value = list(value)  # a paginator: every page
    return json.loads(json.dumps(converter.unstructure(value)))


@pytest.mark.parametrize(("line", "call"), READS, ids=[line for line, _ in READS])
def test_reads_in_json_and_table(
    line: str, call: Callable[[Client, dict[str, str]], Any], avala: Run, ids: dict[str, str]
) -> None:
    args = line.format(**ids).split()
    with Client() as client:
        expected = without_signatures(_expected(call(client, ids)))
    assert without_signatures(json.loads(avala("-o", "json", *args).stdout)) == expected
    table = avala(*args).stdout
    assert "┃" in table or "│" in table, table  # a rich table (a list, or a detail view)
    if isinstance(expected, list):
        lines = avala("-o", "jsonl", *args).stdout.splitlines()
        assert [without_signatures(json.loads(x)) for x in lines] == expected


def test_json_is_typed_and_complete(avala: Run) -> None:
    (first, *_) = json.loads(avala("-o", "json", "datasets", "list").stdout)
    assert isinstance(first["item_count"], int) and isinstance(first["is_sequence"], bool)
    assert first["created_at"].endswith("+00:00")  # ISO 8601, with its offset
    assert "annotations_count" in first and "predefined_labels" in first  # every field


def test_limit_caps_the_total_across_pages(local_env: Any, avala: Run) -> None:
    lines = avala("-o", "jsonl", "tasks", "list", "--limit", "7").stdout.splitlines()
    assert len(lines) == 7
    page_sizes = [
        r.query.get("limit") for r in local_env.state.requests if r.path.endswith("/tasks/")
    ][-1:]
    assert page_sizes == ["7"]
    assert json.loads(avala("-o", "json", "tasks", "list", "--limit", "1").stdout)[0]["uid"]
    assert avala("-o", "json", "fleet", "alerts", "list", "--status", "nope").stdout == "[]\n"


def test_table_of_an_empty_list_says_so(avala: Run) -> None:
    result = avala("fleet", "alerts", "list", "--status", "no-such-status")
    assert result.stdout == "" and "No alerts." in result.stderr


# ------------------------------------------------------------------ writes


def test_dataset_create_wait_and_transfer(data: Callable[..., Any], avala: Run) -> None:
    made = data(
        "datasets",
        "create",
        "--name",
        "CLI made",
        "--slug",
        "cli-made",
        "--data-type",
        "image",
        "--wait",
    )
    assert made["slug"] == "cli-made" and made["status"] == "created"
    waited = avala("datasets", "wait", made["uid"], "--interval", "0.01")
    assert "created" in waited.stdout
    moved = data("datasets", "transfer", "demo", "cli-made", "--owner-username", "someone")
    assert moved["owner_name"] == "someone"
    both = avala(
        "datasets",
        "transfer",
        "someone",
        "cli-made",
        "--owner-username",
        "a",
        "--organization-uid",
        "b",
        code=2,
    )
    assert "exactly one" in both.stderr


def test_dataset_upload_with_progress_and_dry_run(
    tmp_path: Path, data: Callable[..., Any], avala: Run
) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for n in range(3):
        (folder / f"f{n}.jpg").write_bytes(bytes([n]) * 1000)
    upload = ("datasets", "upload", "--source", str(folder), "--name", "Frames", "--slug",
              "cli-frames", "--data-type", "image")  # fmt: skip
    dry = avala(*upload, "--dry-run")
    assert "[dry run] would upload 3 file(s), 3,000 bytes" in dry.stderr and dry.stdout == ""
    result = avala("-o", "json", *upload)
    assert json.loads(result.stdout)["item_count"] == 3
    assert "3/3 files" in result.stderr  # plain progress lines off a terminal
    refused = avala(
        "datasets",
        "upload",
        "--source",
        str(folder),
        "--name",
        "F",
        "--slug",
        "f",
        "--data-type",
        "image",
        "--storage-config",
        "x",
        code=2,
    )
    assert "--storage-config is not supported" in refused.stderr


def test_export_create_wait_and_download(
    tmp_path: Path, ids: dict[str, str], data: Callable[..., Any], avala: Run
) -> None:
    result = avala("-o", "json", "exports", "create", "--project", ids["project"], "--wait")
    export = json.loads(result.stdout)
    assert export["status"] == "exported"
    assert f"exports {export['uid']}: status=" in result.stderr  # progress of the wait
    again = data("exports", "wait", export["uid"], "--interval", "0.01")
    assert again["uid"] == export["uid"]
    target = tmp_path / "export.json"
    done = data("exports", "download", export["uid"], str(target))
    assert Path(done["path"]) == target and target.stat().st_size == done["size"]


def test_agents_crud(data: Callable[..., Any], avala: Run) -> None:
    agent = data(
        "agents",
        "create",
        "--name",
        "cli bot",
        "--events",
        "task.completed, x.y",
        "--callback-url",
        "https://example.com/hook",
    )
    assert agent["events"] == ["task.completed", "x.y"]
    assert data("agents", "update", agent["uid"], "--description", "d")["description"] == "d"
    assert isinstance(data("agents", "test", agent["uid"]), dict)
    refused = avala("agents", "delete", agent["uid"], input="n\n", code=1)
    assert "Aborted" in refused.stderr
    deleted = avala("agents", "delete", agent["uid"], "--yes")
    assert f"Deleted agent {agent['uid']}." in deleted.stderr and deleted.stdout == ""
    avala("agents", "get", agent["uid"], code=4)


def test_inference_providers_and_auto_label(
    ids: dict[str, str], data: Callable[..., Any], avala: Run
) -> None:
    made = data(
        "inference-providers",
        "create",
        "--name",
        "p",
        "--provider-type",
        "http",
        "--config",
        '{"endpoint_url": "https://example.com/infer"}',
    )
    assert made["config"] == {"endpoint_url": "https://example.com/infer"}
    bad = avala(
        "inference-providers",
        "create",
        "--name",
        "p",
        "--provider-type",
        "http",
        "--config",
        "{not json",
        code=2,
    )
    assert "--config" in bad.stderr and "not valid JSON" in bad.stderr
    assert isinstance(data("inference-providers", "test", made["uid"]), dict)
    renamed = data("inference-providers", "update", made["uid"], "--name", "p2")
    assert renamed["name"] == "p2"
    avala("inference-providers", "delete", made["uid"], "--yes")
    job = data(
        "auto-label",
        "create",
        "--project",
        ids["project"],
        "--model-type",
        "yolo",
        "--labels",
        "car,truck",
        "--dry-run",
    )
    assert job["labels"] == ["car", "truck"] and job["dry_run"] is True
    assert "Cancelled" in avala("auto-label", "cancel", job["uid"], "--yes").stderr


def test_quality_targets_and_consensus(
    ids: dict[str, str], data: Callable[..., Any], avala: Run
) -> None:
    project = ids["project"]
    target = data(
        "quality-targets",
        "create",
        "--project",
        project,
        "--name",
        "cli",
        "--metric",
        "accuracy",
        "--threshold",
        "0.9",
        "--severity",
        "warning",
    )
    assert target["threshold"] == 0.9
    raised = data("quality-targets", "update", "--project", project, target["uid"],
                  "--threshold", "0.95")  # fmt: skip
    assert raised["threshold"] == 0.95
    evaluated = data("quality-targets", "evaluate", "--project", project)
    assert any(e["uid"] == target["uid"] for e in evaluated)
    avala("quality-targets", "delete", "--project", project, target["uid"], "--yes")
    assert isinstance(data("consensus", "compute", "--project", project), dict)
    changed = data("consensus", "config", "--project", project, "--min-annotations", "3")
    assert changed["min_annotations"] == 3
    assert data("consensus", "config", "--project", project)["min_annotations"] == 3


def test_webhooks_and_storage_configs(
    data: Callable[..., Any], avala: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = data(
        "webhooks",
        "create",
        "--target-url",
        "https://example.com/h",
        "--events",
        "export.completed",
    )
    assert hook["secret"]  # shown once, at creation: json output keeps every field
    assert data("webhooks", "update", hook["uid"], "--no-is-active")["is_active"] is False
    assert "delivered" in data("webhooks", "test", hook["uid"])
    avala("webhooks", "delete", hook["uid"], "--yes")
    monkeypatch.setenv("AVALA_GC_AUTH_JSON", '{"type": "service_account"}')
    result = avala(
        "-o",
        "json",
        "storage-configs",
        "create",
        "--name",
        "s3",
        "--provider",
        "aws_s3",
        "--s3-bucket-name",
        "b",
        "--s3-bucket-region",
        "eu-west-1",
        "--s3-access-key-id",
        "AKIAEXAMPLE",
        "--s3-secret-access-key",
        "secret",
    )
    config = json.loads(result.stdout)
    assert "not sending the GCS service-account JSON" in result.stderr
    assert "shows in `ps`" in result.stderr
    assert isinstance(data("storage-configs", "test", config["uid"]), dict)
    avala("storage-configs", "delete", config["uid"], "--yes")


def test_fleet_writes(
    tmp_path: Path, ids: dict[str, str], data: Callable[..., Any], avala: Run
) -> None:
    device = data(
        "fleet", "devices", "register", "--name", "r9", "--type", "robot", "--tags", "a,b"
    )
    assert device["tags"] == ["a", "b"]
    assert (
        data("fleet", "devices", "update", device["uid"], "--status", "offline")["status"]
        == "offline"
    )
    avala("fleet", "devices", "delete", device["uid"], "--yes")
    event = data(
        "fleet",
        "events",
        "create",
        "--recording",
        ids["recording"],
        "--device",
        ids["device"],
        "--type",
        "marker",
        "--label",
        "stop",
        "--timestamp",
        "2025-01-01T00:00:00Z",
    )
    assert event["label"] == "stop"
    spec = tmp_path / "rule.json"
    spec.write_text(
        json.dumps(
            {
                "condition": {"field": "battery", "op": "lt", "value": 10},
                "actions": [],
                "description": "from a file",
            }
        )
    )
    rule = data(
        "fleet", "rules", "create", "--name", "cli", "--condition-file", str(spec), "--disabled"
    )
    assert rule["enabled"] is False and rule["description"] == "from a file"
    assert data("fleet", "rules", "update", rule["uid"], "--enabled")["enabled"] is True
    avala("fleet", "rules", "delete", rule["uid"], "--yes")
    missing = avala("fleet", "rules", "create", "--name", "x", code=2)
    assert "--condition-file" in missing.stderr
    alert = data("fleet", "alerts", "acknowledge", ids["alert"])
    assert alert["status"] == "acknowledged"
    resolved = data("fleet", "alerts", "resolve", ids["alert"], "--note", "fixed")
    assert resolved["resolution_note"] == "fixed"


def _new_recording(server: ServerHandle) -> str:
    """A recording waiting for its files (the API has no create for recordings)."""
    from avala.testing._api.fleet import device_uid

    record = server.state.store.insert(
        "fleet_recordings",
        {"device": device_uid("Rover 01"), "status": "uploading", "tags": [], "topic_count": 0},
    )
    return str(record["uid"])


def test_recording_upload(
    tmp_path: Path, local_env: ServerHandle, data: Callable[..., Any], avala: Run
) -> None:
    recording = _new_recording(local_env)
    source = tmp_path / "rec"
    source.mkdir()
    (source / "a.bin").write_bytes(b"x" * 500)
    upload = ("fleet", "recordings", "upload", "--source", str(source))
    dry = avala(*upload, "--recording", recording, "--dry-run")
    assert "[dry run] 1 file(s), 500 bytes" in dry.stderr
    session = data(*upload, "--recording", recording)
    assert session["total_files"] == 1
    waited = avala(*upload, "--recording", recording, "--wait", "--wait-timeout", "0", code=7)
    assert "was not processed within 0s (last status: processing)" in waited.stderr
    alone = avala(*upload, "--device", "d", code=2)
    assert "--device alone is not supported" in alone.stderr
    both = avala(*upload, "--recording", recording, "--managed", "--storage-config", "s", code=2)
    assert "does not go with --managed" in both.stderr


def test_managed_recording_upload(
    tmp_path: Path, local_env: ServerHandle, data: Callable[..., Any]
) -> None:
    source = tmp_path / "mcaps"
    source.mkdir()
    (source / "a.mcap").write_bytes(b"\x89MCAP0\r\n" + b"m" * 4000)
    recording = _new_recording(local_env)
    upload = ("fleet", "recordings", "upload", "--source", str(source), "--recording", recording)
    status = data(*upload, "--managed", "--wait", "--wait-timeout", "30")
    assert status["status"] == "completed" and status["finalization"]["state"] == "succeeded"


def test_bulk_edit(tmp_path: Path, ids: dict[str, str], avala: Run) -> None:
    with Client() as client:
        item = client.datasets.list_items("demo", "highway-lidar").items[0].uid
    edits = tmp_path / "edits.jsonl"
    edits.write_text(
        "\n".join(
            json.dumps(
                {
                    "action": "upsert",
                    "object_uuid": f"obj-{n}",
                    "object_type": "cuboid",
                    "dataset_item_uid": item,
                    "object_name": "car",
                    "object_data": {
                        "position": [0, 0, 0],
                        "dimensions": [1, 1, 1],
                        "rotation": [0, 0, 0],
                    },
                }
            )
            for n in range(5)
        )
    )
    base = (
        "annotations",
        "bulk-edit",
        "--owner",
        "demo",
        "--slug",
        "highway-lidar",
        "--input",
        str(edits),
        "--chunk-size",
        "2",
    )
    assert "[dry run]" in avala(*base, "--dry-run").stderr
    assert "[check only]" in avala(*base, "--check-only").stderr
    result = avala("-o", "json", *base)
    chunks = json.loads(result.stdout)
    assert [c["chunk"] for c in chunks] == [0, 1, 2]
    assert "3/3 chunks" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('[{"action": "paint"}]')
    refused = avala(
        "annotations",
        "bulk-edit",
        "--owner",
        "demo",
        "--slug",
        "highway-lidar",
        "--input",
        str(bad),
        code=2,
    )
    assert "edit 0" in refused.stderr and "paint" in refused.stderr


def test_status(data: Callable[..., Any], avala: Run) -> None:
    report = data("status")
    assert report["organizations"] and report["fleet"]["devices"] >= 1
    assert "Organizations" in avala("status").stdout
    slug = report["organizations"][0]["slug"]
    assert len(data("status", "--org", slug)["organizations"]) == 1
    avala("status", "--org", "no-such-org", code=2)


@pytest.mark.parametrize("width", [60, 100, 160])
def test_tables_fit_the_terminal(width: int, avala: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for args in (["fleet", "devices", "list"], ["storage-configs", "list"], ["tasks", "list"]):
        lines = avala(*args).stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= width, "\n".join(lines)
    uid = json.loads(avala("-o", "json", "fleet", "devices", "list").stdout)[0]["uid"]
    if width >= 100:  # room for ids: they stay whole, on one line
        assert uid in avala("fleet", "devices", "list").stdout


def test_quiet_silences_notes_and_progress(ids: dict[str, str], avala: Run) -> None:
    agent = json.loads(avala("-o", "json", "agents", "create", "--name", "q").stdout)
    assert avala("-q", "agents", "delete", agent["uid"], "--yes").stderr == ""
    waited = avala("-q", "-o", "json", "exports", "create", "--project", ids["project"], "--wait")
    assert waited.stderr == "" and json.loads(waited.stdout)["status"] == "exported"
