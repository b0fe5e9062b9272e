"""Slice models: curated selections of items across datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import attrs

from .datasets import DatasetItem


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
    description: str | None = None
    """Free-text description (docs.avala.ai lists it; the official SDK model lacks it)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class SliceItem(DatasetItem):
    """One item of a slice: the dataset item it was taken from, with the same fields."""


class SubSlice(TypedDict, total=False):
    """Where a new slice takes items from (an entry of ``sub_slices`` when creating one)."""

    type: str  # the source kind, e.g. "dataset"
    dataset_uid: str  # the source dataset's uid
