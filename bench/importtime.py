"""``import avala`` time, measured in fresh interpreters.

Two measures, each the median of several runs, with the statements run in rotation so that
drift hits them equally:

* wall time of ``python -c "<statement>"`` minus that of ``python -c "pass"`` (what a user
  waits for beyond interpreter startup);
* the cumulative time ``python -X importtime`` reports for the top-level ``avala`` module
  (the import alone, no process startup).

Every child writes and reads its bytecode in one temporary cache (``PYTHONPYCACHEPREFIX``,
with ``PYTHONDONTWRITEBYTECODE`` unset), filled by an untimed first run: the working tree's
``avala`` has no ``.pyc`` files of its own, and compiling it on every run would count
against ``avala`` alone, while the installed aiohttp, httpx and pydantic load from
bytecode. With the cache every package loads from bytecode, as an installed one does.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import REPO_ROOT, subprocess_env

#: label -> statement; the first is the bare-startup baseline.
STATEMENTS: dict[str, str] = {
    "python startup": "pass",
    "import avala": "import avala",
    "import aiohttp": "import aiohttp",
    "import httpx + pydantic BaseModel": "import httpx; from pydantic import BaseModel",
}


def _wall(statement: str, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=cwd, env=env, check=True)
    return time.perf_counter() - started


def _importtime_us(module: str, cwd: Path, env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    for line in done.stderr.splitlines():
        # "import time:      self [us] |  cumulative | imported package"
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return int(parts[1].strip())
    raise RuntimeError(f"-X importtime printed no line for {module!r}")


def measure_imports(runs: int) -> dict[str, object]:
    """Median wall-clock milliseconds per statement (net of startup) and the
    ``-X importtime`` cumulative milliseconds of ``avala``."""
    walls: dict[str, list[float]] = {label: [] for label in STATEMENTS}
    cumulative: list[int] = []
    with tempfile.TemporaryDirectory(prefix="avala-bench-pyc-") as cache:
        env = subprocess_env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
        for statement in STATEMENTS.values():  # warm the OS page cache, write the .pyc files
            _wall(statement, REPO_ROOT, env)
        for _ in range(runs):
            for label, statement in STATEMENTS.items():
                walls[label].append(_wall(statement, REPO_ROOT, env))
            cumulative.append(_importtime_us("avala", REPO_ROOT, env))
    startup = statistics.median(walls["python startup"])
    wall_ms = {
        label: (statistics.median(times) - (0.0 if label == "python startup" else startup)) * 1e3
        for label, times in walls.items()
    }
    return {
        "runs": runs,
        "wall_ms": wall_ms,
        "avala_importtime_ms": statistics.median(cumulative) / 1e3,
    }
