"""Dataset, item and sequence models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Dataset:
    """A dataset: a collection of items (images, videos, point clouds, MCAP logs...)."""

    uid: str
    """The dataset's unique id."""
    name: str
    """Display name."""
    slug: str
    """URL name, unique per owner; ``(owner_name, slug)`` identifies the dataset too."""
    item_count: int = 0
    """Number of items."""
    status: str | None = None
    """``creating`` while ingesting, then ``created``."""
    data_type: str | None = None
    """``image``, ``video``, ``lidar``, ``mcap``, ``splat`` or ``image_3d``."""
    is_sequence: bool | None = None
    """Whether items are grouped into sequences."""
    predefined_labels: list[dict[str, Any]] | None = None
    """Label definitions attached to the dataset."""
    visibility: str | None = None
    """``private`` or ``public``."""
    owner_name: str | None = None
    """The owning user or organization handle."""
    project_count: int | None = None
    """Number of projects using the dataset."""
    size_bytes: int | None = None
    """Total size of the dataset's files."""
    annotations_count: int | None = None
    """Number of annotations across items."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class DatasetItem:
    """One item of a dataset (an image, a frame set, a file)."""

    uid: str
    """The item's unique id."""
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
    status: str | None = None
    """Processing status."""
    url: str | None = None
    """Signed URL of the item's media."""
    data_url: str | None = None
    """URL of the item's data, where the server gives one."""
    gpu_texture_url: str | None = None
    """URL of a GPU-ready texture, if any."""
    thumbnails: list[str] | None = None
    """Thumbnail URLs."""
    thumbnail_url: str | None = None
    """Primary thumbnail URL."""
    video_thumbnail: str | None = None
    """Video thumbnail URL."""
    metadata: dict[str, Any] | None = None
    """Free-form metadata."""
    export_snippet: dict[str, Any] | None = None
    """The item as it appears in exports."""
    annotations: dict[str, Any] | None = None
    """Annotations on the item."""
    annotations_count: int | None = None
    """Number of annotations."""
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


@attrs.frozen(kw_only=True)
class DatasetSequence:
    """A sequence of frames (e.g. a drive or a flight) within a dataset."""

    uid: str
    """The sequence's unique id."""
    key: str | None = None
    """The sequence's key."""
    custom_uuid: str | None = None
    """A caller-supplied id."""
    status: str | None = None
    """Processing status."""
    featured_image: str | None = None
    """URL of a representative image."""
    number_of_frames: int | None = None
    """Number of frames."""
    views: list[dict[str, Any]] | None = None
    """Camera views."""
    crop_data: dict[str, Any] | None = None
    """Crop settings."""
    predefined_labels: list[dict[str, Any]] | None = None
    """Label definitions."""
    frames: list[dict[str, Any]] | None = None
    """Raw frame JSON (only on a single-sequence fetch)."""
    metrics: dict[str, Any] | None = None
    """Sequence metrics."""
    dataset_uid: str | None = None
    """The dataset's uid."""
    allow_lidar_calibration: bool | None = None
    """Whether LiDAR calibration may be edited."""
    lidar_calibration_enabled: bool | None = None
    """Whether LiDAR calibration is on."""
    camera_calibration_enabled: bool | None = None
    """Whether camera calibration is on."""
    coc_timeline: list[dict[str, Any]] | None = None
    """Chain-of-custody timeline."""
