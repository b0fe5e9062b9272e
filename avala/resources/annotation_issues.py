"""``client.annotation_issues``: quality-control issues raised on the annotations of a
sequence (and its items), their statistics per dataset, and the QC tools to raise them with."""

from __future__ import annotations

from typing import Any

from ..models.annotation_issues import (
    AnnotationIssue,
    AnnotationIssueMetrics,
    AnnotationIssueToolDetail,
)
from ._base import AsyncResource, given, path, query

_BY_SEQUENCE = "/sequences/{sequence_uid}/annotation-issues/"
_ISSUE = _BY_SEQUENCE + "{issue_uid}/"
_BY_DATASET = "/datasets/{owner}/{dataset_slug}/annotation-issues/"


class AsyncAnnotationIssues(AsyncResource):
    """Quality-control issues raised on annotations of sequences and items."""

    __slots__ = ()

    async def list_by_sequence(
        self,
        sequence_uid: str,
        *,
        dataset_item_uid: str | None = None,
        project_uid: str | None = None,
    ) -> list[AnnotationIssue]:
        """List the issues raised on a sequence.

        Args:
            sequence_uid: The sequence.
            dataset_item_uid: Only issues on this item.
            project_uid: Only issues raised in this project.

        Returns:
            Every matching issue (the API answers a bare JSON array, not a page).

        Raises:
            NotFoundError: no such sequence.
        """
        return await self._get(
            path(_BY_SEQUENCE, sequence_uid=sequence_uid),
            list[AnnotationIssue],
            query(**given(locals(), "sequence_uid")),
        )

    async def create(
        self,
        sequence_uid: str,
        *,
        tool_uid: str,
        problem_uid: str,
        dataset_item_uid: str | None = None,
        project_uid: str | None = None,
        priority: str | None = None,
        severity: str | None = None,
        description: str | None = None,
        wrong_class: str | None = None,
        correct_class: str | None = None,
        should_re_annotate: bool | None = None,
        should_delete: bool | None = None,
        frames_affected: str | None = None,
        coordinates: Any = None,
        query_params: dict[str, Any] | None = None,
        object_uid: str | None = None,
    ) -> AnnotationIssue:
        """Raise an issue on a sequence. The body repeats ``sequence_uid`` from the path,
        as the API requires.

        Args:
            sequence_uid: The sequence.
            tool_uid: The QC tool (see :meth:`list_tools`).
            problem_uid: The kind of problem (one of the tool's ``problems``).
            dataset_item_uid: The item concerned.
            project_uid: The project the issue is raised in.
            priority: Priority, e.g. ``low``, ``medium``, ``high``.
            severity: Severity.
            description: Free text.
            wrong_class: The label given, when it is wrong.
            correct_class: The label it should have been.
            should_re_annotate: Whether the object must be annotated again.
            should_delete: Whether the object must be deleted.
            frames_affected: The frames concerned, as text (e.g. ``"3-7"``).
            coordinates: Where the problem is (any JSON).
            query_params: The viewer state the issue is raised from.
            object_uid: The annotation object concerned.

        Returns:
            The issue, with ``tool``, ``problem``, ``project`` and ``reporter`` expanded and
            status ``open``.

        Raises:
            ValidationError: a field was rejected (e.g. an unknown tool or problem).
            NotFoundError: no such sequence.
        """
        return await self._post(
            path(_BY_SEQUENCE, sequence_uid=sequence_uid), AnnotationIssue, given(locals())
        )

    async def update(
        self,
        sequence_uid: str,
        issue_uid: str,
        *,
        status: str | None = None,
        priority: str | None = None,
        severity: str | None = None,
        description: str | None = None,
        tool_uid: str | None = None,
        problem_uid: str | None = None,
        wrong_class: str | None = None,
        frames_affected: str | None = None,
    ) -> AnnotationIssue:
        """Change an issue: only the fields given are sent (PATCH).

        Args:
            sequence_uid: The sequence.
            issue_uid: The issue.
            status: New status; ``closed`` or ``resolved`` sets ``closed_at``, reopening
                clears it.
            priority: New priority.
            severity: New severity.
            description: New description.
            tool_uid: New QC tool.
            problem_uid: New kind of problem.
            wrong_class: New wrong label.
            frames_affected: New frames concerned.

        Raises:
            ValidationError: a field was rejected.
            NotFoundError: no such sequence or issue.
        """
        return await self._patch(
            path(_ISSUE, sequence_uid=sequence_uid, issue_uid=issue_uid),
            AnnotationIssue,
            given(locals(), "sequence_uid", "issue_uid"),
        )

    async def delete(self, sequence_uid: str, issue_uid: str) -> None:
        """Delete an issue.

        Raises:
            NotFoundError: no such sequence or issue.
        """
        await self._void("DELETE", path(_ISSUE, sequence_uid=sequence_uid, issue_uid=issue_uid))

    async def list_by_dataset(
        self, owner: str, dataset_slug: str, *, sequence_uid: str | None = None
    ) -> list[AnnotationIssue]:
        """List the issues of every sequence of a dataset.

        Args:
            owner: The dataset owner's handle.
            dataset_slug: The dataset's slug.
            sequence_uid: Only issues of this sequence.

        Returns:
            Every matching issue (the API answers a bare JSON array, not a page).

        Raises:
            NotFoundError: no such dataset.
        """
        return await self._get(
            path(_BY_DATASET, owner=owner, dataset_slug=dataset_slug),
            list[AnnotationIssue],
            query(**given(locals(), "owner", "dataset_slug")),
        )

    async def get_metrics(
        self, owner: str, dataset_slug: str, *, sequence_uid: str | None = None
    ) -> AnnotationIssueMetrics:
        """Fetch issue statistics of a dataset (counts per status, priority and severity,
        mean close times, objects per problem).

        Args:
            owner: The dataset owner's handle.
            dataset_slug: The dataset's slug.
            sequence_uid: Only count issues of this sequence.

        Raises:
            NotFoundError: no such dataset.
        """
        return await self._get(
            path(_BY_DATASET + "metrics/", owner=owner, dataset_slug=dataset_slug),
            AnnotationIssueMetrics,
            query(**given(locals(), "owner", "dataset_slug")),
        )

    async def list_tools(self, *, dataset_type: str) -> list[AnnotationIssueToolDetail]:
        """List the QC tools available for a data type, each with the problems it reports.

        Args:
            dataset_type: ``image``, ``video``, ``lidar``, ``mcap``... (required).

        Returns:
            Every tool (the API answers a bare JSON array, not a page).

        Raises:
            ValueError: ``dataset_type`` is empty (checked before any request).
        """
        if not isinstance(dataset_type, str) or not dataset_type.strip():
            raise ValueError(f"dataset_type must be a non-empty str, got {dataset_type!r}.")
        return await self._get(
            "/qc-available-tools/",
            list[AnnotationIssueToolDetail],
            query(**given(locals())),
        )
