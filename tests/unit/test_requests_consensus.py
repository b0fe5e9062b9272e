"""``client.consensus``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.consensus import (
    ConsensusComputeResult,
    ConsensusConfig,
    ConsensusScore,
    ConsensusSummary,
)

from ._helpers import page
from ._requests import Case, ids, run

BASE = "/projects/p-1/consensus/"
SUMMARY = {
    "mean_score": 0.8,
    "median_score": 0.82,
    "min_score": 0.1,
    "max_score": 1.0,
    "total_items": 50,
    "items_with_consensus": 45,
    "score_distribution": {"0.8-0.9": 20},
}
SCORE = {
    "uid": "cs-1",
    "dataset_item_uid": "it-1",
    "task_name": "boxes",
    "score": 0.82,
    "annotator_count": 3,
}
CONFIG = {"uid": "cc-1", "iou_threshold": 0.7, "min_agreement_ratio": 0.6, "min_annotations": 3}

CASES = [
    Case(
        "get_summary",
        lambda c: c.consensus.get_summary("p-1"),
        "GET",
        BASE,
        response=SUMMARY,
        check=lambda s: isinstance(s, ConsensusSummary) and s.items_with_consensus == 45,
    ),
    Case(
        "list_scores",
        lambda c: c.consensus.list_scores("p/1", limit=2, cursor="c2"),
        "GET",
        "/projects/p%2F1/consensus/scores/",
        query={"limit": "2", "cursor": "c2"},
        response=page([SCORE]),
        check=lambda p: isinstance(p.items[0], ConsensusScore) and p.items[0].score == 0.82,
    ),
    Case(
        "compute sends no body",
        lambda c: c.consensus.compute("p-1"),
        "POST",
        BASE + "compute/",
        response={"status": "started", "message": "Consensus computation started."},
        status=201,
        check=lambda r: isinstance(r, ConsensusComputeResult) and r.status == "started",
    ),
    Case(
        "get_config",
        lambda c: c.consensus.get_config("p-1"),
        "GET",
        BASE + "config/",
        response=CONFIG,
        check=lambda r: isinstance(r, ConsensusConfig) and r.min_annotations == 3,
    ),
    Case(
        "update_config is a partial PUT",
        lambda c: c.consensus.update_config("p-1", min_agreement_ratio=0.75),
        "PUT",
        BASE + "config/",
        body={"min_agreement_ratio": 0.75},
        response=CONFIG,
        check=lambda r: isinstance(r, ConsensusConfig),
    ),
    Case(
        "update_config sends every field given",
        lambda c: c.consensus.update_config(
            "p-1", iou_threshold=0.7, min_agreement_ratio=0.6, min_annotations=3
        ),
        "PUT",
        BASE + "config/",
        body={"iou_threshold": 0.7, "min_agreement_ratio": 0.6, "min_annotations": 3},
        response=CONFIG,
        check=lambda r: r.iou_threshold == 0.7,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
