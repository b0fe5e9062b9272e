"""``client.auto_label_jobs`` through both surfaces against the bundled server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from avala import NotFoundError, ValidationError
from avala.models.auto_label_jobs import AutoLabelJob
from avala.testing import ServerHandle

from ._surface import Surface


async def project_uid(api: Surface, name: str) -> str:
    projects = await api.all(api.client.projects.list())
    return str(next(p.uid for p in projects if p.name == name))


def consistent(job: AutoLabelJob) -> bool:
    return (
        job.processed_items == job.successful_items + job.failed_items + job.skipped_items
        and 0 <= job.processed_items <= job.total_items
        and job.progress_pct == round(100 * job.processed_items / job.total_items, 1)
    )


async def test_auto_label_jobs_lifecycle(api: Surface) -> None:
    jobs = api.client.auto_label_jobs
    highway = await project_uid(api, "Highway Annotation")
    seeded = await api.all(jobs.list())
    assert len(seeded) >= 3 and all(isinstance(j, AutoLabelJob) for j in seeded)

    created = await api(jobs.create(highway))  # an empty body: the server's defaults
    assert (created.status, created.model_type, created.confidence_threshold) == (
        "pending",
        "yolo",
        0.5,
    )
    assert created.total_items == 48 and created.processed_items == 0  # the dataset's items
    assert created.labels == [] and created.dry_run is False and created.started_at is None

    statuses = []
    for _ in range(4):
        job = await api(jobs.get(created.uid))
        assert consistent(job), job
        statuses.append((job.status, job.processed_items))
    assert statuses == [("pending", 0), ("running", 24), ("completed", 48), ("completed", 48)]
    done = await api(jobs.get(created.uid))
    assert done.started_at is not None and done.completed_at is not None
    assert done.started_at <= done.completed_at and done.summary

    mine = await api.all(jobs.list(project=highway))
    assert created.uid in [j.uid for j in mine]
    assert all(j.uid != created.uid for j in await api.all(jobs.list(project="nope")))
    finished = await api.all(jobs.list(project=highway, status="completed", limit=1))
    assert created.uid in [j.uid for j in finished]
    assert all(j.status == "completed" for j in finished)

    with pytest.raises(ValidationError) as caught:
        await api(jobs.cancel(created.uid))  # finished: cannot be canceled
    assert "completed" in caught.value.message


async def test_cancel_keeps_the_job_as_canceled(api: Surface) -> None:
    jobs = api.client.auto_label_jobs
    warehouse = await project_uid(api, "Warehouse QA")
    created = await api(
        jobs.create(
            warehouse, model_type="sam3", confidence_threshold=0.75, labels=["pallet"], dry_run=True
        )
    )
    assert (created.model_type, created.confidence_threshold) == ("sam3", 0.75)
    assert (created.labels, created.dry_run, created.total_items) == (["pallet"], True, 60)
    await api(jobs.get(created.uid))
    running = await api(jobs.get(created.uid))
    assert running.status == "running" and consistent(running)

    assert await api(jobs.cancel(created.uid)) is None
    canceled = await api(jobs.get(created.uid))
    assert canceled.status == "canceled" and canceled.completed_at is not None
    assert canceled.processed_items == running.processed_items  # frozen where it stopped
    assert (await api(jobs.get(created.uid))).status == "canceled"  # it no longer advances
    listed = await api.all(jobs.list(status="canceled"))
    assert created.uid in [j.uid for j in listed]
    with pytest.raises(ValidationError):
        await api(jobs.cancel(created.uid))
    with pytest.raises(NotFoundError):
        await api(jobs.cancel("no-such-job"))


async def test_unknown_labels_fail_the_job(api: Surface) -> None:
    jobs = api.client.auto_label_jobs
    drone = await project_uid(api, "Drone Review")
    created = await api(jobs.create(drone, labels=["vehicle", "unicorn"]))
    assert (await api(jobs.get(created.uid))).status == "pending"
    failed = await api(jobs.get(created.uid))
    assert failed.status == "failed" and "unicorn" in (failed.error_message or "")
    assert failed.processed_items == 0 and failed.completed_at is not None


async def test_auto_label_jobs_errors(api: Surface) -> None:
    jobs = api.client.auto_label_jobs
    with pytest.raises(NotFoundError):
        await api(jobs.create("no-such-project"))
    with pytest.raises(NotFoundError):
        await api(jobs.get("no-such-job"))
    highway = await project_uid(api, "Highway Annotation")
    with pytest.raises(ValidationError) as caught:
        await api(jobs.create(highway, dry_run="maybe"))
    assert list(caught.value.errors) == ["dry_run"]
    with pytest.raises(ValueError, match="confidence_threshold"):
        await api(jobs.create(highway, confidence_threshold=2))


@pytest.mark.parametrize(
    ("threshold", "message"),
    [(1.5, "less than or equal to 1"), (-0.5, "greater than or equal to 0")],
)
def test_server_checks_the_threshold(server: ServerHandle, threshold: float, message: str) -> None:
    project = server.state.store.find("projects", name="Highway Annotation")
    assert project is not None
    request = urllib.request.Request(
        server.url(f"/projects/{project['uid']}/auto-label/"),
        data=json.dumps({"confidence_threshold": threshold}).encode(),
        headers={"X-Avala-Api-Key": server.api_key, "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    with caught.value as error:
        assert error.code == 400
        assert json.loads(error.read()) == {
            "confidence_threshold": [f"Ensure this value is {message}."]
        }
