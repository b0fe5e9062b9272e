"""The README's first command runs the demo; it must work and say what it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_seed_flows(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVALA_")}
    env["HOME"] = str(tmp_path)  # the demo keeps its upload state in a temporary folder
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "avala.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert "key from: env:AVALA_API_KEY" in out
    assert "Highway LiDAR" in out and "auto-pagination walked 4 datasets" in out
    assert "Authentication failed: Invalid API key." in out
    assert "No Avala API key found" in out
    assert "finished: exported" in out
    assert re.search(r"downloaded export\.json: [\d,]+ bytes, verified \(sha256 [0-9a-f]{12}", out)
    assert "receiver: verified webhook.test" in out and "server saw HTTP 200" in out
    assert "with a wrong secret the receiver says: rejected:" in out
    assert "acknowledged by demo: status acknowledged" in out
    assert "Uploading" in out and "12/12 files" in out
    assert "dataset street-frames: 12 items, 2,400,000 bytes" in out
    assert not (tmp_path / "state").exists()  # nothing left in the user's state directory
    assert "avk_" not in out  # the key is never printed
