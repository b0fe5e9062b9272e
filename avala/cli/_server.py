"""``avala server``: the bundled Avala server (:mod:`avala.testing`) on loopback, in the
foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType

import click


@click.command("server")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on (loopback unless --allow-remote).",
)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8000,
    show_default=True,
    help="The port; 0 lets the system choose one (printed on start).",
)
@click.option(
    "--seed-items",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Add the generated dataset bench/bench with N items (for paging and load).",
)
@click.option(
    "--upload-quota-bytes",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Manual-upload quota per owner (default: 10 GiB).",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Requests allowed per minute (reported in X-RateLimit-*; 429 beyond).",
)
@click.option(
    "--burst-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="R",
    help="Requests allowed per second before a 429.",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Requests --burst-rate lets through at once.",
)
@click.option(
    "--fail-503",
    type=click.FloatRange(0, 1),
    default=0.0,
    metavar="P",
    help="Answer this share of requests with 503 (Retry-After: 0).",
)
@click.option(
    "--fail-reset",
    type=click.FloatRange(0, 1),
    default=0.0,
    metavar="P",
    help="Drop the connection on this share of requests.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=None,
    metavar="N",
    help="Seed of the random faults, to replay the same sequence.",
)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
def server(
    host: str,
    port: int,
    seed_items: int,
    upload_quota_bytes: int | None,
    rate_limit: int | None,
    burst_rate: float | None,
    burst: int | None,
    fail_503: float,
    fail_reset: float,
    fault_seed: int | None,
    allow_remote: bool,
) -> None:
    """Run the bundled Avala server on loopback, for local development and tests.

    It serves the whole API from memory, with demo data, uploads to an emulated storage,
    and optional rate limits and faults. The first lines printed are its base URL and
    the demo API key; stop it with Ctrl-C.
    """
    from ..testing import RateLimit, ServerState, serve

    if burst is not None and burst_rate is None:
        raise click.UsageError("--burst needs --burst-rate.")
    if fail_503 + fail_reset > 1:
        raise click.UsageError("--fail-503 and --fail-reset add up to more than 1.")
    limit = None
    if rate_limit is not None or burst_rate is not None:
        limit = RateLimit(per_minute=rate_limit, per_second=burst_rate, burst=burst)
    state = ServerState(bench_items=seed_items, record_requests=False, rate_limit=limit)
    if upload_quota_bytes is not None:
        state.store.settings["upload_quota_bytes"] = upload_quota_bytes
    state.faults.set_random(status_503=fail_503, reset=fail_reset, seed=fault_seed)
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with serve(state=state, host=host, port=port, allow_remote=allow_remote) as handle:
            click.echo(f"Avala test server listening on {handle.base_url}")
            click.echo(f"Demo API key: {handle.api_key}")
            click.echo("Point the CLI or the SDK at it with:")
            click.echo(f"  export AVALA_BASE_URL={handle.base_url}")
            click.echo(
                "  export AVALA_ALLOW_INSECURE_BASE_URL=true AVALA_ALLOW_INSECURE_STORAGE_URLS=true"
            )
            click.echo(f"  export AVALA_API_KEY={handle.api_key}")
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
