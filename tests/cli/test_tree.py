"""Our CLI against the official command tree (tests/cli/official_tree.py)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator

import click
import pytest

from avala.cli import cli

from .conftest import invoke
from .official_tree import GAPS, TREE


def command_at(path: str) -> click.Command | None:
    command: click.Command | None = cli
    ctx = click.Context(cli)
    for name in path.split():
        if not isinstance(command, click.Group):
            return None
        command = command.get_command(ctx, name)
        if command is None:
            return None
    return command


def every_command(group: click.Group = cli, prefix: str = "") -> Iterator[str]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"{prefix}{name} is listed but cannot be built"
        if isinstance(command, click.Group):
            yield from every_command(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def arguments(command: click.Command) -> list[str]:
    return [p.human_readable_name.lower() for p in command.params if isinstance(p, click.Argument)]


def options(command: click.Command) -> set[str]:
    return {
        o
        for p in command.params
        if isinstance(p, click.Option)
        for o in (*p.opts, *p.secondary_opts)
    }


@pytest.mark.parametrize("path", [p for p in TREE if p not in GAPS])
def test_official_command_exists_with_its_arguments_and_options(path: str) -> None:
    command = command_at(path)
    assert command is not None, f"`avala {path}` is missing"
    assert arguments(command) == list(TREE[path].args), f"arguments of `avala {path}`"
    missing = set(TREE[path].options) - options(command)
    assert not missing, f"`avala {path}` lacks {sorted(missing)}"


def _feature_exists(where: str) -> bool:
    module, _, attribute = where.partition(":")
    if importlib.util.find_spec(module) is None:
        return False
    return not attribute or hasattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("path", list(GAPS))
def test_gaps_wait_for_their_sdk_feature(path: str) -> None:
    where, reason = GAPS[path]
    assert command_at(path) is None, f"`avala {path}` exists now: drop it from GAPS"
    assert not _feature_exists(where), (
        f"the SDK has {where} now ({reason} no longer holds): add `avala {path}` and drop the gap"
    )


def test_the_tree_data_covers_every_official_group() -> None:
    groups = {path.split()[0] for path in TREE}
    assert {"datasets", "exports", "fleet", "webhooks", "storage-configs", "consensus"} <= groups
    assert len(TREE) >= 85


ALL = list(every_command())


def test_every_command_is_reachable() -> None:
    assert len(ALL) >= len([p for p in TREE if p not in GAPS])


@pytest.mark.parametrize("path", ALL)
def test_help_of_every_command(path: str) -> None:
    result = invoke([*path.split(), "--help"])
    assert result.exit_code == 0, result.stderr
    assert f"Usage: avala {path}" in result.stdout
    summary = result.stdout.split("\n\n")[1].strip()
    assert summary and not summary.startswith("Options"), f"`avala {path}` has no help text"


def test_root_help_documents_the_exit_codes() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    for code in ("0", "2", "3", "4", "5", "6", "7", "130"):
        assert f"  {code:>3}  " in result.stdout


def test_no_arguments_shows_help() -> None:
    result = invoke([])
    assert result.exit_code == 0
    assert "Usage: avala" in result.stdout
