"""Orchestration: servers, interleaved repetitions, the hop count, the memory walks, import
time, then the report (table, JSON, chart, docs)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import nginx, report
from bench.contenders import (
    BASELINE,
    CONC,
    CONTENDERS,
    SEQ,
    WALK,
    WORKLOADS,
    Opened,
    Sizes,
    Target,
    count_sync_hops,
)
from bench.importtime import measure_imports
from bench.server import (
    REPO_ROOT,
    ServerProcess,
    affinity,
    can_pin,
    cpu_seconds,
    pin,
    subprocess_env,
    usable_cpus,
)

FULL = Sizes()
QUICK = Sizes(
    seq_requests=30,
    conc_requests=60,
    in_flight=8,
    threads=4,
    walk_items=600,
    page_size=100,
    warmup_requests=5,
    chunks=2,
    walk_rounds=1,
)
MEMORY_ITEMS = {"full": 1_000_000, "quick": 3_000}
IMPORT_RUNS = {"full": 7, "quick": 2}
MEMORY_TIMEOUT = 600.0
NGINX, PYTHON = "nginx", "python"


@dataclass(frozen=True)
class Options:
    quick: bool
    repeat: int
    out: Path
    docs: bool
    memory: bool
    imports: bool
    fail_on_miss: bool
    nginx: bool = True

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        quick = bool(args.quick)
        return cls(
            quick=quick,
            repeat=args.repeat if args.repeat is not None else (1 if quick else 7),
            out=args.out if args.out is not None else REPO_ROOT / "bench" / "results",
            docs=not (args.no_docs or quick),
            memory=not args.no_memory,
            imports=not args.no_import,
            fail_on_miss=bool(args.fail_on_miss),
            nginx=not getattr(args, "no_nginx", False),
        )

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def sizes(self) -> Sizes:
        return QUICK if self.quick else FULL


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "versions": {
            dist: _version(dist)
            for dist in ("avala", "aiohttp", "httpx", "pydantic", "cattrs", "attrs", "anyio")
        },
    }


def _find_dataset_uid(base_url: str, api_key: str) -> str:
    """The uid of a seeded (non-bench) dataset, from the list endpoint."""
    request = urllib.request.Request(
        base_url + "/datasets/?limit=100",
        headers={"X-Avala-Api-Key": api_key, "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
        page = json.loads(response.read())
    for dataset in page["results"]:
        if dataset.get("owner_name") != "bench":
            return str(dataset["uid"])
    raise RuntimeError("the test server lists no seeded dataset")


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts) if base or i < extra]


@dataclass(frozen=True)
class Column:
    """One server the contenders are timed against (a column of the report)."""

    key: str
    target: Target
    pids: tuple[int, ...]
    """Processes whose CPU time is the server's (nginx: master and worker)."""


@dataclass
class _Cell:
    """One contender's work on one workload in one repetition, summed over its slices."""

    work: int = 0
    seconds: float = 0.0
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0


def _timed_slice(one: Opened, workload: str, size: int, pids: tuple[int, ...], cell: _Cell) -> None:
    """Time one slice; also the CPU the server and this process spent meanwhile."""
    server_before = cpu_seconds(pids)
    client_before = time.process_time()
    wall_before = time.perf_counter()
    cell.seconds += one.time(workload, size)
    cell.wall += time.perf_counter() - wall_before
    cell.client_cpu += time.process_time() - client_before
    cell.server_cpu += cpu_seconds(pids) - server_before
    cell.work += size


def _repetition(
    options: Options, column: Column, rep: int, runs: dict[str, dict[str, list[dict[str, float]]]]
) -> None:
    """Every contender opens one client (warmed up) against ``column``'s server; then,
    workload by workload, the contenders take turns in an order that rotates between
    repetitions. GET workloads are timed in slices (``Sizes.chunks``) that also take turns,
    and full walks (``Sizes.walk_rounds``) take turns too, so a few seconds of host noise
    land on every contender alike rather than on one."""
    sizes = options.sizes
    requests = {SEQ: sizes.seq_requests, CONC: sizes.conc_requests}
    count = len(CONTENDERS)
    order = [CONTENDERS[(rep + i) % count] for i in range(count)]
    loop = asyncio.new_event_loop()
    opened: dict[str, Opened] = {}
    try:
        for contender_cls in order:
            opened[contender_cls.key] = contender_cls().open(column.target, sizes, loop)
        for workload in WORKLOADS:
            taking_part = [c.key for c in order if workload in c.workloads]
            cells = {key: _Cell() for key in taking_part}
            if workload == WALK:
                slices = [sizes.walk_items] * sizes.walk_rounds
            else:
                slices = _split(requests[workload], sizes.chunks)
            for key in taking_part:
                opened[key].prime(workload)
            for i, size in enumerate(slices):
                shift = i % len(taking_part)
                for key in taking_part[shift:] + taking_part[:shift]:
                    _timed_slice(opened[key], workload, size, column.pids, cells[key])
            shown = []
            for key, cell in cells.items():
                rate = cell.work / cell.seconds
                runs[key][workload].append(
                    {
                        "rate": rate,
                        "server_busy": cell.server_cpu / cell.wall,
                        "client_busy": cell.client_cpu / cell.wall,
                    }
                )
                shown.append(f"{key}={rate:,.0f}")
            _log(
                f"  rep {rep + 1}/{options.repeat} {column.key:<6} {workload:<4}  "
                + "  ".join(shown)
            )
    finally:
        for one in opened.values():
            one.close()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _throughput(
    options: Options, columns: list[Column]
) -> dict[str, dict[str, dict[str, list[dict[str, float]]]]]:
    """``repeat`` repetitions; in each, every column in turn (the order alternating between
    repetitions), so drift over the run falls on both servers alike."""
    runs: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {
        column.key: {c.key: {w: [] for w in c.workloads} for c in CONTENDERS} for column in columns
    }
    for rep in range(options.repeat):
        shift = rep % len(columns)
        for column in columns[shift:] + columns[:shift]:
            _repetition(options, column, rep, runs[column.key])
    return runs


def _memory(options: Options, server_cpus: list[int] | None) -> dict[str, Any]:
    items = MEMORY_ITEMS[options.mode]
    page_size = FULL.page_size
    results: dict[str, Any] = {"items": items, "page_size": page_size, "clients": {}}
    with ServerProcess(items, cpus=server_cpus) as server:
        for client in ("async", "sync"):
            _log(f"  memory walk: {items:,} items, {client} client")
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.memwalk",
                    "--base-url",
                    server.base_url,
                    "--api-key",
                    server.api_key,
                    "--items",
                    str(items),
                    "--page-size",
                    str(page_size),
                    "--client",
                    client,
                ],
                cwd=REPO_ROOT,
                env=subprocess_env(),
                capture_output=True,
                text=True,
                timeout=MEMORY_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"memory walk ({client}) failed:\n{done.stderr}")
            results["clients"][client] = json.loads(done.stdout)
    return results


def _summarise(runs: dict[str, dict[str, list[dict[str, float]]]]) -> dict[str, Any]:
    """Medians, and ratios to the floor (plain raw aiohttp): ``ratio`` is the ratio of the
    medians (what the table and chart show); ``paired_ratio`` is the median of the ratios
    within each repetition, kept for comparison. ``server_busy`` / ``client_busy``: the
    median share of one core the server / the client process used while timed."""
    out: dict[str, Any] = {}
    for contender in CONTENDERS:
        per_workload: dict[str, Any] = {}
        for workload, cells in runs[contender.key].items():
            rates = [cell["rate"] for cell in cells]
            base = [cell["rate"] for cell in runs[BASELINE][workload]]
            paired = [r / b for r, b in zip(rates, base, strict=True)]
            median = statistics.median(rates)
            per_workload[workload] = {
                "runs": rates,
                "median": median,
                "best": max(rates),
                "ratio": median / statistics.median(base),
                "paired_ratio": statistics.median(paired),
                "server_busy": statistics.median(cell["server_busy"] for cell in cells),
                "client_busy": statistics.median(cell["client_busy"] for cell in cells),
            }
        out[contender.key] = {"label": contender.label, "workloads": per_workload}
    return out


def _cpu_plan() -> tuple[list[int] | None, list[int] | None, str]:
    """(client cores, server cores, a sentence saying so). With two usable cores or more,
    the client gets the first and every server the second; otherwise nothing is pinned."""
    cpus = usable_cpus()
    if not can_pin():
        return None, None, "not pinned (os.sched_setaffinity is not available here)"
    if len(cpus) < 2:
        return None, None, f"not pinned (only {len(cpus)} usable CPU)"
    client, server = [cpus[0]], [cpus[1]]
    return (
        client,
        server,
        f"the benchmark client on CPU {client[0]}, every server on CPU {server[0]}",
    )


def _nginx_column(
    options: Options,
    python: Column,
    server_cpus: list[int] | None,
    stack: contextlib.ExitStack,
) -> tuple[Column | None, dict[str, Any]]:
    """nginx serving canned answers taken from the bundled server, or why not."""
    info: dict[str, Any] = {"label": "nginx, canned answers", "available": False}
    if not options.nginx:
        info["note"] = "skipped (--no-nginx)"
        return None, info
    found = nginx.locate(install=not options.quick)
    info.update(how=found.how, path=found.path, version=found.version)
    if not found.available:
        info["note"] = found.how
        return None, info
    assert found.path is not None
    sizes = options.sizes
    target = python.target
    try:
        canned = nginx.collect(
            target.base_url,
            target.headers,
            get_paths=[target.get_path],
            list_paths=[(target.items_path, sizes.page_size)],
        )
        served = stack.enter_context(nginx.NginxServer(found.path, canned, server_cpus))
    except (RuntimeError, OSError) as exc:
        info["note"] = f"nginx failed: {exc}"
        return None, info
    info.update(
        available=True,
        note=None,
        base_url=served.base_url,
        files=served.files,
        bytes=served.total_bytes,
        pids=list(served.pids),
        headers=canned.headers,
        content_type=canned.content_type,
    )
    column = Column(
        key=NGINX,
        target=replace(target, base_url=served.base_url),
        pids=served.pids,
    )
    return column, info


def run(options: Options) -> int:
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"
    began = time.perf_counter()
    sizes = options.sizes
    info = machine_info()  # before pinning: it counts the usable CPUs
    client_cpus, server_cpus, pinning = _cpu_plan()
    if client_cpus is not None:
        pin(0, client_cpus)  # this process and every thread and child it starts later
    _log(
        f"avala bench ({options.mode}): {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, {options.repeat} repetition(s); {pinning}"
    )
    servers: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ServerProcess(sizes.walk_items, cpus=server_cpus))
        python = Column(
            key=PYTHON,
            target=Target(
                base_url=server.base_url,
                api_key=server.api_key,
                dataset_uid=_find_dataset_uid(server.base_url, server.api_key),
            ),
            pids=(server.pid,),
        )
        servers[PYTHON] = {
            "label": "bundled Python server",
            "available": True,
            "note": None,
            "base_url": server.base_url,
            "pids": [server.pid],
        }
        _log(f"Python server pid {server.pid} at {server.base_url}")
        ngx, servers[NGINX] = _nginx_column(options, python, server_cpus, stack)
        if ngx is None:
            _log(
                f"WARNING: no nginx column: {servers[NGINX]['note']}. Timing against the "
                "bundled Python server only, which saturates near the clients' rate: the "
                "ratios drift toward 1 and the targets are checked against it instead."
            )
            columns = [python]
        else:
            _log(
                f"nginx {servers[NGINX]['version'] or ''} ({servers[NGINX]['how']}) pids "
                f"{list(ngx.pids)} at {ngx.target.base_url}: {servers[NGINX]['files']} canned "
                f"answers, {servers[NGINX]['bytes'] / 1e6:.1f} MB"
            )
            columns = [ngx, python]
        for column in columns:
            cores = {cpu for pid in column.pids for cpu in affinity(pid)}
            servers[column.key]["cpus"] = sorted(cores)
        _log(f"GET target {python.target.get_path}; walk {python.target.items_path}")
        runs = _throughput(options, columns)
        _log(f"  counting the sync Client's thread hops ({columns[0].key})")
        hops = count_sync_hops(columns[0].target, sizes)
    memory = _memory(options, server_cpus) if options.memory else None
    if options.imports:
        _log("  import time")
    imports = measure_imports(IMPORT_RUNS[options.mode]) if options.imports else None

    results: dict[str, Any] = {
        "meta": {
            "mode": options.mode,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "repeat": options.repeat,
            "sizes": asdict(sizes),
            "machine": info,
            "pinning": {"client": client_cpus, "server": server_cpus, "text": pinning},
            "seconds": None,
        },
        "servers": servers,
        "columns": [column.key for column in columns],
        "primary": columns[0].key,
        "throughput": {key: _summarise(column_runs) for key, column_runs in runs.items()},
        "hops": hops,
        "memory": memory,
        "imports": imports,
    }
    results["targets"] = report.evaluate_targets(results)
    results["meta"]["seconds"] = round(time.perf_counter() - began, 1)

    options.out.mkdir(parents=True, exist_ok=True)
    json_path = options.out / "latest.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report.render_markdown(results))
    _log(f"wrote {json_path}")
    if options.docs:
        png = REPO_ROOT / "docs" / "performance.png"
        report.write_chart(results, png)
        doc = REPO_ROOT / "docs" / "performance.md"
        report.rewrite_doc(doc, report.render_markdown(results, chart="performance.png"))
        _log(f"wrote {png} and the results block of {doc}")
    missed = [t for t in results["targets"] if not t["pass"]]
    return 1 if options.fail_on_miss and missed else 0
