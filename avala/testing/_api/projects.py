"""Projects, tasks and exports."""

from __future__ import annotations

import json

from aiohttp import web

from .._engine import Call, json_response, render
from .._schema import (
    READ,
    STAMPS,
    Action,
    ApiError,
    Endpoint,
    Field,
    Filter,
    JSONDict,
    Table,
    fields,
)
from .._storage import DEFAULT_TTL_SECONDS, StoredObject, serve_object
from .._store import DEMO_OWNER, Store, dumps, seed_time, stable_uid
from ._common import advance, status_plan
from .datasets import dataset_uid

_PROJECTS = (
    # name, status, task type, task count, dataset slug
    ("Highway Annotation", "active", "point-cloud-annotation", 14, "highway-lidar"),
    ("Warehouse QA", "paused", "image-annotation", 10, "warehouse-cameras"),
    ("Drone Review", "completed", "video-annotation", 8, "drone-flights"),
)


def project_uid(name: str) -> str:
    """The uid of a seeded project."""
    return stable_uid("project", name)


def _seed_projects(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": project_uid(name),
            "name": name,
            "status": status,
            "created_at": seed_time(days=20 + i),
            "updated_at": seed_time(days=40 + i),
            "task_type": task_type,
            "_dataset": dataset_uid(DEMO_OWNER, slug),
        }
        for i, (name, status, task_type, _, slug) in enumerate(_PROJECTS)
    ]


def _seed_tasks(store: Store) -> list[JSONDict]:
    out = []
    for p, (name, status, task_type, count, _) in enumerate(_PROJECTS):
        for t in range(count):
            done = status == "completed" or t % 3 == 0
            out.append(
                {
                    "uid": stable_uid("task", name, str(t)),
                    "type": task_type,
                    "name": f"{name} #{t + 1:03d}",
                    "status": "completed" if done else "pending",
                    "project": project_uid(name),
                    "created_at": seed_time(days=21 + p, minutes=t * 17),
                    "updated_at": seed_time(days=22 + p, minutes=t * 17),
                }
            )
    return out


PROJECTS = Table(
    "projects",
    {**STAMPS, **fields(name="str", status="str", task_type="str", _dataset="str")},
    seed=_seed_projects,
)
TASKS = Table(
    "tasks",
    {**STAMPS, **fields(type="str", name="str", status="str", project="str")},
    seed=_seed_tasks,
)


def _seed_exports(store: Store) -> list[JSONDict]:
    """One finished export, so the list is never empty."""
    project = project_uid("Drone Review")
    uid = stable_uid("export", "seed", "Drone Review")
    tasks = sum(1 for task in store.all("tasks") if task["project"] == project)
    return [
        {
            "uid": uid,
            "status": "exported",
            "name": "Drone Review export",
            "total_task_count": tasks,
            "exported_task_count": tasks,
            "projects": [project],
            "created_at": seed_time(days=60),
            "updated_at": seed_time(days=60, minutes=3),
        }
    ]


def _export_create(call: Call, values: JSONDict) -> None:
    """Name and count the export, and plan the statuses its GETs will show."""
    store = call.store
    project = store.find("projects", uid=values["project"]) if values.get("project") else None
    dataset = store.find("datasets", uid=values["dataset"]) if values.get("dataset") else None
    names = [str(project["name"])] if project else []
    if dataset is not None:
        names += [str(dataset["slug"]), str(dataset["name"])]
    if project is not None:
        total = sum(1 for task in store.all("tasks") if task["project"] == project["uid"])
        title = f"{project['name']} export"
    elif dataset is not None:
        total = len(store.group("dataset_items", dataset["uid"]))
        title = f"{dataset['name']} export"
    else:
        total = len(store.records("tasks"))
        title = "Organization export"
    with store.lock:
        plan = store.settings.pop("next_export_plan", None)
    if plan is None:
        fails = any("fail" in name.lower() for name in names)
        final = "failed" if fails else "exported"
        plan = status_plan(store.settings.get("export_polls", 3), final, "pending", "processing")
    values.update(
        name=title,
        total_task_count=total,
        datasets=[] if dataset is None else [dataset["uid"]],
        projects=[] if project is None else [project["uid"]],
        _plan=plan,
    )


def _export_file(call: Call, record: JSONDict) -> StoredObject:
    """The export's file in the bundled storage, made on first use: a JSON document of its
    tasks, or ``export_bytes`` (a server setting) deterministic bytes for large downloads."""
    storage = call.state.storage
    key = f"exports/{record['uid']}.json"
    stored = storage.objects.get(key)
    if stored is not None:
        return stored
    size = call.store.settings.get("export_bytes")
    if size is not None:
        return storage.put_generated(key, int(size), content_type="application/json")
    projects = set(record.get("projects") or [])
    tasks = [
        {"uid": task["uid"], "name": task["name"], "status": task["status"], "annotations": []}
        for task in call.store.all("tasks")
        if not projects or task["project"] in projects
    ]
    document = {"export": record["uid"], "format": record.get("format"), "tasks": tasks}
    body = json.dumps(document, indent=2, sort_keys=True).encode()
    return storage.put_object(key, body, content_type="application/json")


def _exported(call: Call) -> JSONDict:
    record = call.record
    assert record is not None
    return record


async def _retrieve_export(call: Call) -> web.StreamResponse:
    """The detail GET: advances a new export's status plan; once ``exported``, a fresh
    presigned ``download_url`` on the bundled storage (valid for ``presign_ttl_seconds``)."""
    record = _exported(call)
    with call.store.lock:
        if advance(record) and record["status"] == "exported":
            record["exported_task_count"] = record["total_task_count"]
        if record["status"] == "exported":
            record["download_url"] = _download_url(call, record)
    return json_response(render(EXPORTS, record))


def _download_url(call: Call, record: JSONDict) -> str:
    """A fresh presigned URL of an exported export's file (valid for
    ``presign_ttl_seconds``)."""
    stored = _export_file(call, record)
    ttl = int(call.store.settings.get("presign_ttl_seconds", DEFAULT_TTL_SECONDS))
    origin = str(call.request.url.origin())
    return call.state.storage.presigned_url(origin, "GET", stored.key, ttl_seconds=ttl)[0]


def _present_exports(call: Call, text: str) -> str:
    """A page of the list shows what the detail GET would: a fresh ``download_url`` for
    every export that is ``exported`` (never a stale or missing one)."""
    shown = json.loads(text)
    with call.store.lock:
        for item in shown:
            record = call.store.find(EXPORTS.name, uid=item["uid"])
            if item["status"] == "exported" and record is not None:
                item["download_url"] = record["download_url"] = _download_url(call, record)
    return dumps(shown)


async def _download_export(call: Call) -> web.StreamResponse:
    """``GET /exports/{uid}/download/``: the file itself from the API host (with the key),
    with ``Range`` support; 409 while the export is not ``exported``."""
    record = _exported(call)
    if record["status"] != "exported":
        raise ApiError(409, {"detail": f"Export is not ready (status: {record['status']})."})
    return await serve_object(call.request, _export_file(call, record))


EXPORTS = Table(
    "exports",
    {
        **STAMPS,
        "status": Field(read_only=True, default="pending"),
        "download_url": Field(read_only=True),
        "name": Field(read_only=True),
        "format": Field(read_only=True, default="avala-json-external"),
        "total_task_count": Field(kind="int", read_only=True, default=0),
        "exported_task_count": Field(kind="int", read_only=True, default=0),
        "datasets": Field(kind="array", read_only=True, default=list),
        "slices": Field(kind="array", read_only=True, default=list),
        "projects": Field(kind="array", read_only=True, default=list),
        "organization": Field(read_only=True, default=DEMO_OWNER),
        "project": Field(ref="projects", write_only=True),
        "dataset": Field(ref="datasets", write_only=True),
    },
    seed=_seed_exports,
    on_create=_export_create,
)


ENDPOINTS = (
    Endpoint(PROJECTS, "/users/me/projects/", verbs=READ, ordering=("name", "created_at")),
    Endpoint(
        TASKS,
        "/tasks/",
        verbs=READ,
        filters=(Filter("project"), Filter("status"), Filter("type")),
        ordering=("name", "created_at", "updated_at"),
    ),
    Endpoint(
        EXPORTS,
        "/exports/",
        verbs=frozenset({"list", "create"}),
        ordering=("created_at", "updated_at", "name"),
        present=_present_exports,
        actions=(
            Action("", _retrieve_export, method="GET"),
            Action("download", _download_export, method="GET"),
        ),
    ),
)

TABLES = (PROJECTS, TASKS, EXPORTS)
