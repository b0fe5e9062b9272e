"""The export download benchmark runs end to end (``python -m bench.data_exports`` on a small
file). No timing thresholds: this proves every contender downloaded the whole file and
reported a positive rate and memory figure. It needs nginx already installed (never
installs it) and skips without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.nginx import locate
from bench.server import run_bench


def test_export_bench_reports_every_contender(tmp_path: Path) -> None:
    if not locate(install=False).available:
        pytest.skip("nginx is not installed")
    out = tmp_path / "exports.json"
    done = run_bench(
        "bench.data_exports", "--size-mib", "4", "--repeat", "1", "--no-install", "--json", str(out)
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert "other core" in results["summary"]
    for placement, summary in results["summary"].items():
        assert set(summary) == {
            "raw_aiohttp",
            "aiohttp_sha256",
            "avala_async",
            "avala_sync",
        }, placement
        for name, runs in results["runs"][placement].items():
            assert [r["bytes"] for r in runs] == [4 << 20], (placement, name)
            assert all(r["seconds"] > 0 and r["peak"] > 0 for r in runs), (placement, name)
    assert "| other core | avala_async |" in done.stdout
    assert "target >= 0.9x" in done.stdout
