"""``python -m avala.testing``: run the Avala test server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._ratelimit import RateLimit
from ._runner import check_host, start_server
from ._state import DEMO_API_KEY, ServerState


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m avala.testing",
        description="Serve a slice of the Avala API from memory, for demos, tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port, 0 = any (default: 8000)")
    parser.add_argument(
        "--bench-items",
        type=int,
        default=0,
        metavar="N",
        help="add the generated dataset bench/bench with N items (default: 0)",
    )
    parser.add_argument(
        "--upload-quota-bytes",
        type=int,
        default=None,
        metavar="N",
        help="manual-upload quota per owner (default: 10 GiB)",
    )
    parser.add_argument(
        "--multipart-threshold-bytes",
        type=int,
        default=None,
        metavar="N",
        help="v2 uploads of at least N bytes go MULTIPART (default: 64 MiB)",
    )
    parser.add_argument(
        "--multipart-part-size-bytes",
        type=int,
        default=None,
        metavar="N",
        help="part size of MULTIPART uploads (default: 64 MiB)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        metavar="N",
        help=(
            "requests allowed per minute, reported in X-RateLimit-* (default: 1,000,000; "
            "none when only --burst-rate is given)"
        ),
    )
    parser.add_argument(
        "--burst-rate",
        type=float,
        default=None,
        metavar="R",
        help="requests allowed per second beyond which a 429 answers (default: none)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        metavar="N",
        help="requests --burst-rate lets through at once (default: R rounded up)",
    )
    parser.add_argument(
        "--media-latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="added delay before every item media answer, in ms (default: 0)",
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    return parser


_UPLOAD_SETTINGS = ("upload_quota_bytes", "multipart_threshold_bytes", "multipart_part_size_bytes")
"""Options that set the store setting of the same name (see ``avala.testing._api.uploads``)."""


async def _serve_until_signalled(
    host: str,
    port: int,
    bench_items: int,
    settings: dict[str, int] | None = None,
    rate_limit: RateLimit | None = None,
    media_latency: float = 0.0,
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    state = ServerState(bench_items=bench_items, record_requests=False, rate_limit=rate_limit)
    state.store.settings.update(settings or {})
    state.storage.media.latency = media_latency
    try:
        runner, bound = await start_server(state, host, port)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    try:
        shown = f"[{host}]" if ":" in host else host
        print(f"Avala test server listening on http://{shown}:{bound}/api/v1", flush=True)
        print(f"Demo API key: {DEMO_API_KEY}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, serve until SIGINT/SIGTERM, and return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.bench_items < 0:
        parser.error("--bench-items must be >= 0")
    if not 0 <= args.media_latency_ms <= 60_000:
        parser.error("--media-latency-ms must be between 0 and 60000")
    settings: dict[str, int] = {}
    for name in _UPLOAD_SETTINGS:
        value = getattr(args, name)
        if value is None:
            continue
        if value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
        settings[name] = value
    try:
        check_host(args.host, args.allow_remote)
        rate_limit = None
        if args.rate_limit is not None or args.burst_rate is not None:
            rate_limit = RateLimit(
                per_minute=args.rate_limit, per_second=args.burst_rate, burst=args.burst
            )
        elif args.burst is not None:
            raise ValueError("--burst needs --burst-rate")
    except ValueError as exc:
        parser.error(str(exc))
    try:
        return asyncio.run(
            _serve_until_signalled(
                args.host,
                args.port,
                args.bench_items,
                settings,
                rate_limit,
                media_latency=args.media_latency_ms / 1000,
            )
        )
    except KeyboardInterrupt:  # a signal before the handlers were installed, or Windows
        return 0


if __name__ == "__main__":
    sys.exit(main())
