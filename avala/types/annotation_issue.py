"""Annotation issues, their metrics and the QC tools that raise them (the official SDK's
``avala.types.annotation_issue``; the classes of :mod:`avala.models.annotation_issues`).

The classes are those of ``avala.models``: ``avala.types.annotation_issue.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.annotation_issues import (
    AnnotationIssue as AnnotationIssue,
    AnnotationIssueMetrics as AnnotationIssueMetrics,
    AnnotationIssueProblem as AnnotationIssueProblem,
    AnnotationIssueProject as AnnotationIssueProject,
    AnnotationIssueReporter as AnnotationIssueReporter,
    AnnotationIssueTool as AnnotationIssueTool,
    AnnotationIssueToolDetail as AnnotationIssueToolDetail,
    AnnotationIssueToolProblem as AnnotationIssueToolProblem,
)

__all__ = [
    "AnnotationIssue",
    "AnnotationIssueMetrics",
    "AnnotationIssueProblem",
    "AnnotationIssueProject",
    "AnnotationIssueReporter",
    "AnnotationIssueTool",
    "AnnotationIssueToolDetail",
    "AnnotationIssueToolProblem",
]
