"""``client.auto_label_jobs``: jobs in which a model pre-labels a project's items."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..models.auto_label_jobs import AutoLabelJob
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path


def _check_threshold(value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"confidence_threshold must be a number, got {type(value).__name__}.")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"confidence_threshold must be between 0 and 1, got {value!r}.")


class AsyncAutoLabelJobs(AsyncResource):
    """Auto-labelling jobs: a model pre-labels a project's items."""

    __slots__ = ()

    def list(
        self,
        *,
        project: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        status: str | None = None,
    ) -> AsyncPaginator[AutoLabelJob]:
        """List auto-label jobs.

        Args:
            project: Only this project's jobs (uid).
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).
            status: Only this status (``pending``, ``running``, ``completed``, ``failed``,
                ``canceled``). The TypeScript SDK and the docs offer this filter; the official
                Python SDK does not.

        Returns:
            A paginator: iterate it for every job, or call ``first_page()`` for one page.
        """
        return self._list("/auto-label-jobs/", AutoLabelJob, locals())

    async def get(self, uid: str) -> AutoLabelJob:
        """Fetch an auto-label job, with its progress counters.

        Raises:
            NotFoundError: no such job.
        """
        return await self._get(path("/auto-label-jobs/{uid}/", uid=uid), AutoLabelJob)

    async def create(
        self,
        project_uid: str,
        *,
        model_type: str | None = None,
        confidence_threshold: float | None = None,
        labels: Sequence[str] | None = None,
        dry_run: bool | None = None,
    ) -> AutoLabelJob:
        """Start auto-labelling a project's items. The job is queued (the API answers 202
        Accepted); poll :meth:`get` to follow it.

        Every field is optional: with none given the body is ``{}`` and the server's defaults
        apply (``model_type="yolo"``, ``confidence_threshold=0.5``, every label).

        Args:
            project_uid: The project whose items to label.
            model_type: The model: ``sam3`` or ``yolo``.
            confidence_threshold: Minimum confidence of a kept prediction, 0 to 1.
            labels: Only predict these labels.
            dry_run: Compute predictions without saving them.

        Raises:
            ValueError: ``confidence_threshold`` is outside 0..1 (before any request).
            TypeError: ``confidence_threshold`` is not a number, or ``labels`` is a str.
            NotFoundError: no such project.
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        fields = given(locals(), "project_uid")
        _check_threshold(confidence_threshold)
        if isinstance(labels, str):
            raise TypeError("labels must be a sequence of label names, not a str.")
        if labels is not None:
            fields["labels"] = list(labels)
        return await self._post(
            path("/projects/{project_uid}/auto-label/", project_uid=project_uid),
            AutoLabelJob,
            fields,
        )

    async def cancel(self, uid: str) -> None:
        """Cancel a pending or running job (``DELETE``). The job is kept, with status
        ``canceled`` and its counters as they were.

        Raises:
            NotFoundError: no such job.
            ValidationError: the job has already finished (completed, failed or canceled).
        """
        await self._void("DELETE", path("/auto-label-jobs/{uid}/", uid=uid))
