"""The sync facade's engine: one event-loop thread (an anyio BlockingPortal) per ``Client``.

Every sync call is one hop to that thread, where the ``AsyncClient`` and its aiohttp session
live. Hand-written support for the generated code in ``avala/_sync/``:

* a call from the loop thread itself (e.g. a sync ``Client`` used inside an ``on_poll``
  callback) raises instead of deadlocking;
* Ctrl-C in the calling thread cancels the in-flight request on the loop, and the client
  stays usable;
* after ``os.fork()`` (e.g. ``gunicorn --preload``) a client made in the parent keeps
  working in the child: the first call there starts a loop thread of the child's own and
  opens the child's own connections, never touching the parent's;
* an unclosed ``Client`` is closed when it is garbage-collected or at interpreter exit,
  without warnings.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterator,
)
from concurrent.futures import (
    CancelledError as FutureCancelled,
    Future,
    TimeoutError as FutureTimeout,
)
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._closing import ClosedOnExit
from .errors import AvalaError, ClientClosedError
from .pagination import Caller

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._client import AsyncClient

R = TypeVar("R")
T = TypeVar("T")
_CLOSE_TIMEOUT = 10.0
_WAKE_INTERVAL = 0.25
# Objects that belong to a parent process's loop thread; kept alive in a forked child so
# their finalizers (which would touch a loop that does not exist here) never run.
_abandoned: list[object] = []
_live: weakref.WeakSet[_Loop] = weakref.WeakSet()
_fork_lock = threading.Lock()


class Closable(Protocol):
    """What a portal runs: an ``AsyncClient``, or anything else closed on its loop (a
    dataset from ``avala.load``)."""

    async def close(self) -> None:
        """Release what it holds; called once, on the portal's loop."""
        ...


class _Loop:
    """The loop thread and the ``AsyncClient`` on it. Holds no reference to its
    :class:`Portal`, so the portal's finalizer can close it."""

    def __init__(self, client: Closable) -> None:
        self.client = client
        self.pid = os.getpid()
        self.cm: AbstractContextManager[BlockingPortal] | None = start_blocking_portal(
            "asyncio", name="avala-client-loop"
        )
        self.portal: BlockingPortal | None = self.cm.__enter__()
        self.thread_id = self.portal.call(threading.get_ident)
        # Calls are submitted straight to the portal's asyncio loop: one hand-off each way,
        # where the portal's own task-group submission costs a second wait per call.
        self.aio_loop: asyncio.AbstractEventLoop = self.portal.call(asyncio.get_running_loop)
        self.lock = threading.Lock()
        self.closed = False  # by close(), as opposed to left behind by os.fork()
        _live.add(self)

    def close(self) -> None:
        """Close the ``AsyncClient`` on its loop, then stop the thread. Idempotent."""
        with self.lock:
            if self.pid != os.getpid():
                self.closed = True
                self.abandon()
                return
            portal, cm = self.portal, self.cm
            if portal is None or cm is None:
                return
            if threading.get_ident() == self.thread_id:
                raise AvalaError(
                    "Client.close() cannot be called from the client's own event-loop thread."
                )
            self.closed = True
            self.portal = self.cm = None
            try:
                portal.start_task_soon(self.client.close).result(_CLOSE_TIMEOUT)
            except FutureTimeout:
                pass
            finally:
                cm.__exit__(None, None, None)

    def abandon(self) -> None:
        """In a forked child: let go of the parent's loop thread without touching it."""
        if self.portal is not None:
            _abandoned.append((self.portal, self.cm))
            self.portal = self.cm = None
        self.lock = threading.Lock()  # the parent may have held it at fork time


class Portal:
    """Handle to an event-loop thread running one ``AsyncClient``.

    Shared by a ``Client``, the clients derived from it with ``with_options``, its resources,
    paginators and pages (each holds :meth:`call`). When the last of them is gone, or at
    interpreter exit, the client is closed and the thread stopped.
    """

    __slots__ = ("__weakref__", "_finalizer", "_loop")

    def __init__(self, client: Closable) -> None:
        self._loop = _Loop(client)
        self._finalizer = weakref.finalize(self, self._loop.close)

    @property
    def closed(self) -> bool:
        return self._loop.closed

    def _restart_after_fork(self) -> _Loop:
        """In a forked child, start a loop thread of this process for the same client.

        The client's transport already dropped the parent's connections (see
        ``Transport``'s fork hook), so the child opens its own.
        """
        with _fork_lock:
            loop = self._loop
            if loop.pid != os.getpid() and not loop.closed:
                self._finalizer.detach()
                loop = self._loop = _Loop(loop.client)
                self._finalizer = weakref.finalize(self, loop.close)
        return loop

    def on_loop_thread(self) -> bool:
        """Whether the calling thread is this portal's event-loop thread."""
        return threading.get_ident() == self._loop.thread_id

    def submit(self, func: Callable[[], Coroutine[Any, Any, R]]) -> Future[R]:
        """Start ``func()`` on the loop thread without waiting for it."""
        loop = self._loop
        if loop.pid != os.getpid():
            loop = self._restart_after_fork()
        if loop.portal is None or threading.get_ident() == loop.thread_id:
            self._refuse()
        return asyncio.run_coroutine_threadsafe(func(), loop.aio_loop)

    def call(self, func: Callable[[], Coroutine[Any, Any, R]]) -> R:
        """Run ``func()`` on the loop thread and wait for it: one thread hop.

        If the wait is interrupted (KeyboardInterrupt), the task on the loop is cancelled;
        the interruption is noticed within ``_WAKE_INTERVAL`` seconds.
        """
        loop = self._loop
        future = self.submit(func)
        try:
            while True:
                try:
                    # Wake up now and then: a pending Ctrl-C (or _thread.interrupt_main())
                    # is only delivered between bytecodes, never inside a blocking wait.
                    return future.result(_WAKE_INTERVAL)
                except FutureTimeout as exc:
                    if future.done() and future.exception() is exc:
                        raise  # the call itself raised TimeoutError
        except FutureCancelled:
            if loop.closed:  # close() from another thread stopped the loop under this call
                raise ClientClosedError(
                    "The client was closed while this call ran; create a new one."
                ) from None
            raise
        except BaseException:
            future.cancel()
            raise

    def _refuse(self) -> NoReturn:
        loop = self._loop
        if loop.portal is None:
            raise ClientClosedError("The client is closed; create a new one.")
        raise AvalaError(
            "A sync Client method was called from the client's own event-loop thread "
            "(for example inside an on_poll callback). That would deadlock; use the "
            "AsyncClient there instead."
        )

    def close(self) -> None:
        """Close the client and stop the thread. Idempotent."""
        self._loop.close()
        self._finalizer.detach()


def _after_fork_in_child() -> None:
    global _fork_lock
    _fork_lock = threading.Lock()
    for loop in list(_live):
        loop.abandon()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class SyncResource:
    """Base of the generated sync resource classes."""

    __slots__ = ("_async", "_call")

    _async: Any

    def __init__(self, async_resource: Any, call: Caller) -> None:
        self._async = async_resource
        self._call = call


class SyncClientBase(ClosedOnExit):
    """Hand-written part of the generated ``Client``: lifecycle and the portal."""

    _async: AsyncClient
    _portal: Portal
    _owns_portal: bool = False

    def _bind(self, client: AsyncClient, portal: Portal | None) -> None:
        self._async = client
        self._owns_portal = portal is None
        self._portal = Portal(client) if portal is None else portal

    def _derive(self, client: AsyncClient) -> Self:
        derived = object.__new__(type(self))
        derived._bind(client, self._portal)
        return derived

    def close(self) -> None:
        """Close the connection pool and stop the client's event-loop thread.

        Safe to call more than once. Clients derived with ``with_options`` share the pool:
        closing one of them does nothing, closing the original closes it for all.
        """
        if self._owns_portal:
            self._portal.close()

    @property
    def is_closed(self) -> bool:
        """Whether the client was closed."""
        return self._portal.closed

    def __repr__(self) -> str:
        client = getattr(self, "_async", None)
        if client is None:  # the constructor raised (e.g. in a traceback with locals)
            return f"{type(self).__name__}(<not constructed>)"
        return (
            f"{type(self).__name__}(base_url={client.base_url!r}, "
            f"credential={client.credential.provider!r})"
        )


_DONE = object()


def iterate(items: AsyncIterator[T], call: Caller) -> Iterator[T]:
    """Walk an async iterator from sync code: one hop to the loop thread per item, nothing
    before the first ``next()``. Stopping early closes the async iterator on its loop."""

    async def step() -> Any:
        try:
            return await items.__anext__()
        except StopAsyncIteration:
            return _DONE

    finished = False
    try:
        while (item := call(step)) is not _DONE:
            yield item
        finished = True
    finally:
        aclose = getattr(items, "aclose", None)
        if not finished and aclose is not None:

            async def close() -> None:
                await aclose()

            with contextlib.suppress(AvalaError):  # a closed client has nothing to close
                call(close)


class _Credit:
    """How many items the pump has handed over that the consumer has not taken yet; the
    pump waits (on its loop) at ``high`` until the consumer is back down to ``low``."""

    def __init__(self, high: int) -> None:
        self.high = high
        self.low = high // 2
        self.held = 0
        self._lock = threading.Lock()
        self._waiting: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    async def add(self, count: int) -> None:
        """On the loop: count a hand-over, and wait while the consumer is ``high`` behind."""
        with self._lock:
            self.held += count
            if self.held < self.high:
                return
            event = asyncio.Event()
            self._waiting = (asyncio.get_running_loop(), event)
        await event.wait()

    def take(self, count: int) -> None:
        """In the consumer: count what it took; wake the pump once it is down to ``low``."""
        with self._lock:
            self.held -= count
            waiting = self._waiting
            if waiting is None or self.held > self.low:
                return
            self._waiting = None
        loop, event = waiting
        with contextlib.suppress(RuntimeError):  # the loop is gone: nothing waits any more
            loop.call_soon_threadsafe(event.set)


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_ENDED = object()  # the pump's last word when its iterator ran out
_CANCELLED = object()  # ... when it was cancelled (by the consumer, or by the loop stopping)


def pump(
    batches: Callable[[], AsyncGenerator[list[T], None]], portal: Portal, ahead: int
) -> Generator[list[T], None, None]:
    """Walk an async generator of batches from sync code without a thread hop per batch: a
    task on the loop runs ``batches()`` and hands each batch over through a queue, up to
    ``ahead`` items beyond what the consumer has taken (then it waits until that is down to
    half). Nothing starts before the first ``next()``. The task's last word (the end, its
    error, or its cancellation) comes only after the generator is closed on its loop;
    stopping early or Ctrl-C in the consumer cancel the task and wait for that word.
    """
    handoff: queue.SimpleQueue[Any] = queue.SimpleQueue()
    credit = _Credit(ahead)

    async def run() -> None:
        items = batches()
        last: object = _ENDED
        try:
            async for batch in items:
                handoff.put(batch)
                await credit.add(len(batch))
        except Exception as exc:  # the consumer raises it
            last = _Raised(exc)
        except asyncio.CancelledError:
            last = _CANCELLED
            raise
        finally:
            try:
                await items.aclose()
            finally:
                handoff.put(last)

    task = portal.submit(run)
    ended = False
    try:
        while True:
            try:
                got = handoff.get(timeout=_WAKE_INTERVAL)  # Ctrl-C arrives between waits
            except queue.Empty:
                if task.done() and handoff.empty():  # the loop stopped before it could say
                    ended = True
                    raise _closed_under_it() from None
                continue
            if isinstance(got, list):
                credit.take(len(got))
                yield got
                continue
            ended = True
            if isinstance(got, _Raised):
                raise got.error
            if got is _CANCELLED:
                raise _closed_under_it()
            return
    finally:
        if not ended:
            task.cancel()  # (the future reads as done at once: wait for the last word)
            deadline = time.monotonic() + _CLOSE_TIMEOUT
            # (never on the loop thread itself, say when it collects an abandoned walk: the
            # word could not come while it waits)
            while not portal.closed and not portal.on_loop_thread():
                if time.monotonic() > deadline:
                    break
                try:
                    got = handoff.get(timeout=_WAKE_INTERVAL)
                except queue.Empty:
                    continue
                if not isinstance(got, list):
                    break


def _closed_under_it() -> ClientClosedError:
    return ClientClosedError("The client was closed while this iteration ran; create a new one.")


def run_once(func: Callable[[], Coroutine[Any, Any, R]]) -> R:
    """Run one coroutine from sync code on a short-lived event-loop thread (for the module
    functions that need no client, e.g. ``signup``); works under a running loop too."""
    with start_blocking_portal("asyncio", name="avala-once") as portal:
        result: R = portal.call(func)
        return result
