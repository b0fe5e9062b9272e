"""The bundled test server in a second process, so it never shares a core's GIL with the
client being measured, and the CPU helpers the harness uses for every server: pinning a
process (and all its threads) to a set of cores, and reading how much CPU it has used."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

_URL_LINE = re.compile(r"listening on (http://\S+)")
_KEY_LINE = re.compile(r"Demo API key: (\S+)")


@dataclass(frozen=True)
class ServerInfo:
    """Where a started server listens, and a key it accepts."""

    base_url: str
    api_key: str
    pid: int


def subprocess_env() -> dict[str, str]:
    """The environment for every child process: the working tree first on ``sys.path``,
    and plain http allowed on loopback."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"
    env.pop("AVALA_API_KEY", None)
    env.pop("AVALA_BASE_URL", None)
    return env


def run_bench(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -W error -m <module> <args>`` from the working tree in
    :func:`subprocess_env`, its output captured as text (how the smoke tests run a bench)."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", module, *args],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --------------------------------------------------------------------------- CPUs


def usable_cpus() -> list[int]:
    """The cores this process may run on, in order."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no pinning
        return list(range(os.cpu_count() or 1))


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity")


def tasks_of(pid: int) -> list[int]:
    """The thread ids of process ``pid`` (just ``pid`` where /proc is missing)."""
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def children_of(pid: int) -> list[int]:
    """The child processes of ``pid`` (from /proc; empty where that is missing)."""
    found: list[int] = []
    for tid in tasks_of(pid):
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as children:
                found.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def pin(pid: int, cpus: Iterable[int]) -> None:
    """Restrict every thread of process ``pid`` (0: this one) to ``cpus``. Threads it
    starts later inherit the mask of the thread that starts them."""
    mask = set(cpus)
    for tid in tasks_of(os.getpid() if pid == 0 else pid):
        try:
            os.sched_setaffinity(tid, mask)
        except ProcessLookupError:  # the thread ended meanwhile
            continue


def affinity(pid: int) -> list[int]:
    return sorted(os.sched_getaffinity(pid))


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU time used so far by every thread of ``pids``: nanosecond run time from
    ``/proc/PID/task/TID/schedstat``, or clock ticks from ``/proc/PID/stat`` without it."""
    total = 0.0
    for pid in pids:
        for tid in tasks_of(pid):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as stat:
                    total += int(stat.read().split()[0]) / 1e9
                continue
            except (OSError, ValueError, IndexError):
                pass
            try:
                with open(f"/proc/{pid}/task/{tid}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                continue
    return total


# --------------------------------------------------------------------------- the server


class ServerProcess:
    """``with ServerProcess(items) as info:`` runs ``python -m avala.testing --port 0
    --bench-items items`` until the block ends (SIGTERM, then SIGKILL if it lingers).
    With ``cpus``, the server (every thread of it) runs on those cores only."""

    def __init__(
        self, bench_items: int, cpus: Iterable[int] | None = None, args: Iterable[str] = ()
    ) -> None:
        self.bench_items = bench_items
        self.cpus = None if cpus is None else tuple(cpus)
        self.args = tuple(args)  # further options of ``python -m avala.testing``
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerInfo:
        cmd = [
            sys.executable,
            "-m",
            "avala.testing",
            "--port",
            "0",
            "--bench-items",
            str(self.bench_items),
            *self.args,
        ]
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=subprocess_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        self._proc = proc
        try:
            if self.cpus is not None:
                pin(proc.pid, self.cpus)  # before it starts any thread
            url, key = self._read_banner(proc)
            if self.cpus is not None:
                pin(proc.pid, self.cpus)  # and any thread started meanwhile
        except BaseException:
            self._stop()
            raise
        return ServerInfo(base_url=url, api_key=key, pid=proc.pid)

    @staticmethod
    def _read_banner(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
        """Read the two banner lines straight from the pipe (no buffered reader, so
        ``select`` never waits on data already read)."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        text = ""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                url, key = _URL_LINE.search(text), _KEY_LINE.search(text)
                if url and key and text.endswith("\n"):
                    return url.group(1), key.group(1)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    raise RuntimeError(f"the test server did not start in time: {text!r}")
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise RuntimeError(f"the test server exited ({proc.wait()}): {text!r}")
                text += chunk.decode("utf-8", "replace")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
