"""Cursor pages and lazy auto-pagination, for both surfaces.

``await client.datasets.list()`` gives one :class:`AsyncPage`; ``async for d in
client.datasets.list():`` walks every item of every page. The sync facade wraps these as
:class:`SyncPage` / :class:`SyncPaginator`, crossing to the client's event-loop thread once
per page, never once per item.

While a walk hands out page n, page n+1 is already requested (read-ahead), so the network
wait overlaps with decoding and with the caller's own work. Memory holds at most two pages;
stopping a walk early cancels the read-ahead, so it costs at most one extra request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from .errors import APIResponseValidationError, AvalaError

T = TypeVar("T")
R = TypeVar("R")


class PageSource(Protocol[T]):
    """A list endpoint: fetches raw pages and decodes them (see ``resources/_base.py``)."""

    async def fetch(self, cursor: Mapping[str, str]) -> Any:
        """Request one page; ``cursor`` is ``{}`` for the first."""
        ...

    def next_cursor(self, raw: Any) -> dict[str, str] | None:
        """The cursor parameters of the page after ``raw``, read without decoding it."""
        ...

    def decode(self, raw: Any) -> AsyncPage[T]:
        """Turn a fetched page into models."""
        ...


class Caller(Protocol):
    """Runs an async callable to completion from synchronous code (the sync facade's portal)."""

    def __call__(self, func: Callable[[], Coroutine[Any, Any, R]], /) -> R: ...


#: Key of a page cursor that names a whole next link (path and query) to request as is.
FOLLOW = ""

__all__ = [
    "FOLLOW",
    "AsyncPage",
    "AsyncPaginator",
    "Caller",
    "PageSource",
    "SyncPage",
    "SyncPaginator",
    "cursor_params",
]


def cursor_params(url: str | None) -> dict[str, str] | None:
    """The query parameter that selects the page a ``next``/``previous`` URL points to.

    DRF cursor pagination puts it in ``cursor``; page-number endpoints use ``page``. The
    parameter keeps its own name, so page-number endpoints are paged correctly too.
    """
    if not url:
        return None
    query = parse_qs(urlsplit(url).query)
    for name in ("cursor", "page"):
        values = query.get(name)
        if values:
            return {name: values[0]}
    return None


def _cursor_value(cursor: Mapping[str, str] | None) -> str | None:
    """The value a caller passes back (``cursor=`` or ``page=``), or the whole link's
    query for links paged some other way."""
    if not cursor:
        return None
    if FOLLOW in cursor:
        return "&".join(f"{k}={v}" for k, v in cursor.items() if k != FOLLOW) or cursor[FOLLOW]
    return next(iter(cursor.values()))


class PageStream(Generic[T]):
    """Pages in order, with read-ahead: page n+1 is requested before page n is decoded.

    Runs on the client's event loop. :meth:`close` cancels a read-ahead nobody will use.
    """

    __slots__ = ("_cursor", "_pending", "_seen", "_source")

    def __init__(self, source: PageSource[T], cursor: Mapping[str, str] | None) -> None:
        self._source = source
        self._cursor = cursor
        self._pending: asyncio.Future[Any] | None = None
        self._seen: set[tuple[tuple[str, str], ...]] = set()
        if cursor is not None:
            self._seen.add(tuple(sorted(cursor.items())))

    async def next(self) -> AsyncPage[T] | None:
        """The next page, or None after the last."""
        source = self._source
        if self._pending is not None:
            pending, self._pending = self._pending, None
            raw = await pending
        elif self._cursor is not None:
            cursor, self._cursor = self._cursor, None
            raw = await source.fetch(cursor)
        else:
            return None
        following = source.next_cursor(raw)
        if following is not None:
            key = tuple(sorted(following.items()))
            if key in self._seen:
                raise APIResponseValidationError(
                    f"The server's next link repeats a page this walk already read "
                    f"({dict(following)}): following it would never end. Iteration stopped.",
                    body=getattr(raw, "data", None),
                )
            self._seen.add(key)
            self._pending = asyncio.ensure_future(source.fetch(following))
            await asyncio.sleep(0)  # let the read-ahead send its request before we decode
        return source.decode(raw)

    @property
    def reading_ahead(self) -> bool:
        """Whether a read-ahead request is outstanding."""
        return self._pending is not None

    async def close(self) -> None:
        """Cancel the read-ahead, if any (its result or error is discarded)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if not pending.done():
            pending.cancel()
            await asyncio.wait((pending,))
        if not pending.cancelled():
            pending.exception()  # retrieved and discarded, so asyncio does not report it


class AsyncPage(Generic[T]):
    """One page of a list: its items and the way to the next page.

    Iterating a page yields only its own items; iterate the paginator to walk every page.

    Attributes:
        items: The page's items.
        next_cursor: The cursor of the next page, or None on the last page.
        previous_cursor: The cursor of the previous page, or None on the first.
        request_id: The server's request id for this page.
        retries_taken: How many retries fetching this page took.
    """

    __slots__ = (
        "_next",
        "_source",
        "items",
        "next_cursor",
        "previous_cursor",
        "request_id",
        "retries_taken",
    )

    def __init__(
        self,
        items: list[T],
        *,
        next: Mapping[str, str] | None,
        previous: Mapping[str, str] | None,
        source: PageSource[T],
        request_id: str | None = None,
        retries_taken: int = 0,
    ) -> None:
        self.items: list[T] = items
        self._source = source
        self._next = next
        self.next_cursor: str | None = _cursor_value(next)
        self.previous_cursor: str | None = _cursor_value(previous)
        self.request_id: str | None = request_id
        self.retries_taken: int = retries_taken

    @property
    def has_more(self) -> bool:
        """Whether a next page exists."""
        return self._next is not None

    def has_next_page(self) -> bool:
        """Whether a next page exists (same as :attr:`has_more`)."""
        return self._next is not None

    async def get_next_page(self) -> AsyncPage[T]:
        """Fetch the next page, with the same filters.

        Raises:
            LookupError: this is the last page (check :attr:`has_more` first).
        """
        if self._next is None:
            raise LookupError(
                "This is the last page; check page.has_more before asking for the next one."
            )
        return self._source.decode(await self._source.fetch(self._next))

    def _following(self) -> PageStream[T]:
        return PageStream(self._source, self._next)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then every following page (with read-ahead)."""
        yield self
        stream = self._following()
        try:
            while (page := await stream.next()) is not None:
                yield page
        finally:
            await stream.close()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def __repr__(self) -> str:
        return f"AsyncPage(items={len(self.items)}, has_more={self.has_more})"


class AsyncPaginator(Generic[T]):
    """What a ``list`` method returns: await it for the first page, or iterate every item.

    ``page = await client.datasets.list()`` sends one request; ``async for d in
    client.datasets.list():`` sends one request per page, lazily, reading one page ahead.
    """

    __slots__ = ("_source",)

    def __init__(self, source: PageSource[T]) -> None:
        self._source = source

    async def first_page(self) -> AsyncPage[T]:
        """Fetch the first page."""
        return self._source.decode(await self._source.fetch({}))

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self.first_page().__await__()

    async def pages(self) -> AsyncIterator[AsyncPage[T]]:
        """Every page, fetched lazily (with read-ahead)."""
        stream = PageStream(self._source, {})
        try:
            while (page := await stream.next()) is not None:
                yield page
        finally:
            await stream.close()

    async def __aiter__(self) -> AsyncIterator[T]:
        stream = PageStream(self._source, {})
        try:
            while (page := await stream.next()) is not None:
                for item in page.items:
                    yield item
        finally:
            await stream.close()

    def __repr__(self) -> str:
        return "AsyncPaginator()"


class SyncPage(Generic[T]):
    """A page seen from the sync facade; same attributes as :class:`AsyncPage`."""

    __slots__ = ("_call", "_page")

    def __init__(self, page: AsyncPage[T], call: Caller) -> None:
        self._page = page
        self._call = call

    @property
    def items(self) -> list[T]:
        """The page's items."""
        return self._page.items

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page (pass it back as ``cursor=``), or None on the last."""
        return self._page.next_cursor

    @property
    def previous_cursor(self) -> str | None:
        """The cursor of the previous page, or None on the first."""
        return self._page.previous_cursor

    @property
    def request_id(self) -> str | None:
        """The server's request id for this page."""
        return self._page.request_id

    @property
    def retries_taken(self) -> int:
        """How many retries fetching this page took."""
        return self._page.retries_taken

    @property
    def has_more(self) -> bool:
        """Whether a next page exists."""
        return self._page.has_more

    def has_next_page(self) -> bool:
        """Whether a next page exists (same as :attr:`has_more`)."""
        return self._page.has_more

    def get_next_page(self) -> SyncPage[T]:
        """Fetch the next page (one request).

        Raises:
            LookupError: this is the last page.
        """
        return SyncPage(self._call(self._page.get_next_page), self._call)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then every following page: one request (one thread hop) per page,
        reading one page ahead."""
        yield self
        call = self._call
        stream = self._page._following()
        page: AsyncPage[T] | None = self._page
        try:
            while page is not None and page.has_more:  # no hop after the last page
                page = call(stream.next)
                if page is not None:
                    yield SyncPage(page, call)
        finally:
            if stream.reading_ahead:  # stopped early: cancel the unused request
                with contextlib.suppress(AvalaError):  # a closed client has nothing to cancel
                    call(stream.close)

    def __iter__(self) -> Iterator[T]:
        return iter(self._page.items)

    def __len__(self) -> int:
        return len(self._page.items)

    def __getitem__(self, index: int) -> T:
        return self._page.items[index]

    def __repr__(self) -> str:
        return f"SyncPage(items={len(self._page.items)}, has_more={self.has_more})"


class SyncPaginator(Generic[T]):
    """What a sync ``list`` method returns: the first page, fetched by the call itself, and
    lazy iteration over every item of every page.

    ``client.datasets.list()`` sends one request (so an invalid key raises right there);
    ``for d in client.datasets.list():`` sends one more request per page, as items are
    consumed. ``.first_page()`` gives the first :class:`SyncPage` without another request.
    """

    __slots__ = ("_call", "_first")

    def __init__(self, paginator: AsyncPaginator[T], call: Caller) -> None:
        self._call = call
        self._first = SyncPage(call(paginator.first_page), call)

    def first_page(self) -> SyncPage[T]:
        """The first page (already fetched)."""
        return self._first

    @property
    def items(self) -> list[T]:
        """The first page's items."""
        return self._first.items

    @property
    def has_more(self) -> bool:
        """Whether pages follow the first."""
        return self._first.has_more

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the second page, or None."""
        return self._first.next_cursor

    def pages(self) -> Iterator[SyncPage[T]]:
        """Every page, from the first; later pages are fetched lazily."""
        return self._first.iter_pages()

    def __iter__(self) -> Iterator[T]:
        for page in self._first.iter_pages():
            yield from page._page.items

    def __repr__(self) -> str:
        first = getattr(self, "_first", None)  # unset if fetching the first page failed
        return f"SyncPaginator(first_page={first!r})"
