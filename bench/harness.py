"""Orchestration: servers, interleaved repetitions, the hop count, the memory walks, import
time, then the report (table, JSON, chart, docs)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report
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
from bench.server import REPO_ROOT, ServerProcess, subprocess_env

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


@dataclass(frozen=True)
class Options:
    quick: bool
    repeat: int
    out: Path
    docs: bool
    memory: bool
    imports: bool
    fail_on_miss: bool

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


def _throughput(options: Options, target: Target) -> dict[str, dict[str, list[float]]]:
    """``repeat`` repetitions. In each, every contender opens one client (warmed up); then,
    workload by workload, the contenders take turns in an order that rotates between
    repetitions. GET workloads are timed in slices (``Sizes.chunks``) that also take turns,
    and full walks (``Sizes.walk_rounds``) take turns too, so a few seconds of host noise
    land on every contender alike rather than on one."""
    sizes = options.sizes
    requests = {SEQ: sizes.seq_requests, CONC: sizes.conc_requests}
    runs: dict[str, dict[str, list[float]]] = {
        c.key: {w: [] for w in c.workloads} for c in CONTENDERS
    }
    count = len(CONTENDERS)
    for rep in range(options.repeat):
        order = [CONTENDERS[(rep + i) % count] for i in range(count)]
        loop = asyncio.new_event_loop()
        opened: dict[str, Opened] = {}
        try:
            for contender_cls in order:
                opened[contender_cls.key] = contender_cls().open(target, sizes, loop)
            for workload in WORKLOADS:
                taking_part = [c.key for c in order if workload in c.workloads]
                seconds = dict.fromkeys(taking_part, 0.0)
                if workload == WALK:
                    slices = [sizes.walk_items] * sizes.walk_rounds
                else:
                    slices = _split(requests[workload], sizes.chunks)
                for key in taking_part:
                    opened[key].prime(workload)
                for i, size in enumerate(slices):
                    shift = i % len(taking_part)
                    for key in taking_part[shift:] + taking_part[:shift]:
                        seconds[key] += opened[key].time(workload, size)
                shown = []
                for key in taking_part:
                    rate = sum(slices) / seconds[key]
                    runs[key][workload].append(rate)
                    shown.append(f"{key}={rate:,.0f}")
                _log(f"  rep {rep + 1}/{options.repeat} {workload:<4}  " + "  ".join(shown))
        finally:
            for one in opened.values():
                one.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    return runs


def _memory(options: Options) -> dict[str, Any]:
    items = MEMORY_ITEMS[options.mode]
    page_size = FULL.page_size
    results: dict[str, Any] = {"items": items, "page_size": page_size, "clients": {}}
    with ServerProcess(items) as server:
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


def _summarise(runs: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Medians, and ratios to raw aiohttp: ``ratio`` is the ratio of the medians (what the
    table and chart show); ``paired_ratio`` is the median of the ratios within each
    repetition, kept for comparison."""
    base = runs[BASELINE]
    out: dict[str, Any] = {}
    for contender in CONTENDERS:
        per_workload: dict[str, Any] = {}
        for workload, rates in runs[contender.key].items():
            paired = [r / b for r, b in zip(rates, base[workload], strict=True)]
            median = statistics.median(rates)
            per_workload[workload] = {
                "runs": rates,
                "median": median,
                "best": max(rates),
                "ratio": median / statistics.median(base[workload]),
                "paired_ratio": statistics.median(paired),
            }
        out[contender.key] = {"label": contender.label, "workloads": per_workload}
    return out


def run(options: Options) -> int:
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"
    began = time.perf_counter()
    sizes = options.sizes
    info = machine_info()
    _log(
        f"avala bench ({options.mode}): {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}, {options.repeat} repetition(s)"
    )
    with ServerProcess(sizes.walk_items) as server:
        target = Target(
            base_url=server.base_url,
            api_key=server.api_key,
            dataset_uid=_find_dataset_uid(server.base_url, server.api_key),
        )
        _log(f"server pid {server.pid} at {server.base_url}; GET target {target.get_path}")
        runs = _throughput(options, target)
        _log("  counting the sync Client's thread hops")
        hops = count_sync_hops(target, sizes)
    memory = _memory(options) if options.memory else None
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
            "seconds": None,
        },
        "throughput": _summarise(runs),
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
