"""``client.annotation_issues``: the exact request of every method."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from avala import AsyncClient
from avala.models.annotation_issues import (
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueToolDetail,
)

from ._helpers import KEY
from ._requests import Case, ids, run

ISSUE = {
    "uid": "ai-1",
    "sequence_uid": "sq-1",
    "status": "open",
    "tool": {"uid": "tool-1", "name": "Cuboid review"},
    "problem": {"uid": "prob-1", "title": "Wrong class"},
    "project": {"uid": "p-1", "name": "Highway"},
    "reporter": {"username": "demo"},
}
TOOL = {
    "uid": "tool-1",
    "name": "Cuboid review",
    "dataset_type": "lidar",
    "problems": [{"uid": "prob-1", "title": "Wrong class"}],
}
METRICS = {"status_count": {"open": 2}, "mean_seconds_close_time_all": 3600}
SEQ = "/sequences/sq-1/annotation-issues/"
DATASET = "/datasets/o%40x.io/my-data/annotation-issues/"


def issues_ok(result: Any) -> bool:
    assert isinstance(result, list) and all(isinstance(i, AnnotationIssue) for i in result)
    return bool(result[0].tool.name == "Cuboid review" and result[0].reporter.username == "demo")


def tools_ok(result: Any) -> bool:
    assert isinstance(result, list) and isinstance(result[0], AnnotationIssueToolDetail)
    assert result[0].problems is not None
    return result[0].problems[0].title == "Wrong class"


CASES = [
    Case(
        "list_by_sequence reads a bare array",
        lambda c: c.annotation_issues.list_by_sequence("sq-1"),
        "GET",
        SEQ,
        response=[ISSUE],
        check=issues_ok,
    ),
    Case(
        "list_by_sequence filters",
        lambda c: c.annotation_issues.list_by_sequence(
            "sq/1", dataset_item_uid="it-1", project_uid="p-1"
        ),
        "GET",
        "/sequences/sq%2F1/annotation-issues/",
        query={"dataset_item_uid": "it-1", "project_uid": "p-1"},
        response=[],
        check=lambda r: r == [],
    ),
    Case(
        "create repeats sequence_uid in the body",
        lambda c: c.annotation_issues.create(
            "sq-1", tool_uid="tool-1", problem_uid="prob-1", priority="high"
        ),
        "POST",
        SEQ,
        body={
            "sequence_uid": "sq-1",
            "tool_uid": "tool-1",
            "problem_uid": "prob-1",
            "priority": "high",
        },
        response=ISSUE,
        status=201,
        check=lambda i: isinstance(i, AnnotationIssue) and i.uid == "ai-1",
    ),
    Case(
        "create sends every field given",
        lambda c: c.annotation_issues.create(
            "sq-1",
            tool_uid="tool-1",
            problem_uid="prob-1",
            dataset_item_uid="it-1",
            project_uid="p-1",
            priority="high",
            severity="major",
            description="Car labeled as truck",
            wrong_class="truck",
            correct_class="car",
            should_re_annotate=True,
            should_delete=False,
            frames_affected="3-7",
            coordinates=[1.0, 2.0],
            query_params={"frame": 3},
            object_uid="obj-1",
        ),
        "POST",
        SEQ,
        body={
            "sequence_uid": "sq-1",
            "tool_uid": "tool-1",
            "problem_uid": "prob-1",
            "dataset_item_uid": "it-1",
            "project_uid": "p-1",
            "priority": "high",
            "severity": "major",
            "description": "Car labeled as truck",
            "wrong_class": "truck",
            "correct_class": "car",
            "should_re_annotate": True,
            "should_delete": False,
            "frames_affected": "3-7",
            "coordinates": [1.0, 2.0],
            "query_params": {"frame": 3},
            "object_uid": "obj-1",
        },
        response=ISSUE,
        status=201,
    ),
    Case(
        "update is a partial PATCH",
        lambda c: c.annotation_issues.update("sq-1", "ai-1", status="closed", wrong_class="bus"),
        "PATCH",
        SEQ + "ai-1/",
        body={"status": "closed", "wrong_class": "bus"},
        response={**ISSUE, "status": "closed"},
        check=lambda i: isinstance(i, AnnotationIssue) and i.status == "closed",
    ),
    Case(
        "delete",
        lambda c: c.annotation_issues.delete("sq-1", "ai-1"),
        "DELETE",
        SEQ + "ai-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "list_by_dataset",
        lambda c: c.annotation_issues.list_by_dataset("o@x.io", "my-data", sequence_uid="sq-1"),
        "GET",
        DATASET,
        query={"sequence_uid": "sq-1"},
        response=[ISSUE],
        check=issues_ok,
    ),
    Case(
        "get_metrics",
        lambda c: c.annotation_issues.get_metrics("o@x.io", "my-data"),
        "GET",
        DATASET + "metrics/",
        response=METRICS,
        check=lambda m: isinstance(m, AnnotationIssueMetrics) and m.status_count == {"open": 2},
    ),
    Case(
        "get_metrics of one sequence",
        lambda c: c.annotation_issues.get_metrics("o@x.io", "my-data", sequence_uid="sq-1"),
        "GET",
        DATASET + "metrics/",
        query={"sequence_uid": "sq-1"},
        response=METRICS,
        check=lambda m: m.mean_seconds_close_time_all == 3600,
    ),
    Case(
        "list_tools",
        lambda c: c.annotation_issues.list_tools(dataset_type="lidar"),
        "GET",
        "/qc-available-tools/",
        query={"dataset_type": "lidar"},
        response=[TOOL],
        check=tools_ok,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


@pytest.mark.parametrize("dataset_type", ["", "  ", None])
async def test_list_tools_needs_a_dataset_type(dataset_type: Any) -> None:
    with aioresponses() as mock:
        async with AsyncClient(api_key=KEY) as client:
            with pytest.raises(ValueError, match="dataset_type"):
                await client.annotation_issues.list_tools(dataset_type=dataset_type)
        assert not mock.requests
