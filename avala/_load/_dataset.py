"""``avala.load`` / ``avala.async_load``: a published dataset revision, resolved and checked.

Opening a dataset resolves the reference and lists every object page before anything is
returned, so each manifest rule (strict ``(role, ordinal, logical_path)`` order, no duplicate,
no repeated cursor, object count and total size as declared, every ``episode_ordinal``
naming an ``episode`` object) has been checked when :func:`async_load` returns. Bytes are
fetched when objects are iterated (a read-ahead window of ``concurrency`` downloads, yielded
in order) or opened.

The object cache is content-addressed (``<cache dir>/objects/sha256/<sha256>``) and
trusted by name: only bytes whose size and SHA-256 verified are renamed into it (a temporary
file beside it, then ``os.replace``), so a hit costs one ``stat`` and the size must match;
``verify_cache=True`` re-hashes each hit instead (and replaces a bad one). Two processes may
fill one cache at once, without locks: each writes its own temporary file and the renames put
identical bytes in place.

The sync surface (:func:`load`, :class:`ResolvedDataset`) runs this same async code on an
event-loop thread of its own (the portal the sync ``Client`` uses), one hop per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
import warnings
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import attrs

from .._closing import ClosedOnExit
from .._config import resolve_base_url
from ..errors import (
    DatasetIntegrityError,
    MutableDatasetAliasWarning,
    UnsupportedDatasetModeError,
)
from ._cache import ObjectCache, default_cache_dir
from ._protocol import DatasetRights, ObjectEntry, Revision, parse_page, parse_revision
from ._reference import Reference, parse_reference

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._portal import Portal
    from ._client import ResolverClient


DEFAULT_MAX_READ = 64 << 20
DEFAULT_CONCURRENCY = 8
EPISODE_ROLE = "episode"


@attrs.frozen
class _Plan:
    """What a load needs, checked in the caller's thread before any request."""

    reference: Reference
    base_url: str
    cache: ObjectCache | None
    concurrency: int
    verify_cache: bool


def _plan(
    reference: object,
    revision: object,
    streaming: object,
    base_url: str | None,
    cache: bool,
    cache_dir: str | os.PathLike[str] | None,
    concurrency: object,
    verify_cache: bool,
) -> _Plan:
    if streaming is not True:
        raise UnsupportedDatasetModeError(
            f"streaming={streaming!r} is not supported: objects are always fetched on demand "
            "(and kept in the local cache). Leave streaming at its default, True."
        )
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not (1 <= concurrency <= 64)
    ):
        raise ValueError(f"concurrency must be an int from 1 to 64, got {concurrency!r}.")
    parsed = parse_reference(reference, revision)
    url = resolve_base_url(base_url)
    if not parsed.pinned:
        warnings.warn(
            f"{parsed.requested} names the alias {parsed.selector!r}, which may move to "
            "another revision; pin '@<sha256>' (see .canonical_reference) to load the same "
            "bytes every time.",
            MutableDatasetAliasWarning,
            stacklevel=3,
        )
    store = ObjectCache(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    return _Plan(parsed, url, store if cache else None, concurrency, verify_cache)


class _ObjectFields:
    """The manifest's description of an object, shared by both surfaces."""

    _entry: ObjectEntry

    @property
    def object_uid(self) -> str:
        """The object's uid."""
        return self._entry.object_uid

    @property
    def logical_path(self) -> str:
        """Its path within the dataset, e.g. ``"frames/0001.jpg"``."""
        return self._entry.logical_path

    @property
    def role(self) -> str:
        """Its role, e.g. ``"episode"`` or ``"frame"``."""
        return self._entry.role

    @property
    def ordinal(self) -> int:
        """Its position within its role."""
        return self._entry.ordinal

    @property
    def episode_ordinal(self) -> int | None:
        """The ordinal of the ``episode`` object it belongs to, if any."""
        return self._entry.episode_ordinal

    @property
    def content_type(self) -> str:
        """Its media type."""
        return self._entry.content_type

    @property
    def origin(self) -> str:
        """Where it came from (one of the manifest's origins)."""
        return self._entry.origin

    @property
    def size_bytes(self) -> int:
        """Its size; the bytes are checked against it."""
        return self._entry.size_bytes

    @property
    def sha256(self) -> str:
        """SHA-256 hex of its bytes; the bytes are checked against it."""
        return self._entry.sha256

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields the resolver sent beyond the documented ones."""
        return dict(self._entry.extra_fields)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.role}[{self.ordinal}] {self.logical_path!r} "
            f"{self.size_bytes} bytes>"
        )


# --------------------------------------------------------------------------- async surface


class AsyncDatasetObject(_ObjectFields):
    """One object of an :class:`AsyncResolvedDataset`, with verified bytes on demand."""

    def __init__(self, dataset: AsyncResolvedDataset, entry: ObjectEntry) -> None:
        self._dataset = dataset
        self._entry = entry
        self._local: Path | None = None

    @property
    def cached_path(self) -> Path | None:
        """The verified file, once fetched: in the object cache, or with ``cache=False`` in
        the dataset's temporary directory (deleted when the dataset is closed)."""
        return self._local

    async def fetch(self) -> None:
        """Make the verified bytes local (a no-op when they already are).

        Raises:
            DatasetDownloadError: the bytes could not be fetched or did not verify.
            DatasetIntegrityError: the access grant broke a rule.
        """
        if self._local is None:
            self._local = await self._dataset._materialize(self._entry)

    async def open(self) -> IO[bytes]:
        """A seekable binary file of the verified bytes (fetching them first if needed).
        Close it when done; it stays readable after the dataset is closed."""
        await self.fetch()
        assert self._local is not None
        return open(self._local, "rb")  # the caller closes it

    async def read(self, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        """All of the verified bytes.

        Args:
            max_bytes: The most this may return (64 MiB by default); use :meth:`open` for
                larger objects.

        Raises:
            UnsupportedDatasetModeError: the object is larger than ``max_bytes``.
        """
        if self.size_bytes > max_bytes:
            raise UnsupportedDatasetModeError(
                f"{self.logical_path} has {self.size_bytes:,} bytes, more than "
                f"max_bytes={max_bytes:,}: stream it with open() instead, or raise max_bytes."
            )
        with await self.open() as handle:
            if self.size_bytes > 1 << 20:
                return await asyncio.to_thread(handle.read)
            return handle.read()


class AsyncDatasetObjects:
    """The objects of a dataset, or of one role, in ``(role, ordinal, logical_path)`` order.

    ``len()`` counts them; ``async for`` yields each with its bytes fetched (up to the
    dataset's ``concurrency`` downloads ahead, in order); in a role's collection
    ``await coll.get(n)`` (or ``await coll[n]``) is the object of ordinal ``n``.
    """

    def __init__(self, dataset: AsyncResolvedDataset, role: str | None) -> None:
        self._dataset = dataset
        self._role = role
        self._entries = dataset._role_entries(role)
        self._by_ordinal: dict[int, list[ObjectEntry]] | None = None

    @property
    def role(self) -> str | None:
        """The role, or None for every object."""
        return self._role

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        which = "all roles" if self._role is None else f"role {self._role!r}"
        return f"<{type(self).__name__} {len(self)} objects, {which}>"

    def __aiter__(self) -> AsyncIterator[AsyncDatasetObject]:
        return self._dataset._walk(self._entries)

    def _find(self, ordinal: int) -> ObjectEntry:
        if self._role is None:
            raise TypeError(
                "Objects of every role share ordinals: index a role's collection instead, "
                "e.g. dataset.for_role('frame')[0] or dataset.episodes[0]."
            )
        if isinstance(ordinal, bool) or not isinstance(ordinal, int):
            raise TypeError(f"ordinal must be an int, got {type(ordinal).__name__}.")
        if self._by_ordinal is None:
            index: dict[int, list[ObjectEntry]] = {}
            for entry in self._entries:
                index.setdefault(entry.ordinal, []).append(entry)
            self._by_ordinal = index
        found = self._by_ordinal.get(ordinal, [])
        if not found:
            raise KeyError(f"no {self._role!r} object has ordinal {ordinal}")
        if len(found) > 1:
            paths = ", ".join(e.logical_path for e in found[:3])
            raise LookupError(
                f"{len(found)} {self._role!r} objects have ordinal {ordinal} ({paths}); "
                "iterate the collection to tell them apart by logical_path."
            )
        return found[0]

    async def get(self, ordinal: int) -> AsyncDatasetObject:
        """The object of this role with ``ordinal``, its bytes fetched.

        Raises:
            KeyError: no object has that ordinal.
            TypeError: this is the collection of every role (ordinals repeat across roles).
        """
        obj = AsyncDatasetObject(self._dataset, self._find(ordinal))
        await obj.fetch()
        return obj

    def __getitem__(self, ordinal: int) -> Coroutine[Any, Any, AsyncDatasetObject]:
        return self.get(ordinal)


class AsyncResolvedDataset:
    """A published, immutable dataset revision (from :func:`async_load`), every manifest
    rule already checked. Use it as an async context manager, or ``await ds.close()``.

    ``async for obj in ds.objects`` walks every object; ``ds.episodes`` and
    ``ds.for_role(role)`` one role.
    """

    def __init__(self, plan: _Plan, *, client: ResolverClient | None = None) -> None:
        from ._client import ResolverClient

        self._plan = plan
        self._client = client or ResolverClient(plan.base_url, concurrency=plan.concurrency)
        self._revision: Revision | None = None
        self._entries: list[ObjectEntry] = []
        self._semaphore: asyncio.Semaphore | None = None
        self._scratch: ObjectCache | None = None  # cache=False, or an unwritable cache
        self._roles: dict[str, list[ObjectEntry]] | None = None

    # ---- opening: resolve, then every page

    async def _open(self) -> None:
        ref = self._plan.reference
        try:
            doc = await self._client.get_json(ref.resolve_path)
            revision = parse_revision(doc, selector=ref.selector, dataset_uid=ref.dataset_uid)
            self._entries = await self._list(revision)
            self._revision = revision
        except BaseException:
            await self._client.close()
            raise

    async def _list(self, revision: Revision) -> list[ObjectEntry]:
        manifest = revision.manifest
        entries: list[ObjectEntry] = []
        seen_uids: set[str] = set()
        seen_cursors: set[str] = set()
        total = 0
        cursor: str | None = None
        previous: tuple[str, int, str] | None = None
        while True:
            query = {"limit": "100"} if cursor is None else {"limit": "100", "cursor": cursor}
            page, following = parse_page(
                await self._client.get_json(manifest.objects_path, query=query), revision
            )
            for entry in page:
                key = entry.order_key
                if entry.object_uid in seen_uids or key == previous:
                    raise DatasetIntegrityError(
                        "duplicate_object", detail=f"{entry.logical_path} is listed twice."
                    )
                if previous is not None and key < previous:
                    raise DatasetIntegrityError(
                        "object_order_violation",
                        detail=f"{entry.logical_path} is out of (role, ordinal, path) order.",
                    )
                previous = key
                seen_uids.add(entry.object_uid)
                entries.append(entry)
                total += entry.size_bytes
            if len(entries) > manifest.object_count:
                raise DatasetIntegrityError(
                    "manifest_object_count_mismatch",
                    detail=f"More objects are listed than the {manifest.object_count} declared.",
                )
            if following is None:
                break
            if following in seen_cursors or not page:
                raise DatasetIntegrityError(
                    "invalid_cursor_sequence", detail="The objects pages repeat a cursor."
                )
            seen_cursors.add(following)
            cursor = following
        if len(entries) != manifest.object_count:
            raise DatasetIntegrityError(
                "manifest_object_count_mismatch",
                detail=f"{len(entries)} objects are listed, the manifest declares "
                f"{manifest.object_count}.",
            )
        if total != manifest.total_size_bytes:
            raise DatasetIntegrityError(
                "manifest_total_size_mismatch",
                detail=f"The objects add up to {total} bytes, the manifest declares "
                f"{manifest.total_size_bytes}.",
            )
        episodes = {e.ordinal for e in entries if e.role == EPISODE_ROLE}
        for entry in entries:
            if entry.episode_ordinal is not None and entry.episode_ordinal not in episodes:
                raise DatasetIntegrityError(
                    "unresolved_episode_reference",
                    detail=f"{entry.logical_path} names episode {entry.episode_ordinal}, "
                    "which is not listed.",
                )
        return entries

    def _role_entries(self, role: str | None) -> list[ObjectEntry]:
        if role is None:
            return self._entries
        if self._roles is None:
            roles: dict[str, list[ObjectEntry]] = {}
            for entry in self._entries:
                roles.setdefault(entry.role, []).append(entry)
            self._roles = roles
        return self._roles.get(role, [])

    # ---- bytes

    def _scratch_cache(self) -> ObjectCache:
        """The dataset's own temporary directory, removed when it is closed."""
        if self._scratch is None:
            self._scratch = ObjectCache(Path(tempfile.mkdtemp(prefix="avala-load-")))
        return self._scratch

    async def _materialize(self, entry: ObjectEntry) -> Path:
        cache = self._plan.cache or self._scratch_cache()
        hit = cache.hit(entry.sha256, entry.size_bytes)
        if hit is not None and (not self._plan.verify_cache or _verify_file(hit, entry)):
            return hit
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._plan.concurrency)
        async with self._semaphore:
            return await self._client.fetch(self._resolved, entry, cache, self._scratch_cache)

    async def _walk(self, entries: list[ObjectEntry]) -> AsyncIterator[AsyncDatasetObject]:
        # Up to four times ``concurrency`` objects ahead, so one slow download does not
        # hold the others back (the semaphore still bounds the downloads in flight).
        window = 4 * self._plan.concurrency
        pending: deque[tuple[AsyncDatasetObject, asyncio.Task[None]]] = deque()
        try:
            for entry in entries:
                obj = AsyncDatasetObject(self, entry)
                pending.append((obj, asyncio.ensure_future(obj.fetch())))
                if len(pending) >= window:
                    ready, task = pending.popleft()
                    await task
                    yield ready
            while pending:
                ready, task = pending.popleft()
                await task
                yield ready
        finally:
            for _, task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*(t for _, t in pending), return_exceptions=True)

    # ---- what it is

    @property
    def _resolved(self) -> Revision:
        if self._revision is None:
            raise RuntimeError("The dataset is not open yet.")
        return self._revision

    @property
    def canonical_reference(self) -> str:
        """``avala://datasets/<dataset uid>@<revision sha256>``: names exactly these bytes."""
        return self._resolved.canonical_reference

    @property
    def requested_reference(self) -> str:
        """The reference as it was asked for (the resolver's echo)."""
        return self._resolved.requested_reference

    @property
    def display_reference(self) -> str:
        """A readable name, ``owner/dataset@<sha256>``."""
        return self._resolved.display_reference

    @property
    def dataset_uid(self) -> str:
        """The dataset's uid."""
        return self._resolved.dataset_uid

    @property
    def revision_uid(self) -> str:
        """The revision's uid."""
        return self._resolved.revision_uid

    @property
    def revision_sha256(self) -> str:
        """The revision's SHA-256 (what ``@<sha256>`` pins)."""
        return self._resolved.revision_sha256

    @property
    def manifest_sha256(self) -> str:
        """The manifest's SHA-256."""
        return self._resolved.manifest.sha256

    @property
    def object_count(self) -> int:
        """How many objects the revision has."""
        return self._resolved.manifest.object_count

    @property
    def total_size_bytes(self) -> int:
        """The size of all its objects together."""
        return self._resolved.manifest.total_size_bytes

    @property
    def rights(self) -> DatasetRights:
        """The rights it is published under."""
        return self._resolved.rights

    @property
    def objects(self) -> AsyncDatasetObjects:
        """Every object, in ``(role, ordinal, logical_path)`` order."""
        return AsyncDatasetObjects(self, None)

    @property
    def episodes(self) -> AsyncDatasetObjects:
        """The objects of role ``episode``."""
        return AsyncDatasetObjects(self, EPISODE_ROLE)

    def for_role(self, role: str) -> AsyncDatasetObjects:
        """The objects of ``role``, in ordinal order (empty if it has none)."""
        if not isinstance(role, str) or not role:
            raise TypeError(f"role must be a non-empty str, got {role!r}.")
        return AsyncDatasetObjects(self, role)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        if self._revision is None:
            return f"<{type(self).__name__} (not open)>"
        return f"<{type(self).__name__} {self.display_reference} {self.object_count} objects>"

    async def close(self) -> None:
        """Close its connections, and with ``cache=False`` delete its temporary directory
        (files already opened stay readable). Idempotent."""
        await self._client.close()
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            shutil.rmtree(scratch.root, ignore_errors=True)

    async def __aenter__(self) -> Self:
        return self

    def __del__(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None and client.has_open_session:
            warnings.warn(
                f"Unclosed {self!r}: use `async with await avala.async_load(...) as ds:` or "
                "`await ds.close()` (with cache=False that also deletes its temporary "
                "directory).",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _verify_file(path: Path, entry: ObjectEntry) -> bool:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    if digest.hexdigest() == entry.sha256:
        return True
    with contextlib.suppress(OSError):
        path.unlink()  # a bad cache entry is replaced by a fresh download
    return False


async def async_load(
    reference: str,
    *,
    revision: str | None = None,
    streaming: bool = True,
    base_url: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    verify_cache: bool = False,
) -> AsyncResolvedDataset:
    """Resolve a published dataset revision and check its whole manifest; anonymous.

    No API key is ever sent on this path. The base URL follows the clients' rules
    (``base_url=``, else ``AVALA_BASE_URL``, else the default; https only, http for
    localhost with ``AVALA_ALLOW_INSECURE_BASE_URL=true``).

    Args:
        reference: ``"owner/dataset"``, ``"owner/dataset@<alias>"`` (default alias
            ``main``), ``"owner/dataset@<64 hex sha256>"`` or
            ``"avala://datasets/<uuid>@<sha256>"``.
        revision: The alias or SHA-256, when ``reference`` does not name one.
        streaming: Must be True (the default); objects are fetched on demand.
        base_url: The API root.
        cache: Keep verified bytes in the content-addressed cache (so a second load of the
            same revision downloads nothing); False keeps them in a temporary directory
            deleted when the dataset is closed.
        cache_dir: The cache's directory; default ``AVALA_CACHE_DIR``, else the user cache
            directory (``$XDG_CACHE_HOME/avala`` or ``~/.cache/avala`` on Linux).
        concurrency: Downloads in flight at once (1-64), also the read-ahead of iteration.
        verify_cache: Re-hash cached objects when they are used, instead of trusting the
            cache's names (bad entries are downloaded again).

    Returns:
        The dataset; close it (``async with``) when done.

    Raises:
        DatasetReferenceError: the reference is malformed, or names the revision twice.
        UnsupportedDatasetModeError: ``streaming`` is not True.
        ConfigurationError: the base URL is invalid.
        DatasetRevisionWithdrawnError: the revision was withdrawn (410).
        DatasetIntegrityError: the resolver's answers break a rule of the protocol.
        DatasetResolverError: the resolver failed (``reason`` says how).

    Warns:
        MutableDatasetAliasWarning: the reference names an alias rather than a SHA-256.
    """
    plan = _plan(
        reference, revision, streaming, base_url, cache, cache_dir, concurrency, verify_cache
    )
    dataset = AsyncResolvedDataset(plan)
    await dataset._open()
    return dataset


def resolve_revision(
    reference: str, *, revision: str | None = None, base_url: str | None = None
) -> Revision:
    """Resolve ``reference`` and check the resolve document only (no listing, no download):
    what ``avala datasets resolve`` prints. Same arguments and errors as :func:`load`."""
    from .._portal import run_once
    from ._client import ResolverClient

    plan = _plan(reference, revision, True, base_url, False, None, 1, False)

    async def resolve() -> Revision:
        client = ResolverClient(plan.base_url, concurrency=1)
        try:
            doc = await client.get_json(plan.reference.resolve_path)
        finally:
            await client.close()
        ref = plan.reference
        return parse_revision(doc, selector=ref.selector, dataset_uid=ref.dataset_uid)

    return run_once(resolve)


# --------------------------------------------------------------------------- sync surface


class DatasetObject(_ObjectFields):
    """One object of a :class:`ResolvedDataset`, with verified bytes on demand."""

    def __init__(self, inner: AsyncDatasetObject, portal: Portal) -> None:
        self._inner = inner
        self._entry = inner._entry
        self._portal = portal

    @property
    def cached_path(self) -> Path | None:
        """The verified file, once fetched: in the object cache, or with ``cache=False`` in
        the dataset's temporary directory (deleted when the dataset is closed)."""
        return self._inner.cached_path

    def fetch(self) -> None:
        """Make the verified bytes local (a no-op when they already are).

        Raises:
            DatasetDownloadError: the bytes could not be fetched or did not verify.
        """
        self._portal.call(self._inner.fetch)

    def open(self) -> IO[bytes]:
        """A seekable binary file of the verified bytes (fetching them first if needed).
        Close it when done; it stays readable after the dataset is closed."""
        return self._portal.call(self._inner.open)

    def read(self, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        """All of the verified bytes.

        Args:
            max_bytes: The most this may return (64 MiB by default); use :meth:`open` for
                larger objects.

        Raises:
            UnsupportedDatasetModeError: the object is larger than ``max_bytes``.
        """
        return self._portal.call(functools.partial(self._inner.read, max_bytes))


class DatasetObjects:
    """The objects of a dataset, or of one role, in ``(role, ordinal, logical_path)`` order.

    ``len()`` counts them; iterating yields each with its bytes fetched (up to the dataset's
    ``concurrency`` downloads ahead, in order); in a role's collection ``coll[n]`` is the
    object of ordinal ``n``.
    """

    def __init__(self, inner: AsyncDatasetObjects, portal: Portal) -> None:
        self._inner = inner
        self._portal = portal

    @property
    def role(self) -> str | None:
        """The role, or None for every object."""
        return self._inner.role

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncDatasetObjects", "DatasetObjects")

    def __iter__(self) -> Iterator[DatasetObject]:
        from .._portal import pump

        objects = self._inner

        async def batches() -> AsyncGenerator[list[AsyncDatasetObject], None]:
            async for inner in objects:
                yield [inner]

        # handed over through a queue (see pump), not one thread hop per object
        ahead = 4 * objects._dataset._plan.concurrency
        for batch in pump(batches, self._portal, ahead):
            for inner in batch:
                yield DatasetObject(inner, self._portal)

    def get(self, ordinal: int) -> DatasetObject:
        """The object of this role with ``ordinal``, its bytes fetched.

        Raises:
            KeyError: no object has that ordinal.
            TypeError: this is the collection of every role (ordinals repeat across roles).
        """
        self._inner._find(ordinal)  # argument errors in the caller's thread
        inner = self._portal.call(functools.partial(self._inner.get, ordinal))
        return DatasetObject(inner, self._portal)

    def __getitem__(self, ordinal: int) -> DatasetObject:
        return self.get(ordinal)


class ResolvedDataset(ClosedOnExit):
    """A published, immutable dataset revision (from :func:`load`), every manifest rule
    already checked. Use it as a context manager, or call :meth:`close`.

    ``for obj in ds.objects`` walks every object; ``ds.episodes`` and ``ds.for_role(role)``
    one role.
    """

    def __init__(self, inner: AsyncResolvedDataset, portal: Portal) -> None:
        self._inner = inner
        self._portal = portal

    @property
    def canonical_reference(self) -> str:
        """``avala://datasets/<dataset uid>@<revision sha256>``: names exactly these bytes."""
        return self._inner.canonical_reference

    @property
    def requested_reference(self) -> str:
        """The reference as it was asked for (the resolver's echo)."""
        return self._inner.requested_reference

    @property
    def display_reference(self) -> str:
        """A readable name, ``owner/dataset@<sha256>``."""
        return self._inner.display_reference

    @property
    def dataset_uid(self) -> str:
        """The dataset's uid."""
        return self._inner.dataset_uid

    @property
    def revision_uid(self) -> str:
        """The revision's uid."""
        return self._inner.revision_uid

    @property
    def revision_sha256(self) -> str:
        """The revision's SHA-256 (what ``@<sha256>`` pins)."""
        return self._inner.revision_sha256

    @property
    def manifest_sha256(self) -> str:
        """The manifest's SHA-256."""
        return self._inner.manifest_sha256

    @property
    def object_count(self) -> int:
        """How many objects the revision has."""
        return self._inner.object_count

    @property
    def total_size_bytes(self) -> int:
        """The size of all its objects together."""
        return self._inner.total_size_bytes

    @property
    def rights(self) -> DatasetRights:
        """The rights it is published under."""
        return self._inner.rights

    @property
    def objects(self) -> DatasetObjects:
        """Every object, in ``(role, ordinal, logical_path)`` order."""
        return DatasetObjects(self._inner.objects, self._portal)

    @property
    def episodes(self) -> DatasetObjects:
        """The objects of role ``episode``."""
        return DatasetObjects(self._inner.episodes, self._portal)

    def for_role(self, role: str) -> DatasetObjects:
        """The objects of ``role``, in ordinal order (empty if it has none)."""
        return DatasetObjects(self._inner.for_role(role), self._portal)

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncResolvedDataset", "ResolvedDataset")

    def close(self) -> None:
        """Close its connections and its event-loop thread. Idempotent."""
        self._portal.close()


def load(
    reference: str,
    *,
    revision: str | None = None,
    streaming: bool = True,
    base_url: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    verify_cache: bool = False,
) -> ResolvedDataset:
    """Resolve a published dataset revision and check its whole manifest; anonymous.

    The synchronous twin of :func:`async_load`: the same arguments, checks, errors and
    warnings (see there), the same code run on an event-loop thread the dataset owns until
    it is closed.

    Returns:
        The dataset; close it (``with``) when done.
    """
    from .._portal import Portal

    plan = _plan(
        reference, revision, streaming, base_url, cache, cache_dir, concurrency, verify_cache
    )
    inner = AsyncResolvedDataset(plan)
    portal = Portal(inner)
    try:
        portal.call(inner._open)
    except BaseException:
        portal.close()
        raise
    return ResolvedDataset(inner, portal)
