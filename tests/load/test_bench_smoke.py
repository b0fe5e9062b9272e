"""``python -m bench.data_load`` end to end with tiny counts (the numbers mean nothing; the
warm-cache load must still make no object request)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_benchmark_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.data_load", "--objects", "12", "--size", "2048"]
    done = subprocess.run(
        [*command, "--repeat", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| avala_cold |" in done.stdout and "| raw_aiohttp |" in done.stdout
    assert "object downloads [0], grants [0]" in done.stdout
