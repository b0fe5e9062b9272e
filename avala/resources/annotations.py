"""``client.annotations``: bulk edits of 3D annotations."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from typing import Any

from ..errors import AvalaError, BulkEditError
from ..models.annotations import BulkEdit, BulkEditResult
from ._base import AsyncResource, path


class AsyncAnnotations(AsyncResource):
    """Bulk edits of 3D annotations (cuboids, polylines)."""

    __slots__ = ()

    def bulk_edit(
        self,
        owner: str,
        slug: str,
        edits: Iterable[BulkEdit | dict[str, Any]],
        *,
        chunk_size: int = 500,
    ) -> AsyncIterator[tuple[int, BulkEditResult]]:
        """Upsert or delete many annotation objects of a dataset, ``chunk_size`` per request.

        Lazy: nothing is sent until you iterate, and ``edits`` (any iterable, a generator
        included) is read one chunk at a time, so memory holds one chunk. Each chunk is one
        ``POST /datasets/{owner}/{slug}/bulk-edition/`` of a JSON array; the server is
        idempotent per (object, item), so re-running after a failure is safe.

        ``async for index, result in client.annotations.bulk_edit(...)`` here; the sync
        ``Client`` gives a plain iterator.

        Args:
            owner: The dataset owner's handle.
            slug: The dataset's slug.
            edits: Edit objects (see :class:`avala.models.annotations.BulkEdit`).
            chunk_size: Edits per request (>= 1).

        Yields:
            ``(chunk_index, result)`` per chunk, e.g. ``(0, {"updated": 500})``.

        Raises:
            ValueError: ``chunk_size`` is not a positive int (at the call, before iterating).
            BulkEditError: a chunk failed; ``.chunk_index`` names it and the original error
                is its ``__cause__``. Chunks before it were applied.
        """
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}.")
        url = path("/datasets/{owner}/{slug}/bulk-edition/", owner=owner, slug=slug)
        return self._chunks(url, iter(edits), chunk_size)

    async def _chunks(
        self, url: str, edits: Iterable[BulkEdit | dict[str, Any]], chunk_size: int
    ) -> AsyncIterator[tuple[int, BulkEditResult]]:
        for index in itertools.count():
            chunk = list(itertools.islice(edits, chunk_size))
            if not chunk:
                return
            try:
                result = await self._post(url, BulkEditResult, chunk)
            except AvalaError as exc:
                raise BulkEditError(index, len(chunk), exc) from exc
            yield index, result
