"""The export download benchmark runs end to end (``python -m bench.data_exports`` on a small
file). No timing thresholds: this proves every contender downloaded the whole file and
reported a positive rate and memory figure. It needs nginx already installed (never
installs it) and skips without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.nginx import locate

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_export_bench_reports_every_contender(tmp_path: Path) -> None:
    if not locate(install=False).available:
        pytest.skip("nginx is not installed")
    out = tmp_path / "exports.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "bench.data_exports",
            "--size-mib",
            "4",
            "--repeat",
            "1",
            "--no-install",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert set(results["summary"]) == {"raw_aiohttp", "avala_async", "avala_sync"}
    for name, runs in results["runs"].items():
        assert [r["bytes"] for r in runs] == [4 << 20], name
        assert all(r["seconds"] > 0 and r["peak"] > 0 for r in runs), name
    assert "| avala_async |" in done.stdout
