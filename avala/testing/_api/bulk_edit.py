"""Bulk edits of 3D annotations: ``POST /datasets/{owner}/{slug}/bulk-edition/``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._engine import Call, json_response, read_json
from .._schema import Action, ApiError, Endpoint, JSONDict, Parent, Table, fields
from .datasets import BY_SLUG

#: What an edit may target, by where it points (the server's serializer rules, catalog 2.16).
ITEM_TYPES = ("cuboid",)
SEQUENCE_TYPES = ("cuboid 3d", "point cloud polyline")

OBJECTS = Table(
    "annotation_objects",
    fields(
        uid="str",
        object_uuid="str",
        object_type="str",
        dataset_item_uid="str",
        sequence_uid="str",
        object_data="object",
        object_name="str",
        object_name_plural="str",
        duration="float",
        _dataset="str",
    ),
    parent=Parent("datasets", "_dataset"),
    updated_field=None,
)


def _problems(edit: Any, dataset: JSONDict, call: Call) -> dict[str, list[str]]:
    """What is wrong with one edit, as DRF field errors."""
    if not isinstance(edit, dict):
        return {"non_field_errors": ["Expected an object."]}
    errors: dict[str, list[str]] = {}
    action = edit.get("action")
    if action not in ("upsert", "delete"):
        errors["action"] = [f'"{action}" is not a valid choice.']
    if not isinstance(edit.get("object_uuid"), str) or not edit["object_uuid"]:
        errors["object_uuid"] = ["This field is required."]
    item, sequence = edit.get("dataset_item_uid"), edit.get("sequence_uid")
    if (item is None) == (sequence is None):
        errors["non_field_errors"] = ["Give exactly one of dataset_item_uid or sequence_uid."]
    elif item is not None and call.store.get("dataset_items", str(item), dataset["uid"]) is None:
        errors["dataset_item_uid"] = ["No such item in this dataset."]
    elif sequence is not None and (
        call.store.get("dataset_sequences", str(sequence), dataset["uid"]) is None
    ):
        errors["sequence_uid"] = ["No such sequence in this dataset."]
    if action == "upsert":
        allowed = ITEM_TYPES if item is not None else SEQUENCE_TYPES
        if edit.get("object_type") not in allowed:
            errors["object_type"] = [f"Must be one of {', '.join(allowed)} for this target."]
        if not isinstance(edit.get("object_data"), dict):
            errors["object_data"] = ["This field is required."]
    return errors


async def bulk_edition(call: Call) -> web.StreamResponse:
    """Apply a JSON array of edits atomically: all valid, or 400 listing each bad one by
    index and nothing applied. Idempotent per (object_uuid, target)."""
    dataset = call.parent
    assert dataset is not None
    edits = await read_json(call.request)
    if not isinstance(edits, list):
        raise ApiError(400, {"non_field_errors": ["Expected a list of edits."]})
    errors = [_problems(edit, dataset, call) for edit in edits]
    if any(errors):
        raise ApiError(400, errors)
    updated = deleted = 0
    store = call.store
    with store.lock:
        for edit in edits:
            target = edit.get("dataset_item_uid") or edit.get("sequence_uid")
            key = f"{edit['object_uuid']}@{target}"
            existing = store.find("annotation_objects", dataset["uid"], uid=key)
            if existing is not None:
                store.delete("annotation_objects", existing)
            if edit["action"] == "delete":
                deleted += existing is not None
                continue
            record = {k: v for k, v in edit.items() if k in OBJECTS.fields and k != "uid"}
            store.insert("annotation_objects", {**record, "uid": key, "_dataset": dataset["uid"]})
            updated += 1
    return json_response({"updated": updated, "deleted": deleted})


ENDPOINTS = (
    Endpoint(
        OBJECTS,
        "/datasets/{owner}/{slug}/",
        scope=(BY_SLUG,),
        detail=None,
        verbs=frozenset(),
        actions=(Action("bulk-edition", bulk_edition, detail=False),),
    ),
)

TABLES = (OBJECTS,)
