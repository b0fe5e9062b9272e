"""The upload benchmark runs end to end (``python -m bench.uploads --quick``).

No timing thresholds: performance lives in the benchmark. This only proves that every
contender produced a positive throughput, CPU and memory figure on both workloads, that the
targets were evaluated, and that ``--no-docs`` writes nothing but ``--out``.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.server import REPO_ROOT, run_bench

CONTENDERS = {"raw_aiohttp", "avala_async", "avala_sync"}
WORKLOADS = {"small", "large"}


def test_quick_upload_bench_produces_a_positive_number_for_every_contender(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    doc = REPO_ROOT / "docs" / "performance.md"
    doc_before = doc.read_bytes()
    done = run_bench("bench.uploads", "--quick", "--no-docs", "--out", str(out), timeout=50)
    assert done.returncode == 0, done.stderr
    assert "| raw aiohttp (floor) |" in done.stdout

    results = json.loads((out / "latest-uploads.json").read_text(encoding="utf-8"))
    assert results["meta"]["mode"] == "quick"
    assert results["meta"]["repeat"] == 1
    assert set(results["meta"]["workloads"]) == WORKLOADS

    throughput = results["throughput"]
    assert set(throughput) == CONTENDERS
    for key, entry in throughput.items():
        assert set(entry["workloads"]) == WORKLOADS, key
        for workload, cell in entry["workloads"].items():
            where = (key, workload)
            assert cell["runs_mb_per_s"], where
            assert all(rate > 0 for rate in cell["runs_mb_per_s"]), where
            assert cell["median_mb_per_s"] > 0, where
            assert cell["ratio"] > 0, where
            assert cell["files"] == results["meta"]["workloads"][workload]["count"], where
            assert cell["bytes"] == results["meta"]["workloads"][workload]["total"], where
            assert cell["client_cpu_seconds"] > 0, where
            assert cell["rss_before_mib"] > 0, where
            assert cell["peak_rss_mib"] >= cell["rss_before_mib"] > 0, where

    targets = results["targets"]
    assert len(targets) == 4, "both SDK clients on both workloads"
    assert all(isinstance(t["pass"], bool) for t in targets)

    # --no-docs (and --quick) write nothing outside --out.
    assert sorted(p.name for p in out.iterdir()) == ["latest-uploads.json"]
    assert doc.read_bytes() == doc_before
