"""Auto-label jobs: a model pre-labels the items of a project's dataset.

Jobs are created under their project (``POST /projects/{project_uid}/auto-label/``, 202) and
read, filtered and canceled in one collection (``/auto-label-jobs/``): two endpoints over one
table. A new job advances on each detail GET, as exports do: ``pending``, ``running`` (for
``auto_label_polls - 2`` GETs), then ``completed`` on GET number ``auto_label_polls`` (store
setting, default 3), its counters following (``processed_items`` of ``total_items``, the
items of the project's dataset). A job naming labels the project's dataset does not have
goes ``pending`` then ``failed``, with an ``error_message``.

``DELETE /auto-label-jobs/{uid}/`` cancels: the job is kept with status ``canceled`` and its
counters frozen (204). A finished job (completed, failed or canceled) cannot be canceled
(400).
"""

from __future__ import annotations

import math

from aiohttp import web

from .._engine import Call, no_content
from .._schema import Action, ApiError, Endpoint, Field, Filter, JSONDict, Scope, Table
from .._store import DEMO_OWNER, Store, now_timestamp, seed_time, stable_uid
from ._common import advance, status_plan
from .datasets import dataset_uid
from .projects import project_uid

DEFAULT_MODEL = "yolo"
DEFAULT_THRESHOLD = 0.5
FINISHED = ("completed", "failed", "canceled")
PROJECT = Scope("projects", project_uid="uid")

_JOBS = (
    # project, dataset slug, model, status, (successful, skipped), error
    ("Highway Annotation", "highway-lidar", "yolo", "completed", (45, 3), None),
    ("Warehouse QA", "warehouse-cameras", "sam3", "running", (24, 0), None),
    ("Drone Review", "drone-flights", "sam3", "failed", (0, 0), "Model endpoint timed out."),
)


def job_uid(project: str) -> str:
    """The uid of a project's seeded auto-label job."""
    return stable_uid("auto-label-job", project)


def _seed(store: Store) -> list[JSONDict]:
    out = []
    for i, (project, slug, model, status, (ok, skipped), error) in enumerate(_JOBS):
        total = len(store.group("dataset_items", dataset_uid(DEMO_OWNER, slug)))
        processed = total if status == "completed" else ok + skipped
        out.append(
            {
                "uid": job_uid(project),
                "_project": project_uid(project),
                "status": status,
                "model_type": model,
                "confidence_threshold": DEFAULT_THRESHOLD,
                "total_items": total,
                "processed_items": processed,
                "successful_items": ok,
                "skipped_items": skipped,
                "progress_pct": round(100 * processed / total, 1),
                "error_message": error,
                "summary": {"predictions_created": ok * 4} if status == "completed" else None,
                "started_at": seed_time(days=14 + i),
                "completed_at": None if status == "running" else seed_time(days=14 + i, minutes=9),
            }
        )
    return out


def _dataset_labels(store: Store, project: JSONDict) -> tuple[str | None, list[str]]:
    dataset_id = project.get("_dataset")
    dataset = store.find("datasets", uid=dataset_id) if dataset_id else None
    if dataset is None:
        return None, []
    labels = [str(label["name"]) for label in dataset.get("predefined_labels") or []]
    return str(dataset["uid"]), labels


def _on_create(call: Call, values: JSONDict) -> None:
    project = call.parent
    assert project is not None
    threshold = values.get("confidence_threshold")
    if threshold is not None and not (math.isfinite(threshold) and 0 <= threshold <= 1):
        bound = "greater than or equal to 0" if threshold < 0 else "less than or equal to 1"
        raise ApiError(400, {"confidence_threshold": [f"Ensure this value is {bound}."]})
    store = call.store
    dataset, known = _dataset_labels(store, project)
    unknown = [label for label in values.get("labels") or [] if label not in known]
    polls = int(store.settings.get("auto_label_polls", 3))
    if unknown:
        plan = status_plan(min(polls, 2), "failed", "pending", "pending")
        values["_error"] = f"Unknown label(s) for this project: {', '.join(unknown)}."
    else:
        plan = status_plan(polls, "completed", "pending", "running")
    values.update(
        _project=project["uid"],
        _plan=plan,
        total_items=len(store.group("dataset_items", dataset)) if dataset else 0,
    )
    if values.get("model_type") is None:
        values["model_type"] = DEFAULT_MODEL
    if values.get("confidence_threshold") is None:
        values["confidence_threshold"] = DEFAULT_THRESHOLD


def _on_retrieve(store: Store, job: JSONDict) -> None:
    """Move the job along its plan and keep its counters consistent with its status."""
    plan: list[str] = job.get("_plan") or []
    if not plan:
        return  # seed data, or a job that has finished or was canceled
    advance(job)
    job.pop("updated_at", None)  # advance() stamps it; a job has no updated_at
    status = job["status"]
    now = now_timestamp()
    total = int(job["total_items"])
    if status == "failed":
        job.update(error_message=job.get("_error"), completed_at=now, _plan=[])
        return
    step = min(int(job.get("_polls", 0)), len(plan)) - 1
    fraction = step / (len(plan) - 1) if len(plan) > 1 else 1.0
    processed = total if status == "completed" else math.floor(total * fraction)
    skipped = processed // 10  # items that already had labels
    job.update(
        processed_items=processed,
        skipped_items=skipped,
        successful_items=processed - skipped,
        failed_items=0,
        progress_pct=round(100 * processed / total, 1) if total else 100.0 * fraction,
    )
    if job.get("started_at") is None and status in ("running", "completed"):
        job["started_at"] = now
    if status == "completed":
        kept = "predictions_computed" if job.get("dry_run") else "predictions_created"
        job.update(
            completed_at=now,
            summary={kept: (processed - skipped) * 4, "model_type": job["model_type"]},
            _plan=[],
        )


JOBS = Table(
    "auto_label_jobs",
    {
        "uid": Field(read_only=True),
        "status": Field(read_only=True, default="pending"),
        "model_type": Field(max_length=50),
        "confidence_threshold": Field(kind="float"),
        "labels": Field(kind="array", items="str", default=list, nullable=False),
        "dry_run": Field(kind="bool", default=False, nullable=False),
        "total_items": Field(kind="int", read_only=True, default=0),
        "processed_items": Field(kind="int", read_only=True, default=0),
        "successful_items": Field(kind="int", read_only=True, default=0),
        "failed_items": Field(kind="int", read_only=True, default=0),
        "skipped_items": Field(kind="int", read_only=True, default=0),
        "progress_pct": Field(kind="float", read_only=True, default=0.0),
        "error_message": Field(read_only=True),
        "summary": Field(kind="object", read_only=True),
        "started_at": Field(kind="datetime", read_only=True),
        "completed_at": Field(kind="datetime", read_only=True),
        "created_at": Field(kind="datetime", read_only=True),
        "_project": Field(),
    },
    seed=_seed,
    on_create=_on_create,
    on_retrieve=_on_retrieve,
    updated_field=None,
)


async def cancel(call: Call) -> web.StreamResponse:
    """Cancel a pending or running job: it stays, as ``canceled``."""
    job = call.record
    assert job is not None
    with call.store.lock:
        if job["status"] in FINISHED:
            raise ApiError(
                400, {"detail": f"Job is already {job['status']}; it cannot be canceled."}
            )
        job.update(status="canceled", completed_at=now_timestamp(), _plan=[])
    return no_content()


ENDPOINTS = (
    Endpoint(
        JOBS,
        "/projects/{project_uid}/auto-label/",
        scope=(PROJECT,),
        detail=None,
        verbs=frozenset({"create"}),
        create_status=202,
    ),
    Endpoint(
        JOBS,
        "/auto-label-jobs/",
        verbs=frozenset({"list", "retrieve"}),
        filters=(Filter("project", field="_project"), Filter("status")),
        ordering=("created_at", "status"),
        actions=(Action("", cancel, method="DELETE"),),
    ),
)

TABLES = (JOBS,)
