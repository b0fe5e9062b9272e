"""The contenders and the three timed workloads.

Each contender makes the same HTTP calls against the same server:

* ``seq``: ``GET /datasets/{uid}/`` one after another (req/s);
* ``conc``: the same GET with a fixed number in flight (64 tasks for async stacks, 16
  threads for sync ones) (req/s);
* ``walk``: every item of the ``bench/bench`` dataset, ``limit`` items per page, following
  the cursor to the end (items/s).

One client (or session) per contender per repetition: it is created, warmed up (its pool
filled, one page fetched), measured on every workload it takes part in, and closed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import itertools
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
from yarl import URL

from avala import AsyncClient, Client, _tracing
from avala._config import DEFAULT_TIMEOUT
from avala._transport import USER_AGENT, RequestOptions
from avala.models import DatasetItem
from bench.pydantic_models import PydanticDataset, PydanticDatasetItem

SEQ, CONC, WALK = "seq", "conc", "walk"
WORKLOADS = (SEQ, CONC, WALK)


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    seq_requests: int = 2000
    conc_requests: int = 4000
    in_flight: int = 64
    threads: int = 16
    walk_items: int = 20_000
    page_size: int = 500
    warmup_requests: int = 100
    chunks: int = 4
    """GET workloads are timed in this many slices, interleaved across contenders."""
    walk_rounds: int = 2
    """Full walks per repetition, interleaved across contenders."""


@dataclass(frozen=True)
class Target:
    """The server and the objects the workloads read."""

    base_url: str
    api_key: str
    dataset_uid: str
    owner: str = "bench"
    slug: str = "bench"

    @property
    def headers(self) -> dict[str, str]:
        """What every contender sends: the key, ``Accept`` and the SDK's User-Agent."""
        return {
            "X-Avala-Api-Key": self.api_key,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    @property
    def get_path(self) -> str:
        return f"/datasets/{self.dataset_uid}/"

    @property
    def items_path(self) -> str:
        return f"/datasets/{self.owner}/{self.slug}/items/"


def cursor_of(next_url: str | None) -> str | None:
    """The ``cursor`` query parameter of a ``next`` URL, as a hand-rolled loop finds it."""
    if not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("cursor")
    return values[0] if values else None


def _check_walk(name: str, counted: int, expected: int) -> None:
    if counted != expected:
        raise RuntimeError(f"{name}: walked {counted} items, expected {expected}")


# --------------------------------------------------------------------------- drivers


async def _async_seq(get: Callable[[], Awaitable[object]], n: int) -> None:
    for _ in range(n):
        await get()


async def _async_conc(get: Callable[[], Awaitable[object]], n: int, in_flight: int) -> None:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await get()

    await asyncio.gather(*(worker() for _ in range(min(in_flight, n))))


def _sync_seq(get: Callable[[], object], n: int) -> None:
    for _ in range(n):
        get()


def _sync_threads(get: Callable[[], object], n: int, threads: int) -> float:
    """Run ``n`` calls of ``get`` on ``threads`` threads; return the seconds from the moment
    every thread is ready until the last call returns."""
    tickets = itertools.count()  # next() on a count is atomic under the GIL
    ready = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker() -> None:
        ready.wait()
        try:
            while next(tickets) < n:
                get()
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker, name=f"bench-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


#: CPU seconds of this process (every thread) over the last timed run: read by
#: ``python -m bench.cpu``, which compares contenders by CPU per request or item.
last_cpu_seconds = 0.0


def _timed_threads(get: Callable[[], object], n: int, threads: int) -> float:
    """:func:`_sync_threads`, with the process CPU time of the run kept like :func:`_timed`."""
    global last_cpu_seconds
    gc.collect()
    cpu = time.process_time()
    elapsed = _sync_threads(get, n, threads)
    last_cpu_seconds = time.process_time() - cpu
    return elapsed


def _timed(run: Callable[[], object]) -> float:
    global last_cpu_seconds
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    last_cpu_seconds = time.process_time() - cpu
    return elapsed


# --------------------------------------------------------------------------- contenders


class Opened:
    """A contender's open client, ready to time any of its workloads, any number of times."""

    def prime(self, workload: str) -> None:
        """A short untimed run of ``workload`` (after the other contenders had the CPU)."""
        raise NotImplementedError

    def time(self, workload: str, count: int) -> float:
        """Seconds to run ``count`` requests of ``workload`` (``seq`` or ``conc``), or to walk
        the whole list (``walk``; ``count`` is the number of items it must yield)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Contender:
    """One client stack. ``open`` creates its client (or session) and warms it up: the
    pool filled to the concurrency used, a few sequential requests, one page."""

    key: ClassVar[str]
    label: ClassVar[str]
    workloads: ClassVar[tuple[str, ...]] = WORKLOADS

    def open(self, target: Target, sizes: Sizes, loop: asyncio.AbstractEventLoop) -> Opened:
        raise NotImplementedError


class _AsyncOpened(Opened):
    def __init__(
        self,
        name: str,
        loop: asyncio.AbstractEventLoop,
        sizes: Sizes,
        calls: tuple[Any, Any, Any],
    ) -> None:
        self.name = name
        self.loop = loop
        self.sizes = sizes
        self.get, self.walk, self._close = calls

    def warm_up(self, workloads: tuple[str, ...]) -> None:
        sizes, run = self.sizes, self.loop.run_until_complete
        if SEQ in workloads:
            run(_async_conc(self.get, sizes.in_flight * 2, sizes.in_flight))
            run(_async_seq(self.get, sizes.warmup_requests))
        if WALK in workloads:
            run(self.walk(sizes.page_size))

    def prime(self, workload: str) -> None:
        sizes, run = self.sizes, self.loop.run_until_complete
        if workload == SEQ:
            run(_async_seq(self.get, 10))
        elif workload == CONC:
            run(_async_conc(self.get, sizes.in_flight, sizes.in_flight))
        else:
            run(self.walk(sizes.page_size))

    def time(self, workload: str, count: int) -> float:
        sizes, run, get = self.sizes, self.loop.run_until_complete, self.get
        if workload == SEQ:
            return _timed(lambda: run(_async_seq(get, count)))
        if workload == CONC:
            return _timed(lambda: run(_async_conc(get, count, sizes.in_flight)))
        counted = 0

        def full_walk() -> None:
            nonlocal counted
            counted = run(self.walk(None))

        seconds = _timed(full_walk)
        _check_walk(self.name, counted, count)
        return seconds

    def close(self) -> None:
        self.loop.run_until_complete(self._close())


class AsyncContender(Contender):
    """An async stack, driven on the harness's event loop (``run_until_complete``)."""

    async def open_async(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        """Return ``(get, walk, close)`` coroutine functions; ``walk(max_items)``."""
        raise NotImplementedError

    def open(self, target: Target, sizes: Sizes, loop: asyncio.AbstractEventLoop) -> Opened:
        calls = loop.run_until_complete(self.open_async(target, sizes))
        opened = _AsyncOpened(self.key, loop, sizes, calls)
        try:
            opened.warm_up(self.workloads)
        except BaseException:
            opened.close()
            raise
        return opened


class _SyncOpened(Opened):
    def __init__(self, name: str, sizes: Sizes, calls: tuple[Any, Any, Any]) -> None:
        self.name = name
        self.sizes = sizes
        self.get, self.walk, self._close = calls

    def warm_up(self) -> None:
        sizes = self.sizes
        _sync_threads(self.get, sizes.threads * 2, sizes.threads)
        _sync_seq(self.get, sizes.warmup_requests)
        self.walk(sizes.page_size)

    def prime(self, workload: str) -> None:
        if workload == SEQ:
            _sync_seq(self.get, 10)
        elif workload == CONC:
            _sync_threads(self.get, self.sizes.threads, self.sizes.threads)
        else:
            self.walk(self.sizes.page_size)

    def time(self, workload: str, count: int) -> float:
        get = self.get
        if workload == SEQ:
            return _timed(lambda: _sync_seq(get, count))
        if workload == CONC:
            return _timed_threads(get, count, self.sizes.threads)
        counted = 0

        def full_walk() -> None:
            nonlocal counted
            counted = self.walk(None)

        seconds = _timed(full_walk)
        _check_walk(self.name, counted, count)
        return seconds

    def close(self) -> None:
        self._close()


class SyncContender(Contender):
    """A sync stack, driven from the harness's main thread (and worker threads)."""

    def open_sync(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        """Return ``(get, walk, close)``; ``walk(max_items)``."""
        raise NotImplementedError

    def open(self, target: Target, sizes: Sizes, loop: asyncio.AbstractEventLoop) -> Opened:
        opened = _SyncOpened(self.key, sizes, self.open_sync(target, sizes))
        try:
            opened.warm_up()
        except BaseException:
            opened.close()
            raise
        return opened


class RawAiohttp(AsyncContender):
    """The floor: plain aiohttp as a user writes it. One ``aiohttp.ClientSession`` with
    aiohttp's defaults (its own ``ClientTimeout``, connector and pool) and the headers every
    contender sends; ``raise_for_status()`` and ``await resp.json()`` per response; the walk
    decodes JSON only and follows the ``next`` URL."""

    key = "raw_aiohttp"
    label = "raw aiohttp (floor)"

    def _convert(self, results: list[dict[str, Any]]) -> int:
        return len(results)

    async def open_async(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        session = aiohttp.ClientSession(headers=target.headers)
        get_url = target.base_url + target.get_path
        first_page = f"{target.base_url}{target.items_path}?limit={sizes.page_size}"
        convert = self._convert

        async def get() -> Any:
            async with session.get(get_url) as resp:
                resp.raise_for_status()
                return await resp.json()

        async def walk(max_items: int | None) -> int:
            url: str | None = first_page
            counted = 0
            while url is not None:
                async with session.get(url) as resp:
                    resp.raise_for_status()
                    data = await resp.json()
                counted += convert(data["results"])
                if max_items is not None and counted >= max_items:
                    break
                url = data["next"]
            return counted

        return get, walk, session.close


class RawAiohttpTuned(AsyncContender):
    """The floor of earlier runs, kept as a row but no longer the floor: raw aiohttp given
    the SDK's own ``ClientTimeout`` (``sock_connect`` only, no per-request ``total`` timer:
    the SDK bounds its attempts with shared timers instead, so this row has no bound on an
    attempt at all), a pre-built ``yarl.URL`` for the GET, per-request headers,
    ``resp.read()`` + ``json.loads``. Shows what those choices save next to plain aiohttp."""

    key = "raw_aiohttp_sdk_timeout"
    label = "raw aiohttp + SDK ClientTimeout (old floor, no total)"

    async def open_async(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        timeout = RequestOptions(DEFAULT_TIMEOUT, max_retries=0).client_timeout
        session = aiohttp.ClientSession(timeout=timeout)
        headers = target.headers
        get_url = URL(target.base_url + target.get_path, encoded=True)
        first_page = f"{target.base_url}{target.items_path}?limit={sizes.page_size}"

        async def get() -> Any:
            async with session.get(get_url, headers=headers) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"GET {get_url}: HTTP {resp.status}")
            return json.loads(body)

        async def walk(max_items: int | None) -> int:
            url: str | None = first_page
            counted = 0
            while url is not None:
                async with session.get(url, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"GET {url}: HTTP {resp.status}")
                data = json.loads(body)
                counted += len(data["results"])
                if max_items is not None and counted >= max_items:
                    break
                url = data["next"]
            return counted

        return get, walk, session.close


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class RawAiohttpAttrs(RawAiohttp):
    """The plain raw aiohttp walk plus hand-written dict -> attrs construction of the SDK's
    ``DatasetItem`` (the cheapest way to get the same models): what decoding alone costs."""

    key = "raw_aiohttp_attrs"
    label = "raw aiohttp + hand-written attrs"
    workloads = (WALK,)

    def _convert(self, results: list[dict[str, Any]]) -> int:
        items = [
            DatasetItem(
                uid=d["uid"],
                id=d.get("id"),
                key=d.get("key"),
                dataset=d.get("dataset"),
                dataset_owner_name=d.get("dataset_owner_name"),
                dataset_slug=d.get("dataset_slug"),
                status=d.get("status"),
                url=d.get("url"),
                data_url=d.get("data_url"),
                gpu_texture_url=d.get("gpu_texture_url"),
                thumbnails=d.get("thumbnails"),
                thumbnail_url=d.get("thumbnail_url"),
                video_thumbnail=d.get("video_thumbnail"),
                metadata=d.get("metadata"),
                export_snippet=d.get("export_snippet"),
                annotations=d.get("annotations"),
                annotations_count=d.get("annotations_count"),
                crop_data=d.get("crop_data"),
                related_items=d.get("related_items"),
                related_sequence_uid=d.get("related_sequence_uid"),
                created_at=_timestamp(d.get("created_at")),
                updated_at=_timestamp(d.get("updated_at")),
            )
            for d in results
        ]
        return len(items)


class AvalaAsync(AsyncContender):
    """``avala.AsyncClient``: ``datasets.get`` and ``async for`` over ``list_items``."""

    key = "avala_async"
    label = "avala AsyncClient"

    async def open_async(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        client = AsyncClient(api_key=target.api_key, base_url=target.base_url)
        uid, owner, slug = target.dataset_uid, target.owner, target.slug

        def get() -> Awaitable[Any]:
            return client.datasets.get(uid)

        async def walk(max_items: int | None) -> int:
            counted = 0
            async for _item in client.datasets.list_items(owner, slug, limit=sizes.page_size):
                counted += 1
                if max_items is not None and counted >= max_items:
                    break
            return counted

        return get, walk, client.close


class _HiddenOtel(Opened):
    """Runs a contender's slices as if ``opentelemetry-api`` were not installed: the SDK's
    tracing module sees no ``opentelemetry`` (its own lookup result, swapped for the slice
    and put back after), so nothing of it runs per request."""

    def __init__(self, inner: Opened) -> None:
        self.inner = inner

    @contextlib.contextmanager
    def _hidden(self) -> Iterator[None]:
        saved = dict(_tracing._state)
        _tracing._state.clear()
        _tracing._state.update(trace=None, from_env=False)
        try:
            yield
        finally:
            _tracing._state.clear()
            _tracing._state.update(saved)

    def prime(self, workload: str) -> None:
        with self._hidden():
            self.inner.prime(workload)

    def time(self, workload: str, count: int) -> float:
        with self._hidden():
            return self.inner.time(workload, count)

    def close(self) -> None:
        self.inner.close()


class AvalaAsyncNoOtel(AvalaAsync):
    """``avala.AsyncClient`` with OpenTelemetry out of sight, next to the plain row (where
    ``opentelemetry-api`` is installed and no tracer provider is set, the usual production
    case): the cost of tracing when it is off, per GET."""

    key = "avala_async_no_otel"
    label = "avala AsyncClient, opentelemetry-api not importable"
    workloads = (SEQ, CONC)

    def open(self, target: Target, sizes: Sizes, loop: asyncio.AbstractEventLoop) -> Opened:
        return _HiddenOtel(super().open(target, sizes, loop))


class AvalaSync(SyncContender):
    """``avala.Client`` (the generated sync facade over one portal thread)."""

    key = "avala_sync"
    label = "avala Client (sync)"

    def open_sync(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        client = Client(api_key=target.api_key, base_url=target.base_url)
        uid, owner, slug = target.dataset_uid, target.owner, target.slug

        def get() -> Any:
            return client.datasets.get(uid)

        def walk(max_items: int | None) -> int:
            counted = 0
            paginator = client.datasets.list_items(owner, slug, limit=sizes.page_size)
            if max_items is not None:
                return len(paginator.first_page().items)
            for _item in paginator:
                counted += 1
            return counted

        return get, walk, client.close


def _pydantic_page(data: Any, validate_item: Callable[[Any], Any]) -> tuple[int, str | None]:
    """Validate one page's items as the official SDK does; return their count and the next
    cursor (shared by the async and sync httpx contenders)."""
    items = [validate_item(item) for item in data["results"]]
    return len(items), cursor_of(data.get("next"))


class HttpxPydanticAsync(AsyncContender):
    """``httpx.AsyncClient`` + pydantic v2, as an httpx-based SDK (the official async
    client) does it: ``base_url`` and default headers on the client, ``response.json()``,
    ``model_validate`` per object, a manual cursor loop. Pool limits are httpx's defaults."""

    key = "httpx_async"
    label = "httpx.AsyncClient + pydantic (official-SDK-like)"

    async def open_async(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        client = httpx.AsyncClient(
            base_url=target.base_url,
            headers=target.headers,
            timeout=60.0,
            follow_redirects=False,
        )
        get_path, items_path = target.get_path, target.items_path
        validate_item = PydanticDatasetItem.model_validate

        async def get() -> Any:
            response = await client.get(get_path)
            response.raise_for_status()
            return PydanticDataset.model_validate(response.json())

        async def walk(max_items: int | None) -> int:
            params: dict[str, Any] = {"limit": sizes.page_size}
            counted = 0
            while True:
                response = await client.get(items_path, params=params)
                response.raise_for_status()
                count, cursor = _pydantic_page(response.json(), validate_item)
                counted += count
                if cursor is None or (max_items is not None and counted >= max_items):
                    return counted
                params = {"limit": sizes.page_size, "cursor": cursor}

        return get, walk, client.aclose


class HttpxPydanticSync(SyncContender):
    """``httpx.Client`` + pydantic v2 (the sync twin of :class:`HttpxPydanticAsync`, as the
    official sync client does it); concurrency shares one client across threads."""

    key = "httpx_sync"
    label = "httpx.Client + pydantic (official-SDK-like)"

    def open_sync(self, target: Target, sizes: Sizes) -> tuple[Any, Any, Any]:
        client = httpx.Client(
            base_url=target.base_url,
            headers=target.headers,
            timeout=60.0,
            follow_redirects=False,
        )
        get_path, items_path = target.get_path, target.items_path
        validate_item = PydanticDatasetItem.model_validate

        def get() -> Any:
            response = client.get(get_path)
            response.raise_for_status()
            return PydanticDataset.model_validate(response.json())

        def walk(max_items: int | None) -> int:
            params: dict[str, Any] = {"limit": sizes.page_size}
            counted = 0
            while True:
                response = client.get(items_path, params=params)
                response.raise_for_status()
                count, cursor = _pydantic_page(response.json(), validate_item)
                counted += count
                if cursor is None or (max_items is not None and counted >= max_items):
                    return counted
                params = {"limit": sizes.page_size, "cursor": cursor}

        return get, walk, client.close


CONTENDERS: tuple[type[Contender], ...] = (
    RawAiohttp,
    RawAiohttpTuned,
    RawAiohttpAttrs,
    AvalaAsync,
    AvalaAsyncNoOtel,
    AvalaSync,
    HttpxPydanticAsync,
    HttpxPydanticSync,
)
BASELINE = RawAiohttp.key


# --------------------------------------------------------------------------- sync hop count


def count_sync_hops(target: Target, sizes: Sizes, requests: int = 50) -> dict[str, float]:
    """How many times the calling thread hands work to the ``Client``'s loop thread and
    sleeps until it is woken, per GET and per page of a walk. Not timed.

    Counts, from the calling thread only, ``loop.call_soon_threadsafe`` submissions and
    blocking waits on a ``concurrent.futures.Future`` that is not done yet.
    """
    caller = threading.get_ident()
    counts = {"submit": 0, "wait": 0}
    original_result = concurrent.futures.Future.result
    original_submit = asyncio.BaseEventLoop.call_soon_threadsafe

    def counting_result(self: Any, timeout: float | None = None) -> Any:
        if threading.get_ident() == caller and not self.done():
            counts["wait"] += 1
        return original_result(self, timeout)

    def counting_submit(self: Any, callback: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == caller:
            counts["submit"] += 1
        return original_submit(self, callback, *args, **kwargs)

    with Client(api_key=target.api_key, base_url=target.base_url) as client:
        client.datasets.get(target.dataset_uid)  # warm: connection open
        concurrent.futures.Future.result = counting_result  # type: ignore[method-assign]
        asyncio.BaseEventLoop.call_soon_threadsafe = counting_submit  # type: ignore[method-assign,assignment]
        try:
            for _ in range(requests):
                client.datasets.get(target.dataset_uid)
            get_counts = dict(counts)
            counts.update(submit=0, wait=0)
            walked = sum(
                1
                for _ in client.datasets.list_items(
                    target.owner, target.slug, limit=sizes.page_size
                )
            )
            walk_counts = dict(counts)
        finally:
            concurrent.futures.Future.result = original_result  # type: ignore[method-assign]
            asyncio.BaseEventLoop.call_soon_threadsafe = original_submit  # type: ignore[method-assign]
    _check_walk("hop count", walked, sizes.walk_items)
    pages = -(-sizes.walk_items // sizes.page_size)
    return {
        "requests": requests,
        "pages": pages,
        "submissions_per_get": get_counts["submit"] / requests,
        "waits_per_get": get_counts["wait"] / requests,
        "submissions_per_page": walk_counts["submit"] / pages,
        "waits_per_page": walk_counts["wait"] / pages,
    }
