"""The command tree, as data: the official CLI's names, each bound to an SDK method.

Only what differs from the method is written here (see :class:`~avala.cli._spec.Cmd`):
option names the official CLI spells otherwise, choices, table columns, confirmations.
Hand-written commands (``configure``, ``status``, uploads of recordings...) are
:class:`~avala.cli._spec.Lazy` entries, imported only when used.
"""

from __future__ import annotations

from . import _hooks
from ._spec import Cmd, Group, Lazy

DATA_TYPES = ("image", "video", "lidar", "mcap", "splat", "image_3d")
VISIBILITY = ("private", "public", "unlisted")
_PROJECT = {"--project": "project_uid"}


def _delete(method: str, what: str, params: dict[str, str] | None = None) -> Cmd:
    """``delete UID``: asks first (``--yes`` skips the question)."""
    ident = (params or {}).get("uid", "uid")
    return Cmd(
        "delete",
        method,
        params=params or {},
        confirm=f"Delete {what} {{{ident}}}?",
        done=f"Deleted {what} {{{ident}}}.",
    )


DATASETS = Group(
    "datasets",
    "Datasets: list, inspect, create, upload, wait for ingestion.",
    (
        Cmd("list", "datasets.list", columns=("uid", "name", "slug", "item_count", "data_type")),
        Cmd("get", "datasets.get"),
        Cmd("get-sequence", "datasets.get_sequence"),
        Cmd("get-frame", "datasets.get_frame"),
        Cmd(
            "get-calibration",
            "datasets.get_calibration",
            rows="cameras",
            columns=("camera_id", "model", "fx", "fy", "cx", "cy", "xi", "alpha"),
        ),
        Cmd("health", "datasets.get_health"),
        Cmd(
            "create",
            "datasets.create",
            params={"--owner": "owner_name"},
            choices={"data_type": DATA_TYPES, "visibility": VISIBILITY},
            wait="datasets.wait",
        ),
        Cmd("wait", "datasets.wait"),
        Cmd("transfer", "datasets.transfer"),
        Cmd(
            "upload",
            "datasets.create_from_local",
            params={"--owner": "owner_name"},
            choices={"data_type": DATA_TYPES, "visibility": VISIBILITY},
            prepare=_hooks.dataset_upload,
            extra=_hooks.DATASET_UPLOAD_OPTIONS,
            help="Upload a local file or folder into a new dataset (resumable: run the same "
            "command again after a failure to send only what is missing).",
        ),
        Cmd("items", "datasets.list_items", columns=("uid", "key", "url")),
        Cmd("sequences", "datasets.list_sequences", columns=("uid", "key", "status")),
        Cmd("quota", "datasets.manual_upload_quota"),
        Lazy(
            "resolve",
            "avala.cli._commands:datasets_resolve",
            "Resolve a published dataset revision (anonymous); nothing is downloaded.",
        ),
    ),
)

PROJECTS = Group(
    "projects",
    "Annotation projects.",
    (
        Cmd("list", "projects.list", columns=("uid", "name", "status", "created_at")),
        Cmd("get", "projects.get"),
    ),
)

TASKS = Group(
    "tasks",
    "Annotation tasks.",
    (
        Cmd("list", "tasks.list", columns=("uid", "name", "type", "status", "created_at")),
        Cmd("get", "tasks.get"),
    ),
)

EXPORTS = Group(
    "exports",
    "Exports of annotations: create, wait, download.",
    (
        Cmd("list", "exports.list", columns=("uid", "status", "download_url", "created_at")),
        Cmd("get", "exports.get"),
        Cmd("create", "exports.create", wait="exports.wait"),
        Cmd("wait", "exports.wait"),
        Cmd("download", "exports.download", params={"uid": "export"}),
    ),
)

AGENTS = Group(
    "agents",
    "Automation agents called on annotation events.",
    (
        Cmd("list", "agents.list", columns=("uid", "name", "is_active", "events", "created_at")),
        Cmd("get", "agents.get"),
        Cmd("create", "agents.create"),
        Cmd("update", "agents.update"),
        _delete("agents.delete", "agent"),
        Cmd(
            "executions",
            "agents.list_executions",
            columns=("uid", "event_type", "status", "action", "created_at"),
        ),
        Cmd("test", "agents.test"),
    ),
)

INFERENCE_PROVIDERS = Group(
    "inference-providers",
    "Inference providers for auto-labelling.",
    (
        Cmd(
            "list",
            "inference_providers.list",
            columns=("uid", "name", "provider_type", "is_active", "created_at"),
        ),
        Cmd("get", "inference_providers.get"),
        Cmd(
            "create", "inference_providers.create", choices={"provider_type": ("http", "sagemaker")}
        ),
        Cmd(
            "update", "inference_providers.update", choices={"provider_type": ("http", "sagemaker")}
        ),
        _delete("inference_providers.delete", "inference provider"),
        Cmd("test", "inference_providers.test"),
    ),
)

AUTO_LABEL = Group(
    "auto-label",
    "Auto-label jobs.",
    (
        Cmd(
            "list",
            "auto_label_jobs.list",
            columns=("uid", "status", "model_type", "progress_pct", "created_at"),
        ),
        Cmd("get", "auto_label_jobs.get"),
        Cmd(
            "create",
            "auto_label_jobs.create",
            params=_PROJECT,
            choices={"model_type": ("sam3", "yolo")},
        ),
        Cmd(
            "cancel",
            "auto_label_jobs.cancel",
            confirm="Cancel auto-label job {uid}?",
            done="Cancelled auto-label job {uid}.",
        ),
    ),
)

QUALITY_TARGETS = Group(
    "quality-targets",
    "Quality targets of a project.",
    (
        Cmd(
            "list",
            "quality_targets.list",
            params=_PROJECT,
            columns=("uid", "name", "metric", "operator", "threshold", "is_breached"),
        ),
        Cmd("get", "quality_targets.get", params=_PROJECT),
        Cmd(
            "create",
            "quality_targets.create",
            params=_PROJECT,
            choices={"severity": ("warning", "critical")},
        ),
        Cmd(
            "update",
            "quality_targets.update",
            params=_PROJECT,
            choices={"severity": ("warning", "critical")},
        ),
        _delete("quality_targets.delete", "quality target", _PROJECT),
        Cmd(
            "evaluate",
            "quality_targets.evaluate",
            params=_PROJECT,
            columns=(
                "uid",
                "name",
                "metric",
                "threshold",
                "current_value",
                "is_breached",
                "severity",
            ),
        ),
    ),
)

CONSENSUS = Group(
    "consensus",
    "Consensus scoring of a project.",
    (
        Cmd("summary", "consensus.get_summary", params=_PROJECT),
        Cmd(
            "scores",
            "consensus.list_scores",
            params=_PROJECT,
            columns=("uid", "dataset_item_uid", "task_name", "score", "annotator_count"),
        ),
        Cmd("compute", "consensus.compute", params=_PROJECT),
        Cmd(
            "config",
            "consensus.update_config",
            params=_PROJECT,
            fallback="consensus.get_config",
            help="Show a project's consensus settings, or change those given as options.",
        ),
    ),
)

WEBHOOKS = Group(
    "webhooks",
    "Webhooks and their deliveries.",
    (
        Cmd("list", "webhooks.list", columns=("uid", "target_url", "events", "is_active")),
        Cmd("get", "webhooks.get"),
        Cmd("create", "webhooks.create"),
        Cmd("update", "webhooks.update"),
        _delete("webhooks.delete", "webhook"),
        Cmd("test", "webhooks.test"),
        Cmd(
            "deliveries",
            "webhook_deliveries.list",
            columns=("uid", "event_type", "status", "response_status", "attempts", "created_at"),
        ),
    ),
)

STORAGE_CONFIGS = Group(
    "storage-configs",
    "Cloud storage connections (S3, GCS).",
    (
        Cmd(
            "list",
            "storage_configs.list",
            columns=("uid", "name", "provider", "is_verified", "created_at"),
        ),
        Cmd("get", "storage_configs.get"),
        Cmd(
            "create",
            "storage_configs.create",
            params={
                "--gc-bucket-name": "gc_storage_bucket_name",
                "--gc-prefix": "gc_storage_prefix",
                "--gc-auth-json": "gc_storage_auth_json_content",
            },
            choices={
                "provider": ("aws_s3", "gc_storage"),
                "s3_auth_method": ("access_key", "iam_role"),
            },
            prepare=_hooks.storage_config_create,
        ),
        Cmd("test", "storage_configs.test"),
        _delete("storage_configs.delete", "storage config"),
    ),
)

ANNOTATIONS = Group(
    "annotations",
    "Bulk edits of 3D annotations.",
    (
        Lazy(
            "bulk-edit",
            "avala.cli._commands:bulk_edit",
            "Upsert or delete many cuboids of a LiDAR dataset from a JSON or JSONL file.",
        ),
    ),
)

_DEVICE = {"uid": "device_id"}
_RECORDING = {"uid": "recording_id"}
_EVENT = {"uid": "event_id"}
_RULE = {"uid": "rule_id", "--enabled/--disabled": "enabled"}
_ALERT = {"uid": "alert_id"}

FLEET = Group(
    "fleet",
    "The fleet: devices, recordings, events, rules and alerts.",
    (
        Group(
            "devices",
            "Registered devices.",
            (
                Cmd(
                    "list",
                    "fleet.devices.list",
                    columns=("uid", "name", "type", "status", "firmware_version", "last_seen_at"),
                ),
                Cmd("get", "fleet.devices.get", params=_DEVICE),
                Cmd("register", "fleet.devices.register"),
                Cmd("update", "fleet.devices.update", params=_DEVICE),
                _delete("fleet.devices.delete", "device", _DEVICE),
            ),
        ),
        Group(
            "recordings",
            "Recordings of devices.",
            (
                Cmd(
                    "list",
                    "fleet.recordings.list",
                    params={"--device": "device_id"},
                    columns=(
                        "uid",
                        "device",
                        "status",
                        "duration_seconds",
                        "topic_count",
                        "created_at",
                    ),
                ),
                Cmd("get", "fleet.recordings.get", params=_RECORDING),
                Lazy(
                    "upload",
                    "avala.cli._commands:recording_upload",
                    "Upload a folder of recording files (resumable), optionally waiting for it.",
                ),
            ),
        ),
        Group(
            "events",
            "Events on recordings.",
            (
                Cmd(
                    "list",
                    "fleet.events.list",
                    params={"--device": "device_id", "--recording": "recording_id"},
                    columns=("uid", "type", "label", "severity", "timestamp", "created_at"),
                ),
                Cmd("get", "fleet.events.get", params=_EVENT),
                Cmd("create", "fleet.events.create"),
            ),
        ),
        Group(
            "rules",
            "Alerting rules.",
            (
                Cmd(
                    "list",
                    "fleet.rules.list",
                    params=_RULE,
                    columns=("uid", "name", "enabled", "hit_count", "created_at"),
                ),
                Cmd("get", "fleet.rules.get", params=_RULE),
                Cmd(
                    "create",
                    "fleet.rules.create",
                    params=_RULE,
                    optional=("condition", "actions"),
                    prepare=_hooks.rule_from_file,
                    extra=_hooks.RULE_FILE_OPTIONS,
                ),
                Cmd("update", "fleet.rules.update", params=_RULE),
                _delete("fleet.rules.delete", "rule", _RULE),
            ),
        ),
        Group(
            "alerts",
            "Alerts raised by rules.",
            (
                Cmd(
                    "list",
                    "fleet.alerts.list",
                    params={"--device": "device_id", "--rule": "rule_id"},
                    columns=("uid", "severity", "status", "message", "triggered_at"),
                ),
                Cmd("get", "fleet.alerts.get", params=_ALERT),
                Cmd("acknowledge", "fleet.alerts.acknowledge", params=_ALERT),
                Cmd(
                    "resolve",
                    "fleet.alerts.resolve",
                    params={**_ALERT, "--note": "resolution_note"},
                ),
            ),
        ),
    ),
)

ORGANIZATIONS = Group(
    "organizations",
    "Organizations you belong to.",
    (
        Cmd("list", "organizations.list", columns=("uid", "name", "handle", "member_count")),
        Cmd("get", "organizations.get"),
    ),
)

AUTH = Group(
    "auth",
    "Which API key is used, and whether the API accepts it.",
    (
        Lazy(
            "check",
            "avala.cli._auth:auth_check",
            "Say where the key comes from and whether the API accepts it (never the key).",
        ),
    ),
)

ROOT = Group(
    "avala",
    "Avala from the shell.",
    (
        Lazy(
            "configure",
            "avala.cli._auth:configure",
            "Check an API key against the API and save it in a profile.",
        ),
        AUTH,
        Lazy(
            "status",
            "avala.cli._commands:status",
            "Overview: organizations, recent datasets and projects, pending exports, fleet.",
        ),
        DATASETS,
        PROJECTS,
        TASKS,
        EXPORTS,
        AGENTS,
        INFERENCE_PROVIDERS,
        AUTO_LABEL,
        QUALITY_TARGETS,
        CONSENSUS,
        WEBHOOKS,
        STORAGE_CONFIGS,
        ANNOTATIONS,
        FLEET,
        ORGANIZATIONS,
        Lazy(
            "server",
            "avala.cli._server:server",
            "Run the bundled Avala server on loopback, for local development and tests.",
        ),
        Lazy(
            "shell-completion",
            "avala.cli._commands:shell_completion",
            "Print the tab-completion script for bash, zsh or fish.",
        ),
    ),
)
