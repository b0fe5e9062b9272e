"""The training-loader benchmark: ``python -m bench.data_torch``.

Samples per second of ``avala.torch.AvalaIterableDataset`` with its defaults (and
``decode_images=True``: without it neither SDK fetches any media) against the official SDK
0.10's class of the same name, through a ``torch.utils.data.DataLoader`` with one and with
four worker processes, over the generated ``bench/bench`` dataset of the bundled server
(run in a process of its own) with 20 ms added before every media answer, as a CDN's round
trip would.

Each measurement runs in a child process: ``sys.executable`` with this working tree for
this SDK, and the interpreter of a separate virtualenv with ``avala==0.10.0`` installed for
the official one (``--official-python``, default ``/tmp/official/bin/python``; make it with
``python3 -m venv /tmp/official && /tmp/official/bin/pip install avala==0.10.0
torch==2.13.0 pillow``). Both run the same child code (:data:`CHILD`), which only uses
names the two SDKs share. A child iterates untimed over a few items, directly and then
through a DataLoader with the same workers (imports, first connections, the DataLoader's
first use: a training job pays those once, not per epoch), then times one whole epoch and
prints JSON: samples, seconds, its own peak RSS (``VmHWM``) and the largest peak RSS among
its DataLoader workers.
Each contender runs ``--repeat`` times (default 3), the two alternating which goes first;
the median run is reported, with the range of rates.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.server import REPO_ROOT, ServerProcess, subprocess_env

DEFAULT_ITEMS = 1200
DEFAULT_LATENCY_MS = 20.0
DEFAULT_OFFICIAL = "/tmp/official/bin/python"

CHILD = r"""
import json, os, resource, sys, time
from torch.utils.data import DataLoader
from avala import Client
from avala.torch import AvalaIterableDataset

base_url, api_key, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])


def peak_rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def epoch(dataset):
    loader = DataLoader(dataset, batch_size=None, num_workers=workers)
    count = 0
    for sample in loader:
        assert sample["image"].size[0] > 0
        count += 1
    return count


# warm up (imports, code paths, the DataLoader's own first use: its worker and queue
# modules, the first fork), each time with a client of its own that has not connected in
# this process before DataLoader forks: the official SDK's workers would otherwise share the
# parent's open connection (its responses then arrive garbled)
def warm_up(loader_workers):
    warm_client = Client(api_key=api_key, base_url=base_url)
    warm = AvalaIterableDataset(warm_client, "bench", "bench", decode_images=True)
    samples = DataLoader(warm, batch_size=None, num_workers=loader_workers)
    for index, sample in enumerate(samples if loader_workers else warm):
        if index == 20:
            break
    warm_client.close()


warm_up(0)
if workers:
    warm_up(workers)
client = Client(api_key=api_key, base_url=base_url)
dataset = AvalaIterableDataset(client, "bench", "bench", decode_images=True)
started = time.perf_counter()
count = epoch(dataset)
seconds = time.perf_counter() - started
workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
import avala
print(json.dumps({
    "samples": count, "seconds": seconds, "peak_rss": peak_rss(),
    "worker_peak_rss": workers_peak if workers else None,
    "sdk": getattr(avala, "__version__", "?"),
}))
"""


def _child_env(official: bool) -> dict[str, str]:
    env = subprocess_env()
    env["AVALA_ALLOW_INSECURE_STORAGE_URLS"] = "true"
    if official:  # the official SDK from its own virtualenv: never this working tree
        env.pop("PYTHONPATH", None)
    return env


def run_child(python: str, official: bool, base_url: str, api_key: str, workers: int) -> Any:
    """One measurement in a fresh process; its JSON result."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [python, "-c", CHILD, base_url, api_key, str(workers)],
            cwd=scratch if official else REPO_ROOT,
            env=_child_env(official),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(
            f"the {'official' if official else 'avala'} child failed:\n{done.stderr}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.data_torch", description=__doc__)
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="items in bench/bench")
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS)
    parser.add_argument("--official-python", default=DEFAULT_OFFICIAL)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    contenders = [("avala", sys.executable, False)]
    if Path(args.official_python).exists():
        contenders.append(("official 0.10", args.official_python, True))
    else:
        print(f"{args.official_python} not found: measuring avala only", file=sys.stderr)
    server_args = ["--media-latency-ms", str(args.latency_ms)]
    results: list[dict[str, Any]] = []
    with ServerProcess(args.items, args=server_args) as server:
        for workers in args.workers:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in contenders}
            for rep in range(args.repeat):
                for name, python, official in contenders[:: -1 if rep % 2 else 1]:
                    got = run_child(python, official, server.base_url, server.api_key, workers)
                    got["rate"] = got["samples"] / got["seconds"]
                    runs[name].append(got)
            for name, measured in runs.items():
                measured.sort(key=lambda run: float(run["rate"]))
                row = dict(measured[len(measured) // 2])  # the median run
                row.update(contender=name, workers=workers, rates=[r["rate"] for r in measured])
                results.append(row)
    print(
        f"AvalaIterableDataset, {args.items} items, {args.latency_ms:g} ms added per media "
        f"request, decode_images=True, {os.cpu_count()} CPUs; median of {args.repeat} "
        "(contenders alternate)\n"
    )
    print("| contender | workers | samples/s | range | main peak | worker peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        spread = f"{min(row['rates']):,.0f}-{max(row['rates']):,.0f}"
        print(
            f"| {row['contender']} | {row['workers']} | {row['rate']:,.1f} | {spread} | "
            f"{_mib(row['peak_rss'])} | {_mib(row['worker_peak_rss'])} |"
        )
    print()
    for workers in args.workers:
        rates = {r["contender"]: r["rate"] for r in results if r["workers"] == workers}
        if len(rates) == 2:
            ratio = rates["avala"] / rates["official 0.10"]
            print(f"{workers} worker(s): avala {ratio:.1f}x the official SDK (target >= 8x)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
