"""The few commands whose official options are more than their SDK method's parameters:
each is a ``prepare`` hook (adjusting the call's arguments) plus its extra options."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._output import note

# ---------------------------------------------------------------------------- datasets upload

_REFUSED = {
    "dataset": "a local upload creates a new dataset; drop --dataset",
    "storage_config": "local uploads go to Avala-managed storage; drop --storage-config",
    "aws_profile": "local uploads go to Avala-managed storage; drop --aws-profile",
}
DRY_RUN_LISTED = 20


def _refused(name: str) -> Callable[[], click.Parameter]:
    flag = "--" + name.replace("_", "-")
    return lambda: click.Option([flag, name], hidden=True, help=_REFUSED[name])


DATASET_UPLOAD_OPTIONS: tuple[Callable[[], click.Parameter], ...] = (
    lambda: click.Option(
        ["--dry-run"],
        is_flag=True,
        help=f"List what would be uploaded (the first {DRY_RUN_LISTED} "
        "files and the totals) and stop.",
    ),
    *(_refused(name) for name in _REFUSED),
)


def dataset_upload(kwargs: dict[str, Any], values: dict[str, Any]) -> bool:
    """Refuse the official CLI's retired options; ``--dry-run`` lists and stops."""
    for name, reason in _REFUSED.items():
        if values.get(name) is not None:
            raise click.UsageError(f"--{name.replace('_', '-')} is not supported: {reason}.")
    if not values.get("dry_run"):
        return True
    from .._uploads import _files, _state

    files = _files.gather(kwargs["source"], _state.uploads_dir())
    total = sum(f.size for f in files)
    note(
        f"[dry run] would upload {len(files)} file(s), {total:,} bytes, as dataset "
        f"{kwargs['name']!r} (slug {kwargs['slug']!r}, {kwargs['data_type']}):"
    )
    for f in files[:DRY_RUN_LISTED]:
        note(f"  {f.relative} ({f.size:,} bytes)")
    if len(files) > DRY_RUN_LISTED:
        note(f"  ... and {len(files) - DRY_RUN_LISTED} more")
    return False


# ---------------------------------------------------------------------------- storage configs

#: Secrets read from the environment when their option is not given (a secret on the command
#: line shows in `ps` and shell history).
STORAGE_SECRETS_ENV = {
    "s3_access_key_id": "AVALA_S3_ACCESS_KEY_ID",
    "s3_secret_access_key": "AVALA_S3_SECRET_ACCESS_KEY",
    "gc_storage_auth_json_content": "AVALA_GC_AUTH_JSON",
}


def storage_config_create(kwargs: dict[str, Any], values: dict[str, Any]) -> bool:
    """Secrets from the environment when not given, and never one the config cannot use
    (it would be stored and never read)."""
    for name, variable in STORAGE_SECRETS_ENV.items():
        if name in kwargs and name != "s3_access_key_id":
            note(
                f"warning: a secret on the command line shows in `ps` and shell history; "
                f"set {variable} instead."
            )
        elif name not in kwargs and os.environ.get(variable):
            kwargs[name] = os.environ[variable]
    provider, method = kwargs.get("provider"), kwargs.get("s3_auth_method")
    unusable = []
    if provider != "gc_storage" and kwargs.pop("gc_storage_auth_json_content", None):
        unusable.append("the GCS service-account JSON")
    if not (provider == "aws_s3" and method == "iam_role") and kwargs.pop("s3_role_arn", None):
        unusable.append("the S3 role ARN")
    if provider != "aws_s3" or method == "iam_role":
        keys = [kwargs.pop(k, None) for k in ("s3_access_key_id", "s3_secret_access_key")]
        if any(keys):
            unusable.append("the S3 access keys")
    if unusable:
        note(
            f"warning: not sending {' and '.join(unusable)}: this configuration does not use them."
        )
    return True


# ---------------------------------------------------------------------------- fleet rules

RULE_FILE_OPTIONS: tuple[Callable[[], click.Parameter], ...] = (
    lambda: click.Option(
        ["--condition-file"],
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A JSON file with the condition, or an object with condition, actions, "
        "description and scope (options given on the command line win).",
    ),
)


def rule_from_file(kwargs: dict[str, Any], values: dict[str, Any]) -> bool:
    """Fill the rule from ``--condition-file``; a condition is needed one way or the other."""
    path: Path | None = values.get("condition_file")
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise click.BadParameter(
                f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})",
                param_hint="'--condition-file'",
            ) from None
        if not isinstance(data, dict):
            raise click.BadParameter(
                f"{path} must hold a JSON object", param_hint="'--condition-file'"
            )
        whole = "condition" in data
        found = {"condition": data["condition"] if whole else data}
        if whole:
            found.update({k: data[k] for k in ("actions", "description", "scope") if k in data})
        for key, value in found.items():
            kwargs.setdefault(key, value)
    if "condition" not in kwargs:
        raise click.UsageError("Pass the rule's condition: --condition JSON or --condition-file.")
    kwargs.setdefault("actions", [])
    return True
