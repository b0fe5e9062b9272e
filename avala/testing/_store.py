"""In-memory data for the Avala test server: one table per collection, plain JSON dicts.

Every object is a ``dict`` with the field names of the REST API; names starting with ``_`` are
kept on the server and never served. Objects of a nested collection are grouped under their
parent's id, so a page of a dataset's items costs O(page), however many datasets exist.

Seed data is deterministic: uids are ``uuid5`` values derived from names and timestamps come
from a fixed epoch, so two runs of the server serve identical seed data.

The optional benchmark dataset (owner ``bench``, slug ``bench``) stores nothing per item: its
items are rendered straight to JSON text from their index, so a million items cost no memory and
any page costs O(page size).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from ._schema import JSONDict, Table

DEMO_OWNER = "demo"
"""Owner name of the seeded datasets (the demo key's user)."""

BENCH_OWNER = "bench"
"""Owner name of the generated benchmark dataset."""

BENCH_SLUG = "bench"
"""Slug of the generated benchmark dataset."""

ASSET_HOST = "https://cdn.avala.test"

_NAMESPACE = uuid.UUID("6c4f3b9e-2d1a-5e7f-8a90-1b2c3d4e5f60")
SEED_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


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


def seed_time(*, days: float = 0, minutes: float = 0, seconds: float = 0) -> str:
    """A deterministic timestamp relative to the seed epoch."""
    return format_timestamp(SEED_EPOCH + timedelta(days=days, minutes=minutes, seconds=seconds))


def dumps(value: Any) -> str:
    """Serialize ``value`` to compact JSON text."""
    return json.dumps(value, separators=(",", ":"))


def public(record: JSONDict) -> JSONDict:
    """The record as served: server-only (``_``) fields left out."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


# --------------------------------------------------------------------------- sources


class Source(Protocol):
    """The objects of one group (a top-level table, or one parent's children)."""

    def __len__(self) -> int: ...

    def records(self) -> Sequence[JSONDict]:
        """Every object, in order (for filtering)."""
        ...

    def render_page(self, start: int, stop: int) -> str:
        """The JSON array text of objects ``start`` (inclusive) to ``stop`` (exclusive)."""
        ...

    def get(self, key: str) -> JSONDict | str | None:
        """The object with this id (a dict, or its JSON text), or None."""
        ...

    def add(self, key: str, record: JSONDict) -> None:
        """Store a new object under ``key``; a taken key raises ValueError."""
        ...

    def remove(self, key: str) -> None:
        """Remove the object stored under ``key``."""
        ...


class StoredRecords:
    """Objects held in memory as dicts."""

    def __init__(self, id_field: str = "uid") -> None:
        self._id_field = id_field
        self._by_key: dict[str, JSONDict] = {}
        self._order: list[JSONDict] | None = []

    def __len__(self) -> int:
        return len(self._by_key)

    def records(self) -> Sequence[JSONDict]:
        if self._order is None:
            self._order = list(self._by_key.values())
        return self._order

    def render_page(self, start: int, stop: int) -> str:
        return dumps([public(r) for r in self.records()[start:stop]])

    def get(self, key: str) -> JSONDict | None:
        return self._by_key.get(key)

    def add(self, key: str, record: JSONDict) -> None:
        if key in self._by_key:
            raise ValueError(f"duplicate id {key!r}")
        self._by_key[key] = record
        if self._order is not None:
            self._order.append(record)

    def remove(self, key: str) -> None:
        del self._by_key[key]
        self._order = None


_BENCH_SIZES = ((1920, 1080), (1280, 720), (2048, 1536))
_BENCH_CAMERAS = ("front", "left", "right", "rear")
_BENCH_EPOCH = int(SEED_EPOCH.timestamp())


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
            f'{{"id":{index + 1},"uid":"{uid}","is_hidden":false,"key":"{key}",'
            f'"dataset":"{self._dataset_uid}",'
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

    def records(self) -> Sequence[JSONDict]:
        return [json.loads(self.render(i)) for i in range(self._count)]

    def render_page(self, start: int, stop: int) -> str:
        render = self.render
        return "[" + ",".join([render(index) for index in range(start, stop)]) + "]"

    def get(self, key: str) -> str | None:
        if len(key) != 36 or not key.startswith(self._prefix):
            return None
        tail = key[24:]
        if tail != tail.lower():
            return None
        try:
            index = int(tail, 16)
        except ValueError:
            return None
        if index >= self._count or self.uid(index) != key:
            return None
        return self.render(index)

    def add(self, key: str, record: JSONDict) -> None:
        raise ValueError("the benchmark dataset is read-only")

    def remove(self, key: str) -> None:
        raise ValueError("the benchmark dataset is read-only")


# --------------------------------------------------------------------------- the store


class Store:
    """All API objects of one test server, in memory, one table per collection.

    Reads and writes happen on the server's event loop; a lock guards mutations so a test
    thread may also call the mutating methods.

    Args:
        tables: The table descriptions, in seed order (parents before children).
        seed: Whether to load the seed data.
        settings: Knobs the tables' hooks read (e.g. ``export_polls``).
    """

    def __init__(self, tables: Sequence[Table], *, seed: bool = True, **settings: Any) -> None:
        self.tables: dict[str, Table] = {t.name: t for t in tables}
        self.settings: dict[str, Any] = settings
        self.lock: threading.RLock = threading.RLock()
        self._groups: dict[str, dict[str | None, Source]] = {t.name: {} for t in tables}
        if seed:
            for table in tables:
                if table.seed is not None:
                    for index, record in enumerate(table.seed(self)):
                        self.insert(table.name, record, stamp=seed_time(minutes=index))

    # ---- reading

    def group(self, table: str, parent: str | None = None) -> Source:
        """The objects of ``table`` under ``parent`` (None for a top-level table)."""
        groups = self._groups[table]
        source = groups.get(parent)
        if source is None:
            source = groups[parent] = StoredRecords(self.tables[table].id_field)
        return source

    def set_group(self, table: str, parent: str | None, source: Source) -> None:
        """Serve ``source`` as the objects of ``table`` under ``parent``."""
        with self.lock:
            self._groups[table][parent] = source

    def all(self, table: str) -> Iterator[JSONDict]:
        """Every object of ``table``, across every group."""
        for source in list(self._groups[table].values()):
            yield from source.records()

    def records(self, table: str, parent: str | None = None) -> list[JSONDict]:
        """The objects of one group (of every group when the table is nested and ``parent``
        is None), as the live dicts."""
        if parent is None and self.tables[table].parent is not None:
            return list(self.all(table))
        return list(self.group(table, parent).records())

    def get(self, table: str, key: str, parent: str | None = None) -> JSONDict | str | None:
        """The object with this id in one group (for a nested table, None searches all)."""
        spec = self.tables[table]
        if parent is None and spec.parent is not None:
            for source in list(self._groups[table].values()):
                found = source.get(key)
                if found is not None:
                    return found
            return None
        return self.group(table, parent).get(key)

    def find(self, table: str, parent: str | None = None, **match: Any) -> JSONDict | None:
        """The first object whose fields equal ``match`` (in one group, or in all)."""
        spec = self.tables[table]
        key = match.get(spec.id_field) if len(match) == 1 else None
        if key is not None:
            found = self.get(table, key, parent)
            return found if isinstance(found, dict) else None
        candidates = (
            self.all(table)
            if parent is None and spec.parent is not None
            else self.group(table, parent).records()
        )
        for record in candidates:
            if all(record.get(k) == v for k, v in match.items()):
                return record
        return None

    def parent_of(self, table: str, record: JSONDict) -> str | None:
        """The id of the group ``record`` belongs to."""
        parent = self.tables[table].parent
        return None if parent is None else record.get(parent.field)

    # ---- writing

    def insert(self, table: str, record: JSONDict, *, stamp: str | None = None) -> JSONDict:
        """Store a new object, filling absent fields with their defaults and the id and
        timestamps when missing.

        Raises:
            ValueError: the id is already taken in its group.
        """
        spec = self.tables[table]
        when = stamp or now_timestamp()
        full: JSONDict = {}
        for name, field_spec in spec.fields.items():
            if name in record:
                full[name] = record[name]
            elif name == "uid":
                full[name] = str(uuid.uuid4())
            elif name in ("created_at", "updated_at"):
                full[name] = when
            else:
                full[name] = field_spec.initial()
        full.update((k, v) for k, v in record.items() if k not in full)
        with self.lock:
            self.group(table, self.parent_of(table, full)).add(str(full[spec.id_field]), full)
        return full

    def delete(self, table: str, record: JSONDict) -> None:
        """Remove an object."""
        spec = self.tables[table]
        with self.lock:
            self.group(table, self.parent_of(table, record)).remove(str(record[spec.id_field]))

    def move(self, table: str, record: JSONDict, parent: str | None) -> None:
        """Re-parent an object (its parent field is set to ``parent``)."""
        spec = self.tables[table]
        if spec.parent is None:
            raise ValueError(f"{table} is not a nested table")
        with self.lock:
            self.delete(table, record)
            record[spec.parent.field] = parent
            self.group(table, parent).add(str(record[spec.id_field]), record)

    # ---- conveniences for tests

    @property
    def datasets(self) -> list[JSONDict]:
        """Every dataset (the live dicts)."""
        return self.records("datasets")

    @property
    def projects(self) -> list[JSONDict]:
        """Every project."""
        return self.records("projects")

    @property
    def tasks(self) -> list[JSONDict]:
        """Every task."""
        return self.records("tasks")

    @property
    def exports(self) -> list[JSONDict]:
        """Every export."""
        return self.records("exports")

    def next_export_status_sequence(self, *statuses: str) -> None:
        """Script the statuses the next created export shows on GET 1, 2, ... (last repeats).

        Raises:
            ValueError: If no status is given.
        """
        if not statuses:
            raise ValueError("give at least one status")
        with self.lock:
            self.settings["next_export_plan"] = list(statuses)


def filter_records(records: Iterable[JSONDict], **conditions: str | None) -> list[JSONDict]:
    """The records whose fields equal every non-None condition."""
    active = [(key, value) for key, value in conditions.items() if value is not None]
    return [r for r in records if all(r.get(key) == value for key, value in active)]
