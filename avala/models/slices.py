"""Slice models: curated selections of items across datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import attrs


@attrs.frozen(kw_only=True)
class Slice:
    """A slice: a named selection of items taken from one or more datasets."""

    uid: str
    """The slice's unique id."""
    name: str
    """Display name."""
    slug: str | None = None
    """URL name, unique per owner."""
    owner_name: str | None = None
    """The owning user or organization handle."""
    organization: dict[str, Any] | None = None
    """The owning organization, as the server describes it."""
    visibility: str | None = None
    """``private`` or ``public``."""
    status: str | None = None
    """Processing status."""
    item_count: int | None = None
    """Number of items."""
    sub_slices: list[dict[str, Any]] | None = None
    """Where the items come from, e.g. ``{"type": "dataset", "dataset_uid": ...}``."""
    source_data: Any = None
    """How the slice was built, as the server describes it."""
    featured_slice_item_urls: list[str] | None = None
    """URLs of representative items."""


@attrs.frozen(kw_only=True)
class SliceItem:
    """One item of a slice (the dataset item it was taken from)."""

    uid: str
    """The item's unique id."""
    is_hidden: bool = False
    """Whether the item is hidden."""
    id: int | None = None
    """Numeric id."""
    key: str | None = None
    """The item's key (usually its path within the dataset)."""
    dataset: str | None = None
    """The dataset's uid."""
    dataset_owner_name: str | None = None
    """The dataset owner's handle."""
    dataset_slug: str | None = None
    """The dataset's slug."""
    url: str | None = None
    """Signed URL of the item's media."""
    gpu_texture_url: str | None = None
    """URL of a GPU-ready texture, if any."""
    thumbnails: list[str] | None = None
    """Thumbnail URLs."""
    video_thumbnail: str | None = None
    """Video thumbnail URL."""
    metadata: dict[str, Any] | None = None
    """Free-form metadata."""
    export_snippet: dict[str, Any] | None = None
    """The item as it appears in exports."""
    annotations: dict[str, Any] | None = None
    """Annotations on the item."""
    crop_data: dict[str, Any] | None = None
    """Crop settings."""
    related_items: list[dict[str, Any]] | None = None
    """Related items."""
    related_sequence_uid: str | None = None
    """The sequence this item belongs to, if any."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class SubSlice(TypedDict, total=False):
    """Where a new slice takes items from (an entry of ``sub_slices`` when creating one)."""

    type: str  # the source kind, e.g. "dataset"
    dataset_uid: str  # the source dataset's uid
