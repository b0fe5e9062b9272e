"""``client.quality_targets``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.quality_targets import QualityTarget, QualityTargetEvaluation

from ._helpers import page
from ._requests import Case, ids, run

TARGET = {"uid": "qt-1", "name": "Floor", "metric": "accuracy", "operator": "lt", "threshold": 0.9}
EVALUATION = {**TARGET, "current_value": 0.85, "is_breached": True, "severity": "critical"}
BASE = "/projects/p-1/quality-targets/"


def evaluations_ok(result: object) -> bool:
    assert isinstance(result, list) and len(result) == 2
    assert all(isinstance(e, QualityTargetEvaluation) for e in result)
    return result[0].current_value == 0.85 and result[0].is_breached is True


CASES = [
    Case(
        "list",
        lambda c: c.quality_targets.list("p-1", limit=5, cursor="abc"),
        "GET",
        BASE,
        query={"limit": "5", "cursor": "abc"},
        response=page([TARGET]),
        check=lambda p: isinstance(p.items[0], QualityTarget),
    ),
    Case(
        "get encodes both ids",
        lambda c: c.quality_targets.get("p/1", "q?1"),
        "GET",
        "/projects/p%2F1/quality-targets/q%3F1/",
        response=TARGET,
        check=lambda t: isinstance(t, QualityTarget) and t.operator == "lt",
    ),
    Case(
        "create without operator leaves it to the server",
        lambda c: c.quality_targets.create("p-1", name="Floor", metric="accuracy", threshold=0.9),
        "POST",
        BASE,
        body={"name": "Floor", "metric": "accuracy", "threshold": 0.9},
        response={**TARGET, "operator": "gte"},
        status=201,
        check=lambda t: t.operator == "gte",
    ),
    Case(
        "create sends every field given",
        lambda c: c.quality_targets.create(
            "p-1",
            name="Floor",
            metric="accuracy",
            threshold=0.9,
            operator="lt",
            severity="critical",
            is_active=False,
            notify_webhook=False,
            notify_emails=["qa@example.com"],
        ),
        "POST",
        BASE,
        body={
            "name": "Floor",
            "metric": "accuracy",
            "threshold": 0.9,
            "operator": "lt",
            "severity": "critical",
            "is_active": False,
            "notify_webhook": False,
            "notify_emails": ["qa@example.com"],
        },
        response=TARGET,
        status=201,
        check=lambda t: t.uid == "qt-1",
    ),
    Case(
        "update is a partial PATCH",
        lambda c: c.quality_targets.update("p-1", "qt-1", threshold=0.8, is_active=False),
        "PATCH",
        BASE + "qt-1/",
        body={"threshold": 0.8, "is_active": False},
        response=TARGET,
        check=lambda t: isinstance(t, QualityTarget),
    ),
    Case(
        "delete",
        lambda c: c.quality_targets.delete("p-1", "qt-1"),
        "DELETE",
        BASE + "qt-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "evaluate sends no body and reads a bare array",
        lambda c: c.quality_targets.evaluate("p-1"),
        "POST",
        BASE + "evaluate/",
        response=[EVALUATION, {**EVALUATION, "uid": "qt-2", "is_breached": False}],
        check=evaluations_ok,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
