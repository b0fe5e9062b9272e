"""``client.auto_label_jobs``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala import AsyncClient
from avala.models.auto_label_jobs import AutoLabelJob

from ._helpers import KEY, page
from ._requests import Case, ids, run

JOB = {"uid": "job-1", "status": "pending", "model_type": "yolo", "confidence_threshold": 0.5}

CASES = [
    Case(
        "list",
        lambda c: c.auto_label_jobs.list(project="p-1", status="running", limit=2, cursor="x"),
        "GET",
        "/auto-label-jobs/",
        query={"project": "p-1", "status": "running", "limit": "2", "cursor": "x"},
        response=page([JOB]),
        check=lambda p: isinstance(p.items[0], AutoLabelJob),
    ),
    Case(
        "get",
        lambda c: c.auto_label_jobs.get("j/1"),
        "GET",
        "/auto-label-jobs/j%2F1/",
        response=JOB,
        check=lambda j: isinstance(j, AutoLabelJob) and j.status == "pending",
    ),
    Case(
        "create with nothing sends an empty object",
        lambda c: c.auto_label_jobs.create("p-1"),
        "POST",
        "/projects/p-1/auto-label/",
        body={},
        response=JOB,
        status=202,
        check=lambda j: isinstance(j, AutoLabelJob) and j.uid == "job-1",
    ),
    Case(
        "create sends what is given",
        lambda c: c.auto_label_jobs.create(
            "p/1", model_type="sam3", confidence_threshold=0.8, labels=("car",), dry_run=True
        ),
        "POST",
        "/projects/p%2F1/auto-label/",
        body={
            "model_type": "sam3",
            "confidence_threshold": 0.8,
            "labels": ["car"],
            "dry_run": True,
        },
        response={**JOB, "model_type": "sam3", "labels": ["car"], "dry_run": True},
        status=202,
        check=lambda j: j.labels == ["car"] and j.dry_run,
    ),
    Case(
        "cancel is a DELETE",
        lambda c: c.auto_label_jobs.cancel("job-1"),
        "DELETE",
        "/auto-label-jobs/job-1/",
        status=204,
        check=lambda r: r is None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"confidence_threshold": 1.5}, ValueError),
        ({"confidence_threshold": -0.1}, ValueError),
        ({"confidence_threshold": float("nan")}, ValueError),
        ({"confidence_threshold": "0.5"}, TypeError),
        ({"labels": "car"}, TypeError),
    ],
)
async def test_create_refuses_bad_input_before_any_request(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    async with AsyncClient(api_key=KEY, max_retries=0) as client:
        with pytest.raises(error, match=r"confidence_threshold|labels"):
            await client.auto_label_jobs.create("p-1", **kwargs)  # type: ignore[arg-type]
