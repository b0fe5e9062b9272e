"""``client.consensus`` through both surfaces against the bundled server."""

from __future__ import annotations

import statistics

import pytest

from avala import NotFoundError, ValidationError
from avala.models.consensus import (
    ConsensusComputeResult,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
)

from ._surface import Surface


async def project_uid(api: Surface, name: str) -> str:
    projects = await api.all(api.client.projects.list())
    return str(next(p.uid for p in projects if p.name == name))


async def test_consensus_lifecycle(api: Surface) -> None:
    warehouse = await project_uid(api, "Warehouse QA")
    consensus = api.client.consensus
    config = await api(consensus.get_config(warehouse))
    assert isinstance(config, ConsensusConfig)
    assert (config.iou_threshold, config.min_annotations) == (0.7, 3)

    updated = await api(consensus.update_config(warehouse, min_agreement_ratio=0.9))
    try:
        assert updated.min_agreement_ratio == 0.9
        # a partial PUT: the fields not given keep their values
        assert (updated.uid, updated.iou_threshold, updated.min_annotations) == (
            config.uid, config.iou_threshold, config.min_annotations,
        )  # fmt: skip
        assert await api(consensus.get_config(warehouse)) == updated

        result = await api(consensus.compute(warehouse))
        assert isinstance(result, ConsensusComputeResult) and result.status == "started"
        assert result.message
        scores = await api.all(consensus.list_scores(warehouse))
        assert all(isinstance(s, ConsensusScore) for s in scores)
        assert len({s.dataset_item_uid for s in scores}) == len(scores) == 6  # idempotent
        assert {s.score_type for s in scores} == {"inter_annotator"}

        summary = await api(consensus.get_summary(warehouse))
        assert isinstance(summary, ConsensusSummary)
        values = [s.score for s in scores]
        assert summary.mean_score == round(statistics.fmean(values), 4)
        assert summary.median_score == round(statistics.median(values), 4)
        assert (summary.min_score, summary.max_score) == (min(values), max(values))
        assert summary.total_items == 60  # the items of warehouse-cameras
        reached = {s.dataset_item_uid for s in scores if s.score >= 0.9 and s.annotator_count >= 3}
        assert summary.items_with_consensus == len(reached) >= 1
        assert summary.score_distribution is not None
        assert sum(summary.score_distribution.values()) == len(scores)
        assert summary.by_task_name and sum(t["count"] for t in summary.by_task_name) == 6
    finally:
        await api(
            consensus.update_config(warehouse, min_agreement_ratio=config.min_agreement_ratio)
        )
    loose = await api(consensus.get_summary(warehouse))
    assert loose.items_with_consensus >= summary.items_with_consensus


async def test_consensus_scores_are_cursor_pages(api: Surface) -> None:
    highway = await project_uid(api, "Highway Annotation")
    everything = await api.all(api.client.consensus.list_scores(highway))
    assert len(everything) >= 4
    first = await api.first_page(api.client.consensus.list_scores(highway, limit=2))
    assert len(first.items) == 2 and first.has_more and first.next_cursor
    second = await api.next_page(first)
    assert [s.uid for s in first.items + second.items] == [s.uid for s in everything[:4]]


async def test_consensus_not_configured_is_404(api: Surface) -> None:
    consensus = api.client.consensus
    drone = await project_uid(api, "Drone Review")
    for project in (drone, "no-such-project"):
        with pytest.raises(NotFoundError):
            await api(consensus.get_summary(project))
        with pytest.raises(NotFoundError):
            await api(consensus.get_config(project))
        with pytest.raises(NotFoundError):
            await api(consensus.update_config(project, iou_threshold=0.6))
        with pytest.raises(NotFoundError):
            await api.first_page(consensus.list_scores(project))
        with pytest.raises(NotFoundError):
            await api(consensus.compute(project))
    with pytest.raises(NotFoundError):  # reading did not configure it
        await api(consensus.get_config(drone))


async def test_consensus_config_validation(api: Surface) -> None:
    highway = await project_uid(api, "Highway Annotation")
    consensus = api.client.consensus
    before = await api(consensus.get_config(highway))
    with pytest.raises(ValidationError) as caught:
        await api(consensus.update_config(highway, iou_threshold="high", min_annotations=2.5))
    assert caught.value.errors == {
        "iou_threshold": ["A valid number is required."],
        "min_annotations": ["A valid integer is required."],
    }
    assert await api(consensus.get_config(highway)) == before
