"""docs/cli.md runs: every ``$ avala ...`` line of its ```console blocks is run against the
bundled server (through click's runner), in order, in one working folder; other ``$`` lines
are run with bash there (``export`` lines only set the scene: the test's environment
already points at the server). The output shown under a command must appear in what it
prints (``...`` skips lines); ``# exit N`` gives the exit code expected (0 otherwise); a
command marked ``# runs until stopped`` is not run."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from avala.testing import ServerHandle, serve

from .conftest import invoke, server_env

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)


class Example(NamedTuple):
    line: int
    command: str
    stdin: str | None
    code: int | None  # None: not run
    shown: list[str]
    shell: bool = False


def examples() -> list[Example]:
    text = DOC.read_text()
    found: list[Example] = []
    for block in BLOCK.finditer(text):
        start = text.count("\n", 0, block.start()) + 2
        for offset, chunk in enumerate(block.group(1).split("\n$ ")):
            lines = chunk.removeprefix("$ ").splitlines()
            if not lines or not lines[0].strip():
                continue
            command, _, comment = lines[0].partition(" # ")
            stdin = None
            if " | avala " in command:
                left, _, right = command.partition(" | ")
                stdin = " ".join(shlex.split(left)[2:])  # printf %s WORD
                command = right
            code = None if "runs until stopped" in comment else 0
            if comment.startswith("exit "):
                code = int(comment.split()[1])
            shell = not command.startswith("avala ")
            if shell and (stdin is not None or command.startswith("export ")):
                code = None
            found.append(Example(start + offset, command.strip(), stdin, code, lines[1:], shell))
    return found


EXAMPLES = examples()


def _group(command: str) -> str:
    """The command group of ``avala [GLOBAL OPTIONS] GROUP ...``."""
    words = iter(shlex.split(command)[1:])
    for word in words:
        if word in ("-o", "--output", "--api-key", "--base-url", "--profile"):
            next(words)
        elif not word.startswith("-"):
            return word
    return ""


def test_the_doc_has_examples_of_every_group() -> None:
    commands = {_group(e.command) for e in EXAMPLES if not e.shell}
    assert {"datasets", "exports", "fleet", "configure", "auth", "webhooks"} <= commands
    assert len(EXAMPLES) >= 25


def _line(want: str) -> re.Pattern[str]:
    """A shown line as a pattern: ``...`` inside it stands for anything."""
    return re.compile(".*".join(re.escape(part) for part in want.split("...")))


def _matches(shown: list[str], printed: str) -> bool:
    """Every shown line appears, in order, among the printed ones (a ``...`` line skips
    lines, ``...`` in a line skips characters)."""
    printed_lines = [line.rstrip() for line in printed.splitlines()]
    position = 0
    for want in (line.rstrip() for line in shown):
        if want in ("...", ""):
            continue
        pattern = _line(want)
        while position < len(printed_lines) and not pattern.fullmatch(printed_lines[position]):
            position += 1
        if position == len(printed_lines):
            return False
        position += 1
    return True


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-docs")


@pytest.fixture(scope="module")
def doc_server() -> Iterator[ServerHandle]:
    """A server of the doc's own: its examples change data, in the order they are shown."""
    with serve() as server:
        yield server


@pytest.fixture
def doc_env(doc_server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> ServerHandle:
    for name, value in server_env(doc_server).items():
        monkeypatch.setenv(name, value)
    return doc_server


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"cli.md:{e.line}" for e in EXAMPLES])
def test_doc_example(
    example: Example, doc_env: ServerHandle, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if example.code is None:
        pytest.skip("a long-running command, shown only")
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("AVALA_CONFIG_DIR", str(workdir / "config"))
    if example.shell:
        done = subprocess.run(
            ["bash", "-c", example.command], cwd=workdir, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == example.code, done.stderr
        assert _matches(example.shown, done.stdout + done.stderr)
        return
    words = shlex.split(example.command)
    assert words[0] == "avala", example.command
    result = invoke(words[1:], input=example.stdin)
    printed = result.stdout + result.stderr
    assert result.exit_code == example.code, f"{example.command}\n{printed}"
    assert _matches(example.shown, printed), f"{example.command} printed:\n{printed}"
    assert doc_env.api_key not in result.stdout
