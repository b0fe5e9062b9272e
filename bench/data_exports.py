"""The export download benchmark: ``python -m bench.data_exports`` (see bench/README.md).

Downloads one 256 MiB export file (random bytes) to disk with three contenders and reports
throughput in MB/s (10^6 bytes per second) and each one's peak RSS:

* ``raw_aiohttp``, the floor: one ``aiohttp.ClientSession`` with its defaults, ``GET`` of
  the presigned URL, ``iter_chunked(64 KiB)`` written to an open file; no checks, no
  temporary file, no fsync;
* ``aiohttp_sha256``, a reference: the floor plus the one check the response asks for, the
  SHA-256 of each 256 KiB chunk computed inline and compared with ``x-amz-checksum-sha256``
  at the end; still no temporary file, no fsync, no second thread. No client that checks
  the checksum does much less work, so on one core its ratio to the floor is about the
  most such a client can reach there;
* ``avala_async``: ``AsyncClient.exports.download(uid, path)``: it fetches the export (for
  its status and URL), streams to a partial file beside the destination, hashes SHA-256 and
  checks it against ``x-amz-checksum-sha256``, fsyncs and renames into place;
* ``avala_sync``: the same through the sync ``Client``.

The server is nginx (not the bottleneck; pinned to its own core when there are two),
serving the export's JSON at ``/api/v1/exports/{uid}/`` with a ``download_url`` on its own
``/_storage/`` location, where the file is served with its ``x-amz-checksum-sha256`` header
(and nginx's own ETag and Range support). Each measurement runs in a child process of its
own (``--child NAME``) that makes an untimed 1 MiB download, then times one download and
prints JSON: seconds, CPU seconds and its peak RSS (``VmHWM``). Every contender is measured
twice per repetition: pinned to the core nginx is not on, and free to use every core (nginx
stays on its own), since avala's download hashes on a second thread that has somewhere to
run only in the second setting; raw aiohttp is single-threaded. The contenders take turns
in an order that rotates between repetitions; the ratio is each contender's median
throughput over the floor's median in the same run and placement. The target (at least
0.9x) is judged with the client free to use every core, as on any machine with a core to
spare beside the server; pinned, the line under the table sets avala against
``aiohttp_sha256``, the cost of the check itself.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.nginx import _free_port, locate
from bench.server import children_of, pin

MIB = 1 << 20
UID = "0b5f1f4e-6a53-4c2e-9d0e-256000000000"
WARM_UID = "0b5f1f4e-6a53-4c2e-9d0e-000000000001"  # 1 MiB: the untimed warm-up
KEY = "avk_bench_not_a_real_key_0123456789"
CONTENDERS = ("raw_aiohttp", "aiohttp_sha256", "avala_async", "avala_sync")
TARGET = 0.9


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


# --------------------------------------------------------------------------- the child


async def _raw(url: str, dest: Path) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        with dest.open("wb") as out:
            async for chunk in response.content.iter_chunked(64 * 1024):
                out.write(chunk)


async def _checked(url: str, dest: Path) -> None:
    import aiohttp

    digest = hashlib.sha256()
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        with dest.open("wb") as out:
            async for chunk in response.content.iter_chunked(256 * 1024):
                out.write(chunk)
                digest.update(chunk)
        announced = base64.b64decode(response.headers["x-amz-checksum-sha256"])
    if digest.digest() != announced:
        raise RuntimeError("the SHA-256 differs from x-amz-checksum-sha256")


async def _avala_async(base_url: str, dest: Path, uid: str = UID) -> None:
    from avala import AsyncClient

    async with AsyncClient(base_url=base_url, api_key=KEY) as client:
        await client.exports.download(uid, dest)


def _avala_sync(base_url: str, dest: Path, uid: str = UID) -> None:
    from avala import Client

    with Client(base_url=base_url, api_key=KEY) as client:
        client.exports.download(uid, dest)


def _run(name: str, base_url: str, url: str, dest: Path, uid: str) -> None:
    if name == "raw_aiohttp":
        asyncio.run(_raw(url.replace(UID, uid), dest))
    elif name == "aiohttp_sha256":
        asyncio.run(_checked(url.replace(UID, uid), dest))
    elif name == "avala_async":
        asyncio.run(_avala_async(base_url, dest, uid))
    else:
        _avala_sync(base_url, dest, uid)


def child(name: str, base_url: str, url: str, dest: Path) -> dict[str, Any]:
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"
    os.environ["AVALA_ALLOW_INSECURE_STORAGE_URLS"] = "true"
    # Untimed: one 1 MiB download the same way (imports, avala's lazily loaded modules and
    # first-use code generation, the first page faults), by a client of its own.
    _run(name, base_url, url, dest, WARM_UID)
    dest.unlink()
    before = _peak_rss_bytes()
    cpu0, t0 = time.process_time(), time.perf_counter()
    _run(name, base_url, url, dest, UID)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    size = dest.stat().st_size
    dest.unlink()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": size,
        "rss_before": before,
        "peak": _peak_rss_bytes(),
    }


# --------------------------------------------------------------------------- the site


def _write_site(root: Path, size: int, port: int) -> tuple[Path, str]:
    store = root / "www" / "_storage" / "exports"
    store.mkdir(parents=True)
    origin = f"http://127.0.0.1:{port}"
    checksums = {}
    signature = "X-Avala-Expires=9999999999&X-Sig=b"
    for uid, length in ((UID, size), (WARM_UID, MIB)):
        digest = hashlib.sha256()
        with (store / f"{uid}.json").open("wb") as out:
            for _ in range(length // MIB):
                block = os.urandom(MIB)
                digest.update(block)
                out.write(block)
        checksums[uid] = base64.b64encode(digest.digest()).decode()
        detail = {
            "uid": uid,
            "status": "exported",
            "download_url": f"{origin}/_storage/exports/{uid}.json?{signature}",
            "name": "bench export",
            "format": "avala-json-external",
        }
        api = root / "www" / "api" / "v1" / "exports" / uid
        api.mkdir(parents=True)
        (api / "index.json").write_text(json.dumps(detail))
    download_url = json.loads(
        (root / "www" / "api" / "v1" / "exports" / UID / "index.json").read_text()
    )["download_url"]
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "temp" / sub).mkdir(parents=True, exist_ok=True)
    temp = "\n".join(
        f"    {kind}_temp_path {root / 'temp' / sub};"
        for kind, sub in (
            ("client_body", "body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        )
    )
    locations = "\n".join(
        f"""        location = /api/v1/exports/{uid}/ {{
            default_type application/json;
            try_files /api/v1/exports/{uid}/index.json =404;
        }}
        location = /_storage/exports/{uid}.json {{
            default_type application/json;
            add_header x-amz-checksum-sha256 "{checksum}";
        }}"""
        for uid, checksum in checksums.items()
    )
    conf = f"""
daemon off;
worker_processes 1;
pid {root / "nginx.pid"};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
{temp}
    server {{
        listen 127.0.0.1:{port};
        root {root / "www"};
{locations}
        location / {{ return 404; }}
    }}
}}
"""
    path = root / "nginx.conf"
    path.write_text(conf)
    for directory in (root, *root.rglob("*")):
        directory.chmod(0o755 if directory.is_dir() else 0o644)
    return path, download_url


def _start_nginx(
    nginx: str, root: Path, size: int, cpus: list[int] | None
) -> tuple[subprocess.Popen[bytes], str, str]:
    port = _free_port()
    conf, url = _write_site(root, size, port)
    proc = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/exports/{UID}/", timeout=2) as response:
                response.read()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((root / "error.log").read_text()) from None
            time.sleep(0.05)
    if cpus:
        for pid in (proc.pid, *children_of(proc.pid)):
            pin(pid, cpus)
    return proc, base_url, url


# --------------------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.data_exports", description=__doc__)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--no-install", action="store_true", help="never install nginx (exit 2 without it)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.base_url, args.url, args.dest)))
        return 0

    located = locate(install=not args.no_install)
    if located.path is None:
        print(f"nginx is needed: {located.how}", file=sys.stderr)
        return 2
    cores = sorted(os.sched_getaffinity(0))
    server_cpus = [cores[-1]] if len(cores) > 1 else None
    # Where the client may run: the cores nginx is not on, and (with two cores or more) every
    # core, where a second thread (avala hashes on one) has somewhere to go. nginx stays put.
    placements = {"other core": cores[:-1] or cores}
    if len(cores) > 1:
        placements["all cores"] = cores
    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        placement: {name: [] for name in CONTENDERS} for placement in placements
    }
    with tempfile.TemporaryDirectory(prefix="avala-bench-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # nginx's worker (nobody) reads the files
        proc, base_url, url = _start_nginx(
            located.path, root / "nginx", args.size_mib * MIB, server_cpus
        )
        try:
            out = root / "out"
            out.mkdir()
            for rep in range(args.repeat):
                turn = rep % len(CONTENDERS)
                order = CONTENDERS[turn:] + CONTENDERS[:turn]
                for placement, cpus in placements.items():
                    for name in order:
                        result = _measure(name, base_url, url, out / f"{name}.json", cpus)
                        results[placement][name].append(result)
                        mbps = result["bytes"] / result["seconds"] / 1e6
                        print(
                            f"  rep {rep + 1} {placement:<10} {name:<14} {mbps:8,.0f} MB/s "
                            f"peak {result['peak'] / MIB:6.1f} MiB",
                            file=sys.stderr,
                        )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    summary = {placement: _summary(runs) for placement, runs in results.items()}
    print(_table(summary, args.size_mib))
    print()
    print(_verdict(summary))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "runs": results}, indent=2))
    return 0


def _measure(name: str, base_url: str, url: str, dest: Path, cpus: list[int]) -> Any:
    """One download by a fresh child process on ``cpus``; its JSON result."""
    command = [sys.executable, "-m", "bench.data_exports", "--child", name]
    command += ["--base-url", base_url, "--url", url, "--dest", str(dest)]
    done = subprocess.run(
        command,
        preexec_fn=lambda: pin(0, cpus),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summary(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    floor = statistics.median(r["bytes"] / r["seconds"] for r in results["raw_aiohttp"])
    summary: dict[str, Any] = {}
    for name, runs in results.items():
        rate = statistics.median(r["bytes"] / r["seconds"] for r in runs)
        paired = statistics.median(
            (r["bytes"] / r["seconds"]) / (f["bytes"] / f["seconds"])
            for r, f in zip(runs, results["raw_aiohttp"], strict=True)
        )
        summary[name] = {
            "mb_per_s": rate / 1e6,
            "ratio": rate / floor,
            "paired_ratio": paired,
            "cpu_s": statistics.median(r["cpu"] for r in runs),
            "peak_rss_mib": max(r["peak"] for r in runs) / MIB,
            "growth_mib": max(r["peak"] - r["rss_before"] for r in runs) / MIB,
        }
    return summary


def _table(summary: dict[str, dict[str, Any]], size_mib: int) -> str:
    lines = [
        f"Export download, {size_mib} MiB, nginx pinned to its own core; the client on the "
        "other core, then free to use every core (median of runs)",
        "",
        "| client on | contender | MB/s | vs raw aiohttp | paired | CPU s | peak RSS (MiB) "
        "| growth (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for placement, rows in summary.items():
        for name, row in rows.items():
            lines.append(
                f"| {placement} | {name} | {row['mb_per_s']:,.0f} | {row['ratio']:.2f}x | "
                f"{row['paired_ratio']:.2f}x | {row['cpu_s']:.2f} | "
                f"{row['peak_rss_mib']:.1f} | {row['growth_mib']:.1f} |"
            )
    return "\n".join(lines)


def _verdict(summary: dict[str, dict[str, Any]]) -> str:
    """The target's line (the client free to use every core; with one core, that one) and,
    pinned, avala set against the cost of the check itself."""
    lines = []
    for placement, rows in summary.items():
        avala = {name: rows[name]["ratio"] for name in ("avala_async", "avala_sync")}
        shown = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in avala.items())
        if placement == list(summary)[-1]:
            met = "met" if min(avala.values()) >= TARGET else "NOT met"
            lines.append(f"client on {placement}: {shown} raw aiohttp (target >= {TARGET}x: {met})")
        else:
            bound = rows["aiohttp_sha256"]["ratio"]
            share = ", ".join(f"{ratio / bound:.0%}" for ratio in avala.values())
            lines.append(
                f"client on {placement}: {shown} raw aiohttp; aiohttp_sha256, which only adds "
                f"the SHA-256 check, {bound:.2f}x: on one core the check alone costs "
                f"{1 - bound:.0%}, and avala reaches {share} of that reference"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
