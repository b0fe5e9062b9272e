"""Walk a long list and sample resident memory: ``python -m bench.memwalk``.

Run in its own process by the harness, so its allocations neither show up in nor disturb
the throughput numbers. Prints one JSON object on stdout.

Resident set size (RSS) is read from ``/proc/self/statm`` at every page boundary (and the
kernel's high-water mark ``VmHWM`` at the end), so sampling costs nothing measurable. If
auto-pagination held on to pages, RSS would grow with the items walked (about 1 GB per
million items); flat means the peak after the first 10% of the walk is about the peak
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

MIB = 1024 * 1024
EARLY_FRACTION = 0.10


def _page_bytes() -> int:
    return int(os.sysconf("SC_PAGE_SIZE")) if hasattr(os, "sysconf") else 4096


def make_rss_reader() -> Callable[[], int]:
    """A function returning the current RSS in bytes (the peak so far where /proc is
    missing)."""
    page = _page_bytes()
    try:
        with open("/proc/self/statm", "rb") as probe:
            probe.read()
    except OSError:

        def peak_rss() -> int:
            scale = 1 if sys.platform == "darwin" else 1024
            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale

        return peak_rss

    def current_rss() -> int:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * page

    return current_rss


def high_water_mark() -> int | None:
    """The kernel's peak RSS (``VmHWM``), in bytes, or None where unavailable."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class Sampler:
    """Collects (items walked, RSS) at page boundaries."""

    def __init__(self, total: int, page_size: int) -> None:
        self.read = make_rss_reader()
        self.total = total
        self.page_size = page_size
        self.samples: list[tuple[int, int]] = []

    def sample(self, walked: int) -> None:
        self.samples.append((walked, self.read()))

    def summary(self, walked: int, seconds: float, before: int) -> dict[str, Any]:
        early_limit = max(self.page_size, int(self.total * EARLY_FRACTION))
        early = max((rss for n, rss in self.samples if n <= early_limit), default=before)
        peak = max((rss for _, rss in self.samples), default=before)
        hwm = high_water_mark()
        return {
            "items": walked,
            "seconds": seconds,
            "items_per_s": walked / seconds if seconds > 0 else 0.0,
            "samples": len(self.samples),
            "rss_before_mib": before / MIB,
            "rss_early_peak_mib": early / MIB,
            "rss_peak_mib": peak / MIB,
            "growth_after_early_mib": (peak - early) / MIB,
            "vm_hwm_mib": None if hwm is None else hwm / MIB,
        }


def _walk_sync(args: argparse.Namespace, sampler: Sampler) -> int:
    from avala import Client

    walked = 0
    with Client(api_key=args.api_key, base_url=args.base_url) as client:
        items: Iterator[Any] = iter(
            client.datasets.list_items(args.owner, args.slug, limit=args.page_size)
        )
        for _item in items:
            walked += 1
            if walked % args.page_size == 0:
                sampler.sample(walked)
    return walked


async def _walk_async(args: argparse.Namespace, sampler: Sampler) -> int:
    from avala import AsyncClient

    walked = 0
    async with AsyncClient(api_key=args.api_key, base_url=args.base_url) as client:
        async for _item in client.datasets.list_items(args.owner, args.slug, limit=args.page_size):
            walked += 1
            if walked % args.page_size == 0:
                sampler.sample(walked)
    return walked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memwalk")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--client", choices=("async", "sync"), default="async")
    parser.add_argument("--owner", default="bench")
    parser.add_argument("--slug", default="bench")
    args = parser.parse_args(argv)

    import avala  # noqa: F401  (imports are not part of the walk's growth)

    sampler = Sampler(args.items, args.page_size)
    before = sampler.read()
    started = time.perf_counter()
    if args.client == "sync":
        walked = _walk_sync(args, sampler)
    else:
        walked = asyncio.run(_walk_async(args, sampler))
    seconds = time.perf_counter() - started
    if walked != args.items:
        print(f"walked {walked} items, expected {args.items}", file=sys.stderr)
        return 1
    json.dump(sampler.summary(walked, seconds, before), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
