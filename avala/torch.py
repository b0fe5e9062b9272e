"""PyTorch datasets over the items of an Avala dataset (extra ``torch``:
``pip install "avala[torch]"``, which brings Pillow for ``decode_images``).

* :class:`AvalaIterableDataset` streams ``list_items`` pages and keeps the items of its
  shard: every item exactly once per epoch across all DDP ranks and DataLoader workers.
* :class:`AvalaDataset` is map-style: it lists every item uid up front, then each index is
  one ``get_item`` (which re-signs the media URL); a batch's items are fetched together.

Samples are dicts with ``uid``, ``key``, ``url``, ``annotations``, ``export_snippet`` and
``metadata``, plus ``image`` (a ``PIL.Image.Image`` in RGB) when ``decode_images=True``;
``transform`` is applied to each sample dict. Media is fetched only when decoding.

**Media.** Media URLs are fetched through the client's own aiohttp transport, on its event
loop, ``read_ahead`` at a time ahead of the consumer (in item order), never with the API key
(a storage session of their own) and only from the allow-listed storage hosts that uploads
use (``data.avala.ai``, R2, S3, GCS, Azure Blob; ``allowed_hosts`` adds https hosts such as
a CDN; plain-http loopback with ``AVALA_ALLOW_INSECURE_STORAGE_URLS=true``). Each attempt
is bounded by the client's ``timeout``, as an API call is. Connection
errors, timeouts, 408/429/5xx and a body that fails the response's
``x-amz-checksum-sha256`` or arrives short are retried (``attempts`` in all, backoff or the
host's ``Retry-After``); a 403 (an expired signed URL) re-signs the URL once through
``get_item`` and tries again. A failure raises :class:`avala.errors.DownloadError` naming the
item and the host, never the signed URL (:class:`~avala.errors.DownloadIntegrityError` for
bytes that kept failing their checksum).

**Sharding.** In ``__iter__`` the dataset reads its rank and world size from ``rank`` and
``world_size`` if given, else from ``torch.distributed`` when it is initialised, else from
the ``RANK`` and ``WORLD_SIZE`` environment variables, else it is rank 0 of 1; and its
DataLoader worker from ``torch.utils.data.get_worker_info()``. Global worker ``g = rank *
num_workers + worker_id`` of ``n = world_size * num_workers`` keeps the items at positions
``g, g + n, g + 2n, ...`` of the listing, so shards differ by at most one item and their
union is the dataset. Every rank must use the same ``num_workers``.

**Workers.** The sync :class:`avala.Client` is fork-safe: in a forked worker its first call
starts the worker's own event-loop thread and connections. For ``spawn`` (and
``forkserver``) workers the dataset is pickled without its client: it keeps the client's
base URL, settings and API key (in a wrapper whose ``repr`` is ``'<redacted>'``; it is never
logged) and each worker builds its own ``Client`` from them on first use. The pickle thus
carries the key to the workers over the DataLoader's pipe: do not write a pickled dataset to
disk. :meth:`AvalaIterableDataset.close` / :meth:`AvalaDataset.close` close such clients.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import hashlib
import io
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import attrs
from yarl import URL

try:
    import torch.distributed as _distributed
    from torch.utils.data import Dataset, IterableDataset, get_worker_info
except ModuleNotFoundError as _missing:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        'avala.torch needs PyTorch: install it with pip install "avala[torch]" (or pick the '
        "torch build for your platform from pytorch.org first)."
    ) from _missing

from avala._config import Timeout
from avala._portal import pump
from avala._storage_urls import ALLOWED_HOSTS_TEXT, storage_url
from avala._sync.client import Client
from avala._transport import (
    RequestOptions,
    Transport,
    _Secret,
    backoff_delay,
    parse_retry_after,
)
from avala.errors import DownloadError, DownloadIntegrityError
from avala.models.datasets import DatasetItem

if TYPE_CHECKING:
    from avala._client import AsyncClient

__all__ = [
    "AvalaDataset",
    "AvalaIterableDataset",
    "Sample",
    "Transform",
    "current_shard",
    "resolve_world",
]

Sample = dict[str, Any]
"""A sample: ``uid``, ``key``, ``url``, ``annotations``, ``export_snippet``, ``metadata``
and, when decoding, ``image``."""

Transform = Callable[[Sample], Any]
"""What ``transform`` is: called with each sample dict; its result is what is yielded."""

DEFAULT_PAGE_SIZE = 100
DEFAULT_READ_AHEAD = 16
DEFAULT_ATTEMPTS = 4
_MAX_PAGE_SIZE = 1000
_CHUNK = 1 << 16
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_RETRYABLE = (
    aiohttp.ClientPayloadError,
    aiohttp.ClientConnectionError,
    asyncio.TimeoutError,
    ConnectionError,
)


# --------------------------------------------------------------------------- arguments


def _fail(name: str, value: object, problem: str, fix: str) -> NoReturn:
    raise ValueError(f"{name}={value!r} {problem}: {fix}.")


def _positive(name: str, value: object, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(name, value, "is not an int", f"pass a whole number >= 1 as {name}")
    if value < 1 or (most is not None and value > most):
        limit = f" and <= {most}" if most is not None else ""
        _fail(name, value, "is out of range", f"pass a number >= 1{limit}")
    return value


def _name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        _fail(name, value, "is not a name", f"pass the dataset's {name} as a non-empty string")
    return value


def _check_client(client: object) -> Client:
    if isinstance(client, Client):
        return client
    hint = (
        "DataLoader workers iterate synchronously, so these datasets take the sync client: "
        "pass avala.Client() (built with the same key and base URL)"
    )
    if type(client).__name__ == "AsyncClient":
        _fail("client", client, "is an AsyncClient", hint)
    _fail("client", client, "is not an avala.Client", hint)


def _check_world(rank: object, world_size: object) -> tuple[int | None, int | None]:
    if rank is None and world_size is None:
        return None, None
    if rank is None or world_size is None:
        missing = "rank" if rank is None else "world_size"
        _fail(missing, None, "is missing", "pass rank and world_size together, or neither")
    size = _positive("world_size", world_size)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < size:
        _fail("rank", rank, f"is not a rank of world_size={size}", f"pass 0 <= rank < {size}")
    return rank, size


def _check_hosts(hosts: Iterable[str]) -> frozenset[str]:
    if isinstance(hosts, str):
        _fail("allowed_hosts", hosts, "is a string", "pass a list of host names")
    out = set()
    for host in hosts:
        if not isinstance(host, str) or not host or "/" in host or ":" in host:
            _fail("allowed_hosts", host, "is not a host name", 'pass names like "cdn.example.com"')
        out.add(host.lower().rstrip("."))
    return frozenset(out)


def _check_transform(transform: object) -> Transform | None:
    if transform is not None and not callable(transform):
        _fail("transform", transform, "is not callable", "pass a function of the sample dict")
    return transform


def _check_pillow(decode_images: object) -> bool:
    if not isinstance(decode_images, bool):
        _fail("decode_images", decode_images, "is not a bool", "pass True or False")
    if decode_images:
        try:
            import PIL.Image  # noqa: F401
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                'decode_images=True needs Pillow: install it with pip install "avala[torch]".'
            ) from exc
    return decode_images


def _env_int(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"The environment variable {name}={text!r} is not an integer: fix it, or pass rank "
            "and world_size to the dataset."
        ) from None


def resolve_world(rank: int | None = None, world_size: int | None = None) -> tuple[int, int]:
    """``(rank, world_size)``: the arguments if given, else ``torch.distributed``'s when it is
    initialised, else the ``RANK`` and ``WORLD_SIZE`` environment variables, else ``(0, 1)``.

    Raises:
        ValueError: only one of the two is known, or the rank is not in the world.
    """
    if rank is not None and world_size is not None:
        return rank, world_size
    if _distributed.is_available() and _distributed.is_initialized():
        return _distributed.get_rank(), _distributed.get_world_size()
    env_rank, env_size = _env_int("RANK"), _env_int("WORLD_SIZE")
    if env_rank is None and env_size is None:
        return 0, 1
    if env_rank is None or env_size is None or env_size < 1 or not 0 <= env_rank < env_size:
        raise ValueError(
            f"RANK={env_rank} and WORLD_SIZE={env_size} in the environment do not describe a "
            "rank: set both (0 <= RANK < WORLD_SIZE), or pass rank and world_size."
        )
    return env_rank, env_size


def current_shard(rank: int | None = None, world_size: int | None = None) -> tuple[int, int]:
    """``(shard, shards)`` of the calling process and DataLoader worker: ``rank *
    num_workers + worker_id`` of ``world_size * num_workers``."""
    rank_, size = resolve_world(rank, world_size)
    info = get_worker_info()
    worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
    return rank_ * workers + worker, size * workers


# --------------------------------------------------------------------------- the client


@attrs.frozen
class _ClientSettings:
    """What rebuilds a worker's ``Client``: the client's URL, key and call settings."""

    base_url: str
    api_key: str = attrs.field(repr=False)
    timeout: Timeout
    max_retries: int
    connection_limit: int
    max_response_size: int

    @classmethod
    def of(cls, client: Client) -> _ClientSettings:
        inner = client._async
        options = inner._options
        return cls(
            base_url=inner.base_url,
            api_key=_Secret(inner.credential.api_key),
            timeout=options.timeout,
            max_retries=options.max_retries,
            connection_limit=inner._transport._connection_limit,
            max_response_size=options.max_response_size,
        )

    def build(self) -> Client:
        return Client(
            api_key=str(self.api_key),
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            connection_limit=self.connection_limit,
            max_response_size=self.max_response_size,
        )


class _Source:
    """The client (the caller's, or one rebuilt in a spawned worker) and the media policy of
    one dataset; pickles without the live client."""

    def __init__(
        self,
        client: Client,
        owner: str,
        slug: str,
        *,
        attempts: int,
        read_ahead: int,
        allowed_hosts: frozenset[str],
    ) -> None:
        self.owner = owner
        self.slug = slug
        self.attempts = attempts
        self.read_ahead = read_ahead
        self.allowed_hosts = allowed_hosts
        self._client: Client | None = client
        self._settings: _ClientSettings | None = None
        self._owned: Client | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        client = state.pop("_client")
        state.pop("_owned")
        if state["_settings"] is None and client is not None:
            state["_settings"] = _ClientSettings.of(client)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._client = self._owned = None

    @property
    def client(self) -> Client:
        """The client to use in this process (built from the settings after unpickling)."""
        client = self._client
        if client is None:
            assert self._settings is not None
            client = self._client = self._owned = self._settings.build()
        return client

    def close(self) -> None:
        owned, self._owned = self._owned, None
        if owned is not None:
            self._client = None
            owned.close()

    # ---- media (on the client's loop)

    def _checked(self, item: DatasetItem) -> URL:
        url = item.url
        parsed, problem = storage_url(url)
        if parsed is None and isinstance(url, str) and self.allowed_hosts:
            with contextlib.suppress(ValueError):
                candidate = URL(url, encoded=True)
                host = (candidate.host or "").lower().rstrip(".")
                if (
                    candidate.scheme == "https"
                    and host in self.allowed_hosts
                    and candidate.explicit_port is None
                    and candidate.user is None
                    and not candidate.fragment
                ):
                    return candidate
        if parsed is None:
            raise DownloadError(
                f"Refusing to fetch the media of item {item.uid}: {problem}. Media is fetched "
                f"only over https from Avala's storage hosts ({ALLOWED_HOSTS_TEXT}) or the "
                "hosts given as allowed_hosts."
            )
        return parsed

    async def fetch(self, aclient: AsyncClient, item: DatasetItem) -> tuple[DatasetItem, bytes]:
        """The item (re-signed if its URL had expired) and its media bytes."""
        transport = aclient._transport
        session = transport.storage_session()
        options = aclient._options
        max_retry_after = options.max_retry_after
        resigned = False
        failures = 0
        while True:
            url = self._checked(item)
            host = url.host
            try:
                body = await _get_media(transport, session, options, url, item.uid)
            except _Again as again:
                failures += 1
                if failures >= self.attempts:
                    error = DownloadIntegrityError if again.corrupt else DownloadError
                    raise error(
                        f"Could not fetch the media of item {item.uid} from {host}: "
                        f"{again.reason} ({failures} attempts).",
                        status_code=again.status,
                    ) from again.__cause__
                delay = again.delay
                if delay is None or delay > max_retry_after:
                    delay = backoff_delay(failures - 1)
                await transport._pause(delay)
                continue
            except _Denied as denied:
                if resigned:
                    raise DownloadError(
                        f"Could not fetch the media of item {item.uid} from {host}: HTTP 403 "
                        f"({denied.reason}) even with a URL re-signed by get_item.",
                        status_code=403,
                    ) from None
                item = await aclient.datasets.get_item(self.owner, self.slug, item.uid)
                resigned = True
                continue
            return item, body

    async def fetch_many(
        self, aclient: AsyncClient, items: Sequence[DatasetItem], decode: bool
    ) -> list[tuple[DatasetItem, bytes | None]]:
        """Every item's media (``read_ahead`` at a time), in order."""
        slots = asyncio.Semaphore(self.read_ahead)

        async def one(item: DatasetItem) -> tuple[DatasetItem, bytes | None]:
            if not decode or not item.url:
                return item, None
            async with slots:
                return await self.fetch(aclient, item)

        tasks = [asyncio.ensure_future(one(item)) for item in items]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()

    async def stream(
        self,
        aclient: AsyncClient,
        items: AsyncIterator[DatasetItem],
        decode: bool,
    ) -> AsyncGenerator[list[tuple[DatasetItem, bytes | None]], None]:
        """The items with their media, in order, fetching up to ``read_ahead`` at once; each
        step hands over the next item and every one after it that is ready too."""
        loop = asyncio.get_running_loop()
        window: collections.deque[asyncio.Future[tuple[DatasetItem, bytes | None]]]
        window = collections.deque()

        async def ready() -> list[tuple[DatasetItem, bytes | None]]:
            batch = [await window.popleft()]
            while window and window[0].done():
                batch.append(window.popleft().result())
            return batch

        try:
            async for item in items:
                if decode and item.url:
                    future: asyncio.Future[tuple[DatasetItem, bytes | None]]
                    future = asyncio.ensure_future(self.fetch(aclient, item))
                else:
                    future = loop.create_future()
                    future.set_result((item, None))
                window.append(future)
                if len(window) >= self.read_ahead:
                    yield await ready()
            while window:
                yield await ready()
        finally:
            for pending in window:
                pending.cancel()
            if window:
                await asyncio.gather(*window, return_exceptions=True)


class _Again(Exception):
    """One attempt failed in a way worth another."""

    def __init__(
        self, reason: str, *, status: int | None = None, delay: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason, self.status, self.delay = reason, status, delay
        self.corrupt = False


class _Denied(Exception):
    """403: the signed URL expired (or was refused)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _checksum_ok(header: str, body: bytes) -> bool:
    try:
        announced = base64.b64decode(header, validate=True)
    except (binascii.Error, ValueError):
        return True  # not a checksum we can read: nothing to compare
    return announced == hashlib.sha256(body).digest()


async def _get_media(
    transport: Transport,
    session: aiohttp.ClientSession,
    options: RequestOptions,
    url: URL,
    uid: str,
) -> bytes:
    """One attempt, bounded like an API attempt: the client's ``timeout.total`` on the
    transport's shared deadline timers (not a loop timer of its own), ``timeout.connect`` for
    a new connection and ``timeout.read`` between reads when set."""
    deadline = transport._deadlines.enter(options.timeout.total)
    try:
        return await _media_attempt(session, url, options, uid)
    except asyncio.CancelledError:
        if deadline.timed_out():
            raise _Again(f"timed out after {options.timeout.total:g} s") from None
        raise
    finally:
        deadline.leave()


async def _media_attempt(
    session: aiohttp.ClientSession, url: URL, options: RequestOptions, uid: str
) -> bytes:
    cap = options.max_response_size
    try:
        request = session.request(
            "GET",
            url,
            headers={"Accept-Encoding": "identity"},
            allow_redirects=False,
            timeout=options.client_timeout,
        )
        async with request as resp:
            status = resp.status
            if status == 403:
                text = (await resp.content.read(4096)).decode("utf-8", "replace")
                raise _Denied("expired" if "expired" in text.lower() else "access denied")
            if status in _RETRY_STATUSES:
                raise _Again(f"HTTP {status}", status=status, delay=parse_retry_after(resp.headers))
            if status != 200:
                raise DownloadError(
                    f"Could not fetch the media of item {uid} from {url.host}: HTTP {status}.",
                    status_code=status,
                )
            length = resp.content_length
            if length is not None and length > cap:
                raise DownloadError(
                    f"The media of item {uid} is {length:,} bytes, more than the client's "
                    f"max_response_size ({cap:,}): raise max_response_size on the Client."
                )
            if length is not None:  # the common case: one read of a size known to fit
                data = await resp.read()
            else:
                data = await _read_capped(resp, cap, uid)
            checksum = resp.headers.get("x-amz-checksum-sha256")
    except _RETRYABLE as exc:
        raise _Again(type(exc).__name__) from exc
    if length is not None and len(data) != length:
        raise _Again(f"{len(data):,} of {length:,} bytes arrived")
    if checksum and not _checksum_ok(checksum, data):
        again = _Again("the bytes differ from the response's x-amz-checksum-sha256")
        again.corrupt = True
        raise again
    return data


async def _read_capped(resp: aiohttp.ClientResponse, cap: int, uid: str) -> bytes:
    """A body of unknown length, refused once it passes ``cap``."""
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > cap:
            raise DownloadError(
                f"The media of item {uid} is larger than the client's max_response_size "
                f"({cap:,} bytes): raise max_response_size on the Client."
            )
    return bytes(body)


# --------------------------------------------------------------------------- samples


def _decode(data: bytes) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def _sample(item: DatasetItem, data: bytes | None, decode: bool) -> Sample:
    sample: Sample = {
        "uid": item.uid,
        "key": item.key,
        "url": item.url,
        "annotations": item.annotations,
        "export_snippet": item.export_snippet,
        "metadata": item.metadata,
    }
    if decode:
        sample["image"] = None if data is None else _decode(data)
    return sample


class _ItemsDataset:
    """What both datasets share: checked settings, the media source, owner/slug, close."""

    transform: Transform | None
    decode_images: bool
    page_size: int
    _source: _Source

    def _configure(
        self,
        client: Client,
        owner: str,
        slug: str,
        transform: Transform | None,
        decode_images: bool,
        page_size: int,
        read_ahead: int,
        attempts: int,
        allowed_hosts: Iterable[str],
    ) -> None:
        self.transform: Transform | None = _check_transform(transform)
        self.decode_images: bool = _check_pillow(decode_images)
        self.page_size: int = _positive("page_size", page_size, _MAX_PAGE_SIZE)
        self._source = _Source(
            _check_client(client),
            _name("owner", owner),
            _name("slug", slug),
            attempts=_positive("attempts", attempts),
            read_ahead=_positive("read_ahead", read_ahead),
            allowed_hosts=_check_hosts(allowed_hosts),
        )

    @property
    def owner(self) -> str:
        """The dataset owner's name."""
        return self._source.owner

    @property
    def slug(self) -> str:
        """The dataset's slug."""
        return self._source.slug

    def close(self) -> None:
        """Close a client this dataset built for itself (in a spawned worker); the
        caller's client is left open."""
        self._source.close()


class AvalaIterableDataset(_ItemsDataset, IterableDataset[Any]):
    """Stream a dataset's items, sharded by DDP rank and DataLoader worker (see
    :mod:`avala.torch`).

    Args:
        client: A sync :class:`avala.Client` (not an ``AsyncClient``).
        owner: The dataset owner's name.
        slug: The dataset's slug.
        transform: Called with each sample dict; its result is yielded instead.
        decode_images: Fetch each item's media and add it as ``image`` (a PIL image in RGB;
            ``None`` for an item without a URL).
        page_size: Items per ``list_items`` page (1-1000).
        rank: This process's DDP rank (with ``world_size``); read from
            ``torch.distributed`` or ``RANK``/``WORLD_SIZE`` when omitted.
        world_size: The number of DDP ranks (with ``rank``).
        read_ahead: Media fetches in flight at once, per worker; up to as many fetched
            samples more wait for the consumer.
        attempts: Tries per media URL before giving up (the first included).
        allowed_hosts: Further https hosts media may come from (e.g. your CDN).

    Raises:
        ValueError: an argument is invalid (the message names it).
        ModuleNotFoundError: ``decode_images=True`` without Pillow.
    """

    def __init__(
        self,
        client: Client,
        owner: str,
        slug: str,
        transform: Transform | None = None,
        decode_images: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        rank: int | None = None,
        world_size: int | None = None,
        *,
        read_ahead: int = DEFAULT_READ_AHEAD,
        attempts: int = DEFAULT_ATTEMPTS,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self._rank, self._world_size = _check_world(rank, world_size)
        self._configure(
            client,
            owner,
            slug,
            transform,
            decode_images,
            page_size,
            read_ahead,
            attempts,
            allowed_hosts,
        )

    def shard(self) -> tuple[int, int]:
        """``(shard, shards)`` this process and DataLoader worker would read now."""
        return current_shard(self._rank, self._world_size)

    def __iter__(self) -> Iterator[Any]:
        shard, shards = self.shard()
        source = self._source
        client = source.client
        aclient = client._async
        decode = self.decode_images

        async def mine() -> AsyncIterator[DatasetItem]:
            position = 0
            listing = aclient.datasets.list_items(source.owner, source.slug, limit=self.page_size)
            async for item in listing:
                if position % shards == shard:
                    yield item
                position += 1

        def stream() -> AsyncGenerator[list[tuple[DatasetItem, bytes | None]], None]:
            return source.stream(aclient, mine(), decode)

        transform = self.transform
        # handed over through a queue, not one thread hop per sample (see pump)
        for batch in pump(stream, client._portal, source.read_ahead):
            for item, data in batch:
                sample = _sample(item, data, decode)
                yield sample if transform is None else transform(sample)

    def __repr__(self) -> str:
        return (
            f"AvalaIterableDataset(owner={self.owner!r}, slug={self.slug!r}, "
            f"decode_images={self.decode_images!r}, page_size={self.page_size!r})"
        )


class AvalaDataset(_ItemsDataset, Dataset[Any]):
    """A map-style view of a dataset's items: every uid is listed here, and each index
    is fetched with ``get_item`` (fresh media URLs). A DataLoader batch is fetched in one go
    (``__getitems__``), its media ``read_ahead`` at a time. Shard it with a sampler (e.g.
    ``torch.utils.data.DistributedSampler``).

    Args:
        client: A sync :class:`avala.Client` (not an ``AsyncClient``).
        owner: The dataset owner's name.
        slug: The dataset's slug.
        transform: Called with each sample dict; its result is returned instead.
        decode_images: Fetch each item's media and add it as ``image`` (a PIL image in RGB;
            ``None`` for an item without a URL).
        page_size: Items per ``list_items`` page while listing the uids (1-1000).
        read_ahead: Media fetches in flight at once within a batch.
        attempts: Tries per media URL before giving up (the first included).
        allowed_hosts: Further https hosts media may come from (e.g. your CDN).

    Raises:
        ValueError: an argument is invalid (the message names it).
        ModuleNotFoundError: ``decode_images=True`` without Pillow.
    """

    def __init__(
        self,
        client: Client,
        owner: str,
        slug: str,
        transform: Transform | None = None,
        decode_images: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        read_ahead: int = DEFAULT_READ_AHEAD,
        attempts: int = DEFAULT_ATTEMPTS,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self._configure(
            client,
            owner,
            slug,
            transform,
            decode_images,
            page_size,
            read_ahead,
            attempts,
            allowed_hosts,
        )
        listing = client.datasets.list_items(owner, slug, limit=self.page_size)
        self.uids: list[str] = [item.uid for item in listing]

    def __len__(self) -> int:
        return len(self.uids)

    def _uid(self, index: object) -> str:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"AvalaDataset indices are ints, got {type(index).__name__}.")
        count = len(self.uids)
        if not -count <= index < count:
            raise IndexError(f"index {index} is out of range for {count} items")
        return self.uids[index]

    def _samples(self, uids: list[str]) -> list[Any]:
        source = self._source
        client = source.client
        aclient = client._async
        decode = self.decode_images

        async def load() -> list[tuple[DatasetItem, bytes | None]]:
            get = aclient.datasets.get_item
            items = await asyncio.gather(*(get(source.owner, source.slug, u) for u in uids))
            return await source.fetch_many(aclient, items, decode)

        loaded = client._portal.call(load)
        transform = self.transform
        out = []
        for item, data in loaded:
            sample = _sample(item, data, decode)
            out.append(sample if transform is None else transform(sample))
        return out

    def __getitem__(self, index: int) -> Any:
        return self._samples([self._uid(index)])[0]

    def __getitems__(self, indices: Sequence[int]) -> list[Any]:
        """The samples of a batch of indices, fetched together (DataLoader calls this)."""
        return self._samples([self._uid(index) for index in indices])

    def __repr__(self) -> str:
        return (
            f"AvalaDataset(owner={self.owner!r}, slug={self.slug!r}, items={len(self.uids)}, "
            f"decode_images={self.decode_images!r})"
        )
