"""``client.consensus``: inter-annotator consensus of a project: its summary, the scores per
item, recomputation, and the settings it is measured with."""

from __future__ import annotations

from ..models.consensus import (
    ConsensusComputeResult,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
)
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path

_CONSENSUS = "/projects/{project_uid}/consensus/"


class AsyncConsensus(AsyncResource):
    """Inter-annotator consensus of a project: summary, scores, settings.

    A project without consensus configured answers 404 (``NotFoundError``) on the summary,
    the scores and the settings, as the API does.
    """

    __slots__ = ()

    async def get_summary(self, project_uid: str) -> ConsensusSummary:
        """Fetch the project's agreement statistics (mean, median, range, distribution).

        Raises:
            NotFoundError: no such project, or consensus is not configured for it.
        """
        return await self._get(path(_CONSENSUS, project_uid=project_uid), ConsensusSummary)

    def list_scores(
        self, project_uid: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[ConsensusScore]:
        """List the project's consensus scores (one per item and task).

        Returns:
            A paginator: iterate it for every score, or call ``first_page()`` for one page.

        Raises:
            NotFoundError: (on the first page) no such project, or consensus is not
                configured for it.
        """
        return self._list(
            path(_CONSENSUS + "scores/", project_uid=project_uid),
            ConsensusScore,
            locals(),
            "project_uid",
        )

    async def compute(self, project_uid: str) -> ConsensusComputeResult:
        """Start recomputing the project's consensus scores (no body is sent).

        The result follows the official Python SDK's model, ``{"status": "started",
        "message": ...}``; the OpenAPI page shows a score-shaped 201 body instead (catalog
        §5 item 14), which the SDKs do not model.

        Raises:
            NotFoundError: no such project, or consensus is not configured for it.
        """
        url = path(_CONSENSUS + "compute/", project_uid=project_uid)
        return await self._post(url, ConsensusComputeResult)

    async def get_config(self, project_uid: str) -> ConsensusConfig:
        """Fetch the settings consensus is measured with.

        Raises:
            NotFoundError: no such project, or consensus is not configured for it.
        """
        url = path(_CONSENSUS + "config/", project_uid=project_uid)
        return await self._get(url, ConsensusConfig)

    async def update_config(
        self,
        project_uid: str,
        *,
        iou_threshold: float | None = None,
        min_agreement_ratio: float | None = None,
        min_annotations: int | None = None,
    ) -> ConsensusConfig:
        """Change the consensus settings. The API takes a PUT but treats it as partial: only
        the fields given are sent, and the others keep their values.

        Args:
            project_uid: The project.
            iou_threshold: Minimum overlap (IoU) for two annotations to match.
            min_agreement_ratio: Share of annotators that must agree.
            min_annotations: Annotations an item needs before it is scored.

        Raises:
            ValidationError: the server rejected a field.
            NotFoundError: no such project, or consensus is not configured for it.
        """
        return await self._put(
            path(_CONSENSUS + "config/", project_uid=project_uid),
            ConsensusConfig,
            given(locals(), "project_uid"),
        )
