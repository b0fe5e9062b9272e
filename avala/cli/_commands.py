"""Hand-written commands: those that combine several calls or read local files, so no
single SDK method describes them. They reuse the generic output and progress."""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import click

from ._app import State
from ._output import note
from ._progress import QUIET_HELP, Progress

# ---------------------------------------------------------------------------- status


def _section(call: Any) -> Any:
    """A status section; None when the key may not read it (403/404)."""
    from ..errors import ForbiddenError, NotFoundError

    try:
        return call()
    except (ForbiddenError, NotFoundError):
        return None


@click.command("status")
@click.option("--org", metavar="SLUG", default=None, help="Only this organization.")
def status(org: str | None) -> None:
    """Overview: organizations, recent datasets and projects, pending exports, fleet."""
    from ._output import to_data

    state = State.current()
    client = state.client()
    organizations = [to_data(o) for o in _section(lambda: list(client.organizations.list())) or []]
    if org is not None:
        organizations = [o for o in organizations if o["slug"] == org]
        if not organizations:
            raise click.BadParameter(
                f"you belong to no organization {org!r}; `avala organizations list` shows yours",
                param_hint="'--org'",
            )
    datasets = _section(lambda: client.datasets.list(limit=5).first_page())
    projects = _section(lambda: client.projects.list(limit=5).first_page())
    exports = _section(lambda: client.exports.list(limit=20).first_page())
    devices = _section(lambda: list(client.fleet.devices.list()))
    online = sum(1 for d in devices or [] if d.status == "online")
    report: dict[str, Any] = {
        "organizations": organizations,
        "datasets": None
        if datasets is None
        else {"latest": to_data(datasets.items), "has_more": datasets.has_more},
        "projects": None
        if projects is None
        else {"latest": to_data(projects.items), "has_more": projects.has_more},
        "exports": None
        if exports is None
        else {
            "pending": to_data([e for e in exports.items if e.status in ("pending", "processing")])
        },
        "fleet": None
        if devices is None
        else {"devices": len(devices), "online": online, "offline": len(devices) - online},
    }
    output = state.output
    if output.fmt != "table":
        output.one(report)
        return
    output.many(organizations, columns=("name", "slug", "member_count"), title="Organizations")
    for name, columns in (
        ("datasets", ("uid", "name", "item_count", "status")),
        ("projects", ("uid", "name", "status")),
    ):
        section = report[name]
        if section is not None:
            output.many(section["latest"], columns=columns, title=f"Recent {name}")
    if report["exports"] is not None:
        output.many(
            report["exports"]["pending"],
            columns=("uid", "status", "created_at"),
            title="Pending exports",
        )
    if report["fleet"] is not None:
        output.one(report["fleet"], title="Fleet")


# ---------------------------------------------------------------------------- completion

SHELLS = ("bash", "zsh", "fish")


@click.command("shell-completion")
@click.argument("shell", required=False, type=click.Choice(SHELLS))
def shell_completion(shell: str | None) -> None:
    """Print the tab-completion script for bash, zsh or fish (default: from $SHELL).

    \b
    bash:  eval "$(avala shell-completion bash)"     (in ~/.bashrc)
    zsh:   eval "$(avala shell-completion zsh)"      (in ~/.zshrc)
    fish:  avala shell-completion fish > ~/.config/fish/completions/avala.fish
    """
    from click.shell_completion import get_completion_class

    from ._app import cli

    if shell is None:
        name = Path(os.environ.get("SHELL", "")).name
        shell = name if name in SHELLS else "bash"
    completion = get_completion_class(shell)
    assert completion is not None  # every name in SHELLS is one of click's
    click.echo(completion(cli, {}, "avala", "_AVALA_COMPLETE").source())


# ---------------------------------------------------------------------------- bulk edit

ACTIONS = ("upsert", "delete")


def load_edits(path: Path) -> list[dict[str, Any]]:
    """The edits of a JSON array file, or of a JSON Lines file (``.jsonl``), checked to be
    objects with an action, an ``object_uuid`` and one target."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".jsonl":
            edits = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            edits = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})", param_hint="'--input'"
        ) from None
    if not isinstance(edits, list) or not edits:
        raise click.BadParameter(
            f"{path} must hold a non-empty JSON array of edits (or one "
            "edit object a line in a .jsonl file)",
            param_hint="'--input'",
        )
    for index, edit in enumerate(edits):
        problem = None
        if not isinstance(edit, dict):
            problem = "is not an object"
        elif edit.get("action") not in ACTIONS:
            problem = f"has action {edit.get('action')!r}; expected one of {', '.join(ACTIONS)}"
        elif not edit.get("object_uuid"):
            problem = "has no object_uuid"
        elif bool(edit.get("dataset_item_uid")) == bool(edit.get("sequence_uid")):
            problem = "needs exactly one of dataset_item_uid or sequence_uid"
        if problem:
            raise click.BadParameter(f"edit {index} of {path} {problem}", param_hint="'--input'")
    return edits


def _missing_targets(client: Any, owner: str, slug: str, edits: list[dict[str, Any]]) -> list[str]:
    """The items and sequences the edits name that the dataset does not have."""
    missing = []
    for field, lister in (
        ("dataset_item_uid", client.datasets.list_items),
        ("sequence_uid", client.datasets.list_sequences),
    ):
        wanted = {str(e[field]) for e in edits if e.get(field)}
        if wanted:
            known = {x.uid for x in lister(owner, slug)}
            missing += sorted(wanted - known)
    return missing


@click.command("bulk-edit")
@click.option("--owner", required=True, help="The dataset owner's handle.")
@click.option("--slug", required=True, help="The dataset's slug.")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON array of edits, or a .jsonl file with one edit a line.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Edits per request.",
)
@click.option("--dry-run", is_flag=True, help="Check the file only; send nothing.")
@click.option(
    "--check-only",
    is_flag=True,
    help="Also check the dataset is LiDAR and every item and sequence exists; send no edit.",
)
@click.option("--quiet", is_flag=True, help=QUIET_HELP)
def bulk_edit(
    owner: str,
    slug: str,
    input_path: Path,
    chunk_size: int,
    dry_run: bool,
    check_only: bool,
    quiet: bool,
) -> None:
    """Upsert or delete many cuboids of a LiDAR dataset from a JSON or JSONL file.

    Edits go in chunks of --chunk-size; the server applies each (object, item) once, so
    running the same file again after a failure is safe.
    """
    state = State.current()
    edits = load_edits(input_path)
    chunks = math.ceil(len(edits) / chunk_size)
    note(f"{len(edits)} edit(s) in {input_path}, {chunks} chunk(s) of up to {chunk_size}.")
    if dry_run:
        note("[dry run] the edits are well-formed; nothing was sent.")
        return
    client = state.client()
    if check_only:
        dataset = client.datasets.get_by_slug(owner, slug)
        if dataset.data_type != "lidar":
            raise click.UsageError(
                f"{owner}/{slug} holds {dataset.data_type} data; bulk edits need a lidar dataset."
            )
        missing = _missing_targets(client, owner, slug, edits)
        if missing:
            raise click.UsageError(
                f"{len(missing)} item or sequence uid(s) are not in "
                f"{owner}/{slug}, e.g. {', '.join(missing[:5])}."
            )
        note(f"[check only] {owner}/{slug} is a lidar dataset with every target; nothing sent.")
        return
    results = []
    progress = Progress(f"bulk-edit {owner}/{slug}", quiet=quiet or state.quiet)
    with contextlib.closing(progress):
        for index, result in client.annotations.bulk_edit(
            owner, slug, edits, chunk_size=chunk_size
        ):
            results.append({"chunk": index, **result})
            progress.step(index + 1, chunks, "chunks")
    state.output.many(results, title="Chunks")


# ---------------------------------------------------------------------------- recordings


def _wait_for_recording(client: Any, uid: str, timeout: float, progress: Progress) -> Any:
    """Poll a recording until it is ``ready`` or ``error`` (every 10 s at most)."""
    deadline = time.monotonic() + timeout
    while True:
        recording = client.fleet.recordings.get(uid)
        if recording.status in ("ready", "error"):
            return recording
        progress.poll(recording)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"Recording {uid} was not processed within {timeout:g}s "
                f"(last status: {recording.status})."
            )
        time.sleep(min(10.0, remaining))


@click.command("upload")
@click.option(
    "--source",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder of recording files.",
)
@click.option("--recording", metavar="UID", default=None, help="The recording to upload to.")
@click.option(
    "--device",
    metavar="UID",
    default=None,
    help="Create a recording for this device (not supported yet: use --recording).",
)
@click.option(
    "--storage-config",
    metavar="UID",
    default=None,
    help="Upload to this storage configuration's bucket (not with --managed).",
)
@click.option(
    "--managed",
    is_flag=True,
    help="Managed MCAP upload (organizations enrolled in it; .mcap files only).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Files sent at once (at most 4 with --managed).",
)
@click.option("--dry-run", is_flag=True, help="List the files and totals; send nothing.")
@click.option(
    "--wait", is_flag=True, help="Wait until the recording is processed (managed: published)."
)
@click.option(
    "--wait-timeout",
    type=float,
    default=3600.0,
    show_default=True,
    help="Seconds --wait waits in all.",
)
@click.option("--quiet", is_flag=True, help=QUIET_HELP)
def recording_upload(
    source: Path,
    recording: str | None,
    device: str | None,
    storage_config: str | None,
    managed: bool,
    workers: int,
    dry_run: bool,
    wait: bool,
    wait_timeout: float,
    quiet: bool,
) -> None:
    """Upload a folder of recording files (resumable: run it again after a failure).

    Each file is hashed, sent and confirmed; what was confirmed is not sent again.
    """
    if recording is None:
        if device is not None:
            raise click.UsageError(
                "--device alone is not supported yet: create the recording "
                "first, then pass --recording UID."
            )
        raise click.UsageError("Pass --recording UID: the recording the files belong to.")
    if managed and storage_config is not None:
        raise click.UsageError(
            "--storage-config does not go with --managed: managed uploads use Avala's storage."
        )
    state = State.current()
    client = state.client()
    uploads = client.fleet.uploads
    if dry_run:
        inventory = uploads.collect_files(source)
        note(
            f"[dry run] {len(inventory.files)} file(s), {inventory.total_bytes:,} bytes, for "
            f"recording {recording}:"
        )
        for file in inventory.files[:20]:
            note(f"  {file.path} ({file.size_bytes:,} bytes)")
        return
    result: Any
    progress = Progress(f"recording {recording}", quiet=quiet or state.quiet)
    with contextlib.closing(progress):
        if managed:
            result = uploads.upload_managed_recording(
                recording,
                source,
                max_workers=workers,
                wait_timeout=wait_timeout if wait else 0,
                progress=progress.upload,
            )
        else:
            result = uploads.upload_recording(
                recording,
                source,
                storage_config_uid=storage_config,
                max_workers=workers,
                progress=progress.upload,
            )
            if wait:
                result = _wait_for_recording(client, recording, wait_timeout, progress)
    state.output.one(result)


# ---------------------------------------------------------------------------- datasets resolve


@click.command("resolve")
@click.argument("reference")
@click.option(
    "--revision",
    metavar="ALIAS|SHA256",
    default=None,
    help="The revision, when REFERENCE does not name one (default: the alias main).",
)
def datasets_resolve(reference: str, revision: str | None) -> None:
    """Resolve a published dataset revision (anonymous: no API key is sent) and print what
    it is: its canonical reference, SHA-256, manifest and rights. Nothing is listed or
    downloaded.

    REFERENCE is owner/dataset[@alias|@sha256] or avala://datasets/UUID@SHA256.
    """
    import warnings

    import attrs

    from .._load._dataset import resolve_revision
    from ..errors import DatasetReferenceError, MutableDatasetAliasWarning

    state = State.current()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MutableDatasetAliasWarning)
        try:
            resolved = resolve_revision(reference, revision=revision, base_url=state.base_url)
        except DatasetReferenceError as exc:
            raise click.BadParameter(str(exc), param_hint="'REFERENCE'") from None
    for warning in caught:
        note(f"note: {warning.message}")
    state.output.one(attrs.asdict(resolved), title=resolved.display_reference)
