"""The official ``avala`` CLI's command tree (SDK 0.10, catalog-0.10 section 4), as data.

Each command: its positional arguments in order, and its options (every spelling the
official CLI accepts). The tests hold our CLI to it: same names, same arguments, every
option present (ours may add more).
"""

from __future__ import annotations

from typing import NamedTuple


class Official(NamedTuple):
    args: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


_LIMIT = ("--limit",)
_UID = ("uid",)

TREE: dict[str, Official] = {
    "configure": Official(),
    "status": Official(options=("--org",)),
    "shell-completion": Official(args=("shell",)),
    "view": Official(args=("file",), options=("--port", "--viewer-url", "--no-browser", "--force")),
    # datasets
    "datasets list": Official(
        options=("--data-type", "--name", "--status", "--visibility", *_LIMIT)
    ),
    "datasets get": Official(args=_UID),
    "datasets get-sequence": Official(args=("owner", "slug", "sequence_uid")),
    "datasets get-frame": Official(args=("owner", "slug", "sequence_uid", "frame_idx")),
    "datasets get-calibration": Official(args=("owner", "slug", "sequence_uid")),
    "datasets health": Official(args=("owner", "slug")),
    "datasets create": Official(
        options=(
            "--name",
            "--slug",
            "--data-type",
            "--visibility",
            "--create-metadata",
            "--no-create-metadata",
            "--provider-config",
            "--owner",
            "--organization-uid",
        )
    ),
    "datasets wait": Official(
        args=_UID, options=("--status", "--timeout", "--interval", "--quiet")
    ),
    "datasets transfer": Official(
        args=("owner", "slug"), options=("--organization-uid", "--owner-username")
    ),
    "datasets resolve": Official(args=("reference",), options=("--revision",)),
    "datasets upload": Official(
        options=(
            "--source",
            "--name",
            "--slug",
            "--data-type",
            "--owner",
            "--organization-uid",
            "--visibility",
            "--industry",
            "--license",
            "--create-metadata",
            "--no-create-metadata",
            "--workers",
            "--resume",
            "--no-resume",
            "--dry-run",
            "--wait",
            "--wait-timeout",
            "--dataset",
            "--storage-config",
            "--aws-profile",
        )
    ),
    # projects, tasks, exports
    "projects list": Official(options=_LIMIT),
    "projects get": Official(args=_UID),
    "tasks list": Official(options=_LIMIT),
    "tasks get": Official(args=_UID),
    "exports list": Official(options=_LIMIT),
    "exports get": Official(args=_UID),
    "exports create": Official(options=("--dataset", "--project")),
    "exports wait": Official(args=_UID, options=("--interval", "--timeout")),
    # agents
    "agents list": Official(options=_LIMIT),
    "agents get": Official(args=_UID),
    "agents create": Official(
        options=(
            "--name",
            "--events",
            "--callback-url",
            "--description",
            "--project",
            "--task-types",
        )
    ),
    "agents delete": Official(args=_UID, options=("--yes",)),
    "agents executions": Official(args=_UID, options=_LIMIT),
    "agents test": Official(args=_UID),
    # inference providers
    "inference-providers list": Official(options=_LIMIT),
    "inference-providers get": Official(args=_UID),
    "inference-providers create": Official(
        options=("--name", "--provider-type", "--config", "--description", "--project")
    ),
    "inference-providers delete": Official(args=_UID, options=("--yes",)),
    "inference-providers test": Official(args=_UID),
    # auto-label
    "auto-label list": Official(options=("--project", *_LIMIT)),
    "auto-label get": Official(args=_UID),
    "auto-label create": Official(
        options=("--project", "--model-type", "--confidence-threshold", "--labels", "--dry-run")
    ),
    "auto-label cancel": Official(args=_UID, options=("--yes",)),
    # quality targets
    "quality-targets list": Official(options=("--project", *_LIMIT)),
    "quality-targets get": Official(args=_UID, options=("--project",)),
    "quality-targets create": Official(
        options=("--project", "--name", "--metric", "--threshold", "--operator", "--severity")
    ),
    "quality-targets delete": Official(args=_UID, options=("--project", "--yes")),
    "quality-targets evaluate": Official(options=("--project",)),
    # consensus
    "consensus summary": Official(options=("--project",)),
    "consensus scores": Official(options=("--project", *_LIMIT)),
    "consensus compute": Official(options=("--project",)),
    "consensus config": Official(
        options=("--project", "--iou-threshold", "--min-agreement-ratio", "--min-annotations")
    ),
    # webhooks
    "webhooks list": Official(options=_LIMIT),
    "webhooks get": Official(args=_UID),
    "webhooks create": Official(options=("--target-url", "--events", "--secret")),
    "webhooks delete": Official(args=_UID, options=("--yes",)),
    "webhooks test": Official(args=_UID),
    "webhooks deliveries": Official(options=_LIMIT),
    # storage configs
    "storage-configs list": Official(),
    "storage-configs get": Official(args=_UID),
    "storage-configs create": Official(
        options=(
            "--name",
            "--provider",
            "--s3-bucket-name",
            "--s3-bucket-region",
            "--s3-bucket-prefix",
            "--s3-auth-method",
            "--s3-role-arn",
            "--organization",
            "--s3-access-key-id",
            "--s3-secret-access-key",
            "--gc-bucket-name",
            "--gc-prefix",
            "--gc-auth-json",
        )
    ),
    "storage-configs test": Official(args=_UID),
    "storage-configs delete": Official(args=_UID, options=("--yes",)),
    # annotations
    "annotations bulk-edit": Official(
        options=("--owner", "--slug", "--input", "--chunk-size", "--dry-run", "--check-only")
    ),
    # fleet
    "fleet devices list": Official(options=("--status", "--type", *_LIMIT)),
    "fleet devices get": Official(args=_UID),
    "fleet devices register": Official(
        options=("--name", "--type", "--tags", "--firmware-version")
    ),
    "fleet devices update": Official(args=_UID, options=("--status", "--name", "--tags")),
    "fleet devices delete": Official(args=_UID, options=("--yes",)),
    "fleet recordings list": Official(options=("--device", "--status", *_LIMIT)),
    "fleet recordings get": Official(args=_UID),
    "fleet recordings upload": Official(
        options=(
            "--source",
            "--recording",
            "--device",
            "--storage-config",
            "--managed",
            "--workers",
            "--dry-run",
            "--wait",
            "--wait-timeout",
        )
    ),
    "fleet events list": Official(options=("--device", "--recording", "--type", *_LIMIT)),
    "fleet events get": Official(args=_UID),
    "fleet events create": Official(
        options=("--recording", "--device", "--type", "--label", "--timestamp", "--severity")
    ),
    "fleet rules list": Official(options=_LIMIT),
    "fleet rules get": Official(args=_UID),
    "fleet rules create": Official(
        options=("--name", "--condition-file", "--enabled", "--disabled")
    ),
    "fleet rules update": Official(args=_UID, options=("--name", "--enabled", "--disabled")),
    "fleet rules delete": Official(args=_UID, options=("--yes",)),
    "fleet alerts list": Official(options=("--status", "--severity", *_LIMIT)),
    "fleet alerts get": Official(args=_UID),
    "fleet alerts acknowledge": Official(args=_UID),
    "fleet alerts resolve": Official(args=_UID, options=("--note",)),
    # importers and LeRobot
    "import list": Official(),
    "import folder": Official(
        options=(
            "--source",
            "--name",
            "--slug",
            "--data-type",
            "--owner",
            "--organization-uid",
            "--workers",
            "--resume",
            "--no-resume",
            "--wait",
            "--no-wait",
        )
    ),
    "import lerobot": Official(
        options=(
            "--repo-id",
            "--root",
            "--name",
            "--slug",
            "--episodes",
            "--camera-keys",
            "--fps",
            "--owner",
            "--workers",
            "--wait",
            "--no-wait",
        )
    ),
    "import rosbag": Official(
        args=("bag",),
        options=("--name", "--slug", "--image-topics", "--owner", "--workers", "--wait"),
    ),
    "import cloud": Official(
        args=("uri",), options=("--name", "--slug", "--data-type", "--storage-config", "--region")
    ),
    "lerobot export": Official(args=("dataset",)),
}

#: Commands of the official tree whose SDK feature this SDK does not have yet, and what
#: is missing; the CLI gains them with the feature. ``module``/``attribute`` name what the
#: test looks for: once it exists, the gap must be closed (the test fails as a reminder).
GAPS: dict[str, tuple[str, str]] = {
    "view": ("avala.viewer", "a local MCAP viewer server (no SDK part yet)"),
    "import list": ("avala.importers", "no importers in this SDK"),
    "import folder": ("avala.importers", "no importers in this SDK"),
    "import lerobot": ("avala.importers", "no importers in this SDK"),
    "import rosbag": ("avala.importers", "no importers in this SDK"),
    "import cloud": ("avala.importers", "no importers in this SDK"),
    "lerobot export": ("avala.lerobot", "no LeRobot exporter in this SDK"),
}
