"""Annotation issues (quality-control reports on a sequence's annotations), their statistics
per dataset, and the QC tools (with their problems) issues are raised with.

Issues hang from sequences (``/sequences/{sequence_uid}/annotation-issues/``); the dataset
URLs gather the issues of every sequence of the dataset. All three lists are bare arrays.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timezone

from aiohttp import web

from .._engine import Call, json_response, render
from .._schema import (
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
from .._store import DEMO_OWNER, Store, now_timestamp, seed_time, stable_uid
from .datasets import BY_SLUG
from .projects import project_uid

CLOSED = ("closed", "resolved")
"""Statuses that close an issue (``closed_at`` is set)."""

DEMO_REPORTER: JSONDict = {
    "username": DEMO_OWNER,
    "picture": None,
    "full_name": "Demo User",
    "type": "customer",
    "is_staff": False,
}
"""Who raises the issues created through the API: the demo key's user."""

_STAFF_REPORTER: JSONDict = {
    "username": "avala-qa",
    "picture": None,
    "full_name": "Avala QA",
    "type": "staff",
    "is_staff": True,
}

# --------------------------------------------------------------------------- QC tools

_TOOLS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "image": (("Box review", ("Wrong class", "Missing object", "Loose box")),),
    "video": (
        ("Frame review", ("Wrong class", "Missing object")),
        ("Track review", ("ID switch", "Track gap", "Wrong class")),
    ),
    "lidar": (
        ("Cuboid review", ("Wrong class", "Missing object", "Loose cuboid")),
        ("Track review", ("ID switch", "Track gap")),
    ),
    "mcap": (("Sensor review", ("Wrong class", "Missing object", "Calibration drift")),),
}


def tool_uid(dataset_type: str, name: str) -> str:
    """The uid of a seeded QC tool."""
    return stable_uid("qc-tool", dataset_type, name)


def problem_uid(dataset_type: str, tool: str, title: str) -> str:
    """The uid of a seeded QC problem."""
    return stable_uid("qc-problem", dataset_type, tool, title)


def _seed_tools(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": tool_uid(kind, name),
            "name": name,
            "dataset_type": kind,
            "default": index == 0,
            "problems": [
                {"uid": problem_uid(kind, name, title), "title": title} for title in problems
            ],
        }
        for kind, tools in _TOOLS.items()
        for index, (name, problems) in enumerate(tools)
    ]


def _seed_problems(store: Store) -> list[JSONDict]:
    return [
        {**problem, "_tool_uid": tool["uid"]}
        for tool in _seed_tools(store)
        for problem in tool["problems"]
    ]


TOOLS = Table(
    "qc_tools",
    fields(
        uid=Field(read_only=True),
        name="str",
        dataset_type="str",
        default=Field(kind="bool", default=False),
        problems=Field(kind="array", default=list),
    ),
    seed=_seed_tools,
    updated_field=None,
)

PROBLEMS = Table(
    "qc_problems",
    fields(uid=Field(read_only=True), title="str"),
    parent=Parent("qc_tools", "_tool_uid"),
    seed=_seed_problems,
    updated_field=None,
)
"""Every problem of every tool, so an issue's ``problem_uid`` can be checked as a reference
(the tools serve them embedded in ``problems``)."""

# --------------------------------------------------------------------------- issues


def _sequence_uid(slug: str, index: int) -> str:
    return stable_uid("sequence", DEMO_OWNER, slug, str(index))


def _item_uid(slug: str, index: int) -> str:
    return stable_uid("item", DEMO_OWNER, slug, str(index))


_ISSUES = (
    # dataset, sequence, item, project, (type, tool, problem), priority, severity, status,
    # hours to close (None: open), reporter
    ("highway-lidar", 0, 1, "Highway Annotation", ("lidar", "Cuboid review", "Wrong class"),
     "high", "major", "open", None, DEMO_REPORTER),
    ("highway-lidar", 0, 2, "Highway Annotation", ("lidar", "Cuboid review", "Missing object"),
     "medium", "minor", "closed", 6, DEMO_REPORTER),
    ("highway-lidar", 1, 4, "Highway Annotation", ("lidar", "Track review", "ID switch"),
     "low", "minor", "resolved", 2, _STAFF_REPORTER),
    ("drone-flights", 0, 0, "Drone Review", ("video", "Frame review", "Missing object"),
     "high", "critical", "open", None, DEMO_REPORTER),
)  # fmt: skip


def _seed_issues(store: Store) -> list[JSONDict]:
    out = []
    for n, row in enumerate(_ISSUES):
        slug, seq, item, project, (kind, tool, problem), priority, severity = row[:7]
        status, hours, reporter = row[7:]
        created = seed_time(days=50 + n)
        record: JSONDict = {
            "uid": stable_uid("annotation-issue", slug, str(n)),
            "sequence_uid": _sequence_uid(slug, seq),
            "dataset_item_uid": _item_uid(slug, item),
            "project_uid": project_uid(project),
            "tool_uid": tool_uid(kind, tool),
            "problem_uid": problem_uid(kind, tool, problem),
            "reporter": dict(reporter),
            "priority": priority,
            "severity": severity,
            "description": f"{problem} on item {item} of {slug} seq-{seq:03d}.",
            "status": status,
            "wrong_class": "truck" if problem == "Wrong class" else None,
            "correct_class": "car" if problem == "Wrong class" else None,
            "should_re_annotate": status == "open",
            "should_delete": False,
            "frames_affected": f"{item}-{item + 1}",
            "coordinates": {"x": 10.0 + n, "y": 4.5, "z": 0.8},
            "query_params": {"frame": item},
            "object_uid": stable_uid("annotation-object", slug, str(n)),
            "created_at": created,
            "closed_at": None if hours is None else seed_time(days=50 + n, minutes=hours * 60),
        }
        expand(store, record)
        out.append(record)
    return out


def expand(store: Store, issue: JSONDict) -> None:
    """Fill the nested ``tool``, ``problem`` and ``project`` from their uids, and
    ``closed_at`` from the status (set when it closes, cleared when it reopens)."""
    tool = store.find("qc_tools", uid=issue.get("tool_uid"))
    issue["tool"] = None if tool is None else {k: tool[k] for k in ("uid", "name", "default")}
    problem = store.find("qc_problems", uid=issue.get("problem_uid"))
    issue["problem"] = None if problem is None else {k: problem[k] for k in ("uid", "title")}
    project = store.find("projects", uid=issue["project_uid"]) if issue.get("project_uid") else None
    issue["project"] = None if project is None else {k: project[k] for k in ("uid", "name")}
    if issue.get("status") not in CLOSED:
        issue["closed_at"] = None
    elif not issue.get("closed_at"):
        issue["closed_at"] = now_timestamp()


def _on_create(call: Call, values: JSONDict) -> None:
    """A new issue is open, reported by the demo user, on an item of the sequence's dataset."""
    sequence = call.parent
    assert sequence is not None
    item_uid = values.get("dataset_item_uid")
    if item_uid is not None:
        item = call.store.find("dataset_items", uid=item_uid)
        if item is None or item.get("dataset") != sequence.get("dataset_uid"):
            message = "The item is not in this sequence's dataset."
            raise ApiError(400, {"dataset_item_uid": [message]})
    values["status"] = "open"
    values["reporter"] = dict(DEMO_REPORTER)
    expand(call.store, values)


def _on_update(call: Call, record: JSONDict, changes: JSONDict) -> None:
    """The nested objects and ``closed_at`` follow the changed uids and status."""
    merged = {**record, **changes}
    expand(call.store, merged)
    changes.update(merged)


ISSUES = Table(
    "annotation_issues",
    {
        "uid": Field(read_only=True),
        "dataset_item_uid": Field(ref="dataset_items", create_only=True),
        "sequence_uid": Field(required=True, create_only=True),
        "project": Field(kind="object", read_only=True),
        "reporter": Field(kind="object", read_only=True),
        "priority": Field(default="medium", max_length=20),
        "severity": Field(default="minor", max_length=20),
        "description": Field(),
        "status": Field(default="open", nullable=False, max_length=20),
        "tool": Field(kind="object", read_only=True),
        "problem": Field(kind="object", read_only=True),
        "wrong_class": Field(),
        "correct_class": Field(),
        "should_re_annotate": Field(kind="bool", default=False),
        "should_delete": Field(kind="bool", default=False),
        "frames_affected": Field(),
        "coordinates": Field(kind="any"),
        "query_params": Field(kind="object"),
        "created_at": Field(kind="datetime", read_only=True),
        "closed_at": Field(kind="datetime", read_only=True),
        "object_uid": Field(),
        # request-only references, served expanded as tool, problem and project
        "tool_uid": Field(required=True, ref="qc_tools", write_only=True),
        "problem_uid": Field(required=True, ref="qc_problems", write_only=True),
        "project_uid": Field(ref="projects", write_only=True, create_only=True),
    },
    parent=Parent("dataset_sequences", "sequence_uid"),
    seed=_seed_issues,
    on_create=_on_create,
    on_update=_on_update,
    updated_field=None,
)

# --------------------------------------------------------------------------- actions


def _dataset_issues(call: Call) -> list[JSONDict]:
    """The issues of every sequence of the dataset the URL names (``?sequence_uid=``: one)."""
    dataset = call.parent
    assert dataset is not None
    wanted = call.query("sequence_uid")
    out: list[JSONDict] = []
    for sequence in call.store.records("dataset_sequences", str(dataset["uid"])):
        if wanted is None or sequence["uid"] == wanted:
            out += call.store.records("annotation_issues", str(sequence["uid"]))
    return out


async def list_by_dataset(call: Call) -> web.StreamResponse:
    return json_response([render(ISSUES, issue) for issue in _dataset_issues(call)])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _mean_seconds(spans: Iterable[float]) -> int | None:
    values = list(spans)
    return round(statistics.fmean(values)) if values else None


def _counts(issues: list[JSONDict], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for issue in issues:
        value = issue.get(name)
        if value is not None:
            out[str(value)] = out.get(str(value), 0) + 1
    return out


async def metrics(call: Call) -> web.StreamResponse:
    """Statistics computed from the dataset's issues."""
    issues = _dataset_issues(call)
    now = datetime.now(timezone.utc)

    def closing(customer: bool) -> Iterable[float]:
        for i in issues:
            if i.get("closed_at") and (not customer or _is_customer(i)):
                yield (_moment(i["closed_at"]) - _moment(i["created_at"])).total_seconds()

    def ages(customer: bool) -> Iterable[float]:
        for i in issues:
            if not i.get("closed_at") and (not customer or _is_customer(i)):
                yield (now - _moment(i["created_at"])).total_seconds()

    objects: dict[str, tuple[str, set[str]]] = {}
    for issue in issues:
        problem = issue.get("problem") or {}
        if problem.get("uid"):
            _, seen = objects.setdefault(problem["uid"], (problem.get("title", ""), set()))
            seen.add(str(issue.get("object_uid") or issue["uid"]))
    return json_response(
        {
            "status_count": _counts(issues, "status"),
            "priority_count": _counts(issues, "priority"),
            "severity_count": _counts(issues, "severity"),
            "mean_seconds_close_time_all": _mean_seconds(closing(False)),
            "mean_seconds_close_time_customer": _mean_seconds(closing(True)),
            "mean_unresolved_issue_age_all": _mean_seconds(ages(False)),
            "mean_unresolved_issue_age_customer": _mean_seconds(ages(True)),
            "object_count_by_annotation_issue_problem_uid": [
                {"uid": uid, "title": title, "count": len(seen)}
                for uid, (title, seen) in objects.items()
            ],
        }
    )


def _is_customer(issue: JSONDict) -> bool:
    reporter = issue.get("reporter") or {}
    return reporter.get("type") == "customer"


ENDPOINTS = (
    Endpoint(
        TOOLS,
        "/qc-available-tools/",
        detail=None,
        verbs=frozenset({"list"}),
        paging="array",
        filters=(Filter("dataset_type"),),
        required_query=("dataset_type",),
    ),
    Endpoint(
        ISSUES,
        "/sequences/{sequence_uid}/annotation-issues/",
        scope=(Scope("dataset_sequences", sequence_uid="uid"),),
        detail="{issue_uid}/",
        lookup={"issue_uid": "uid"},
        paging="array",
        filters=(Filter("dataset_item_uid"), Filter("project_uid")),
        ordering=("created_at", "priority", "status"),
    ),
    # Issues across a dataset's sequences: the engine lists one group, so these gather.
    Endpoint(
        ISSUES,
        "/datasets/{owner}/{slug}/annotation-issues/",
        scope=(BY_SLUG,),
        detail=None,
        verbs=frozenset(),
        actions=(
            Action("", list_by_dataset, method="GET", detail=False),
            Action("metrics", metrics, method="GET", detail=False),
        ),
    ),
)

TABLES = (TOOLS, PROBLEMS, ISSUES)
