"""``Surface``: one test body for both clients (see ``conftest.py``'s ``api`` fixture)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import attrs

from avala import AsyncClient, AsyncPage, AsyncPaginator, Client, SyncPage, SyncPaginator

T = TypeVar("T")


class Surface:
    """Drives either client with one test body: awaits what the async client returns.

    ``await api(api.client.agents.get(uid))`` is the model on both surfaces;
    ``await api.all(api.client.agents.list())`` every item; ``await api.first_page(...)`` one
    page; ``await api.each(api.client.annotations.bulk_edit(...))`` what an iterator yields.
    """

    def __init__(self, client: AsyncClient | Client) -> None:
        self.client: Any = client
        self.is_async = isinstance(client, AsyncClient)

    async def __call__(self, value: Any) -> Any:
        return await value if inspect.isawaitable(value) else value

    async def first_page(self, paginator: AsyncPaginator[T] | SyncPaginator[T]) -> Any:
        if isinstance(paginator, AsyncPaginator):
            return await paginator
        return paginator.first_page()

    async def all(self, paginator: AsyncPaginator[T] | SyncPaginator[T]) -> list[T]:
        if isinstance(paginator, AsyncPaginator):
            return [item async for item in paginator]
        return list(paginator)

    async def next_page(self, page: AsyncPage[T] | SyncPage[T]) -> Any:
        return await self(page.get_next_page())

    async def each(self, items: AsyncIterator[T] | Iterator[T]) -> list[T]:
        if isinstance(items, AsyncIterator):
            return [item async for item in items]
        return list(items)


def unsigned(item: Any) -> Any:
    """``item`` with the query cut off its media URLs: the server signs them afresh (a new
    expiry) on every answer."""

    def cut(url: str | None) -> str | None:
        return None if url is None else url.split("?", 1)[0]

    return attrs.evolve(
        item,
        url=cut(item.url),
        data_url=cut(item.data_url),
        gpu_texture_url=cut(item.gpu_texture_url),
        thumbnail_url=cut(item.thumbnail_url),
        video_thumbnail=cut(item.video_thumbnail),
        thumbnails=None if item.thumbnails is None else [cut(t) for t in item.thumbnails],
    )
