"""Client CPU per request or per item, paired: ``python -m bench.cpu walk --repeat 5``.

A profiling aid next to the full run (``python -m bench``), for a shared or noisy machine:
CPU time (``time.process_time``: every thread of this process) moves far less with other
load than wall time does. The same servers as the full run (the bundled server, and nginx
serving its canned answers when nginx is installed; never installed from here), the same
pinning (this process on the first usable CPU, the servers on the second) and the same
contenders, one open client each; per repetition every contender runs the workload once,
in turn, after a short untimed prime. Printed: per contender the median CPU and wall
microseconds per request (``seq``, ``conc``) or per item (``walk``), and their ratio to the
first contender named (by default plain raw aiohttp).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import statistics
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench import contenders, nginx
from bench.contenders import CONTENDERS, WORKLOADS, Sizes, Target
from bench.harness import _find_dataset_uid
from bench.server import ServerProcess, pin, usable_cpus

DEFAULT = ("raw_aiohttp", "avala_async", "avala_sync")


def main(argv: Sequence[str] | None = None) -> int:
    known = {c.key: c for c in CONTENDERS}
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--contenders",
        default=",".join(DEFAULT),
        help=f"comma-separated, the first is the reference (known: {', '.join(known)})",
    )
    parser.add_argument("--python", action="store_true", help="the bundled server, not nginx")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the timed runs, run the workload once more per contender under cProfile "
        "and write DIR/<contender>-<workload>.pstats (the event-loop thread only)",
    )
    args = parser.parse_args(argv)
    names = [n for n in args.contenders.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"unknown contenders {unknown}; known: {', '.join(known)}")
    for name in names:
        if args.workload not in known[name].workloads:
            parser.error(f"{name} does not run the {args.workload} workload")
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"
    cpus = usable_cpus()
    client_cpus, server_cpus = (cpus[:1], cpus[1:2]) if len(cpus) >= 2 else (None, None)
    if client_cpus is not None:
        pin(0, client_cpus)
    sizes = Sizes()
    count = {"seq": sizes.seq_requests, "conc": sizes.conc_requests, "walk": sizes.walk_items}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ServerProcess(sizes.walk_items, cpus=server_cpus))
        target = Target(
            server.base_url, server.api_key, _find_dataset_uid(server.base_url, server.api_key)
        )
        where = "bundled Python server"
        found = nginx.locate(install=False)
        if not args.python and found.available and found.path is not None:
            canned = nginx.collect(
                target.base_url,
                target.headers,
                get_paths=[target.get_path],
                list_paths=[(target.items_path, sizes.page_size)],
            )
            served = stack.enter_context(nginx.NginxServer(found.path, canned, server_cpus))
            target = replace(target, base_url=served.base_url)
            where = "nginx"
        loop = asyncio.new_event_loop()
        opened = {name: known[name]().open(target, sizes, loop) for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        wall: dict[str, list[float]] = {name: [] for name in names}
        n = count[args.workload]
        try:
            for _ in range(args.repeat):
                for name in names:
                    one = opened[name]
                    one.prime(args.workload)
                    seconds = one.time(args.workload, n)
                    cpu[name].append(contenders.last_cpu_seconds / n * 1e6)
                    wall[name].append(seconds / n * 1e6)
            if args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                for name in names:
                    profiler = cProfile.Profile()
                    profiler.enable()
                    opened[name].time(args.workload, n)
                    profiler.disable()
                    out = args.profile / f"{name}-{args.workload}.pstats"
                    profiler.dump_stats(out)
                    print(f"profile: {out}", file=sys.stderr)
        finally:
            for one in opened.values():
                one.close()
            loop.close()
    unit = "item" if args.workload == "walk" else "request"
    print(f"{args.workload} against {where}, {args.repeat} repetitions; us per {unit} (median)")
    ref_cpu, ref_wall = statistics.median(cpu[names[0]]), statistics.median(wall[names[0]])
    for name in names:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        print(
            f"  {name:28s} CPU {c:8.2f} ({ref_cpu / c:.2f}x)   wall {w:8.2f} ({ref_wall / w:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
