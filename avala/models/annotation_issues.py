"""Annotation issue models: quality-control reports on annotations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class AnnotationIssueProject:
    """The project an annotation issue was raised in."""

    uid: str
    """The project's uid."""
    name: str
    """The project's name."""


@attrs.frozen(kw_only=True)
class AnnotationIssueReporter:
    """Who raised an annotation issue."""

    username: str | None = None
    """The reporter's handle."""
    picture: str | None = None
    """Avatar URL."""
    full_name: str | None = None
    """The reporter's full name."""
    type: str | None = None
    """Kind of reporter."""
    is_staff: bool | None = None
    """Whether the reporter is Avala staff."""


@attrs.frozen(kw_only=True)
class AnnotationIssueTool:
    """The quality-control tool an annotation issue was raised with."""

    uid: str
    """The tool's uid."""
    name: str
    """The tool's name."""
    default: bool | None = None
    """Whether it is the default tool."""


@attrs.frozen(kw_only=True)
class AnnotationIssueProblem:
    """The kind of problem an annotation issue reports."""

    uid: str
    """The problem's uid."""
    title: str
    """The problem's title."""


@attrs.frozen(kw_only=True)
class AnnotationIssue:
    """A reported problem with an annotation: what is wrong, where, and what to do."""

    uid: str
    """The issue's unique id."""
    dataset_item_uid: str | None = None
    """The item concerned, if any."""
    sequence_uid: str | None = None
    """The sequence concerned, if any."""
    project: AnnotationIssueProject | None = None
    """The project the issue was raised in."""
    reporter: AnnotationIssueReporter | None = None
    """Who raised the issue."""
    priority: str | None = None
    """Priority."""
    severity: str | None = None
    """Severity."""
    description: str | None = None
    """Free-text description."""
    status: str | None = None
    """Issue status."""
    tool: AnnotationIssueTool | None = None
    """The tool the issue was raised with."""
    problem: AnnotationIssueProblem | None = None
    """The kind of problem."""
    wrong_class: str | None = None
    """The label given, when it is wrong."""
    correct_class: str | None = None
    """The label it should have been."""
    should_re_annotate: bool | None = None
    """Whether the object must be annotated again."""
    should_delete: bool | None = None
    """Whether the object must be deleted."""
    frames_affected: str | None = None
    """The frames concerned, as text."""
    coordinates: Any = None
    """Where the problem is, as the server describes it."""
    query_params: Any = None
    """The viewer state the issue was raised from."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    closed_at: datetime | None = None
    """Closing time (timezone-aware)."""
    object_uid: str | None = None
    """The annotation object concerned, if any."""


@attrs.frozen(kw_only=True)
class AnnotationIssueMetrics:
    """Annotation issue statistics for a dataset or sequence."""

    status_count: dict[str, Any] | None = None
    """Number of issues per status."""
    priority_count: dict[str, Any] | None = None
    """Number of issues per priority."""
    severity_count: dict[str, Any] | None = None
    """Number of issues per severity."""
    mean_seconds_close_time_all: int | None = None
    """Mean time to close an issue, in seconds."""
    mean_seconds_close_time_customer: int | None = None
    """Mean time to close a customer-raised issue, in seconds."""
    mean_unresolved_issue_age_all: int | None = None
    """Mean age of open issues, in seconds."""
    mean_unresolved_issue_age_customer: int | None = None
    """Mean age of open customer-raised issues, in seconds."""
    object_count_by_annotation_issue_problem_uid: list[dict[str, Any]] | None = None
    """Number of objects per problem."""


@attrs.frozen(kw_only=True)
class AnnotationIssueToolProblem(AnnotationIssueProblem):
    """A kind of problem a quality-control tool can report."""


@attrs.frozen(kw_only=True)
class AnnotationIssueToolDetail(AnnotationIssueTool):
    """A quality-control tool available for a data type, with the problems it reports."""

    dataset_type: str | None = None
    """The data type it applies to."""
    problems: list[AnnotationIssueToolProblem] | None = None
    """The problems it can report."""
