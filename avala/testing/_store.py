"""In-memory data for the Avala test server: datasets, items, sequences, projects, tasks, exports.

Every object is a plain JSON-ready ``dict`` with the field names of the REST API. Seed data is
deterministic: uids are ``uuid5`` values derived from names and timestamps come from a fixed
epoch, so two runs of the server serve identical seed data.

The optional benchmark dataset (owner ``bench``, slug ``bench``) stores nothing per item: its
items are rendered straight to JSON text from their index, so a million items cost no memory and
any page costs O(page size).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

JSONDict = dict[str, Any]

DEMO_OWNER = "demo"
"""Owner name of the seeded datasets (the demo key's user)."""

BENCH_OWNER = "bench"
"""Owner name of the generated benchmark dataset."""

BENCH_SLUG = "bench"
"""Slug of the generated benchmark dataset."""

DATA_TYPES = ("image", "video", "lidar", "mcap", "splat", "image_3d")
VISIBILITIES = ("private", "public")
ASSET_HOST = "https://cdn.avala.test"

_NAMESPACE = uuid.UUID("6c4f3b9e-2d1a-5e7f-8a90-1b2c3d4e5f60")
_SEED_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def stable_uid(*parts: str) -> str:
    """Return a deterministic UUID string derived from ``parts``."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def format_timestamp(moment: datetime) -> str:
    """Format ``moment`` like DRF does: ISO 8601 in UTC with a ``Z`` suffix."""
    text = moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    return text + "Z"


def now_timestamp() -> str:
    """Return the current time formatted by :func:`format_timestamp`."""
    return format_timestamp(datetime.now(timezone.utc))


def _seed_time(*, days: float = 0, minutes: float = 0, seconds: float = 0) -> str:
    return format_timestamp(
        _SEED_EPOCH + timedelta(days=days, minutes=minutes, seconds=seconds),
    )


def dumps(value: Any) -> str:
    """Serialize ``value`` to compact JSON text."""
    return json.dumps(value, separators=(",", ":"))


# --------------------------------------------------------------------------- item sources


class ItemSource(Protocol):
    """The items of one dataset, rendered to JSON text on demand."""

    def __len__(self) -> int: ...

    def render_page(self, start: int, stop: int) -> str:
        """Return the JSON array text of items ``start`` (inclusive) to ``stop`` (exclusive)."""
        ...

    def render_item(self, uid: str) -> str | None:
        """Return the JSON object text of the item ``uid``, or ``None`` if there is none."""
        ...


class StoredItems:
    """Items held in memory as dicts (seed data and created datasets)."""

    def __init__(self, items: Iterable[JSONDict] = ()) -> None:
        self.items: list[JSONDict] = list(items)
        self._by_uid: dict[str, JSONDict] = {item["uid"]: item for item in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def render_page(self, start: int, stop: int) -> str:
        return dumps(self.items[start:stop])

    def render_item(self, uid: str) -> str | None:
        item = self._by_uid.get(uid)
        return None if item is None else dumps(item)


_BENCH_SIZES = ((1920, 1080), (1280, 720), (2048, 1536))
_BENCH_CAMERAS = ("front", "left", "right", "rear")
_BENCH_EPOCH = int(_SEED_EPOCH.timestamp())


class GeneratedItems:
    """Benchmark items computed from their index; nothing is stored per item.

    Item ``i`` has the uid ``<prefix><i as 12 hex digits>``, so a uid maps back to its index in
    O(1) and every page costs O(page size).
    """

    def __init__(self, count: int, *, dataset_uid: str, owner: str, slug: str) -> None:
        if count < 0:
            raise ValueError("count must be >= 0")
        self._count = count
        self._prefix = stable_uid("bench-items", owner, slug)[:24]
        self._dataset_uid = dataset_uid
        self._owner = owner
        self._slug = slug
        self._base_url = f"{ASSET_HOST}/{owner}/{slug}/"

    def __len__(self) -> int:
        return self._count

    def uid(self, index: int) -> str:
        """Return the uid of item ``index``."""
        return f"{self._prefix}{index:012x}"

    @staticmethod
    def annotations_for(index: int) -> int:
        """Return the annotation count of item ``index``."""
        return index % 7

    def total_annotations(self) -> int:
        """Return the sum of :meth:`annotations_for` over all items, in O(1)."""
        cycles, rest = divmod(self._count, 7)
        return cycles * 21 + rest * (rest - 1) // 2

    def render(self, index: int) -> str:
        """Return the JSON object text of item ``index``."""
        uid = f"{self._prefix}{index:012x}"
        key = f"images/{index:07d}.jpg"
        url = self._base_url + key
        thumb = f"{self._base_url}thumbs/{index:07d}.webp"
        width, height = _BENCH_SIZES[index % 3]
        camera = _BENCH_CAMERAS[index % 4]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_BENCH_EPOCH + index))
        size = 180_000 + (index * 2654435761) % 400_000
        count = index % 7
        return (
            f'{{"id":{index + 1},"uid":"{uid}","key":"{key}","dataset":"{self._dataset_uid}",'
            f'"dataset_owner_name":"{self._owner}","dataset_slug":"{self._slug}",'
            f'"url":"{url}","gpu_texture_url":null,"thumbnails":["{thumb}"],'
            f'"video_thumbnail":null,"metadata":{{"width":{width},"height":{height},'
            f'"camera":"{camera}","size_bytes":{size},'
            f'"captured_at":"{stamp}"}},"export_snippet":{{"key":"{key}","labels":[]}},'
            f'"annotations":{{"objects":{count}}},"crop_data":null,"related_items":[],'
            f'"related_sequence_uid":null,"created_at":"{stamp}","updated_at":"{stamp}",'
            f'"status":"created","data_url":"{url}","thumbnail_url":"{thumb}",'
            f'"annotations_count":{count}}}'
        )

    def render_page(self, start: int, stop: int) -> str:
        render = self.render
        return "[" + ",".join([render(index) for index in range(start, stop)]) + "]"

    def render_item(self, uid: str) -> str | None:
        if len(uid) != 36 or not uid.startswith(self._prefix):
            return None
        tail = uid[24:]
        if tail != tail.lower():
            return None
        try:
            index = int(tail, 16)
        except ValueError:
            return None
        if index >= self._count or self.uid(index) != uid:
            return None
        return self.render(index)


# --------------------------------------------------------------------------- records


@dataclass
class DatasetRecord:
    """A dataset's JSON plus its items and sequences.

    Attributes:
        data: The dataset JSON, as served.
        items: The dataset's items.
        sequences: The dataset's sequences (JSON dicts, frames included).
        status_plan: For created datasets, the status shown by each successive GET
            (the last entry repeats); empty for seed data.
        polls: How many detail GETs the dataset has had.
    """

    data: JSONDict
    items: ItemSource
    sequences: list[JSONDict] = field(default_factory=list)
    status_plan: list[str] = field(default_factory=list)
    polls: int = 0

    def __post_init__(self) -> None:
        self.sequences_by_uid: dict[str, JSONDict] = {seq["uid"]: seq for seq in self.sequences}

    @property
    def uid(self) -> str:
        """The dataset uid."""
        return str(self.data["uid"])


@dataclass
class ExportRecord:
    """An export's JSON plus the statuses its successive GETs will show."""

    data: JSONDict
    status_plan: list[str]
    polls: int = 0


def _status_plan(polls: int, final: str, first: str, middle: str) -> list[str]:
    """Statuses shown by GET number 1, 2, ...: ``final`` first appears on GET ``polls``."""
    if polls <= 1:
        return [final]
    if polls == 2:
        return [middle, final]
    return [first] + [middle] * (polls - 2) + [final]


# --------------------------------------------------------------------------- seed specs

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


@dataclass(frozen=True)
class _DatasetSpec:
    name: str
    slug: str
    data_type: str
    visibility: str
    status: str
    items: int
    sequences: int
    is_sequence: bool
    key_pattern: str


_DATASET_SPECS = (
    _DatasetSpec(
        "Highway LiDAR",
        "highway-lidar",
        "lidar",
        "public",
        "created",
        48,
        4,
        True,
        "scans/{i:05d}.pcd",
    ),
    _DatasetSpec(
        "Warehouse Cameras",
        "warehouse-cameras",
        "image",
        "private",
        "created",
        60,
        3,
        False,
        "images/cam{cam}/{i:05d}.jpg",
    ),
    _DatasetSpec(
        "Drone Flights",
        "drone-flights",
        "video",
        "public",
        "created",
        25,
        3,
        True,
        "flights/flight_{i:03d}.mp4",
    ),
    _DatasetSpec(
        "Robot Logs",
        "robot-logs",
        "mcap",
        "private",
        "creating",
        32,
        3,
        True,
        "logs/run_{i:03d}.mcap",
    ),
)

_PROJECT_SPECS = (
    # name, status, task type, task count, dataset slug
    ("Highway Annotation", "active", "point-cloud-annotation", 14, "highway-lidar"),
    ("Warehouse QA", "paused", "image-annotation", 10, "warehouse-cameras"),
    ("Drone Review", "completed", "video-annotation", 8, "drone-flights"),
)


def _vec3(x: float, y: float, z: float) -> JSONDict:
    return {"x": round(x, 4), "y": round(y, 4), "z": round(z, 4)}


def _yaw(angle: float) -> JSONDict:
    half = angle / 2
    return {"x": 0.0, "y": 0.0, "z": round(math.sin(half), 6), "w": round(math.cos(half), 6)}


def _frame(base: str, spec: _DatasetSpec, seq_index: int, frame_index: int) -> JSONDict:
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


def _seed_dataset(
    spec: _DatasetSpec, index: int, next_item_id: int, project_count: int
) -> DatasetRecord:
    ds_uid = stable_uid("dataset", DEMO_OWNER, spec.slug)
    base = f"{ASSET_HOST}/{DEMO_OWNER}/{spec.slug}"
    created = _seed_time(days=index * 3)
    labels = [{"name": name, "color": color} for name, color in _LABELS[spec.data_type]]

    sequences: list[JSONDict] = []
    frame_owner: list[str | None] = []
    for s in range(spec.sequences):
        n_frames = 3 + s % 3
        seq_uid = stable_uid("sequence", DEMO_OWNER, spec.slug, str(s))
        frames = [_frame(base, spec, s, f) for f in range(n_frames)]
        frame_owner.extend([seq_uid] * n_frames)
        sequences.append(
            {
                "uid": seq_uid,
                "key": f"seq-{s:03d}",
                "custom_uuid": stable_uid("sequence-custom", spec.slug, str(s)),
                "status": "created",
                "featured_image": frames[0]["images"][0]["image_url"],
                "number_of_frames": n_frames,
                "views": [{"key": cam, "name": cam.title()} for cam in _CAMERAS[spec.data_type]],
                "crop_data": None,
                "predefined_labels": labels,
                "frames": frames,
                "metrics": {"frame_count": n_frames, "duration_seconds": n_frames * 0.1},
                "dataset_uid": ds_uid,
                "allow_lidar_calibration": spec.data_type == "lidar",
                "lidar_calibration_enabled": spec.data_type == "lidar",
                "camera_calibration_enabled": spec.data_type in ("lidar", "mcap"),
                "coc_timeline": [],
            }
        )

    items: list[JSONDict] = []
    total_size = 0
    total_annotations = 0
    for i in range(spec.items):
        key = spec.key_pattern.format(i=i, cam=i % 4 + 1)
        url = f"{base}/{key}"
        thumb = f"{base}/thumbnails/{i:05d}.webp"
        stamp = _seed_time(days=index * 3, minutes=5 + i)
        size = 250_000 + (i * 7919) % 900_000
        annotations = (i * 3) % 9
        total_size += size
        total_annotations += annotations
        label_names = [label["name"] for label in labels]
        items.append(
            {
                "id": next_item_id + i,
                "uid": stable_uid("item", DEMO_OWNER, spec.slug, str(i)),
                "key": key,
                "dataset": ds_uid,
                "dataset_owner_name": DEMO_OWNER,
                "dataset_slug": spec.slug,
                "url": url,
                "gpu_texture_url": f"{url}.ktx2" if spec.data_type == "image" else None,
                "thumbnails": [thumb],
                "video_thumbnail": f"{base}/posters/{i:03d}.jpg"
                if spec.data_type == "video"
                else None,
                "metadata": {"size_bytes": size, "source": spec.data_type, "index": i},
                "export_snippet": {"key": key, "labels": label_names[: annotations % 3]},
                "annotations": {"objects": annotations},
                "crop_data": None,
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

    data: JSONDict = {
        "uid": ds_uid,
        "name": spec.name,
        "slug": spec.slug,
        "item_count": spec.items,
        "status": spec.status,
        "data_type": spec.data_type,
        "is_sequence": spec.is_sequence,
        "predefined_labels": labels,
        "created_at": created,
        "updated_at": _seed_time(days=index * 3 + 1),
        "visibility": spec.visibility,
        "project_count": project_count,
        "owner_name": DEMO_OWNER,
        "size_bytes": total_size,
        "annotations_count": total_annotations,
    }
    return DatasetRecord(data=data, items=StoredItems(items), sequences=sequences)


# --------------------------------------------------------------------------- the store


class Store:
    """All API objects of one test server, in memory.

    Reads and writes happen on the server's event loop; a lock guards the few mutations so a
    test thread may also call the mutating methods.

    Args:
        bench_items: Number of generated items in the ``bench/bench`` dataset; 0 omits it.
        seed: Whether to load the demo seed data.
        export_polls: On which detail GET (1-based) a new export reaches its final status.
        dataset_polls: On which detail GET a created dataset reaches ``created``.
    """

    def __init__(
        self,
        *,
        bench_items: int = 0,
        seed: bool = True,
        export_polls: int = 3,
        dataset_polls: int = 2,
    ) -> None:
        self.export_polls = export_polls
        self.dataset_polls = dataset_polls
        self._lock = threading.RLock()
        self.datasets: list[DatasetRecord] = []
        self._datasets_by_uid: dict[str, DatasetRecord] = {}
        self._datasets_by_slug: dict[tuple[str, str], DatasetRecord] = {}
        self.projects: list[JSONDict] = []
        self._projects_by_uid: dict[str, JSONDict] = {}
        self.tasks: list[JSONDict] = []
        self._tasks_by_uid: dict[str, JSONDict] = {}
        self.exports: list[ExportRecord] = []
        self._exports_by_uid: dict[str, ExportRecord] = {}
        self._next_export_plan: list[str] | None = None
        self._next_item_id = 1
        if seed:
            self._seed()
        if bench_items > 0:
            self._add_bench(bench_items)

    # ---- seeding

    def _seed(self) -> None:
        project_counts: dict[str, int] = {}
        for project_spec in _PROJECT_SPECS:
            slug = project_spec[4]
            project_counts[slug] = project_counts.get(slug, 0) + 1
        for index, spec in enumerate(_DATASET_SPECS):
            record = _seed_dataset(
                spec, index, self._next_item_id, project_counts.get(spec.slug, 0)
            )
            self._next_item_id += len(record.items)
            self.add_dataset(record)

        for p_index, (name, status, task_type, n_tasks, _slug) in enumerate(_PROJECT_SPECS):
            project_uid = stable_uid("project", name)
            project = {
                "uid": project_uid,
                "name": name,
                "status": status,
                "created_at": _seed_time(days=20 + p_index),
                "updated_at": _seed_time(days=40 + p_index),
                "task_type": task_type,
            }
            self.projects.append(project)
            self._projects_by_uid[project_uid] = project
            for t in range(n_tasks):
                done = status == "completed" or t % 3 == 0
                task = {
                    "uid": stable_uid("task", name, str(t)),
                    "type": task_type,
                    "name": f"{name} #{t + 1:03d}",
                    "status": "completed" if done else "pending",
                    "project": project_uid,
                    "created_at": _seed_time(days=21 + p_index, minutes=t * 17),
                    "updated_at": _seed_time(days=22 + p_index, minutes=t * 17),
                }
                self.tasks.append(task)
                self._tasks_by_uid[task["uid"]] = task

    def _add_bench(self, count: int) -> None:
        ds_uid = stable_uid("dataset", BENCH_OWNER, BENCH_SLUG)
        items = GeneratedItems(count, dataset_uid=ds_uid, owner=BENCH_OWNER, slug=BENCH_SLUG)
        stamp = _seed_time(days=30)
        data: JSONDict = {
            "uid": ds_uid,
            "name": "Benchmark Images",
            "slug": BENCH_SLUG,
            "item_count": count,
            "status": "created",
            "data_type": "image",
            "is_sequence": False,
            "predefined_labels": [],
            "created_at": stamp,
            "updated_at": stamp,
            "visibility": "public",
            "project_count": 0,
            "owner_name": BENCH_OWNER,
            "size_bytes": count * 380_000,
            "annotations_count": items.total_annotations(),
        }
        self.add_dataset(DatasetRecord(data=data, items=items))

    # ---- datasets

    def add_dataset(self, record: DatasetRecord) -> None:
        """Add a dataset record.

        Raises:
            ValueError: If the uid or the ``(owner_name, slug)`` pair is already taken.
        """
        owner_slug = (str(record.data["owner_name"]), str(record.data["slug"]))
        with self._lock:
            if record.uid in self._datasets_by_uid or owner_slug in self._datasets_by_slug:
                raise ValueError(f"dataset {owner_slug[0]}/{owner_slug[1]} already exists")
            self.datasets.append(record)
            self._datasets_by_uid[record.uid] = record
            self._datasets_by_slug[owner_slug] = record

    def dataset(self, uid: str) -> DatasetRecord | None:
        """Return the dataset with this uid, if any."""
        return self._datasets_by_uid.get(uid)

    def dataset_by_slug(self, owner: str, slug: str) -> DatasetRecord | None:
        """Return the dataset ``owner/slug``, if any."""
        return self._datasets_by_slug.get((owner, slug))

    def create_dataset(
        self,
        *,
        name: str,
        slug: str,
        data_type: str,
        owner_name: str = DEMO_OWNER,
        visibility: str = "private",
        is_sequence: bool = False,
    ) -> JSONDict:
        """Create an empty dataset in status ``creating`` and return its JSON.

        Raises:
            ValueError: If ``owner_name/slug`` already exists.
        """
        stamp = now_timestamp()
        data: JSONDict = {
            "uid": stable_uid("dataset", owner_name, slug),
            "name": name,
            "slug": slug,
            "item_count": 0,
            "status": "creating",
            "data_type": data_type,
            "is_sequence": is_sequence,
            "predefined_labels": [],
            "created_at": stamp,
            "updated_at": stamp,
            "visibility": visibility,
            "project_count": 0,
            "owner_name": owner_name,
            "size_bytes": 0,
            "annotations_count": 0,
        }
        plan = _status_plan(self.dataset_polls, "created", "creating", "creating")
        self.add_dataset(DatasetRecord(data=data, items=StoredItems(), status_plan=plan))
        return data

    def poll_dataset(self, record: DatasetRecord) -> JSONDict:
        """Count one detail GET of ``record``, advance its status, and return its JSON."""
        if record.status_plan:
            with self._lock:
                record.polls += 1
                status = record.status_plan[min(record.polls, len(record.status_plan)) - 1]
                if status != record.data["status"]:
                    record.data["status"] = status
                    record.data["updated_at"] = now_timestamp()
        return record.data

    # ---- projects and tasks

    def project(self, uid: str) -> JSONDict | None:
        """Return the project with this uid, if any."""
        return self._projects_by_uid.get(uid)

    def task(self, uid: str) -> JSONDict | None:
        """Return the task with this uid, if any."""
        return self._tasks_by_uid.get(uid)

    # ---- exports

    def next_export_status_sequence(self, *statuses: str) -> None:
        """Script the statuses the next created export shows on GET 1, 2, ... (last repeats).

        Raises:
            ValueError: If no status is given.
        """
        if not statuses:
            raise ValueError("give at least one status")
        with self._lock:
            self._next_export_plan = list(statuses)

    def export(self, uid: str) -> ExportRecord | None:
        """Return the export with this uid, if any."""
        return self._exports_by_uid.get(uid)

    def create_export(
        self, *, project: JSONDict | None = None, dataset: DatasetRecord | None = None
    ) -> JSONDict:
        """Create an export in status ``pending`` and return its JSON.

        The export fails (final status ``failed``) when the dataset's slug or name, or the
        project's name, contains ``fail`` (case-insensitive), or when
        :meth:`next_export_status_sequence` scripted it so.
        """
        names: list[str] = []
        if dataset is not None:
            names += [str(dataset.data["slug"]), str(dataset.data["name"])]
        if project is not None:
            names.append(str(project["name"]))
        fails = any("fail" in name.lower() for name in names)
        if project is not None:
            total = sum(1 for task in self.tasks if task["project"] == project["uid"])
            title = f"{project['name']} export"
        elif dataset is not None:
            total = len(dataset.items)
            title = f"{dataset.data['name']} export"
        else:
            total = len(self.tasks)
            title = "Organization export"
        stamp = now_timestamp()
        with self._lock:
            plan = self._next_export_plan
            self._next_export_plan = None
            if plan is None:
                final = "failed" if fails else "exported"
                plan = _status_plan(self.export_polls, final, "pending", "processing")
            uid = stable_uid("export", str(len(self.exports)))
            data: JSONDict = {
                "uid": uid,
                "status": "pending",
                "download_url": None,
                "created_at": stamp,
                "updated_at": stamp,
                "name": title,
                "format": "avala-json-external",
                "total_task_count": total,
                "exported_task_count": 0,
                "datasets": [] if dataset is None else [dataset.uid],
                "slices": [],
                "projects": [] if project is None else [project["uid"]],
                "organization": DEMO_OWNER,
            }
            record = ExportRecord(data=data, status_plan=plan)
            self.exports.append(record)
            self._exports_by_uid[uid] = record
        return data

    def poll_export(self, record: ExportRecord) -> JSONDict:
        """Count one detail GET of ``record``, advance its status, and return its JSON."""
        with self._lock:
            record.polls += 1
            status = record.status_plan[min(record.polls, len(record.status_plan)) - 1]
            data = record.data
            if status != data["status"]:
                data["status"] = status
                data["updated_at"] = now_timestamp()
                if status == "exported":
                    data["download_url"] = f"{ASSET_HOST}/exports/{data['uid']}.json"
                    data["exported_task_count"] = data["total_task_count"]
        return data


def filter_records(records: Sequence[JSONDict], **conditions: str | None) -> Sequence[JSONDict]:
    """Return the records whose fields equal every non-None condition (no copy if none)."""
    active = [(key, value) for key, value in conditions.items() if value is not None]
    if not active:
        return records
    return [r for r in records if all(r.get(key) == value for key, value in active)]
