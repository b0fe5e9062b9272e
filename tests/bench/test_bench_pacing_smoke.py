"""The pacing benchmark runs end to end (``python -m bench.pacing --quick``).

No timing thresholds: it proves the two runs happened against the rate-limited server and
that the paced one lost no request, which is what its plot is there to show.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.server import run_bench


def test_quick_pacing_bench_runs_both_modes(tmp_path: Path) -> None:
    done = run_bench("bench.pacing", "--quick", "--out", str(tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "latest-pacing.json").read_text(encoding="utf-8"))
    paced, unpaced = results["runs"]["paced"], results["runs"]["unpaced"]
    assert paced["ok"] == paced["requests"] and paced["rate_limited"] == 0
    assert unpaced["ok"] + unpaced["rate_limited"] == unpaced["requests"]
    assert unpaced["throttled"] > 0  # 64 at once against bursts of 20: the server said no
    for run in (paced, unpaced):
        assert run["sent"] >= run["requests"]
        assert run["series"] and all(point["sent"] >= 0 for point in run["series"])
    assert "| pacing on (default) |" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest-pacing.json"]
