"""The benchmark harness runs end to end (``python -m bench --quick``).

No timing thresholds: performance lives in the benchmark. This only proves that every
contender, against every server column, the hop count, the memory walks and the import runs
each produced a number. Quick mode uses nginx only if it is already installed (it never
installs it), so neither root nor apt is needed; without nginx the report must say so.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.server import run_bench

pytest.importorskip("httpx")
pytest.importorskip("pydantic")


CONTENDERS = {
    "raw_aiohttp",
    "raw_aiohttp_sdk_timeout",
    "raw_aiohttp_attrs",
    "avala_async",
    "avala_async_no_otel",
    "avala_sync",
    "httpx_async",
    "httpx_sync",
}


def _run_quick(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    done = run_bench("bench", "--quick", "--out", str(out), *extra, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _check_throughput(results: dict[str, Any]) -> None:
    assert results["columns"], "at least one server column"
    assert results["columns"][-1] == "python"
    assert results["primary"] == results["columns"][0]
    assert set(results["throughput"]) == set(results["columns"])
    for column, contenders in results["throughput"].items():
        assert set(contenders) == CONTENDERS, column
        for key, entry in contenders.items():
            assert entry["workloads"], (column, key)
            for workload, cell in entry["workloads"].items():
                where = (column, key, workload)
                assert cell["runs"], where
                assert all(rate > 0 for rate in cell["runs"]), where
                assert cell["median"] > 0, where
                assert cell["ratio"] > 0, where
                assert cell["server_busy"] >= 0, where
                assert cell["client_busy"] > 0, where
    assert results["throughput"]["python"]["raw_aiohttp"]["workloads"]["seq"]["ratio"] == 1.0


def test_quick_bench_produces_a_positive_number_for_every_contender(tmp_path: Path) -> None:
    done = _run_quick(tmp_path)
    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert results["meta"]["mode"] == "quick"
    _check_throughput(results)

    nginx = results["servers"]["nginx"]
    if nginx["available"]:
        assert results["columns"] == ["nginx", "python"]
        assert nginx["files"] > 1
    else:  # no nginx here: said on stderr and in the report, Python server only
        assert results["columns"] == ["python"]
        assert nginx["note"]
        assert "no nginx column" in done.stderr.lower()
        assert "No nginx column" in done.stdout

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


def test_quick_bench_without_nginx_says_so(tmp_path: Path) -> None:
    done = _run_quick(tmp_path, "--no-nginx", "--no-memory", "--no-import")
    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    _check_throughput(results)
    assert results["columns"] == ["python"]
    assert results["servers"]["nginx"]["available"] is False
    assert "no nginx column" in done.stderr.lower()
    assert "No nginx column" in done.stdout
    assert all(
        "[Python server: no nginx]" in t["target"] for t in results["targets"] if t["column"]
    )
