"""The benchmark harness runs end to end (``python -m bench --quick``).

No timing thresholds: performance lives in the benchmark. This only proves that every
contender, the hop count, the memory walks and the import runs each produced a number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("httpx")
pytest.importorskip("pydantic")

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_produces_a_positive_number_for_every_contender(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert results["meta"]["mode"] == "quick"

    throughput = results["throughput"]
    assert set(throughput) == {
        "raw_aiohttp",
        "raw_aiohttp_attrs",
        "avala_async",
        "avala_sync",
        "httpx_async",
        "httpx_sync",
    }
    for key, entry in throughput.items():
        assert entry["workloads"], key
        for workload, cell in entry["workloads"].items():
            assert cell["runs"], (key, workload)
            assert all(rate > 0 for rate in cell["runs"]), (key, workload)
            assert cell["median"] > 0, (key, workload)
            assert cell["ratio"] > 0, (key, workload)

    hops = results["hops"]
    assert hops["submissions_per_get"] > 0
    assert hops["waits_per_get"] > 0
    assert hops["submissions_per_page"] > 0
    assert hops["waits_per_page"] > 0

    for client in ("async", "sync"):
        walk = results["memory"]["clients"][client]
        assert walk["items"] == results["memory"]["items"]
        assert walk["items_per_s"] > 0
        assert walk["rss_peak_mib"] > 0

    imports = results["imports"]
    assert all(ms > 0 for ms in imports["wall_ms"].values())
    assert imports["avala_importtime_ms"] > 0

    assert results["targets"], "the report evaluates the targets"
    assert all(isinstance(t["pass"], bool) for t in results["targets"])

    # --quick writes nothing outside --out: no chart, no docs rewrite.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json"]
