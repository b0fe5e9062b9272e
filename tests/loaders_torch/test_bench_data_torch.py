"""The training-loader benchmark runs end to end (``python -m bench.data_torch``), here with
a few items and this SDK only. No timing thresholds: performance lives in the benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("PIL")

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bench_reports_a_rate_and_memory(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.data_torch",
            "--items",
            "40",
            "--latency-ms",
            "5",
            "--workers",
            "0",
            "--official-python",
            str(tmp_path / "no-such-python"),
            "--json",
            str(out),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "measuring avala only" in done.stderr
    (row,) = json.loads(out.read_text())
    assert row["contender"] == "avala" and row["samples"] == 40
    assert row["rate"] > 0 and row["peak_rss"] > 0 and row["worker_peak_rss"] is None
    assert "40 items, 5 ms per media request" in done.stdout
