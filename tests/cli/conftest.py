"""The CLI through click's test runner, against the bundled server (``local_env``).

The commands create, acknowledge and edit things: they get a server of their own, so the
other test packages never see what they changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import pytest
from click.testing import CliRunner, Result

from avala.cli import cli
from avala.testing import ServerHandle, serve


class Run(Protocol):
    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Result: ...


@pytest.fixture(scope="package")
def server() -> Iterator[ServerHandle]:
    """This package's own bundled server (``local_env`` points at it)."""
    with serve() as handle:
        yield handle


def server_env(server: ServerHandle) -> dict[str, str]:
    """The environment that points the CLI at ``server``."""
    return {
        "AVALA_BASE_URL": server.base_url,
        "AVALA_API_KEY": server.api_key,
        "AVALA_ALLOW_INSECURE_BASE_URL": "true",
        "AVALA_ALLOW_INSECURE_STORAGE_URLS": "true",
    }


def invoke(args: Sequence[str], input: str | None = None) -> Result:
    """Run ``avala ARGS`` in-process; stdout and stderr apart."""
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def avala(local_env: ServerHandle) -> Run:
    """``avala(*args, code=0)`` runs the CLI against the bundled server and checks the exit
    code (showing stderr when it differs)."""

    def run(*args: str, input: str | None = None, code: int = 0) -> Result:
        result = invoke(args, input)
        assert result.exit_code == code, (
            f"avala {' '.join(args)} exited {result.exit_code}, not {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
        )
        assert local_env.api_key not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result

    return run


@pytest.fixture
def data(avala: Run) -> Callable[..., Any]:
    """``data(*args)``: the JSON a command prints with ``-o json``."""

    def run(*args: str) -> Any:
        return json.loads(avala("-o", "json", *args).stdout)

    return run
