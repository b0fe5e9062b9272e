"""Run the test server in-process: on a background thread, or on the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from aiohttp import web

from ._app import create_app
from ._faults import API_PREFIX
from ._ratelimit import RateLimit
from ._state import DEMO_API_KEY, EXPIRED_API_KEY, ServerState

SHUTDOWN_TIMEOUT = 2.0
#: Set to ``true`` while a server runs (unless already set), so this process's clients may
#: use its plain-http loopback URLs: the API's and its storage's. Both stay loopback-only.
INSECURE_LOOPBACK_ENV = ("AVALA_ALLOW_INSECURE_BASE_URL", "AVALA_ALLOW_INSECURE_STORAGE_URLS")


@contextmanager
def _insecure_loopback() -> Iterator[None]:
    added = [name for name in INSECURE_LOOPBACK_ENV if name not in os.environ]
    for name in added:
        os.environ[name] = "true"
    try:
        yield
    finally:
        for name in added:
            if os.environ.get(name) == "true":
                del os.environ[name]


THREAD_JOIN_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServerHandle:
    """A running test server.

    Attributes:
        host: The address it listens on.
        port: The port it listens on (the OS-chosen one if 0 was asked for).
        state: Its data, keys, faults and request log.
        api_key: A valid API key (:data:`DEMO_API_KEY`).
        expired_api_key: A key the server reports as expired (:data:`EXPIRED_API_KEY`).
    """

    host: str
    port: int
    state: ServerState
    api_key: str = DEMO_API_KEY
    expired_api_key: str = EXPIRED_API_KEY

    @property
    def origin(self) -> str:
        """Scheme, host and port, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL to give a client, e.g. ``http://127.0.0.1:54321/api/v1``."""
        return self.origin + API_PREFIX

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path, e.g. ``url("/datasets/")``."""
        return self.base_url + path


def check_host(host: str, allow_remote: bool = False) -> None:
    """Refuse a non-loopback ``host`` unless ``allow_remote``.

    Raises:
        ValueError: If ``host`` is not ``localhost`` or a loopback IP address.
    """
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing to listen on non-loopback address {host!r} (pass allow_remote=True)"
        )


async def start_server(state: ServerState, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving ``state`` on the running loop; return the runner and the bound port.

    The caller must ``await runner.cleanup()``.
    """
    runner = web.AppRunner(
        create_app(state),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = int(runner.addresses[0][1])
    except BaseException:
        await runner.cleanup()
        raise
    return runner, bound


def _make_state(
    state: ServerState | None, bench_items: int, rate_limit: RateLimit | None = None
) -> ServerState:
    if state is None:
        return ServerState(bench_items=bench_items, rate_limit=rate_limit)
    if bench_items:
        raise ValueError("pass bench_items to ServerState(...) when giving a state")
    if rate_limit is not None:
        state.rate_limit = rate_limit
    return state


@asynccontextmanager
async def serve_async(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    bench_items: int = 0,
    state: ServerState | None = None,
    allow_remote: bool = False,
    rate_limit: RateLimit | None = None,
) -> AsyncIterator[ServerHandle]:
    """Run a test server on the current event loop for the duration of an ``async with``.

    While it runs, ``AVALA_ALLOW_INSECURE_BASE_URL`` and ``AVALA_ALLOW_INSECURE_STORAGE_URLS``
    are ``true`` in this process (unless already set), so clients here may use its http
    loopback URLs; both still refuse http anywhere else.

    Args:
        host: Address to listen on (loopback only unless ``allow_remote``).
        port: Port to listen on; 0 lets the OS choose.
        bench_items: Items in the generated ``bench/bench`` dataset (ignored with ``state``).
        state: An existing state to serve; a fresh seeded one if omitted.
        allow_remote: Allow a non-loopback ``host``.
        rate_limit: A :class:`~avala.testing.RateLimit` to enforce (429 with
            ``Retry-After`` beyond it); by default one no test reaches.

    Yields:
        The server handle.
    """
    check_host(host, allow_remote)
    state = _make_state(state, bench_items, rate_limit)
    runner, bound = await start_server(state, host, port)
    try:
        with _insecure_loopback():
            yield ServerHandle(host=host, port=bound, state=state)
    finally:
        await runner.cleanup()


class _ServerThread(threading.Thread):
    """A thread running its own event loop with one test server on it."""

    def __init__(self, state: ServerState, host: str, port: int) -> None:
        super().__init__(name=f"avala-test-server-{host}:{port}", daemon=True)
        self._state = state
        self._host = host
        self._port = port
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self.bound_port = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            runner, self.bound_port = await start_server(self._state, self._host, self._port)
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await runner.cleanup()

    def wait_ready(self) -> None:
        self._ready.wait()
        if self.error is not None:
            self.join()
            raise self.error

    def stop(self) -> None:
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(stop_event.set)
        self.join(THREAD_JOIN_TIMEOUT)
        if self.is_alive():
            raise RuntimeError("the avala test server thread did not stop")


@contextmanager
def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    bench_items: int = 0,
    state: ServerState | None = None,
    allow_remote: bool = False,
    rate_limit: RateLimit | None = None,
) -> Iterator[ServerHandle]:
    """Run a test server on a background thread (with its own loop) inside a ``with`` block.

    Works from synchronous and asynchronous tests alike. The server is listening when the block
    starts; it is stopped and its thread joined when the block ends. While it runs,
    ``AVALA_ALLOW_INSECURE_BASE_URL`` and ``AVALA_ALLOW_INSECURE_STORAGE_URLS`` are ``true``
    in this process (unless already set), so clients here may use its http loopback URLs;
    both still refuse http anywhere else.

    Args:
        host: Address to listen on (loopback only unless ``allow_remote``).
        port: Port to listen on; 0 lets the OS choose.
        bench_items: Items in the generated ``bench/bench`` dataset (ignored with ``state``).
        state: An existing state to serve; a fresh seeded one if omitted.
        allow_remote: Allow a non-loopback ``host``.
        rate_limit: A :class:`~avala.testing.RateLimit` to enforce (429 with
            ``Retry-After`` beyond it); by default one no test reaches.

    Yields:
        The server handle.

    Example:
        >>> with serve() as server:  # doctest: +SKIP
        ...     client = Client(api_key=server.api_key, base_url=server.base_url)
    """
    check_host(host, allow_remote)
    state = _make_state(state, bench_items, rate_limit)
    thread = _ServerThread(state, host, port)
    thread.start()
    thread.wait_ready()
    try:
        with _insecure_loopback():
            yield ServerHandle(host=host, port=thread.bound_port, state=state)
    finally:
        thread.stop()
