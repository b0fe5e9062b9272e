"""``client.datasets``: datasets, their items and sequences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models.datasets import Dataset, DatasetItem, DatasetSequence
from ..pagination import AsyncPaginator
from ._base import AsyncResource, check_limit, poll, query, segment


class AsyncDatasets(AsyncResource):
    """Datasets: list, look up, create, browse items and sequences, wait for ingestion."""

    __slots__ = ()

    def list(
        self,
        *,
        data_type: str | None = None,
        name: str | None = None,
        status: str | None = None,
        visibility: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Dataset]:
        """List the datasets the key can see.

        Args:
            data_type: Only this type (``image``, ``video``, ``lidar``, ``mcap``, ``splat``).
            name: Only names containing this text (case-insensitive).
            status: Only this status (``creating`` or ``created``).
            visibility: Only ``private`` or ``public`` datasets.
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every dataset, or call ``first_page()`` for one page.
        """
        params = query(
            data_type=data_type,
            name=name,
            status=status,
            visibility=visibility,
            limit=check_limit(limit),
            cursor=cursor,
        )
        return self._list("/datasets/", Dataset, params)

    async def get(self, uid: str) -> Dataset:
        """Fetch a dataset by uid.

        Raises:
            NotFoundError: no such dataset.
        """
        return await self._get(f"/datasets/{segment('uid', uid)}/", Dataset)

    async def get_by_slug(self, owner: str, slug: str) -> Dataset:
        """Fetch a dataset by its owner's handle and its slug."""
        return await self._get(
            f"/datasets/{segment('owner', owner)}/{segment('slug', slug)}/", Dataset
        )

    async def create(
        self,
        *,
        name: str,
        slug: str,
        data_type: str,
        visibility: str = "private",
        create_metadata: bool = True,
        is_sequence: bool | None = None,
        provider_config: dict[str, Any] | None = None,
        owner_name: str | None = None,
        organization_id: int | None = None,
        organization_uid: str | None = None,
        gpu_texture_format: str | None = None,
        metadata: dict[str, Any] | None = None,
        industry: int | None = None,
        license: int | None = None,
    ) -> Dataset:
        """Create a dataset. It starts in status ``creating``; see :meth:`wait`.

        Args:
            name: Display name.
            slug: URL name, unique for the owner.
            data_type: ``image``, ``video``, ``lidar``, ``mcap``, ``splat`` or ``image_3d``.
            visibility: ``private`` (default) or ``public``.
            create_metadata: Whether the server extracts metadata on ingestion.
            is_sequence: Whether items form sequences.
            provider_config: Cloud storage settings for a zero-copy import.
            owner_name: Create under this user or organization handle.
            organization_id: Owning organization (numeric id).
            organization_uid: Owning organization (uid).
            gpu_texture_format: Texture format for GPU-ready media.
            metadata: Free-form metadata.
            industry: Industry id.
            license: License id.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        body: dict[str, Any] = {
            "name": name,
            "slug": slug,
            "data_type": data_type,
            "visibility": visibility,
            "create_metadata": create_metadata,
        }
        optional = {
            "is_sequence": is_sequence,
            "provider_config": provider_config,
            "owner_name": owner_name,
            "organization_id": organization_id,
            "organization_uid": organization_uid,
            "gpu_texture_format": gpu_texture_format,
            "metadata": metadata,
            "industry": industry,
            "license": license,
        }
        body.update((k, v) for k, v in optional.items() if v is not None)
        return await self._post("/datasets/", Dataset, body)

    def list_items(
        self, owner: str, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[DatasetItem]:
        """List a dataset's items.

        Returns:
            A paginator: iterate it for every item, or call ``first_page()`` for one page.
        """
        path = f"/datasets/{segment('owner', owner)}/{segment('slug', slug)}/items/"
        return self._list(path, DatasetItem, query(limit=check_limit(limit), cursor=cursor))

    async def get_item(self, owner: str, slug: str, item_uid: str) -> DatasetItem:
        """Fetch one item of a dataset."""
        return await self._get(
            f"/datasets/{segment('owner', owner)}/{segment('slug', slug)}/items/"
            f"{segment('item_uid', item_uid)}/",
            DatasetItem,
        )

    def list_sequences(
        self, owner: str, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[DatasetSequence]:
        """List a dataset's sequences.

        Returns:
            A paginator: iterate it for every sequence, or call ``first_page()`` for one page.
        """
        path = f"/datasets/{segment('owner', owner)}/{segment('slug', slug)}/sequences/"
        return self._list(path, DatasetSequence, query(limit=check_limit(limit), cursor=cursor))

    async def get_sequence(self, owner: str, slug: str, sequence_uid: str) -> DatasetSequence:
        """Fetch one sequence, with its ``frames``."""
        return await self._get(
            f"/datasets/{segment('owner', owner)}/{segment('slug', slug)}/sequences/"
            f"{segment('sequence_uid', sequence_uid)}/",
            DatasetSequence,
        )

    async def wait(
        self,
        uid: str,
        *,
        status: str = "created",
        interval: float = 10.0,
        timeout: float = 3600.0,
        on_poll: Callable[[Dataset], object] | None = None,
    ) -> Dataset:
        """Poll a dataset until it reaches ``status``.

        Args:
            uid: The dataset.
            status: The status to wait for.
            interval: Seconds between polls (> 0).
            timeout: Seconds to wait in all (>= 0).
            on_poll: Called with the dataset after each poll that has not reached ``status``.

        Raises:
            TimeoutError: the status was not reached in time; the message names the last one.
        """
        segment("uid", uid)
        return await poll(
            lambda: self.get(uid),
            lambda d: d.status == status,
            lambda d: d.status,
            what=f"Dataset {uid} did not reach status {status!r}",
            interval=interval,
            timeout=timeout,
            on_poll=on_poll,
        )
