"""``client.annotation_issues`` through both surfaces against the bundled server."""

from __future__ import annotations

from typing import Any

import pytest

from avala import NotFoundError, ValidationError
from avala.models.annotation_issues import (
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueToolDetail,
)

from ._surface import Surface


async def sequences(api: Surface, slug: str) -> list[Any]:
    return await api.all(api.client.datasets.list_sequences("demo", slug))


async def item_of(api: Surface, slug: str, sequence_uid: str) -> Any:
    items = await api.all(api.client.datasets.list_items("demo", slug))
    return next(i for i in items if i.related_sequence_uid == sequence_uid)


async def test_annotation_issues_lifecycle(api: Surface) -> None:
    issues = api.client.annotation_issues
    tools = await api(issues.list_tools(dataset_type="lidar"))
    assert len(tools) >= 2 and all(isinstance(t, AnnotationIssueToolDetail) for t in tools)
    assert {t.dataset_type for t in tools} == {"lidar"} and all(t.problems for t in tools)
    tool, other = tools[0], tools[1]
    problem = tool.problems[0]
    sequence = (await sequences(api, "highway-lidar"))[2]  # no seeded issues
    item = await item_of(api, "highway-lidar", sequence.uid)
    projects = await api.all(api.client.projects.list())
    highway = next(p for p in projects if p.name == "Highway Annotation")
    assert await api(issues.list_by_sequence(sequence.uid)) == []

    created = await api(
        issues.create(
            sequence.uid,
            tool_uid=tool.uid,
            problem_uid=problem.uid,
            dataset_item_uid=item.uid,
            project_uid=highway.uid,
            priority="high",
            wrong_class="truck",
            correct_class="car",
            frames_affected="0-1",
            coordinates=[1.0, 2.0, 3.0],
            query_params={"frame": 0},
            object_uid="obj-lifecycle",
        )
    )
    assert isinstance(created, AnnotationIssue)
    assert (created.status, created.closed_at, created.sequence_uid) == ("open", None, sequence.uid)
    assert created.tool is not None and (created.tool.uid, created.tool.name) == (
        tool.uid,
        tool.name,
    )
    assert created.problem is not None and created.problem.title == problem.title
    assert created.project is not None and created.project.name == "Highway Annotation"
    assert created.reporter is not None and created.reporter.username == "demo"
    assert (created.coordinates, created.query_params) == ([1.0, 2.0, 3.0], {"frame": 0})
    assert created.created_at is not None

    listed = await api(issues.list_by_sequence(sequence.uid))
    assert [i.uid for i in listed] == [created.uid] and listed[0] == created
    assert await api(issues.list_by_sequence(sequence.uid, dataset_item_uid=item.uid)) == listed
    assert await api(issues.list_by_sequence(sequence.uid, dataset_item_uid="other")) == []
    assert await api(issues.list_by_sequence(sequence.uid, project_uid=highway.uid)) == listed
    assert await api(issues.list_by_sequence(sequence.uid, project_uid="other")) == []

    everywhere = await api(issues.list_by_dataset("demo", "highway-lidar"))
    assert created.uid in {i.uid for i in everywhere} and len(everywhere) >= 4  # 3 seeded
    assert {i.sequence_uid for i in everywhere} >= {sequence.uid}
    only = await api(issues.list_by_dataset("demo", "highway-lidar", sequence_uid=sequence.uid))
    assert [i.uid for i in only] == [created.uid]
    metrics = await api(issues.get_metrics("demo", "highway-lidar", sequence_uid=sequence.uid))
    assert isinstance(metrics, AnnotationIssueMetrics)
    assert (metrics.status_count, metrics.priority_count) == ({"open": 1}, {"high": 1})
    assert metrics.mean_seconds_close_time_all is None
    assert metrics.mean_unresolved_issue_age_customer is not None
    assert metrics.object_count_by_annotation_issue_problem_uid == [
        {"uid": problem.uid, "title": problem.title, "count": 1}
    ]

    closed = await api(issues.update(sequence.uid, created.uid, status="closed"))
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.priority == "high" and closed.wrong_class == "truck"  # the rest is kept
    metrics = await api(issues.get_metrics("demo", "highway-lidar", sequence_uid=sequence.uid))
    assert metrics.status_count == {"closed": 1}
    assert metrics.mean_seconds_close_time_all is not None
    assert metrics.mean_seconds_close_time_all >= 0
    assert metrics.mean_unresolved_issue_age_all is None

    reopened = await api(issues.update(sequence.uid, created.uid, status="open", severity="major"))
    assert (reopened.status, reopened.closed_at, reopened.severity) == ("open", None, "major")
    moved = await api(
        issues.update(
            sequence.uid, created.uid, tool_uid=other.uid, problem_uid=other.problems[0].uid
        )
    )
    assert moved.tool is not None and moved.tool.uid == other.uid
    assert moved.problem is not None and moved.problem.uid == other.problems[0].uid
    assert (await api(issues.list_by_sequence(sequence.uid)))[0] == moved

    assert await api(issues.delete(sequence.uid, created.uid)) is None
    assert await api(issues.list_by_sequence(sequence.uid)) == []
    with pytest.raises(NotFoundError):
        await api(issues.delete(sequence.uid, created.uid))
    with pytest.raises(NotFoundError):
        await api(issues.update(sequence.uid, created.uid, status="closed"))


async def test_seeded_issues_and_their_metrics(api: Surface) -> None:
    issues = api.client.annotation_issues
    first = (await sequences(api, "highway-lidar"))[0]
    seeded = await api(issues.list_by_sequence(first.uid))
    assert sorted(i.status for i in seeded) == ["closed", "open"]
    assert all(i.tool and i.problem and i.project and i.reporter for i in seeded)
    metrics = await api(issues.get_metrics("demo", "highway-lidar", sequence_uid=first.uid))
    assert metrics.status_count == {"open": 1, "closed": 1}
    assert metrics.severity_count == {"major": 1, "minor": 1}
    assert metrics.mean_seconds_close_time_all == 6 * 3600
    assert metrics.mean_seconds_close_time_customer == 6 * 3600
    whole = await api(issues.get_metrics("demo", "highway-lidar"))
    assert whole.status_count is not None and whole.status_count["resolved"] >= 1
    drone = await api(issues.list_by_dataset("demo", "drone-flights"))
    assert [(i.project.name if i.project else None) for i in drone] == ["Drone Review"]


async def test_qc_tools(api: Surface) -> None:
    issues = api.client.annotation_issues
    for kind in ("image", "video", "lidar", "mcap"):
        tools = await api(issues.list_tools(dataset_type=kind))
        assert 1 <= len(tools) <= 2 and {t.dataset_type for t in tools} == {kind}
        assert all(2 <= len(t.problems or []) <= 3 for t in tools)
        assert [t.default for t in tools].count(True) == 1
    assert await api(issues.list_tools(dataset_type="splat")) == []


async def test_annotation_issue_validation(api: Surface) -> None:
    issues = api.client.annotation_issues
    sequence = (await sequences(api, "highway-lidar"))[3]
    tool = (await api(issues.list_tools(dataset_type="lidar")))[0]
    problem = (tool.problems or [])[0]
    with pytest.raises(ValidationError) as caught:
        await api(issues.create(sequence.uid, tool_uid="no-tool", problem_uid="no-problem"))
    assert set(caught.value.errors) == {"tool_uid", "problem_uid"}
    with pytest.raises(ValidationError) as caught:
        await api(
            issues.create(
                sequence.uid, tool_uid=tool.uid, problem_uid=problem.uid, project_uid="nope"
            )
        )
    assert set(caught.value.errors) == {"project_uid"}
    elsewhere = await item_of(api, "drone-flights", (await sequences(api, "drone-flights"))[0].uid)
    with pytest.raises(ValidationError) as caught:
        await api(
            issues.create(
                sequence.uid,
                tool_uid=tool.uid,
                problem_uid=problem.uid,
                dataset_item_uid=elsewhere.uid,
            )
        )
    assert set(caught.value.errors) == {"dataset_item_uid"}
    with pytest.raises(ValidationError) as caught:
        await api(
            issues.create(
                sequence.uid, tool_uid=tool.uid, problem_uid=problem.uid, should_delete="maybe"
            )
        )
    assert caught.value.errors == {"should_delete": ["Must be a valid boolean."]}
    assert await api(issues.list_by_sequence(sequence.uid)) == []  # nothing was stored

    made = await api(issues.create(sequence.uid, tool_uid=tool.uid, problem_uid=problem.uid))
    try:
        with pytest.raises(ValidationError) as caught:
            await api(issues.update(sequence.uid, made.uid, problem_uid="no-problem"))
        assert set(caught.value.errors) == {"problem_uid"}
        assert (await api(issues.list_by_sequence(sequence.uid)))[0].problem == made.problem
    finally:
        await api(issues.delete(sequence.uid, made.uid))


async def test_annotation_issues_unknown_parents_are_404(api: Surface) -> None:
    issues = api.client.annotation_issues
    with pytest.raises(NotFoundError):
        await api(issues.list_by_sequence("no-such-sequence"))
    with pytest.raises(NotFoundError):
        await api(issues.create("no-such-sequence", tool_uid="t", problem_uid="p"))
    with pytest.raises(NotFoundError):
        await api(issues.list_by_dataset("demo", "no-such-dataset"))
    with pytest.raises(NotFoundError):
        await api(issues.get_metrics("nobody", "highway-lidar"))
