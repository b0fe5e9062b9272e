"""``client.quality_targets`` through both surfaces against the bundled server."""

from __future__ import annotations

import pytest

from avala import NotFoundError, ValidationError
from avala.models.quality_targets import QualityTarget, QualityTargetEvaluation

from ._surface import Surface


async def project_uid(api: Surface, name: str) -> str:
    projects = await api.all(api.client.projects.list())
    return str(next(p.uid for p in projects if p.name == name))


async def test_quality_targets_lifecycle(api: Surface) -> None:
    highway = await project_uid(api, "Highway Annotation")
    targets = api.client.quality_targets
    seeded = await api.all(targets.list(highway))
    assert all(isinstance(t, QualityTarget) for t in seeded)
    assert {"Completion floor", "Box accuracy"} <= {t.name for t in seeded}

    created = await api(
        targets.create(highway, name="Recall floor", metric="recall", threshold=0.9)
    )
    assert created.operator == "gte"  # the server's default, always served
    assert (created.is_active, created.notify_webhook, created.notify_emails) == (True, True, [])
    assert created.last_evaluated_at is None and created.breach_count == 0
    fetched = await api(targets.get(highway, created.uid))
    assert fetched == created
    first = await api.first_page(targets.list(highway, limit=1))
    assert len(first.items) == 1 and first.has_more
    assert created.uid in [t.uid for t in await api.all(targets.list(highway, limit=1))]

    updated = await api(
        targets.update(highway, created.uid, operator="lt", threshold=0.95, notify_emails=["a@b.c"])
    )
    assert (updated.operator, updated.threshold, updated.notify_emails) == ("lt", 0.95, ["a@b.c"])
    assert updated.name == "Recall floor" and updated.metric == "recall"  # the rest is kept

    evaluations = await api(targets.evaluate(highway))
    assert isinstance(evaluations, list)
    assert all(isinstance(e, QualityTargetEvaluation) for e in evaluations)
    by_uid = {e.uid: e for e in evaluations}
    mine = by_uid[created.uid]
    assert (mine.current_value, mine.operator, mine.is_breached) == (0.85, "lt", True)
    floor = next(e for e in evaluations if e.name == "Completion floor")
    assert floor.current_value == round(5 / 14, 4) and floor.is_breached  # 5 of 14 tasks done
    accuracy = next(e for e in evaluations if e.name == "Box accuracy")
    assert accuracy.current_value == 0.92 and not accuracy.is_breached  # 0.92 is not < 0.9

    stored = await api(targets.get(highway, created.uid))
    assert stored.is_breached and stored.breach_count == 1 and stored.last_value == 0.85
    assert stored.last_evaluated_at is not None and stored.last_breached_at is not None

    await api(targets.update(highway, created.uid, threshold=0.5))  # 0.85 < 0.5 is false
    again = {e.uid: e for e in await api(targets.evaluate(highway))}
    assert again[created.uid].is_breached is False
    stored = await api(targets.get(highway, created.uid))
    assert (stored.is_breached, stored.breach_count) == (False, 1)

    await api(targets.update(highway, created.uid, is_active=False))
    assert created.uid not in {e.uid for e in await api(targets.evaluate(highway))}

    assert await api(targets.delete(highway, created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(targets.get(highway, created.uid))
    with pytest.raises(NotFoundError):
        await api(targets.delete(highway, created.uid))


async def test_quality_target_operators(api: Surface) -> None:
    drone = await project_uid(api, "Drone Review")  # every task completed: rate 1.0
    targets = api.client.quality_targets
    made = [
        await api(
            targets.create(drone, name=op, metric="completion_rate", threshold=1.0, operator=op)
        )
        for op in ("gt", "gte", "lt", "lte", "eq")
    ]
    try:
        results = {
            e.name: e for e in await api(targets.evaluate(drone)) if e.uid in {t.uid for t in made}
        }
        assert {name: e.is_breached for name, e in results.items()} == {
            "gt": False, "gte": True, "lt": False, "lte": True, "eq": True,
        }  # fmt: skip
        assert all(e.current_value == 1.0 for e in results.values())
    finally:
        for target in made:
            await api(targets.delete(drone, target.uid))
    assert [e for e in await api(targets.evaluate(drone)) if e.uid in {t.uid for t in made}] == []


async def test_quality_targets_validation(api: Surface) -> None:
    highway = await project_uid(api, "Highway Annotation")
    targets = api.client.quality_targets
    with pytest.raises(ValidationError) as caught:
        await api(targets.create(highway, name="", metric="recall", threshold=0.9))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(targets.create(highway, name="x", metric="recall", threshold="high"))
    assert caught.value.errors == {"threshold": ["A valid number is required."]}
    with pytest.raises(ValidationError) as caught:
        await api(
            targets.create(highway, name="x", metric="recall", threshold=1, is_active="maybe")
        )
    assert caught.value.errors == {"is_active": ["Must be a valid boolean."]}
    seeded = (await api.first_page(targets.list(highway))).items[0]
    with pytest.raises(ValidationError) as caught:
        await api(targets.update(highway, seeded.uid, notify_emails="qa@x.io"))
    assert "notify_emails" in caught.value.errors


async def test_quality_targets_of_an_unknown_project_are_404(api: Surface) -> None:
    targets = api.client.quality_targets
    with pytest.raises(NotFoundError):
        await api.first_page(targets.list("no-such-project"))
    with pytest.raises(NotFoundError):
        await api(targets.create("no-such-project", name="x", metric="recall", threshold=1.0))
    with pytest.raises(NotFoundError):
        await api(targets.evaluate("no-such-project"))
    highway = await project_uid(api, "Highway Annotation")
    with pytest.raises(NotFoundError):
        await api(targets.get(highway, "no-such-target"))
