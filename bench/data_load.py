"""The public-dataset load benchmark: ``python -m bench.data_load``.

A revision of 1,000 objects of 64 KiB is published on a bundled test server running in a
process of its own. Three contenders fetch it, at the same concurrency (8 in flight):

* ``raw_aiohttp``, the floor: one ``aiohttp.ClientSession`` doing the protocol the obvious
  way with no checks at all: resolve, list the pages, then per object POST the grant and
  GET its bytes into a file (no size, SHA-256, order, host or lifetime check);
* ``avala_cold``: ``avala.async_load`` into an empty cache directory, iterating
  ``ds.objects`` (every check of catalog-0.10 section 3.4 on, bytes verified and renamed
  into the content-addressed cache);
* ``avala_warm``: the same load again into the now warm cache; the server's request log must
  show zero object downloads and zero grants.

Each measurement runs in a child process (``--child KIND``) that times the load alone
(``time.perf_counter``, imports and setup excluded; both write to a tmpfs where there is
one, see :func:`default_scratch`) and reports its CPU time over the load
(``time.process_time``: on a shared machine the steadier figure), its RSS before the load
and its peak RSS (``VmHWM``). Repetitions alternate the order of the contenders. Results go to
stdout as a small markdown table; nothing is written to docs/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memwalk import high_water_mark, make_rss_reader
from bench.server import subprocess_env

OBJECTS = 1000
SIZE = 64 * 1024
CONCURRENCY = 8
OWNER, DATASET = "bench", "load-64k"


# --------------------------------------------------------------------------- the server


def run_server(objects: int, size: int) -> None:
    """Serve a revision of ``objects`` generated objects; answer ``stats`` on stdin."""
    from avala.testing import ServerState, serve
    from avala.testing._api.resolver import publish_revision

    state = ServerState()
    with serve(state=state) as server:
        spec = [("frame", i, f"frames/{i:05d}.bin", size) for i in range(objects)]
        revision = publish_revision(state.store, state.storage, OWNER, DATASET, spec)
        reference = f"{OWNER}/{DATASET}@{revision.revision_sha256}"
        print(json.dumps({"base_url": server.base_url, "reference": reference}), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                seen = [r for r in state.requests if revision.dataset_uid in r.path]
                stats = {
                    "downloads": sum(r.path.startswith("/_storage/") for r in seen),
                    "grants": sum(r.path.endswith("/access/") for r in seen),
                }
                print(json.dumps(stats), flush=True)
            elif line.strip() == "clear":
                state.clear_requests()
                print("{}", flush=True)


# --------------------------------------------------------------------------- contenders


async def raw_aiohttp(base_url: str, reference: str, out: Path, concurrency: int) -> int:
    import aiohttp

    count = 0
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency + 2)
    ) as session:
        async with session.get(f"{base_url}/resolve/{reference}/") as resp:
            doc = await resp.json()
        path = doc["manifest"]["objects_path"]
        entries: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            async with session.get(base_url + path, params=query) as resp:
                page = await resp.json()
            entries.extend(page["results"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        gate = asyncio.Semaphore(concurrency)

        async def one(entry: dict[str, Any]) -> None:
            nonlocal count
            async with gate:
                grant_url = base_url + entry["access_path"]
                async with session.post(grant_url, params={"transport": "avala-edge-v1"}) as r:
                    grant = await r.json()
                async with session.get(grant["url"]) as r:
                    with open(out / entry["sha256"], "wb") as handle:
                        async for chunk in r.content.iter_chunked(1 << 18):
                            handle.write(chunk)
                count += 1

        await asyncio.gather(*(one(e) for e in entries))
    return count


async def avala_load(reference: str, cache_dir: Path, concurrency: int) -> int:
    import avala

    count = 0
    async with await avala.async_load(
        reference, cache_dir=cache_dir, concurrency=concurrency
    ) as ds:
        async for obj in ds.objects:
            assert obj.cached_path is not None
            count += 1
    return count


def run_child(kind: str, base_url: str, reference: str, where: Path, concurrency: int) -> None:
    import avala
    import avala._load._client  # noqa: F401

    os.environ["AVALA_BASE_URL"] = base_url
    os.environ["AVALA_ALLOW_INSECURE_STORAGE_URLS"] = "true"
    rss = make_rss_reader()
    before = rss()
    cpu = time.process_time()
    start = time.perf_counter()
    if kind == "raw_aiohttp":
        count = asyncio.run(raw_aiohttp(base_url, reference, where, concurrency))
    else:
        count = asyncio.run(avala_load(reference, where, concurrency))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    result = {"seconds": seconds, "cpu": cpu, "objects": count, "rss_before": before}
    result["peak_rss"] = high_water_mark() or rss()
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- the run


def measure(kind: str, info: dict[str, str], where: Path, concurrency: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.data_load", "--child", kind]
    cmd += ["--base-url", info["base_url"], "--reference", info["reference"]]
    cmd += ["--where", str(where), "--concurrency", str(concurrency)]
    done = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def default_scratch() -> Path | None:
    """A tmpfs for the contenders' files where there is one (``/dev/shm`` on Linux), else
    None (the temporary directory).

    On the bench machine's disk (ext4) creating a file cost from 30 to 300 us, depending on
    how many files had been deleted lately (the inode allocator steps over recently deleted
    inodes), which moved the same code's ratio between 0.74x and 0.99x from one run to the
    next: the figure measured the disk's state, not the clients. On tmpfs both contenders
    write to memory and the figure is their own work. ``--scratch DIR`` measures elsewhere."""
    shm = Path("/dev/shm")
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            tmpfs = any(line.split()[1:3] == [str(shm), "tmpfs"] for line in mounts)
    except OSError:
        return None
    return shm if tmpfs and os.access(shm, os.W_OK) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--objects", type=int, default=OBJECTS)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument(
        "--scratch",
        type=Path,
        default=default_scratch(),
        help="where the contenders write (default: /dev/shm where it is a tmpfs, else the "
        "temporary directory)",
    )
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--where", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.server:
        run_server(args.objects, args.size)
        return 0
    if args.child:
        run_child(args.child, args.base_url, args.reference, Path(args.where), args.concurrency)
        return 0

    command = [sys.executable, "-m", "bench.data_load", "--server"]
    command += ["--objects", str(args.objects), "--size", str(args.size)]
    server = subprocess.Popen(
        command,
        env=subprocess_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None

    def ask(command: str) -> dict[str, Any]:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(command + "\n")
        server.stdin.flush()
        answer: dict[str, Any] = json.loads(server.stdout.readline())
        return answer

    results: dict[str, list[dict[str, Any]]] = {
        "raw_aiohttp": [],
        "avala_cold": [],
        "avala_warm": [],
    }
    warm_stats: list[dict[str, Any]] = []
    try:
        info = json.loads(server.stdout.readline())
        print(f"server ready: {args.objects} x {args.size} B", file=sys.stderr)
        for rep in range(args.repeat):
            scratch = Path(tempfile.mkdtemp(prefix="avala-bench-load-", dir=args.scratch))
            try:
                order = ["raw_aiohttp", "avala_cold"]
                if rep % 2:
                    order.reverse()
                for kind in order:
                    where = scratch / kind
                    where.mkdir()
                    results[kind].append(measure(kind, info, where, args.concurrency))
                ask("clear")
                results["avala_warm"].append(
                    measure("avala_warm", info, scratch / "avala_cold", args.concurrency)
                )
                warm_stats.append(ask("stats"))
                print(f"repetition {rep + 1}/{args.repeat} done", file=sys.stderr)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    finally:
        server.stdin.close()
        server.wait(timeout=30)

    def median(kind: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[kind]))

    raw = median("raw_aiohttp", "seconds")
    print(
        f"avala.load: {args.objects} objects of {args.size // 1024} KiB, "
        f"concurrency {args.concurrency}, median of {args.repeat}, written to "
        f"{args.scratch or tempfile.gettempdir()}\n"
    )
    print(
        "| contender | seconds | objects/s | MB/s | vs raw | client CPU s | peak RSS MiB (start) |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in results:
        secs = median(kind, "seconds")
        rate = args.objects / secs
        mbs = args.objects * args.size / secs / 1e6
        peak = median(kind, "peak_rss") / 2**20
        start = median(kind, "rss_before") / 2**20
        cpu = median(kind, "cpu")
        print(
            f"| {kind} | {secs:.3f} | {rate:,.0f} | {mbs:.1f} | {raw / secs:.2f}x | "
            f"{cpu:.2f} | {peak:.1f} ({start:.1f}) |"
        )
    downloads = [s["downloads"] for s in warm_stats]
    grants = [s["grants"] for s in warm_stats]
    print(f"\nwarm-cache loads: object downloads {downloads}, grants {grants} (target: 0)")
    cold_ratio = raw / median("avala_cold", "seconds")
    print(f"avala_cold vs raw_aiohttp: {cold_ratio:.2f}x (target >= 0.85x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
