"""The training-loader benchmark runs end to end (``python -m bench.data_torch``), here with
a few items and this SDK only. No timing thresholds: performance lives in the benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.server import run_bench

pytest.importorskip("torch")
pytest.importorskip("PIL")


def test_bench_reports_a_rate_and_memory(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_bench(
        "bench.data_torch",
        "--items",
        "40",
        "--latency-ms",
        "5",
        "--workers",
        "0",
        "--repeat",
        "1",
        "--official-python",
        str(tmp_path / "no-such-python"),
        "--json",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "measuring avala only" in done.stderr
    (row,) = json.loads(out.read_text())
    assert row["contender"] == "avala" and row["samples"] == 40
    assert row["rate"] > 0 and row["peak_rss"] > 0 and row["worker_peak_rss"] is None
    assert "40 items, 5 ms added per media request" in done.stdout
