"""Slices: named selections of dataset items, listed per owner, and their items.

A slice's items are copies of the items of its ``sub_slices`` (datasets, or other slices),
all of them or ``random_selection_count`` of them picked deterministically. Slices are
grouped by owner (a user or organization handle) through the small ``slice_owners`` table,
so ``/slices/{owner}/...`` URLs resolve like any other parent in the URL.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from typing import Any

from .._engine import Call
from .._schema import STAMPS, ApiError, Endpoint, Field, JSONDict, Parent, Scope, Table
from .._store import DEMO_OWNER, Store, seed_time, stable_uid
from .datasets import ITEMS, dataset_uid, sign_item_media

MAX_ITEMS = 10_000
"""The most items a slice may hold (pass ``random_selection_count`` to take fewer)."""

_RESERVED = frozenset({"list"})  # /slices/{owner}/list/ is the list URL

_SEEDS = (
    # name, visibility, source dataset slugs, random_selection_count
    ("Highway Night Scans", "public", ("highway-lidar",), 12),
    ("Warehouse Forklifts", "private", ("warehouse-cameras",), None),
    ("Aerial and Robot Mix", "private", ("drone-flights", "robot-logs"), 9),
)


def slice_uid(owner: str, slug: str) -> str:
    """The uid of a seeded slice."""
    return stable_uid("slice", owner, slug)


def _slugify(name: str) -> str:
    out, dash = [], False
    for char in name.lower():
        if char.isascii() and char.isalnum():
            out.append(char)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


# --------------------------------------------------------------------------- item selection


def _sources(store: Store, sub_slices: Sequence[Any]) -> list[tuple[str, str]]:
    """(table, group) of each sub-slice, in order.

    Raises:
        ApiError: 400 naming the sub-slice that is not ``{"type": "dataset", "dataset_uid"}``
            (or ``{"type": "slice", "slice_uid"}``) of an existing dataset (or slice).
    """
    if not sub_slices:
        raise ApiError(400, {"sub_slices": ["This list may not be empty."]})
    found = []
    for index, entry in enumerate(sub_slices):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind == "dataset":
            uid = entry.get("dataset_uid")
            ok = isinstance(uid, str) and store.find("datasets", uid=uid) is not None
            found.append(("dataset_items", str(uid)))
        elif kind == "slice":
            uid = entry.get("slice_uid")
            ok = isinstance(uid, str) and store.get("slices", uid) is not None
            found.append(("slice_items", str(uid)))
        else:
            message = f'Entry {index}: "type" must be "dataset" or "slice".'
            raise ApiError(400, {"sub_slices": [message]})
        if not ok:
            raise ApiError(400, {"sub_slices": [f"Entry {index}: {kind} {uid!r} does not exist."]})
    return found


def select_items(
    store: Store, name: str, sub_slices: Sequence[Any], count: int | None
) -> list[JSONDict]:
    """The items a slice of ``sub_slices`` holds: all of them, or ``count`` of them picked
    at random, seeded by the slice's name and sources, so the same request always picks
    the same items. Items keep their sources' order; an item named twice is taken once.
    Only the chosen items are read, however large the sources.

    Raises:
        ApiError: 400 for a bad sub-slice, or a slice that would exceed ``MAX_ITEMS``.
    """
    sources = [store.group(table, group) for table, group in _sources(store, sub_slices)]
    total = sum(len(source) for source in sources)
    size = total if count is None else min(count, total)
    if size > MAX_ITEMS:
        message = f"A slice holds at most {MAX_ITEMS} items; pass a smaller random_selection_count."
        raise ApiError(400, {"sub_slices": [message]})
    if size < total:
        seed = json.dumps([name, sub_slices], sort_keys=True)
        wanted = sorted(random.Random(seed).sample(range(total), size))
    else:
        wanted = list(range(total))
    out: dict[str, JSONDict] = {}
    start, position = 0, 0
    for source in sources:
        stop = start + len(source)
        while position < len(wanted) and wanted[position] < stop:
            index = wanted[position] - start
            item = json.loads(source.render_page(index, index + 1))[0]
            out.setdefault(str(item["uid"]), {f: item.get(f) for f in ITEMS.fields})
            position += 1
        start = stop
    return list(out.values())


def _summary(items: Sequence[JSONDict], sub_slices: Sequence[Any], count: int | None) -> JSONDict:
    return {
        "status": "created",
        "item_count": len(items),
        "featured_slice_item_urls": [
            str(item.get("thumbnail_url") or item.get("url")) for item in items[:4]
        ],
        "source_data": {"sub_slice_count": len(sub_slices), "random_selection_count": count},
    }


# --------------------------------------------------------------------------- seed data


def _seed_owners(store: Store) -> list[JSONDict]:
    names = [DEMO_OWNER]
    for table, name_field in (("users", "username"), ("organizations", "slug")):
        if table in store.tables:
            names += [str(r[name_field]) for r in store.records(table)]
    return [{"name": name} for name in dict.fromkeys(names)]


def _seed_slices(store: Store) -> list[JSONDict]:
    out = []
    for index, (name, visibility, slugs, count) in enumerate(_SEEDS):
        slug = _slugify(name)
        sub_slices = [{"type": "dataset", "dataset_uid": dataset_uid(DEMO_OWNER, s)} for s in slugs]
        items = select_items(store, name, sub_slices, count)
        out.append(
            {
                "uid": slice_uid(DEMO_OWNER, slug),
                "name": name,
                "slug": slug,
                "owner_name": DEMO_OWNER,
                "visibility": visibility,
                "sub_slices": sub_slices,
                "created_at": seed_time(days=45 + index),
                "updated_at": seed_time(days=46 + index),
                **_summary(items, sub_slices, count),
            }
        )
    return out


def _seed_items(store: Store) -> list[JSONDict]:
    out = []
    for record in store.records("slices"):
        count = record["source_data"]["random_selection_count"]
        for item in select_items(store, record["name"], record["sub_slices"], count):
            out.append({**item, "_slice": record["uid"]})
    return out


# --------------------------------------------------------------------------- create


def _owner(call: Call, organization: str | None) -> tuple[str, JSONDict | None]:
    """The owner handle of a new slice, and the ``organization`` it shows."""
    if organization is None:
        return DEMO_OWNER, None
    store = call.store
    org = store.find("organizations", uid=organization) or store.find(
        "organizations", slug=organization
    )
    if org is None:
        raise ApiError(400, {"organization": ["Organization not found."]})
    shown = {key: org.get(key) for key in ("uid", "name", "slug", "logo")}
    return str(org["slug"]), shown


def _create(call: Call, values: JSONDict) -> None:
    """Own, name and fill the new slice: its items are stored here, under its new uid."""
    store = call.store
    owner, organization = _owner(call, values.pop("organization", None))
    base = _slugify(str(values["name"]))
    if not base:
        raise ApiError(400, {"name": [f"{values['name']!r} does not make a usable slug."]})
    slug, n = base, 1
    while slug in _RESERVED or store.find("slices", owner, slug=slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    count = values.pop("random_selection_count", None)
    if count is not None and count < 1:
        raise ApiError(400, {"random_selection_count": ["Ensure this value is at least 1."]})
    items = select_items(store, str(values["name"]), values["sub_slices"], count)
    values.update(
        uid=str(uuid.uuid4()),
        slug=slug,
        owner_name=owner,
        organization=organization,
        **_summary(items, values["sub_slices"], count),
    )
    with store.lock:
        if store.get("slice_owners", owner) is None:
            store.insert("slice_owners", {"name": owner})
        for item in items:
            store.insert("slice_items", {**item, "_slice": values["uid"]})


# --------------------------------------------------------------------------- tables

OWNERS = Table(
    "slice_owners", {"name": Field()}, id_field="name", seed=_seed_owners, updated_field=None
)

SLICES = Table(
    "slices",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "slug": Field(kind="slug", read_only=True),
        "owner_name": Field(read_only=True),
        "organization": Field(),  # in: an organization's uid or slug; out: the organization
        "visibility": Field(required=True),
        "status": Field(read_only=True, default="created"),
        "item_count": Field(kind="int", read_only=True, default=0),
        "sub_slices": Field(kind="array", items="object", required=True),
        "source_data": Field(kind="any", read_only=True),
        "featured_slice_item_urls": Field(kind="array", read_only=True, default=list),
        "random_selection_count": Field(kind="int", write_only=True),
    },
    parent=Parent("slice_owners", "owner_name"),
    unique=(("owner_name", "slug"),),
    seed=_seed_slices,
    on_create=_create,
)

SLICE_ITEMS = Table(
    "slice_items",
    {**ITEMS.fields, "_slice": Field()},
    parent=Parent("slices", "_slice"),
    seed=_seed_items,
)

BY_OWNER = Scope("slice_owners", owner="name")
BY_SLUG = Scope("slices", slug="slug")

ENDPOINTS = (
    Endpoint(SLICES, "/slices/", detail=None, verbs=frozenset({"create"})),
    Endpoint(
        SLICES,
        "/slices/{owner}/list/",
        scope=(BY_OWNER,),
        detail=None,
        verbs=frozenset({"list"}),
        paging="page",
        page_size=20,
    ),
    Endpoint(
        SLICES,
        "/slices/{owner}/",
        scope=(BY_OWNER,),
        detail="{slug}/",
        lookup={"slug": "slug"},
        verbs=frozenset({"retrieve"}),
    ),
    Endpoint(
        SLICE_ITEMS,
        "/slices/{owner}/{slug}/items/list/",
        scope=(BY_OWNER, BY_SLUG),
        detail=None,
        verbs=frozenset({"list"}),
        present=sign_item_media,
    ),
    Endpoint(
        SLICE_ITEMS,
        "/slices/{owner}/{slug}/items/",
        scope=(BY_OWNER, BY_SLUG),
        detail="{item_uid}/",
        lookup={"item_uid": "uid"},
        verbs=frozenset({"retrieve"}),
        present=sign_item_media,
    ),
)

TABLES = (OWNERS, SLICES, SLICE_ITEMS)
