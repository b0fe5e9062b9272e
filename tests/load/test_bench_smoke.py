"""``python -m bench.data_load`` end to end with tiny counts (the numbers mean nothing; the
warm-cache load must still make no object request)."""

from __future__ import annotations

from bench.server import run_bench


def test_the_load_benchmark_runs() -> None:
    command = ["bench.data_load", "--objects", "12", "--size", "2048", "--repeat", "1"]
    done = run_bench(*command, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| avala_cold |" in done.stdout and "| raw_aiohttp |" in done.stdout
    assert "object downloads [0], grants [0]" in done.stdout
