"""Scripts written for the official SDK (``scripts/``, in the style of its README and docs)
run unchanged here: each one in a fresh interpreter, configured only through the
environment as a user's would be, against the bundled server.

The subprocess gets a temporary ``HOME``, ``AVALA_STATE_DIR`` and working directory, so no
script can read or write the real home directory (upload state included)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import avala
from avala.testing import ServerHandle

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(avala.__file__).resolve().parent.parent

# Lines each script must print (each an exact line of its output).
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "got highway-lidar 48",
        "export exported True",
        "pending tasks 9 True",
        "avala alias True",
    ],
    "manual_pagination.py": [
        "first page 2 True",
        "second page ['drone-flights', 'robot-logs']",
        "every dataset 4 True",
        "organizations ['avala-demo', 'acme-robotics', 'open-mapping']",
        "slug_for_uid True",
        "items 5 True",
    ],
    "error_handling.py": [
        "Dataset not found",
        "status 404 message Not found. body is dict True",
        "Authentication failed: Invalid API key.",
        "validation 400 list",
        "empty key is a ValueError",
    ],
    "typed_imports.py": [
        "isinstance all ok",
        "classes ['SignupResponse', 'ManagedFleetUploadStatus', 'UploadProgress', 'UploadSession']",
    ],
    "async_usage.py": [
        "Highway LiDAR",
        "projects 3 True",
        "export exported",
        "next page 2 True",
    ],
    "storage_and_webhooks.py": [
        "storage Highway raw scans aws_s3",
        "test verified True",
        "get Migration bucket",
        "deleted True",
        "secret returned once True",
        "events ['export.completed', 'export.failed']",
        "deliveries listed True",
    ],
    "fleet_and_uploads.py": [
        "device Rover 01 online",
        "registered Migration rover maintenance",
        "event hard brake",
        "batch created 3",
        "acknowledged acknowledged",
        "resolved resolved",
        "dataset migration-frames 3 ['000.jpg', '001.jpg', '002.jpg']",
        "recording upload completed 2 2",
    ],
}


def _env(server: ServerHandle, home: Path) -> dict[str, str]:
    """What a user's shell would hold: the key and URL in the environment, nothing else of
    ours (no AVALA_* of the developer running the tests), and a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVALA_", "XDG_"))}
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env.update(
        {
            "PYTHONPATH": path,
            "HOME": str(home),
            "USERPROFILE": str(home),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "AVALA_STATE_DIR": str(home.parent / "avala-state"),
            "AVALA_BASE_URL": server.base_url,
            "AVALA_API_KEY": server.api_key,
            "AVALA_ALLOW_INSECURE_BASE_URL": "true",
            # the bundled server's storage is plain http on loopback
            "AVALA_ALLOW_INSECURE_STORAGE_URLS": "true",
        }
    )
    return env


def _run(script: Path, server: ServerHandle, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=_env(server, home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_script_has_expectations() -> None:
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_official_style_script_runs_unchanged(
    name: str, migration_server: ServerHandle, tmp_path: Path
) -> None:
    done = _run(SCRIPTS / name, migration_server, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    missing = [line for line in EXPECTED[name] if line not in lines]
    assert missing == [], done.stdout
    assert migration_server.api_key not in done.stdout + done.stderr
    assert done.stderr == ""  # no warnings, no tracebacks, no "unclosed client" noise
    assert list((tmp_path / "home").iterdir()) == []  # nothing written under the home dir
