"""``client.quality_targets``: a project's quality targets (a threshold on a metric, and who
to tell when it is breached) and their evaluation."""

from __future__ import annotations

from collections.abc import Sequence

from ..models.quality_targets import QualityTarget, QualityTargetEvaluation
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path

QualityTargetEvaluationList = list[QualityTargetEvaluation]
"""What :meth:`AsyncQualityTargets.evaluate` returns (named, since the class's own ``list``
method would shadow the builtin in its annotations)."""

_TARGETS = "/projects/{project_uid}/quality-targets/"
_TARGET = _TARGETS + "{uid}/"


class AsyncQualityTargets(AsyncResource):
    """Quality targets of a project: thresholds on a metric, and their evaluation."""

    __slots__ = ()

    def list(
        self, project_uid: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[QualityTarget]:
        """List a project's quality targets.

        Returns:
            A paginator: iterate it for every target, or call ``first_page()`` for one page.

        Raises:
            NotFoundError: no such project.
        """
        return self._list(
            path(_TARGETS, project_uid=project_uid), QualityTarget, locals(), "project_uid"
        )

    async def get(self, project_uid: str, uid: str) -> QualityTarget:
        """Fetch one quality target of a project.

        Raises:
            NotFoundError: no such project, or no such target in it.
        """
        return await self._get(path(_TARGET, project_uid=project_uid, uid=uid), QualityTarget)

    async def create(
        self,
        project_uid: str,
        *,
        name: str,
        metric: str,
        threshold: float,
        operator: str | None = None,
        severity: str | None = None,
        is_active: bool | None = None,
        notify_webhook: bool | None = None,
        notify_emails: Sequence[str] | None = None,
    ) -> QualityTarget:
        """Add a quality target to a project.

        Args:
            project_uid: The project.
            name: Display name.
            metric: The metric watched, e.g. ``completion_rate`` or ``accuracy``.
            threshold: The value the metric is compared with.
            operator: ``gt``, ``gte``, ``lt``, ``lte`` (or ``eq``): the target is breached
                when ``metric <operator> threshold`` holds. Optional as in the official
                Python SDK (the TypeScript SDK requires it); when omitted it is not sent and
                the server applies its default (``gte``).
            severity: ``warning`` or ``critical``.
            is_active: Whether the target is evaluated (server default: yes).
            notify_webhook: Whether a breach is sent to the webhooks (server default: yes).
            notify_emails: Addresses emailed on a breach.

        Returns:
            The target, with its ``operator`` always filled in.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
            NotFoundError: no such project.
        """
        return await self._post(
            path(_TARGETS, project_uid=project_uid),
            QualityTarget,
            given(locals(), "project_uid"),
        )

    async def update(
        self,
        project_uid: str,
        uid: str,
        *,
        name: str | None = None,
        metric: str | None = None,
        threshold: float | None = None,
        operator: str | None = None,
        severity: str | None = None,
        is_active: bool | None = None,
        notify_webhook: bool | None = None,
        notify_emails: Sequence[str] | None = None,
    ) -> QualityTarget:
        """Change a quality target: only the fields given are sent (PATCH).

        Args:
            project_uid: The project.
            uid: The target.
            name: New display name.
            metric: New metric.
            threshold: New threshold.
            operator: New comparison (``gt``, ``gte``, ``lt``, ``lte``, ``eq``).
            severity: New severity.
            is_active: Pause (False) or resume (True) its evaluation.
            notify_webhook: Whether breaches go to the webhooks.
            notify_emails: New addresses (replaces the list).

        Raises:
            ValidationError: the server rejected a field.
            NotFoundError: no such project or target.
        """
        return await self._patch(
            path(_TARGET, project_uid=project_uid, uid=uid),
            QualityTarget,
            given(locals(), "project_uid", "uid"),
        )

    async def delete(self, project_uid: str, uid: str) -> None:
        """Delete a quality target.

        Raises:
            NotFoundError: no such project or target.
        """
        await self._void("DELETE", path(_TARGET, project_uid=project_uid, uid=uid))

    async def evaluate(self, project_uid: str) -> QualityTargetEvaluationList:
        """Evaluate every active target of a project now (no body is sent).

        Each evaluation also updates the stored target (``last_value``,
        ``last_evaluated_at``, ``is_breached``, ``breach_count``, ``last_breached_at``).

        Returns:
            One :class:`~avala.models.quality_targets.QualityTargetEvaluation` per active
            target (the API answers a bare JSON array, not a page).

        Raises:
            NotFoundError: no such project.
        """
        url = path(_TARGETS + "evaluate/", project_uid=project_uid)
        return await self._post(url, list[QualityTargetEvaluation])
