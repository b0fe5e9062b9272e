"""Pydantic v2 models for the httpx + pydantic contender.

They mirror the SDK catalog's ``Dataset`` and ``DatasetItem`` (same fields, types and
defaults), the way an httpx + pydantic SDK declares its response types. Unknown fields are
ignored, as in the SDK's lenient converter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class PydanticDataset(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    uid: str
    name: str
    slug: str
    item_count: int = 0
    status: str | None = None
    data_type: str | None = None
    is_sequence: bool | None = None
    predefined_labels: list[dict[str, Any]] | None = None
    visibility: str | None = None
    owner_name: str | None = None
    project_count: int | None = None
    size_bytes: int | None = None
    annotations_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PydanticDatasetItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    uid: str
    id: int | None = None
    key: str | None = None
    dataset: str | None = None
    dataset_owner_name: str | None = None
    dataset_slug: str | None = None
    status: str | None = None
    url: str | None = None
    data_url: str | None = None
    gpu_texture_url: str | None = None
    thumbnails: list[str] | None = None
    thumbnail_url: str | None = None
    video_thumbnail: str | None = None
    metadata: dict[str, Any] | None = None
    export_snippet: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None
    annotations_count: int | None = None
    crop_data: dict[str, Any] | None = None
    related_items: list[dict[str, Any]] | None = None
    related_sequence_uid: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
