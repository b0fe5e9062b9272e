"""Quality targets of a project (a threshold on a metric, and its evaluation) and the
project's inter-annotator consensus (settings, scores, and their summary).

Consensus exists only for projects it is configured for ("Highway Annotation" and "Warehouse
QA" in the seed): every consensus URL of any other project answers 404, as the real API does.
The settings are one object per project, but not a ``singleton`` endpoint (which would create
them on first read): they are looked up by the project's uid, and the score list scopes
through them, so a project without settings has neither.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Callable

from aiohttp import web

from .._engine import Call, json_response
from .._schema import (
    STAMPS,
    Action,
    Endpoint,
    Field,
    JSONDict,
    Parent,
    Scope,
    Table,
)
from .._store import Store, now_timestamp, seed_time, stable_uid
from .projects import project_uid

PROJECT = Scope("projects", project_uid="uid")
"""``{project_uid}`` in a URL names a project (404 when there is none)."""

# --------------------------------------------------------------------------- quality targets

#: metric -> its value where the seed data does not determine it
FIXED_METRICS = {
    "accuracy": 0.92,
    "precision": 0.88,
    "recall": 0.85,
    "iou": 0.74,
    "rejection_rate": 0.06,
    "rework_rate": 0.11,
}

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": lambda value, threshold: math.isclose(value, threshold, abs_tol=1e-9),
}

_TARGETS = (
    # name, metric, operator, threshold, severity, evaluated before (value, breaches)
    ("Completion floor", "completion_rate", "lt", 0.5, "critical", (0.3571, 2)),
    ("Box accuracy", "accuracy", "lt", 0.9, "warning", None),
)


def target_uid(project: str, name: str) -> str:
    """The uid of a seeded quality target."""
    return stable_uid("quality-target", project, name)


def _seed_targets(store: Store) -> list[JSONDict]:
    project = "Highway Annotation"
    out = []
    for name, metric, op, threshold, severity, history in _TARGETS:
        record: JSONDict = {
            "uid": target_uid(project, name),
            "_project_uid": project_uid(project),
            "name": name,
            "metric": metric,
            "operator": op,
            "threshold": threshold,
            "severity": severity,
            "notify_emails": ["qa@avala.test"] if severity == "critical" else [],
        }
        if history is not None:
            value, breaches = history
            record.update(
                last_evaluated_at=seed_time(days=45),
                last_value=value,
                is_breached=True,
                breach_count=breaches,
                last_breached_at=seed_time(days=45),
            )
        out.append(record)
    return out


def metric_value(store: Store, project: JSONDict, metric: str) -> float:
    """The current value of ``metric`` for ``project``, deterministic for the seed data.

    ``completion_rate`` is the share of the project's tasks that are completed;
    ``consensus_score`` the mean consensus score (0 without consensus); the metrics of
    :data:`FIXED_METRICS` have fixed values, and any other metric a fixed value in [0, 1)
    derived from its name.
    """
    if metric == "completion_rate":
        tasks = [t for t in store.all("tasks") if t.get("project") == project["uid"]]
        done = sum(1 for t in tasks if t.get("status") == "completed")
        return round(done / len(tasks), 4) if tasks else 0.0
    if metric == "consensus_score":
        config = store.find("consensus_configs", project["uid"], _project_uid=project["uid"])
        scores = [] if config is None else _scores(store, config)
        return round(statistics.fmean(s["score"] for s in scores), 4) if scores else 0.0
    if metric in FIXED_METRICS:
        return FIXED_METRICS[metric]
    return int(stable_uid("quality-metric", metric)[:8], 16) % 1000 / 1000


def is_breached(value: float, op: str, threshold: float) -> bool:
    """Whether ``value <op> threshold`` holds (the target's breach condition); an operator
    the server does not know never breaches."""
    compare = OPERATORS.get(op)
    return compare is not None and compare(value, threshold)


async def evaluate(call: Call) -> web.StreamResponse:
    """Evaluate every active target of the project, record the outcome on each target, and
    answer the evaluations as a bare array."""
    project = call.parent
    assert project is not None
    now = now_timestamp()
    out = []
    with call.store.lock:
        for target in call.store.records("quality_targets", project["uid"]):
            if not target.get("is_active"):
                continue
            value = metric_value(call.store, project, str(target["metric"]))
            breached = is_breached(value, str(target["operator"]), float(target["threshold"]))
            target.update(last_evaluated_at=now, last_value=value, is_breached=breached)
            if breached:
                target["breach_count"] = int(target.get("breach_count") or 0) + 1
                target["last_breached_at"] = now
            out.append(
                {
                    "uid": target["uid"],
                    "name": target["name"],
                    "metric": target["metric"],
                    "threshold": target["threshold"],
                    "operator": target["operator"],
                    "current_value": value,
                    "is_breached": breached,
                    "severity": target.get("severity"),
                }
            )
    return json_response(out)


TARGETS = Table(
    "quality_targets",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "metric": Field(required=True, max_length=100),
        "operator": Field(default="gte", nullable=False, max_length=10),
        "threshold": Field(kind="float", required=True),
        "severity": Field(default="warning"),
        "is_active": Field(kind="bool", default=True, nullable=False),
        "notify_webhook": Field(kind="bool", default=True, nullable=False),
        "notify_emails": Field(kind="array", items="str", default=list, nullable=False),
        "last_evaluated_at": Field(kind="datetime", read_only=True),
        "last_value": Field(kind="float", read_only=True),
        "is_breached": Field(kind="bool", read_only=True, default=False),
        "breach_count": Field(kind="int", read_only=True, default=0),
        "last_breached_at": Field(kind="datetime", read_only=True),
    },
    parent=Parent("projects", "_project_uid"),
    seed=_seed_targets,
)

# --------------------------------------------------------------------------- consensus

_CONSENSUS = (
    # project, (iou_threshold, min_agreement_ratio, min_annotations), scores (score, annotators)
    ("Highway Annotation", (0.5, 0.6, 2), ((0.91, 3), (0.78, 2), (0.64, 3), (0.86, 2))),
    ("Warehouse QA", (0.7, 0.5, 3), ((0.95, 3), (0.55, 3), (0.82, 4))),
)
#: Items of the project's dataset a computation scores (the first ones).
COMPUTED_ITEMS = 6


def config_uid(project: str) -> str:
    """The uid of a seeded project's consensus settings."""
    return stable_uid("consensus-config", project)


def _project_items(store: Store, project: str) -> list[JSONDict]:
    """The items of a seeded project's dataset."""
    record = store.find("projects", uid=project_uid(project))
    dataset = None if record is None else record.get("_dataset")
    return store.records("dataset_items", str(dataset)) if dataset else []


def _seed_configs(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": config_uid(project),
            "_project_uid": project_uid(project),
            "iou_threshold": iou,
            "min_agreement_ratio": ratio,
            "min_annotations": minimum,
            "created_at": seed_time(days=30),
            "updated_at": seed_time(days=31),
        }
        for project, (iou, ratio, minimum), _ in _CONSENSUS
    ]


def _seed_scores(store: Store) -> list[JSONDict]:
    out = []
    for project, _, scores in _CONSENSUS:
        items = _project_items(store, project)
        for i, ((score, annotators), record) in enumerate(zip(scores, items, strict=False)):
            item = str(record["uid"])
            out.append(
                {
                    "uid": stable_uid("consensus-score", project_uid(project), item),
                    "_config_uid": config_uid(project),
                    "dataset_item_uid": item,
                    "task_name": f"{project} #{i + 1:03d}",
                    "score": score,
                    "annotator_count": annotators,
                    "details": {"matched_objects": 4 + i, "mean_iou": round(score - 0.05, 2)},
                    "created_at": seed_time(days=32, minutes=i),
                }
            )
    return out


def _scores(store: Store, config: JSONDict) -> list[JSONDict]:
    return store.records("consensus_scores", str(config["uid"]))


def _bucket(score: float) -> str:
    low = min(max(int(score * 10), 0), 9)
    return f"{low / 10:.1f}-{(low + 1) / 10:.1f}"


async def summary(call: Call) -> web.StreamResponse:
    """Agreement statistics computed from the project's scores and settings."""
    project, config = call.parent, call.record
    assert project is not None and config is not None
    scores = _scores(call.store, config)
    values = [float(s["score"]) for s in scores]
    reached = {
        s["dataset_item_uid"]
        for s in scores
        if s["score"] >= config["min_agreement_ratio"]
        and s["annotator_count"] >= config["min_annotations"]
    }
    dataset = project.get("_dataset")
    scored = {s["dataset_item_uid"] for s in scores}
    total = len(call.store.group("dataset_items", dataset)) if dataset else len(scored)
    distribution = {_bucket(n / 10): 0 for n in range(10)}
    by_task: dict[str, list[float]] = {}
    for s in scores:
        distribution[_bucket(s["score"])] += 1
        by_task.setdefault(str(s["task_name"]), []).append(float(s["score"]))
    return json_response(
        {
            "mean_score": round(statistics.fmean(values), 4) if values else 0.0,
            "median_score": round(statistics.median(values), 4) if values else 0.0,
            "min_score": min(values, default=0.0),
            "max_score": max(values, default=0.0),
            "total_items": max(total, len(scored)),
            "items_with_consensus": len(reached),
            "score_distribution": distribution,
            "by_task_name": [
                {
                    "task_name": name,
                    "mean_score": round(statistics.fmean(task_scores), 4),
                    "count": len(task_scores),
                }
                for name, task_scores in by_task.items()
            ],
        }
    )


def _computed_score(item_uid: str) -> float:
    return round(0.5 + int(stable_uid("consensus-value", item_uid)[:8], 16) % 500 / 1000, 3)


async def compute(call: Call) -> web.StreamResponse:
    """Score the first :data:`COMPUTED_ITEMS` items of the project's dataset that have no
    score yet, and answer the way the SDKs model it (``{status, message}``)."""
    project, config = call.parent, call.record
    assert project is not None and config is not None
    store = call.store
    with store.lock:
        scored = {s["dataset_item_uid"] for s in _scores(store, config)}
        dataset = project.get("_dataset")
        items = store.records("dataset_items", dataset)[:COMPUTED_ITEMS] if dataset else []
        tasks = [t for t in store.all("tasks") if t.get("project") == project["uid"]]
        added = 0
        for index, item in enumerate(items):
            if item["uid"] in scored:
                continue
            task = tasks[index % len(tasks)]["name"] if tasks else str(project["name"])
            score = _computed_score(str(item["uid"]))
            store.insert(
                "consensus_scores",
                {
                    "uid": stable_uid("consensus-score", project["uid"], str(item["uid"])),
                    "_config_uid": config["uid"],
                    "dataset_item_uid": item["uid"],
                    "task_name": task,
                    "score": score,
                    "annotator_count": max(int(config["min_annotations"]), 2),
                    "details": {"iou_threshold": config["iou_threshold"]},
                },
            )
            added += 1
    return json_response(
        {
            "status": "started",
            "message": f"Consensus computation started for {project['name']} "
            f"({added} new item(s) scored).",
        },
        201,
    )


CONFIGS = Table(
    "consensus_configs",
    {
        **STAMPS,
        "iou_threshold": Field(kind="float", default=0.5, nullable=False),
        "min_agreement_ratio": Field(kind="float", default=0.5, nullable=False),
        "min_annotations": Field(kind="int", default=2, nullable=False),
    },
    parent=Parent("projects", "_project_uid"),
    seed=_seed_configs,
)

SCORES = Table(
    "consensus_scores",
    {
        "uid": Field(read_only=True),
        "dataset_item_uid": Field(required=True),
        "task_name": Field(required=True),
        "score_type": Field(default="inter_annotator"),
        "score": Field(kind="float", required=True),
        "annotator_count": Field(kind="int", required=True),
        "details": Field(kind="object"),
        "created_at": Field(kind="datetime", read_only=True),
    },
    parent=Parent("consensus_configs", "_config_uid"),
    seed=_seed_scores,
    updated_field=None,
)

CONFIGURED = Scope("consensus_configs", project_uid="_project_uid")
"""The project's consensus settings: 404 where consensus is not configured."""

ENDPOINTS = (
    Endpoint(
        TARGETS,
        "/projects/{project_uid}/quality-targets/",
        scope=(PROJECT,),
        ordering=("name", "created_at", "threshold"),
        actions=(Action("evaluate", evaluate, detail=False),),
    ),
    # /consensus/ is the summary, /consensus/config/ the settings (GET, partial PUT),
    # /consensus/compute/ the recomputation; all three find the settings first.
    Endpoint(
        CONFIGS,
        "/projects/{project_uid}/consensus/",
        scope=(PROJECT,),
        detail="config/",
        lookup={"project_uid": "_project_uid"},
        verbs=frozenset({"retrieve", "update"}),
        update_method="PUT",
        actions=(
            Action("", summary, method="GET", detail=False),
            Action("compute", compute, detail=False),
        ),
    ),
    Endpoint(
        SCORES,
        "/projects/{project_uid}/consensus/scores/",
        scope=(PROJECT, CONFIGURED),
        detail=None,
        verbs=frozenset({"list"}),
        ordering=("score", "created_at"),
    ),
)

TABLES = (TARGETS, CONFIGS, SCORES)
