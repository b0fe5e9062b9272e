"""Bulk annotation edit types."""

from __future__ import annotations

from typing import Any, TypedDict


class BulkEdit(TypedDict, total=False):
    """One edit of a bulk annotation edit: upsert or delete an object (a cuboid, a polyline)."""

    action: str  # "upsert" or "delete" (the server requires it)
    object_uuid: str  # the object's uuid; re-sending an edit is harmless (the server requires it)
    object_type: str  # upsert: "cuboid" (item), "cuboid 3d" or "point cloud polyline" (sequence)
    dataset_item_uid: str  # the item edited (give this or sequence_uid, not both)
    sequence_uid: str  # the sequence edited (give this or dataset_item_uid, not both)
    object_data: dict[str, Any]  # upsert: position, dimensions, rotation, label, object_id...
    object_name: str  # display name of the object
    object_name_plural: str  # display name of several such objects
    duration: float  # how long the object lasts


class BulkEditResult(TypedDict, total=False):
    """The server's answer to one chunk of a bulk annotation edit."""

    updated: int  # objects created or updated
    deleted: int  # objects deleted
