"""``client.slices``: slices, curated subsets of one or more datasets, and their items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models.slices import Slice, SliceItem, SubSlice
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, page_query, path

_SLICE = "/slices/{owner}/{slug}/"


class AsyncSlices(AsyncResource):
    """Slices: curated subsets of one or more datasets."""

    __slots__ = ()

    def list(
        self,
        owner: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        page: int | str | None = None,
    ) -> AsyncPaginator[Slice]:
        """List the slices of a user or organization.

        The endpoint is paginated by page number. Iterating the paginator follows the
        ``next`` links by their ``page`` parameter, so a walk reaches every slice. The
        official SDK sends the number back as ``cursor=``, which such an endpoint ignores
        (it serves page 1 again); here a ``cursor`` that is a page number is sent as
        ``page``.

        Args:
            owner: The owner's handle (username or organization slug).
            limit: Slices per page.
            cursor: Resume from ``page.next_cursor`` (for this endpoint, a page number).
            page: Start at this page number (1-based).

        Returns:
            A paginator: iterate it for every slice, or await it for one page.

        Raises:
            ValueError: both ``cursor`` and ``page`` given, or ``page`` is not a positive
                number (before any request).
        """
        return self._list(
            path("/slices/{owner}/list/", owner=owner),
            Slice,
            {"limit": limit, **page_query(cursor, page)},
        )

    async def get(self, owner: str, slug: str) -> Slice:
        """Fetch a slice by its owner's handle and its slug.

        Raises:
            NotFoundError: no such slice.
        """
        return await self._get(path(_SLICE, owner=owner, slug=slug), Slice)

    async def create(
        self,
        *,
        name: str,
        visibility: str,
        sub_slices: Sequence[SubSlice | dict[str, Any]],
        organization: str | None = None,
        random_selection_count: int | None = None,
    ) -> Slice:
        """Create a slice from the items of datasets.

        Args:
            name: Display name; the slug is made from it.
            visibility: ``private`` or ``public``.
            sub_slices: Where the items come from, e.g.
                ``[{"type": "dataset", "dataset_uid": "..."}]``.
            organization: Create it under this organization rather than under you.
            random_selection_count: Take this many items, picked at random, rather than
                all of them.

        Returns:
            The slice; ``owner_name`` and ``slug`` address it from now on.

        Raises:
            ValidationError: a field was rejected (e.g. a sub-slice names no dataset).
        """
        return await self._post("/slices/", Slice, given(locals()))

    def list_items(
        self, owner: str, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[SliceItem]:
        """List a slice's items.

        Returns:
            A paginator: iterate it for every item, or await it for one page.
        """
        return self._list(
            path(_SLICE + "items/list/", owner=owner, slug=slug),
            SliceItem,
            locals(),
            "owner",
            "slug",
        )

    async def get_item(self, owner: str, slug: str, item_uid: str) -> SliceItem:
        """Fetch one item of a slice.

        Raises:
            NotFoundError: no such slice, or the item is not in it.
        """
        url = path(_SLICE + "items/{item_uid}/", owner=owner, slug=slug, item_uid=item_uid)
        return await self._get(url, SliceItem)
