"""Datasets, their items and sequences, health and transfer (the manual-upload calls are in
``uploads.py``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .._engine import Call, json_response, render
from .._media import sign_media_urls
from .._schema import (
    READ,
    STAMPS,
    Action,
    ApiError,
    Endpoint,
    Field,
    Filter,
    JSONDict,
    Parent,
    Scope,
    Table,
    fields,
)
from .._store import (
    ASSET_HOST,
    BENCH_OWNER,
    BENCH_SLUG,
    DEMO_OWNER,
    GeneratedItems,
    Store,
    seed_time,
    stable_uid,
)
from ._common import advance, status_plan

DATA_TYPES = ("image", "video", "lidar", "mcap", "splat", "image_3d")
VISIBILITIES = ("private", "public", "unlisted")
UPLOAD_QUOTA_BYTES = 10 * 1024**3
ALLOWED_MIMES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/bmp",
    "image/gif",
    "image/tiff",
    "video/mp4",
    "video/webm",
    "application/octet-stream",
)

# --------------------------------------------------------------------------- seed data

_LABELS: dict[str, list[tuple[str, str]]] = {
    "lidar": [("car", "#e6194b"), ("truck", "#3cb44b"), ("pedestrian", "#ffe119")],
    "image": [("pallet", "#4363d8"), ("forklift", "#f58231"), ("person", "#911eb4")],
    "video": [("vehicle", "#46f0f0"), ("building", "#f032e6"), ("person", "#bcf60c")],
    "mcap": [("robot_arm", "#fabebe"), ("gripper", "#008080"), ("obstacle", "#e6beff")],
}
_CAMERAS: dict[str, tuple[str, ...]] = {
    "lidar": ("front", "left"),
    "image": ("ceiling",),
    "video": ("gimbal",),
    "mcap": ("wrist", "head"),
}
#: slug -> how many seeded projects use the dataset (see projects.py)
PROJECT_COUNTS = {"highway-lidar": 1, "warehouse-cameras": 1, "drone-flights": 1}


@dataclass(frozen=True)
class _Spec:
    name: str
    slug: str
    data_type: str
    visibility: str
    status: str
    items: int
    sequences: int
    is_sequence: bool
    key_pattern: str


_SPECS = (
    _Spec("Highway LiDAR", "highway-lidar", "lidar", "public", "created", 48, 4, True,
          "scans/{i:05d}.pcd"),
    _Spec("Warehouse Cameras", "warehouse-cameras", "image", "private", "created", 60, 3, False,
          "images/cam{cam}/{i:05d}.jpg"),
    _Spec("Drone Flights", "drone-flights", "video", "public", "created", 25, 3, True,
          "flights/flight_{i:03d}.mp4"),
    _Spec("Robot Logs", "robot-logs", "mcap", "private", "creating", 32, 3, True,
          "logs/run_{i:03d}.mcap"),
)  # fmt: skip


def dataset_uid(owner: str, slug: str) -> str:
    """The uid of a seeded dataset."""
    return stable_uid("dataset", owner, slug)


def _vec3(x: float, y: float, z: float) -> JSONDict:
    return {"x": round(x, 4), "y": round(y, 4), "z": round(z, 4)}


def _yaw(angle: float) -> JSONDict:
    half = angle / 2
    return {"x": 0.0, "y": 0.0, "z": round(math.sin(half), 6), "w": round(math.cos(half), 6)}


def _frame(base: str, spec: _Spec, seq_index: int, frame_index: int) -> JSONDict:
    step = seq_index * 10 + frame_index
    key = f"seq-{seq_index:03d}/frame-{frame_index:03d}"
    images = []
    for cam_index, camera in enumerate(_CAMERAS[spec.data_type]):
        width, height = (1920, 1080) if cam_index == 0 else (1280, 960)
        focal = 1266.4 if cam_index == 0 else 980.2
        images.append(
            {
                "camera": camera,
                "image_url": f"{base}/{key}/{camera}.jpg",
                "width": width,
                "height": height,
                "fx": focal,
                "fy": focal,
                "cx": width / 2,
                "cy": height / 2,
                "camera_model": "pinhole",
                "position": _vec3(1.5 - cam_index * 0.4, cam_index * 0.6, 1.6),
                "heading": _yaw(cam_index * math.pi / 2),
            }
        )
    return {
        "key": key,
        "timestamp": round(1736154000.0 + step * 0.1, 3),
        "images": images,
        "device_position": _vec3(step * 1.25, step * 0.05, 0.0),
        "device_heading": _yaw(step * 0.02),
    }


def _labels(spec: _Spec) -> list[JSONDict]:
    return [{"name": name, "color": color} for name, color in _LABELS[spec.data_type]]


def _sequences(spec: _Spec) -> list[JSONDict]:
    ds_uid = dataset_uid(DEMO_OWNER, spec.slug)
    base = f"{ASSET_HOST}/{DEMO_OWNER}/{spec.slug}"
    out = []
    for s in range(spec.sequences):
        n_frames = 3 + s % 3
        frames = [_frame(base, spec, s, f) for f in range(n_frames)]
        out.append(
            {
                "uid": stable_uid("sequence", DEMO_OWNER, spec.slug, str(s)),
                "key": f"seq-{s:03d}",
                "custom_uuid": stable_uid("sequence-custom", spec.slug, str(s)),
                "status": "created",
                "featured_image": frames[0]["images"][0]["image_url"],
                "number_of_frames": n_frames,
                "views": [{"key": cam, "name": cam.title()} for cam in _CAMERAS[spec.data_type]],
                "predefined_labels": _labels(spec),
                "frames": frames,
                "metrics": {"frame_count": n_frames, "duration_seconds": n_frames * 0.1},
                "dataset_uid": ds_uid,
                "dataset_data_type": spec.data_type,
                "allow_lidar_calibration": spec.data_type == "lidar",
                "lidar_calibration_enabled": spec.data_type == "lidar",
                "camera_calibration_enabled": spec.data_type in ("lidar", "mcap"),
                "camera_calibration": [],
                "is_workflow_terminal": s == 0,
            }
        )
    return out


def _items(spec: _Spec, first_id: int) -> list[JSONDict]:
    ds_uid = dataset_uid(DEMO_OWNER, spec.slug)
    base = f"{ASSET_HOST}/{DEMO_OWNER}/{spec.slug}"
    index = _SPECS.index(spec)
    frame_owner = [seq["uid"] for seq in _sequences(spec) for _ in range(seq["number_of_frames"])]
    label_names = [label["name"] for label in _labels(spec)]
    out = []
    for i in range(spec.items):
        key = spec.key_pattern.format(i=i, cam=i % 4 + 1)
        url = f"{base}/{key}"
        thumb = f"{base}/thumbnails/{i:05d}.webp"
        stamp = seed_time(days=index * 3, minutes=5 + i)
        annotations = (i * 3) % 9
        out.append(
            {
                "id": first_id + i,
                "uid": stable_uid("item", DEMO_OWNER, spec.slug, str(i)),
                "key": key,
                "dataset": ds_uid,
                "dataset_owner_name": DEMO_OWNER,
                "dataset_slug": spec.slug,
                "url": url,
                "gpu_texture_url": f"{url}.ktx2" if spec.data_type == "image" else None,
                "thumbnails": [thumb],
                "video_thumbnail": (
                    f"{base}/posters/{i:03d}.jpg" if spec.data_type == "video" else None
                ),
                "metadata": {
                    "size_bytes": _size(i),
                    "source": spec.data_type,
                    "index": i,
                },
                "export_snippet": {"key": key, "labels": label_names[: annotations % 3]},
                "annotations": {"objects": annotations},
                "related_items": [],
                "related_sequence_uid": frame_owner[i] if i < len(frame_owner) else None,
                "created_at": stamp,
                "updated_at": stamp,
                "status": "created",
                "data_url": url,
                "thumbnail_url": thumb,
                "annotations_count": annotations,
            }
        )
    return out


def _size(i: int) -> int:
    return 250_000 + (i * 7919) % 900_000


def _seed_datasets(store: Store) -> list[JSONDict]:
    out = []
    for index, spec in enumerate(_SPECS):
        out.append(
            {
                "uid": dataset_uid(DEMO_OWNER, spec.slug),
                "name": spec.name,
                "slug": spec.slug,
                "item_count": spec.items,
                "status": spec.status,
                "data_type": spec.data_type,
                "is_sequence": spec.is_sequence,
                "predefined_labels": _labels(spec),
                "created_at": seed_time(days=index * 3),
                "updated_at": seed_time(days=index * 3 + 1),
                "visibility": spec.visibility,
                "project_count": PROJECT_COUNTS.get(spec.slug, 0),
                "owner_name": DEMO_OWNER,
                "size_bytes": sum(_size(i) for i in range(spec.items)),
                "annotations_count": sum((i * 3) % 9 for i in range(spec.items)),
            }
        )
    return out


def _seed_items(store: Store) -> list[JSONDict]:
    out: list[JSONDict] = []
    for spec in _SPECS:
        out += _items(spec, len(out) + 1)
    return out


def _seed_sequences(store: Store) -> list[JSONDict]:
    return [seq for spec in _SPECS for seq in _sequences(spec)]


# --------------------------------------------------------------------------- tables


def _on_create(call: Call, values: JSONDict) -> None:
    values.setdefault("owner_name", DEMO_OWNER)
    values["_plan"] = status_plan(
        call.store.settings.get("dataset_polls", 2), "created", "creating", "creating"
    )


DATASETS = Table(
    "datasets",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "slug": Field(kind="slug", required=True, max_length=100),
        "item_count": Field(kind="int", read_only=True, default=0),
        "status": Field(read_only=True, default="creating"),
        "data_type": Field(required=True, choices=DATA_TYPES),
        "is_sequence": Field(kind="bool", default=False, nullable=False),
        "predefined_labels": Field(kind="array", read_only=True, default=list),
        "visibility": Field(choices=VISIBILITIES, default="private", nullable=False),
        "project_count": Field(kind="int", read_only=True, default=0),
        "owner_name": Field(create_only=True),
        "size_bytes": Field(kind="int", read_only=True, default=0),
        "annotations_count": Field(kind="int", read_only=True, default=0),
        **fields(
            create_metadata=Field(kind="bool", write_only=True),
            provider_config=Field(kind="object", write_only=True),
            metadata=Field(kind="object", write_only=True),
            organization_id=Field(kind="int", write_only=True),
            organization_uid=Field(write_only=True),
            gpu_texture_format=Field(write_only=True),
            industry=Field(kind="int", write_only=True),
            license=Field(kind="int", write_only=True),
        ),
    },
    unique=(("owner_name", "slug"),),
    seed=_seed_datasets,
    on_create=_on_create,
    on_retrieve=lambda store, record: advance(record),
)

ITEMS = Table(
    "dataset_items",
    fields(
        id="int",
        uid="str",
        is_hidden=Field(kind="bool", default=False),
        key="str",
        dataset="str",
        dataset_owner_name="str",
        dataset_slug="str",
        url="str",
        gpu_texture_url="str",
        thumbnails="array",
        video_thumbnail="str",
        metadata="object",
        export_snippet="object",
        annotations="object",
        crop_data="object",
        related_items="array",
        related_sequence_uid="str",
        created_at="datetime",
        updated_at="datetime",
        status="str",
        data_url="str",
        thumbnail_url="str",
        annotations_count="int",
    ),
    parent=Parent("datasets", "dataset"),
    seed=_seed_items,
)

SEQUENCES = Table(
    "dataset_sequences",
    fields(
        uid="str",
        is_hidden=Field(kind="bool", default=False),
        key="str",
        custom_uuid="str",
        status="str",
        featured_image="str",
        number_of_frames="int",
        views="array",
        crop_data="object",
        predefined_labels="array",
        frames="array",
        metrics="object",
        dataset_uid="str",
        dataset_data_type="str",
        device_id="str",
        allow_lidar_calibration="bool",
        lidar_calibration_enabled="bool",
        camera_calibration_enabled="bool",
        camera_calibration="array",
        coc_timeline=Field(kind="array", default=list),
        is_workflow_terminal="bool",
        sequence_status_workflow="object",
        sequence_deliverable_workflow="object",
    ),
    parent=Parent("datasets", "dataset_uid"),
    seed=_seed_sequences,
)

BY_SLUG = Scope("datasets", owner="owner_name", slug="slug")


# --------------------------------------------------------------------------- actions


async def health(call: Call) -> web.StreamResponse:
    dataset = call.record
    assert dataset is not None
    sequences = [
        {
            "uid": seq["uid"],
            "key": seq["key"],
            "status": seq["status"],
            "frame_count": seq["number_of_frames"] or 0,
            "has_lidar_calibration": bool(seq["lidar_calibration_enabled"]),
            "has_camera_calibration": bool(seq["camera_calibration_enabled"]),
        }
        for seq in call.store.records("dataset_sequences", dataset["uid"])
    ]
    ready = dataset["status"] == "created"
    return json_response(
        {
            "dataset_uid": dataset["uid"],
            "dataset_slug": dataset["slug"],
            "dataset_status": dataset["status"],
            "data_type": dataset["data_type"],
            "is_sequence": dataset["is_sequence"],
            "item_count": dataset["item_count"],
            "sequence_count": len(sequences),
            "total_frames": sum(seq["frame_count"] for seq in sequences),
            "s3_prefix": None,
            "gc_storage_prefix": None,
            "last_updated_at": dataset["updated_at"],
            "sequences": sequences,
            "ingest_ok": ready,
            "issues": [] if ready else ["Dataset is still being created."],
        }
    )


async def transfer(call: Call) -> web.StreamResponse:
    dataset = call.record
    assert dataset is not None
    body = await call.body()
    org_uid, username = body.get("organization_uid"), body.get("owner_username")
    if (org_uid is None) == (username is None):
        message = "Provide exactly one of organization_uid or owner_username."
        raise ApiError(400, {"non_field_errors": [message]})
    if org_uid is not None:
        org = call.store.find("organizations", uid=str(org_uid))
        if org is None:
            raise ApiError(400, {"organization_uid": ["Organization not found."]})
        owner = str(org["slug"])
    else:
        owner = str(username)
    if call.store.find("datasets", owner_name=owner, slug=dataset["slug"]) not in (None, dataset):
        raise ApiError(400, {"slug": ["The new owner already has a dataset with this slug."]})
    with call.store.lock:
        dataset["owner_name"] = owner
        for item in call.store.records("dataset_items", dataset["uid"]):
            item["dataset_owner_name"] = owner
    return json_response(render(DATASETS, dataset))


async def allowed_mimes(call: Call) -> web.StreamResponse:
    return json_response({"mime_types": list(ALLOWED_MIMES), "video_prefix": "video/"})


def sign_item_media(call: Call, text: str) -> str:
    """Items carry presigned URLs of this server's storage, fresh on every answer."""
    return sign_media_urls(call.state.storage, str(call.request.url.origin()), text)


def _get(name: str, handler: Any) -> Action:
    return Action(name, handler, method="GET", detail=False)


ENDPOINTS = (
    Endpoint(
        DATASETS,
        "/datasets/",
        verbs=frozenset({"list", "create", "retrieve"}),
        filters=(
            Filter("data_type"),
            Filter("name", mode="icontains"),
            Filter("status"),
            Filter("visibility"),
        ),
        ordering=("name", "slug", "created_at", "updated_at", "item_count"),
        actions=(_get("manual-upload/allowed-mimes", allowed_mimes),),
    ),
    Endpoint(
        DATASETS,
        "/datasets/",
        detail="{owner}/{slug}/",
        lookup={"owner": "owner_name", "slug": "slug"},
        verbs=frozenset({"retrieve"}),
        actions=(Action("health", health, method="GET"), Action("transfer", transfer)),
    ),
    Endpoint(
        ITEMS,
        "/datasets/{owner}/{slug}/items/",
        scope=(BY_SLUG,),
        detail="{item_uid}/",
        lookup={"item_uid": "uid"},
        verbs=READ,
        present=sign_item_media,
    ),
    Endpoint(
        SEQUENCES,
        "/datasets/{owner}/{slug}/sequences/",
        scope=(BY_SLUG,),
        detail="{sequence_uid}/",
        lookup={"sequence_uid": "uid"},
        verbs=READ,
    ),
)

TABLES = (DATASETS, ITEMS, SEQUENCES)


def add_bench(store: Store, count: int) -> None:
    """Add the generated ``bench/bench`` dataset with ``count`` items (stored as nothing)."""
    uid = dataset_uid(BENCH_OWNER, BENCH_SLUG)
    items = GeneratedItems(count, dataset_uid=uid, owner=BENCH_OWNER, slug=BENCH_SLUG)
    store.insert(
        "datasets",
        {
            "uid": uid,
            "name": "Benchmark Images",
            "slug": BENCH_SLUG,
            "item_count": count,
            "status": "created",
            "data_type": "image",
            "is_sequence": False,
            "visibility": "public",
            "owner_name": BENCH_OWNER,
            "size_bytes": count * 380_000,
            "annotations_count": items.total_annotations(),
        },
        stamp=seed_time(days=30),
    )
    store.set_group("dataset_items", uid, items)
