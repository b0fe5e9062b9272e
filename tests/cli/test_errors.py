"""Exit codes and error messages: one code per kind of failure, errors on stderr, no
traceback unless --debug."""

from __future__ import annotations

from typing import Any

import pytest

from avala.cli import EXIT_CODES
from avala.testing import Fault, ServerHandle

from .conftest import Run, invoke


def test_the_codes_are_distinct_and_documented() -> None:
    codes = [code for code, _ in EXIT_CODES]
    assert len(set(codes)) == len(codes) == 9


@pytest.mark.parametrize(
    "args",
    [
        ["datasets", "list", "--no-such-option"],
        ["datasets", "create", "--name", "x"],  # required options missing
        ["datasets", "create", "--name", "x", "--slug", "x", "--data-type", "pdf"],
        ["no-such-command"],
        ["-o", "xml", "datasets", "list"],
        ["datasets", "list", "--limit", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str], avala: Run) -> None:
    result = avala(*args, code=2)
    assert result.stdout == "" and "Error" in result.stderr


def test_argument_the_sdk_refuses_exits_2(avala: Run) -> None:
    result = avala("datasets", "get", "..", code=2)
    assert "uid must be a non-empty id" in result.stderr


def test_no_key_exits_3_and_lists_every_place_tried(
    local_env: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AVALA_API_KEY")
    result = invoke(["datasets", "list"])
    assert result.exit_code == 3 and result.stdout == ""
    for place in ("env:AVALA_API_KEY", "dotenv:.env", "profile:default", "avala configure"):
        assert place in result.stderr


def test_rejected_key_exits_3_with_a_hint(local_env: ServerHandle) -> None:
    result = invoke(["--api-key", "avk_not_a_real_key_000000000000000000", "datasets", "list"])
    assert result.exit_code == 3
    assert "rejected the key (401): Invalid API key." in result.stderr
    assert "avala auth check" in result.stderr
    assert "avk_not_a_real_key" not in result.stderr


def test_forbidden_exits_3(local_env: ServerHandle, avala: Run) -> None:
    local_env.state.faults.push(Fault.status(403, path="/projects/", method="GET"))
    local_env.state.faults.push(Fault.status(403, path="/users/me/projects/", method="GET"))
    assert "permission denied (403)" in avala("projects", "list", code=3).stderr


def test_not_found_exits_4(avala: Run) -> None:
    assert "not found (404)" in avala("projects", "get", "no-such-project", code=4).stderr


def test_other_api_errors_exit_5(local_env: ServerHandle, avala: Run) -> None:
    local_env.state.faults.push(
        Fault.status(
            400, json={"slug": ["This field must be unique."]}, path="/datasets/", method="POST"
        )
    )
    result = avala(
        "datasets", "create", "--name", "x", "--slug", "x", "--data-type", "image", code=5
    )
    assert "API error (400)" in result.stderr and "unique" in result.stderr


def test_network_failures_exit_6(local_env: ServerHandle, avala: Run) -> None:
    local_env.state.faults.push(*[Fault.reset(path="/exports/") for _ in range(3)])
    result = avala("exports", "list", code=6)
    assert result.stderr.startswith("error: network:")


def test_a_wait_that_runs_out_exits_7(avala: Run) -> None:
    uid = avala("-o", "jsonl", "datasets", "list", "--limit", "1").stdout.split('"')[3]
    result = avala(
        "datasets", "wait", uid, "--status", "never", "--timeout", "0", "--quiet", code=7
    )
    assert "did not reach status 'never'" in result.stderr


def test_traceback_only_with_debug(avala: Run) -> None:
    plain = avala("projects", "get", "nope", code=4)
    assert "Traceback" not in plain.stderr
    result = invoke(["--debug", "projects", "get", "nope"])
    assert result.exit_code == 4
    assert "Traceback (most recent call last)" in result.stderr
    assert "NotFoundError" in result.stderr


def test_interrupt_exits_130(avala: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from avala.cli import _spec

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_spec, "bound_method", lambda client, path: interrupted)
    avala("projects", "list", code=130)


def test_unexpected_errors_exit_1_and_point_at_debug(
    avala: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avala.cli import _spec

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(_spec, "bound_method", lambda client, path: broken)
    result = avala("projects", "list", code=1)
    assert "unexpected RuntimeError: boom" in result.stderr and "--debug" in result.stderr
