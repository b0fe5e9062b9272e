"""Dataset, item, sequence, frame, calibration, health and manual-upload models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

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
    is_hidden: bool = False
    """Whether the item is hidden from the dataset's views."""
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
    is_hidden: bool = False
    """Whether the sequence is hidden from the dataset's views."""
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
    dataset_data_type: str | None = None
    """The dataset's data type (``image``, ``lidar``, ``mcap``...)."""
    device_id: str | None = None
    """The fleet device that recorded the sequence, if any."""
    allow_lidar_calibration: bool | None = None
    """Whether LiDAR calibration may be edited."""
    lidar_calibration_enabled: bool | None = None
    """Whether LiDAR calibration is on."""
    camera_calibration_enabled: bool | None = None
    """Whether camera calibration is on."""
    camera_calibration: list[dict[str, Any]] | None = None
    """Per-camera calibration JSON (only on a single-sequence fetch)."""
    coc_timeline: list[dict[str, Any]] | None = None
    """Chain-of-custody timeline."""
    is_workflow_terminal: bool | None = None
    """Whether the sequence reached the end of its workflow."""
    sequence_status_workflow: dict[str, Any] | None = None
    """The status workflow the sequence follows."""
    sequence_deliverable_workflow: dict[str, Any] | None = None
    """The deliverable workflow the sequence follows."""


@attrs.frozen(kw_only=True)
class Vec3:
    """A 3D vector: a position."""

    x: float
    """X coordinate."""
    y: float
    """Y coordinate."""
    z: float
    """Z coordinate."""


@attrs.frozen(kw_only=True)
class Quat:
    """A rotation quaternion: a heading."""

    x: float
    """X component."""
    y: float
    """Y component."""
    z: float
    """Z component."""
    w: float
    """W (scalar) component."""


@attrs.frozen(kw_only=True)
class CameraIntrinsics:
    """A camera's mounting pose and intrinsics (shared by frame images and calibrations)."""

    position: Vec3 | None = None
    """Camera position."""
    heading: Quat | None = None
    """Camera orientation."""
    width: int | None = None
    """Image width in pixels."""
    height: int | None = None
    """Image height in pixels."""
    fx: float | None = None
    """Focal length along x, in pixels."""
    fy: float | None = None
    """Focal length along y, in pixels."""
    cx: float | None = None
    """Principal point x, in pixels."""
    cy: float | None = None
    """Principal point y, in pixels."""
    model: str | None = None
    """Camera model: ``pinhole`` or ``doublesphere``."""
    xi: float | None = None
    """Double-sphere ``xi`` parameter."""
    alpha: float | None = None
    """Double-sphere ``alpha`` parameter."""


@attrs.frozen(kw_only=True)
class FrameImage(CameraIntrinsics):
    """One camera image of a frame, with the camera's pose and intrinsics."""

    image_url: str | None = None
    """URL of the image."""
    camera_model: str | None = None
    """Camera model, as some frames name it (same as ``model``)."""


@attrs.frozen(kw_only=True)
class DatasetFrame:
    """One frame of a sequence: the device pose and its camera images."""

    frame_index: int
    """Position of the frame in the sequence, from 0."""
    key: str | None = None
    """The frame's key."""
    model: str | None = None
    """Camera model of the frame (falls back to ``camera_model``)."""
    camera_model: str | None = None
    """Camera model of the frame (falls back to ``model``)."""
    xi: float | None = None
    """Double-sphere ``xi`` parameter."""
    alpha: float | None = None
    """Double-sphere ``alpha`` parameter."""
    device_position: Vec3 | None = None
    """Position of the recording device."""
    device_heading: Quat | None = None
    """Orientation of the recording device."""
    images: list[FrameImage] | None = None
    """The frame's camera images."""
    raw: dict[str, Any] = attrs.Factory(dict)
    """The frame's JSON as the server sent it."""


@attrs.frozen(kw_only=True)
class CameraCalibration(CameraIntrinsics):
    """Pose and intrinsics of one camera of a sequence."""

    camera_id: str | None = None
    """The camera's id (from ``camera``, ``camera_id`` or ``sensor_id``)."""


@attrs.frozen(kw_only=True)
class DatasetCalibration:
    """The camera calibration of a sequence (read from its first frame)."""

    sequence_uid: str
    """The sequence's uid."""
    cameras: list[CameraCalibration] = attrs.Factory(list)
    """One entry per camera."""
    dataset_level_camera_calibration: dict[str, Any] | None = None
    """Dataset-wide calibration JSON, where there is one."""


@attrs.frozen(kw_only=True)
class SequenceHealth:
    """Ingest health of one sequence."""

    uid: str
    """The sequence's uid."""
    key: str | None = None
    """The sequence's key."""
    status: str | None = None
    """Processing status."""
    frame_count: int = 0
    """Number of frames."""
    has_lidar_calibration: bool = False
    """Whether LiDAR calibration is present."""
    has_camera_calibration: bool = False
    """Whether camera calibration is present."""


@attrs.frozen(kw_only=True)
class DatasetHealth:
    """Ingest health of a dataset: counts, storage prefixes and the issues found."""

    dataset_uid: str
    """The dataset's uid."""
    dataset_slug: str
    """The dataset's slug."""
    dataset_status: str | None = None
    """The dataset's status (``creating``, ``created``)."""
    data_type: str | None = None
    """The dataset's data type; ``None`` when an older server omits it (required in 0.10)."""
    is_sequence: bool | None = None
    """Whether items are grouped into sequences; ``None`` when an older server omits it."""
    item_count: int = 0
    """Number of items."""
    sequence_count: int = 0
    """Number of sequences."""
    total_frames: int = 0
    """Number of frames across sequences."""
    s3_prefix: str | None = None
    """S3 storage prefix (owner and staff only; ``None`` for everyone else)."""
    gc_storage_prefix: str | None = None
    """Google Cloud Storage prefix (owner and staff only; ``None`` for everyone else)."""
    last_updated_at: datetime | None = None
    """Last update time (timezone-aware)."""
    sequences: list[SequenceHealth] = attrs.Factory(list)
    """Health of each sequence."""
    ingest_ok: bool = False
    """Whether ingest finished without issues."""
    issues: list[str] = attrs.Factory(list)
    """Problems found, in words."""


@attrs.frozen(kw_only=True)
class UploadQuota:
    """The manual-upload storage quota of a user or organization, in bytes."""

    used: int
    """Bytes used, including open upload reservations."""
    limit: int
    """Bytes allowed."""

    @property
    def remaining(self) -> int:
        """Bytes still available (never negative)."""
        return max(0, self.limit - self.used)


@attrs.frozen(kw_only=True)
class AllowedMimes:
    """The MIME types a manual upload may carry (advisory: others are stored as binary)."""

    mime_types: list[str] = attrs.Factory(list)
    """Accepted MIME types."""
    video_prefix: str = ""
    """MIME-type prefix the server accepts as video, whatever follows it."""


class ManualUploadTarget(TypedDict, total=False):
    """Where and how to send one file of a manual upload (a presigned upload descriptor)."""

    method: str  # "POST" (form upload), "PUT" (one request) or "MULTIPART" (signed parts)
    url: str  # the presigned destination URL
    fields: dict[str, str]  # form fields to send along with a POST upload
    headers: dict[str, str]  # headers to send with a PUT upload
    upload_uid: str  # the managed upload's uid (PUT and MULTIPART)
    part_size: int  # bytes per part (MULTIPART)
    part_count: int  # number of parts (MULTIPART)
    uploaded_parts: list[dict[str, int]]  # parts already stored: {"part_number", "size"}
    complete: bool  # True when the server already has the whole file
