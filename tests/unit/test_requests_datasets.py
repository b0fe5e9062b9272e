"""``client.datasets`` (the 0.10 additions), ``client.exports`` and ``client.annotations``:
the exact request of every method not covered elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from avala import AsyncClient
from avala.errors import BulkEditError, QuotaExceededError, ValidationError
from avala.models.datasets import (
    AllowedMimes,
    DatasetCalibration,
    DatasetFrame,
    DatasetHealth,
    UploadQuota,
)

from ._helpers import dataset
from ._requests import Case, ids, run

FRAME = {
    "key": "f0",
    "camera_model": "doublesphere",
    "xi": -0.2,
    "alpha": 0.6,
    "device_position": {"x": 1, "y": 2, "z": 3},
    "device_heading": {"x": 0, "y": 0, "z": 0, "w": 1},
    "images": [
        {"camera": "front", "fx": 100, "width": 640, "position": {"x": 0, "y": 0, "z": 1}},
        {"sensor_id": "rear", "model": "pinhole", "xi": 0.1},
    ],
}
SEQUENCE = {"uid": "sq-1", "frames": [FRAME, {"key": "f1"}]}
SEQUENCE_PATH = "/datasets/o/s/sequences/sq-1/"
HEALTH = {"dataset_uid": "ds-1", "dataset_slug": "s", "sequences": [{"uid": "sq-1"}]}


def frame_ok(frame: DatasetFrame) -> bool:
    assert frame.frame_index == 0 and frame.key == "f0"
    assert frame.model == frame.camera_model == "doublesphere"  # each falls back to the other
    assert frame.device_position is not None and frame.device_position.z == 3.0
    assert frame.images is not None and frame.images[0].fx == 100.0
    return frame.raw == FRAME


def calibration_ok(cal: DatasetCalibration) -> bool:
    front, rear = cal.cameras
    assert (front.camera_id, front.model, front.xi, front.alpha) == (
        "front", "doublesphere", -0.2, 0.6,
    )  # fmt: skip
    assert (rear.camera_id, rear.model, rear.xi) == ("rear", "pinhole", 0.1)
    return cal.sequence_uid == "sq-1"


CASES = [
    Case("get_frame", lambda c: c.datasets.get_frame("o", "s", "sq-1", 0), "GET",
         SEQUENCE_PATH, response=SEQUENCE, check=frame_ok),
    Case("get_calibration", lambda c: c.datasets.get_calibration("o", "s", "sq-1"), "GET",
         SEQUENCE_PATH, response=SEQUENCE, check=calibration_ok),
    Case("get_calibration of a sequence without frames",
         lambda c: c.datasets.get_calibration("o", "s", "sq-1"), "GET", SEQUENCE_PATH,
         response={"uid": "sq-1", "frames": None}, check=lambda cal: cal.cameras == []),
    Case("get_health", lambda c: c.datasets.get_health("o", "s"), "GET",
         "/datasets/o/s/health/", response=HEALTH,
         check=lambda h: isinstance(h, DatasetHealth) and h.data_type is None),
    Case("transfer to an organization",
         lambda c: c.datasets.transfer("o", "s", organization_uid="org-1"), "POST",
         "/datasets/o/s/transfer/", body={"organization_uid": "org-1"},
         response=dataset(owner_name="acme"), check=lambda d: d.owner_name == "acme"),
    Case("transfer to a user", lambda c: c.datasets.transfer("o", "s", owner_username="bob"),
         "POST", "/datasets/o/s/transfer/", body={"owner_username": "bob"},
         response=dataset()),
    Case("manual_upload_quota", lambda c: c.datasets.manual_upload_quota(), "GET",
         "/datasets/manual-upload/quota/", response={"used": 7, "limit": 5},
         check=lambda q: isinstance(q, UploadQuota) and q.remaining == 0),
    Case("manual_upload_quota of an organization",
         lambda c: c.datasets.manual_upload_quota(organization_uid="org-1"), "GET",
         "/datasets/manual-upload/quota/", query={"organization_uid": "org-1"},
         response={"used": 1, "limit": 5}),
    Case("manual_upload_allowed_mimes", lambda c: c.datasets.manual_upload_allowed_mimes(),
         "GET", "/datasets/manual-upload/allowed-mimes/",
         response={"mime_types": ["image/png"], "video_prefix": "video/"},
         check=lambda m: isinstance(m, AllowedMimes) and m.mime_types == ["image/png"]),
    Case("create_manual_upload_url (form POST)",
         lambda c: c.datasets.create_manual_upload_url(
             dataset_name="d", file_path_in_dataset="a/b.jpg", content_length=10),
         "POST", "/datasets/manual-upload/file-upload-url/",
         body={"dataset_name": "d", "file_path_in_dataset": "a/b.jpg", "content_length": 10},
         response={"method": "POST", "url": "https://s3.amazonaws.com/b", "fields": {}},
         check=lambda t: t["method"] == "POST"),
    Case("create_manual_upload_url (v2 batch)",
         lambda c: c.datasets.create_manual_upload_url(
             dataset_name="d", file_path_in_dataset="x", content_length=0,
             organization_uid="org", dataset_upload_uid="batch-1"),
         "POST", "/datasets/manual-upload/file-upload-url/",
         body={"dataset_name": "d", "file_path_in_dataset": "x", "content_length": 0,
               "organization_uid": "org", "dataset_upload_uid": "batch-1",
               "upload_protocol_version": 2},
         response={"method": "PUT", "url": "https://s3.amazonaws.com/b"}),
    Case("create_from_manual_upload always sends visibility and create_metadata",
         lambda c: c.datasets.create_from_manual_upload(name="n", slug="s", data_type="image"),
         "POST", "/datasets/manual-upload/",
         body={"name": "n", "slug": "s", "data_type": "image", "visibility": "private",
               "create_metadata": True},
         response=dataset(), status=201),
    Case("exports.create with nothing sends {}", lambda c: c.exports.create(), "POST",
         "/exports/", body={}, response={"uid": "ex-1"}, status=201),
    Case("annotations.bulk_edit posts a JSON array per chunk",
         lambda c: c.annotations.bulk_edit("o", "s", iter([{"action": "delete"}])), "POST",
         "/datasets/o/s/bulk-edition/", body=[{"action": "delete"}],
         response={"updated": 0, "deleted": 1},
         check=lambda r: r == [(0, {"updated": 0, "deleted": 1})]),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


@pytest.mark.parametrize("index", [2, -1])
async def test_get_frame_out_of_range_names_the_count(index: int) -> None:
    case = Case("", lambda c: c.datasets.get_frame("o", "s", "sq-1", index), "GET",
                SEQUENCE_PATH, response=SEQUENCE)  # fmt: skip
    with pytest.raises(IndexError, match="has 2 frame"):
        await run(case)


@pytest.mark.parametrize(
    "kwargs", [{}, {"organization_uid": "o", "owner_username": "u"}], ids=["neither", "both"]
)
async def test_transfer_needs_exactly_one_target(kwargs: dict[str, Any]) -> None:
    async with AsyncClient(api_key="avk_x") as client:  # no request is made
        with pytest.raises(ValueError, match="exactly one of organization_uid or owner_username"):
            await client.datasets.transfer("o", "s", **kwargs)


async def test_quota_413_is_quota_exceeded() -> None:
    case = Case("", lambda c: c.datasets.create_manual_upload_url(
        dataset_name="d", file_path_in_dataset="x", content_length=99),
        "POST", "/datasets/manual-upload/file-upload-url/",
        body={"dataset_name": "d", "file_path_in_dataset": "x", "content_length": 99},
        response={"detail": "Over quota.", "limit": 100, "used": 50}, status=413)  # fmt: skip
    with pytest.raises(QuotaExceededError) as caught:
        await run(case)
    assert (caught.value.limit, caught.value.used, caught.value.status_code) == (100, 50, 413)


async def test_bulk_edit_names_the_failing_chunk() -> None:
    edits = [{"action": "delete", "object_uuid": str(i)} for i in range(3)]
    case = Case("", lambda c: c.annotations.bulk_edit("o", "s", edits, chunk_size=5), "POST",
                "/datasets/o/s/bulk-edition/", body=edits,
                response=[{}, {"object_uuid": ["bad"]}, {}], status=400)  # fmt: skip
    with pytest.raises(BulkEditError) as caught:
        await run(case)
    error = caught.value
    assert error.chunk_index == 0 and error.chunk_size == 3 and error.status_code == 400
    assert isinstance(error, RuntimeError) and isinstance(error.__cause__, ValidationError)
    assert error.__cause__.errors == {"[1].object_uuid": ["bad"]}
    assert "chunk 0" in str(error) and "[1].object_uuid: bad" in str(error)
