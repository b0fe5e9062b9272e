"""What needs a real process: a closed pipe, start-up imports, the server command,
shell completion, and the live display a terminal gets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from avala.cli._progress import Progress
from avala.testing import ServerHandle, serve

from .conftest import invoke, server_env

AVALA = [sys.executable, "-W", "error", "-m", "avala.cli"]


def _env(server: ServerHandle, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVALA_")}
    env.update(server_env(server))
    env.update(AVALA_CONFIG_DIR=str(tmp_path / "cfg"), AVALA_STATE_DIR=str(tmp_path / "state"))
    return env


@pytest.fixture(scope="module")
def big() -> Iterator[ServerHandle]:
    """A server with the generated bench/bench dataset of 3,000 items (30 pages of 100)."""
    with serve(bench_items=3000) as server:
        yield server


def test_jsonl_into_a_pipe_that_closes_after_one_line(big: ServerHandle, tmp_path: Path) -> None:
    big.state.clear_requests()
    process = subprocess.Popen(
        [*AVALA, "-o", "jsonl", "datasets", "items", "bench", "bench"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(big, tmp_path),
    )
    assert process.stdout is not None and process.stderr is not None
    first = json.loads(process.stdout.readline())
    process.stdout.close()  # what `| head -1` does
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=60) == 0
    assert stderr == b""  # no traceback, no "Exception ignored", no BrokenPipeError
    assert first["uid"]
    pages = [r for r in big.state.requests if r.path.endswith("/items/")]
    assert len(pages) < 30  # lazy: the walk stopped with the reader


def test_shell_pipe_to_head(big: ServerHandle, tmp_path: Path) -> None:
    command = (
        " ".join(AVALA) + " -o jsonl datasets items bench bench | head -1; "
        'echo "status=${PIPESTATUS[0]}"'
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=_env(big, tmp_path), timeout=60
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["uid"] and lines[1] == "status=0"
    assert done.stderr == ""


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_start_up_imports_neither_the_sdk_core_nor_rich(flag: str) -> None:
    probe = (
        "import sys\nfrom avala.cli import cli\n"
        f"code = cli.main([{flag!r}], standalone_mode=False)\n"
        "heavy = ('aiohttp', 'rich', 'avala._client', 'avala._sync', 'platformdirs', 'cattrs')\n"
        "print(code, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_version() -> None:
    from avala import __version__

    result = invoke(["--version"])
    assert result.exit_code == 0 and result.stdout == f"avala {__version__}\n"


def test_server_command_serves_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*AVALA, "server", "--port", "0", "--seed-items", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        url = process.stdout.readline().split()[-1]
        key = process.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AVALA_")}
        env.update(
            AVALA_BASE_URL=url,
            AVALA_API_KEY=key,
            AVALA_ALLOW_INSECURE_BASE_URL="true",
            AVALA_CONFIG_DIR=str(tmp_path),
        )
        listed = subprocess.run(
            [*AVALA, "-o", "json", "datasets", "items", "bench", "bench"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)) == 5
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_server_refuses_bad_options() -> None:
    result = invoke(["server", "--burst", "3"])
    assert result.exit_code == 2 and "--burst needs --burst-rate" in result.stderr
    assert invoke(["server", "--host", "10.1.2.3"]).exit_code == 2


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    result = invoke(["shell-completion", shell])
    assert result.exit_code == 0 and "_AVALA_COMPLETE" in result.stdout


def test_completion_completes_commands_and_options() -> None:
    from click.testing import CliRunner

    from avala.cli import cli

    def complete(words: str) -> str:
        env = {
            "_AVALA_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        return CliRunner().invoke(cli, [], env=env, prog_name="avala").stdout

    assert "plain,datasets" in complete("avala data")
    assert "plain,--data-type" in complete("avala datasets list --data")


def test_live_display_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = SimpleNamespace(
        total_bytes=100,
        uploaded_bytes=50,
        uploaded_files=1,
        total_files=2,
        finished=False,
        bytes_per_second=10.0,
    )
    with closing(Progress("upload", live=True)) as progress:
        progress.poll(SimpleNamespace(status="pending"))
        assert type(progress._display).__name__ == "Status"
    with closing(Progress("upload", live=True)) as progress:
        progress.upload(snapshot)
        assert type(progress._display).__name__ == "Progress"
    with closing(Progress("plain", live=False)) as progress:
        progress.upload(snapshot)
        progress.poll(SimpleNamespace(status="pending", item_count=3))
    err = capsys.readouterr().err
    assert "plain: 1/2 files, 50 B/100 B" in err
    assert "plain: status=pending, items=3" in err
    assert capsys.readouterr().out == ""
