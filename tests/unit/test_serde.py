"""Response JSON -> attrs models (catalog section 3), lenient by default, strict on request."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses

from avala import (
    APIResponseValidationError,
    AsyncClient,
    Dataset,
    DatasetItem,
    DatasetSequence,
    Export,
    Project,
    Task,
)
from avala._serde import converter, make_converter, structure

from ._helpers import dataset, page, url

STRICT = make_converter(strict=True)

CATALOG_FIELDS: dict[type, set[str]] = {
    Dataset: {
        "uid", "name", "slug", "item_count", "status", "data_type", "is_sequence",
        "predefined_labels", "created_at", "updated_at",
        # documented extras
        "visibility", "project_count", "owner_name", "size_bytes", "annotations_count",
    },
    DatasetItem: {
        "id", "uid", "key", "dataset", "dataset_owner_name", "dataset_slug", "url",
        "gpu_texture_url", "thumbnails", "video_thumbnail", "metadata", "export_snippet",
        "annotations", "crop_data", "related_items", "related_sequence_uid", "created_at",
        "updated_at",
    },
    DatasetSequence: {
        "uid", "key", "custom_uuid", "status", "featured_image", "number_of_frames", "views",
        "crop_data", "predefined_labels", "frames", "metrics", "dataset_uid",
        "allow_lidar_calibration", "lidar_calibration_enabled", "camera_calibration_enabled",
        "coc_timeline",
    },
    Export: {
        "uid", "status", "download_url", "created_at", "updated_at",
        # documented extras
        "name", "format", "total_task_count", "exported_task_count", "datasets", "slices",
        "projects", "organization",
    },
    Project: {"uid", "name", "status", "created_at", "updated_at"},
    Task: {"uid", "type", "name", "status", "project", "created_at", "updated_at"},
}  # fmt: skip

REQUIRED: dict[type, set[str]] = {
    Dataset: {"uid", "name", "slug"},
    DatasetItem: {"uid"},
    DatasetSequence: {"uid"},
    Export: {"uid"},
    Project: {"uid", "name"},
    Task: {"uid"},
}

TS = "2024-01-15T10:30:00Z"

FULL: dict[type, dict[str, Any]] = {
    Dataset: {
        **dataset("ds-1"),
        "item_count": 12,
        "status": "created",
        "data_type": "image",
        "is_sequence": False,
        "predefined_labels": [{"name": "car"}],
        "visibility": "private",
        "project_count": 2,
        "owner_name": "serve.robotics@avala.ai",
        "size_bytes": 1_048_576,
        "annotations_count": 40,
        "created_at": TS,
        "updated_at": TS,
    },
    DatasetItem: {
        "id": 7, "uid": "it-1", "key": "img/0001.jpg", "dataset": "ds-1",
        "dataset_owner_name": "owner", "dataset_slug": "cars", "url": "https://cdn/x.jpg",
        "gpu_texture_url": None, "thumbnails": ["https://cdn/t.jpg"], "video_thumbnail": None,
        "metadata": {"w": 1}, "export_snippet": {}, "annotations": {}, "crop_data": None,
        "related_items": [{"uid": "it-2"}], "related_sequence_uid": None,
        "created_at": TS, "updated_at": TS,
    },
    DatasetSequence: {
        "uid": "sq-1", "key": "drive-1", "custom_uuid": None, "status": "ready",
        "featured_image": None, "number_of_frames": 3, "views": [{"camera": "front"}],
        "crop_data": None, "predefined_labels": [], "frames": [{"images": []}],
        "metrics": {"a": 1}, "dataset_uid": "ds-1", "allow_lidar_calibration": True,
        "lidar_calibration_enabled": False, "camera_calibration_enabled": True,
        "coc_timeline": [],
    },
    Export: {
        "uid": "ex-1", "status": "exported", "download_url": "https://cdn/e.zip",
        "name": "Export 1", "format": "avala-json-external", "total_task_count": 10,
        "exported_task_count": 10, "datasets": ["ds-1"], "slices": [], "projects": ["p-1"],
        "organization": {"uid": "org-1", "name": "Org"}, "created_at": TS, "updated_at": TS,
    },
    Project: {
        "uid": "p-1", "name": "Project", "status": "active", "created_at": TS, "updated_at": TS,
    },
    Task: {
        "uid": "t-1", "type": "image-annotation", "name": "Task", "status": "pending",
        "project": "p-1", "created_at": TS, "updated_at": TS,
    },
}  # fmt: skip

MODELS = list(CATALOG_FIELDS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_models_have_the_catalog_fields(model: type) -> None:
    fields = attrs.fields_dict(model)
    missing = CATALOG_FIELDS[model] - set(fields)
    assert not missing, f"{model.__name__} lacks {sorted(missing)}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_strict_converter_accepts_a_full_catalog_payload(model: type) -> None:
    payload = FULL[model]
    assert set(payload) <= CATALOG_FIELDS[model]
    obj = STRICT.structure(payload, model)
    for name, value in payload.items():
        if name not in ("created_at", "updated_at"):
            assert getattr(obj, name) == value


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_only_documented_fields_are_required(model: type) -> None:
    minimal = {name: FULL[model][name] for name in REQUIRED[model]}
    obj = converter.structure(minimal, model)
    assert obj.uid == FULL[model]["uid"]


@pytest.mark.parametrize(
    ("model", "drop"),
    [(m, f) for m in MODELS for f in sorted(REQUIRED[m])],
    ids=lambda v: v.__name__ if isinstance(v, type) else v,
)
def test_missing_required_field_is_a_response_validation_error(model: type, drop: str) -> None:
    payload = {k: v for k, v in FULL[model].items() if k != drop}
    with pytest.raises(APIResponseValidationError) as info:
        structure(payload, model)
    assert model.__name__ in info.value.message
    assert info.value.body == payload


def test_default_converter_ignores_unknown_fields() -> None:
    got = structure({**FULL[Dataset], "brand_new_field": {"x": 1}}, Dataset)
    assert got.uid == "ds-1"
    assert not hasattr(got, "brand_new_field")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_strict_converter_rejects_unknown_fields(model: type) -> None:
    payload = {**FULL[model], "brand_new_field": 1}
    with pytest.raises(Exception) as info:
        STRICT.structure(payload, model)
    assert "brand_new_field" in repr(info.value) or "brand_new_field" in str(
        getattr(info.value, "exceptions", "")
    )
    with pytest.raises(APIResponseValidationError):
        structure(payload, model, STRICT)
    converter.structure(payload, model)  # the default stays lenient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00z", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00.123456Z", datetime(2024, 1, 15, 10, 30, 0, 123456, timezone.utc)),
        ("2024-01-15T10:30:00+00:00", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)),
        ("2024-01-15T10:30:00.5", datetime(2024, 1, 15, 10, 30, 0, 500000, timezone.utc)),
        (
            "2024-01-15T12:30:00+02:00",
            datetime(2024, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_timestamps_become_timezone_aware(text: str, expected: datetime) -> None:
    got = structure({**dataset(), "created_at": text}, Dataset)
    assert got.created_at is not None
    assert got.created_at.tzinfo is not None
    assert got.created_at.utcoffset() == expected.utcoffset()
    assert got.created_at == expected


def test_null_timestamps_stay_none() -> None:
    got = structure({**dataset(), "created_at": None, "updated_at": None}, Dataset)
    assert got.created_at is None
    assert got.updated_at is None


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01T00:00:00Z", 1700000000, ["2024"]])
def test_bad_timestamps_are_response_validation_errors(bad: object) -> None:
    with pytest.raises(APIResponseValidationError):
        structure({**dataset(), "created_at": bad}, Dataset)


def test_timestamps_on_every_model() -> None:
    for model in MODELS:
        obj = structure(FULL[model], model)
        for name in ("created_at", "updated_at"):
            if name in FULL[model]:
                value = getattr(obj, name)
                assert isinstance(value, datetime)
                assert value.tzinfo is not None


def test_free_form_json_is_passed_through() -> None:
    frames = [{"images": [{"image_url": "u"}], "device_position": {"x": 1.0}}]
    got = structure({"uid": "sq", "frames": frames, "metrics": {"m": [1, 2]}}, DatasetSequence)
    assert got.frames == frames
    assert got.metrics == {"m": [1, 2]}


def test_models_are_immutable() -> None:
    got = structure(FULL[Project], Project)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        got.name = "changed"  # type: ignore[misc]


def test_export_is_finished() -> None:
    for status, finished in [
        ("exported", True),
        ("failed", True),
        ("completed", True),
        ("pending", False),
        ("processing", False),
        (None, False),
    ]:
        assert structure({"uid": "e", "status": status}, Export).is_finished is finished


async def test_client_responses_are_structured(http: aioresponses, no_retry: AsyncClient) -> None:
    http.get(url("/exports/ex-1/"), payload={**FULL[Export], "server_only_field": 1})
    got = await no_retry.exports.get("ex-1")
    assert isinstance(got, Export)
    assert got.format == "avala-json-external"
    assert got.created_at == datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)


async def test_client_missing_field_is_a_response_validation_error(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url("/users/me/projects/p-1/"), payload={"uid": "p-1"})
    with pytest.raises(APIResponseValidationError) as info:
        await no_retry.projects.get("p-1")
    assert info.value.body == {"uid": "p-1"}


async def test_client_list_item_missing_field_is_a_response_validation_error(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url("/users/me/projects/"), payload=page([{"uid": "p-1"}]))
    with pytest.raises(APIResponseValidationError):
        await no_retry.projects.list()


@pytest.mark.parametrize("old_parser", [False, True])
@pytest.mark.parametrize(
    ("text", "micro", "offset_hours"),
    [
        ("2025-01-06T09:00:00.12Z", 120000, 0),
        ("2025-01-06T09:00:00.1234567+02:00", 123456, 2),
        ("2025-01-06T09:00:00.5z", 500000, 0),
    ],
)
def test_odd_fraction_lengths_parse_on_every_python(
    monkeypatch: pytest.MonkeyPatch, old_parser: bool, text: str, micro: int, offset_hours: int
) -> None:
    import datetime as dt

    import avala._serde as serde

    monkeypatch.setattr(serde, "_OLD_FROMISOFORMAT", old_parser)
    if not old_parser and sys.version_info < (3, 11):
        pytest.skip("3.10's fromisoformat needs the normalisation")
    parsed = serde._parse_datetime(text, dt.datetime)
    assert parsed.microsecond == micro
    assert parsed.utcoffset() == dt.timedelta(hours=offset_hours)
