"""The bundled Avala test server over real loopback HTTP: auth, endpoints, pagination, data."""

from __future__ import annotations

import io
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from avala.testing import (
    DEMO_API_KEY,
    EXPIRED_API_KEY,
    ServerHandle,
    ServerState,
    decode_cursor,
    encode_cursor,
    serve_async,
    without_signatures,
)

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")

DATASET_FIELDS = {
    "uid", "name", "slug", "item_count", "status", "data_type", "is_sequence",
    "predefined_labels", "created_at", "updated_at", "visibility", "project_count",
    "owner_name", "size_bytes", "annotations_count",
}  # fmt: skip
ITEM_FIELDS = {
    "id", "uid", "is_hidden", "key", "dataset", "dataset_owner_name", "dataset_slug", "url",
    "gpu_texture_url", "thumbnails", "video_thumbnail", "metadata", "export_snippet",
    "annotations", "crop_data", "related_items", "related_sequence_uid", "created_at",
    "updated_at", "status", "data_url", "thumbnail_url", "annotations_count",
}  # fmt: skip
SEQUENCE_FIELDS = {
    "uid", "key", "custom_uuid", "status", "featured_image", "number_of_frames", "views",
    "crop_data", "predefined_labels", "frames", "metrics", "dataset_uid",
    "allow_lidar_calibration", "lidar_calibration_enabled", "camera_calibration_enabled",
    "coc_timeline", "is_hidden", "dataset_data_type", "device_id", "camera_calibration",
    "is_workflow_terminal", "sequence_status_workflow", "sequence_deliverable_workflow",
}  # fmt: skip
PROJECT_FIELDS = {"uid", "name", "status", "created_at", "updated_at", "task_type"}
TASK_FIELDS = {"uid", "type", "name", "status", "project", "created_at", "updated_at"}
EXPORT_FIELDS = {
    "uid", "status", "download_url", "created_at", "updated_at", "name", "format",
    "total_task_count", "exported_task_count", "datasets", "slices", "projects",
    "organization",
}  # fmt: skip


async def get_json(
    session: aiohttp.ClientSession, url: str, expect: int = 200, **params: str
) -> Any:
    async with session.get(url, params=params or None) as response:
        assert response.status == expect, await response.text()
        assert response.content_type == "application/json"
        return await response.json()


async def post_json(session: aiohttp.ClientSession, url: str, body: Any, expect: int = 201) -> Any:
    async with session.post(url, json=body) as response:
        assert response.status == expect, await response.text()
        assert response.content_type == "application/json"
        return await response.json()


async def walk(session: aiohttp.ClientSession, url: str, **params: str) -> list[dict[str, Any]]:
    """Follow ``next`` links from ``url`` and return every result, in order."""
    page = await get_json(session, url, **params)
    results: list[dict[str, Any]] = list(page["results"])
    while page["next"] is not None:
        page = await get_json(session, page["next"])
        results.extend(page["results"])
    return results


def assert_uid(value: str) -> None:
    assert str(uuid.UUID(value)) == value


# --------------------------------------------------------------------------- auth and envelope


async def test_missing_key_is_401(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    body = await get_json(anon, srv.url("/datasets/"), expect=401)
    assert body == {"detail": "Authentication credentials were not provided."}


async def test_expired_key_is_401(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    async with anon.get(
        srv.url("/datasets/"), headers={"X-Avala-Api-Key": srv.expired_api_key}
    ) as response:
        assert response.status == 401
        assert await response.json() == {"detail": "API key has expired."}
    assert srv.expired_api_key == EXPIRED_API_KEY


async def test_unknown_key_is_401(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    async with anon.get(srv.url("/tasks/"), headers={"X-Avala-Api-Key": "avk_nope"}) as response:
        assert response.status == 401
        assert await response.json() == {"detail": "Invalid API key."}


async def test_key_rotation(srv: ServerHandle, anon: aiohttp.ClientSession) -> None:
    url = srv.url("/users/me/projects/")

    async def detail(key: str) -> str | None:
        async with anon.get(url, headers={"X-Avala-Api-Key": key}) as response:
            body = await response.json()
            return None if response.status == 200 else str(body["detail"])

    new_key = "avk_rotated_key_00000000000000000000"
    assert await detail(new_key) == "Invalid API key."
    srv.state.add_key(new_key)
    assert await detail(new_key) is None
    srv.state.expire_key(DEMO_API_KEY)
    assert await detail(DEMO_API_KEY) == "API key has expired."
    srv.state.revoke_key(new_key)
    assert await detail(new_key) == "Invalid API key."
    srv.state.add_key(DEMO_API_KEY)
    assert await detail(DEMO_API_KEY) is None


async def test_every_response_has_request_id_and_rate_limit_headers(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    seen = set()
    for session, path in ((http, "/datasets/"), (anon, "/datasets/"), (http, "/nope/")):
        async with session.get(srv.url(path)) as response:
            request_id = response.headers["X-Request-Id"]
            assert request_id.startswith("req_")
            seen.add(request_id)
            assert response.headers["X-RateLimit-Limit"] == "1000000"  # never reached
            assert int(response.headers["X-RateLimit-Remaining"]) < 1_000_000
            assert int(response.headers["X-RateLimit-Reset"]) > time.time() - 1
    assert len(seen) == 3


async def test_unknown_route_is_an_html_404_unlike_a_missing_object(
    srv: ServerHandle, anon: aiohttp.ClientSession, http: aiohttp.ClientSession
) -> None:
    """As Django answers: an unknown URL is an HTML page, a missing object DRF's JSON, so a
    typo in a path is never mistaken for "no such object"."""
    for session, url in (
        (anon, srv.url("/nothing/here/")),
        (http, srv.origin + "/other"),
        (http, srv.url("/datasets")),  # no trailing slash: not a route
        (http, srv.url("/datasets/demo/highway-lidar/itemz/")),
    ):
        async with session.get(url) as response:
            assert response.status == 404
            assert response.content_type == "text/html"
            assert "Not Found" in await response.text()
    missing = await get_json(http, srv.url(f"/datasets/{uuid.uuid4()}/"), expect=404)
    assert missing == {"detail": "Not found."}


async def test_wrong_method_is_json_405(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    async with http.delete(srv.url("/datasets/")) as response:
        assert response.status == 405
        assert await response.json() == {"detail": 'Method "DELETE" not allowed.'}
        assert "POST" in response.headers["Allow"]
    async with http.put(srv.url("/tasks/")) as response:
        assert response.status == 405
        assert await response.json() == {"detail": 'Method "PUT" not allowed.'}


# --------------------------------------------------------------------------- datasets


async def test_list_datasets_shape(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    page = await get_json(http, srv.url("/datasets/"))
    assert page["next"] is None and page["previous"] is None
    datasets = page["results"]
    assert [d["slug"] for d in datasets] == [
        "highway-lidar",
        "warehouse-cameras",
        "drone-flights",
        "robot-logs",
    ]
    for dataset in datasets:
        assert set(dataset) == DATASET_FIELDS
        assert_uid(dataset["uid"])
        assert TIMESTAMP.fullmatch(dataset["created_at"])
        assert TIMESTAMP.fullmatch(dataset["updated_at"])
        assert dataset["owner_name"] == "demo"
        assert dataset["item_count"] >= 25
    assert {d["data_type"] for d in datasets} == {"lidar", "image", "video", "mcap"}


@pytest.mark.parametrize(
    ("params", "slugs"),
    [
        ({"data_type": "lidar"}, ["highway-lidar"]),
        ({"visibility": "public"}, ["highway-lidar", "drone-flights"]),
        ({"status": "creating"}, ["robot-logs"]),
        ({"name": "LIDAR"}, ["highway-lidar"]),
        ({"name": "o"}, ["warehouse-cameras", "drone-flights", "robot-logs"]),
        ({"visibility": "private", "data_type": "image"}, ["warehouse-cameras"]),
        ({"data_type": "splat"}, []),
        ({"data_type": ""}, ["highway-lidar", "warehouse-cameras", "drone-flights", "robot-logs"]),
    ],
)
async def test_dataset_filters(
    srv: ServerHandle, http: aiohttp.ClientSession, params: dict[str, str], slugs: list[str]
) -> None:
    page = await get_json(http, srv.url("/datasets/"), **params)
    assert [d["slug"] for d in page["results"]] == slugs


async def test_filters_survive_pagination(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    datasets = await walk(http, srv.url("/datasets/"), name="o", limit="1")
    assert [d["slug"] for d in datasets] == ["warehouse-cameras", "drone-flights", "robot-logs"]


async def test_get_dataset_by_uid_and_slug(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    listed = (await get_json(http, srv.url("/datasets/"), data_type="video"))["results"][0]
    by_uid = await get_json(http, srv.url(f"/datasets/{listed['uid']}/"))
    by_slug = await get_json(http, srv.url("/datasets/demo/drone-flights/"))
    assert by_uid == by_slug == listed
    await get_json(http, srv.url(f"/datasets/{uuid.uuid4()}/"), expect=404)
    await get_json(http, srv.url("/datasets/not-a-uid/"), expect=404)
    assert await get_json(http, srv.url("/datasets/demo/nope/"), expect=404) == {
        "detail": "Not found."
    }
    await get_json(http, srv.url("/datasets/someone/drone-flights/"), expect=404)


async def test_seed_data_is_deterministic() -> None:
    first, second = ServerState(), ServerState()
    assert first.store.datasets == second.store.datasets
    assert first.store.tasks == second.store.tasks
    assert first.store.projects == second.store.projects


async def test_items_walk_every_item_once(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    url = srv.url("/datasets/demo/warehouse-cameras/items/")
    everything = (await get_json(http, url, limit="1000"))["results"]
    assert len(everything) == 60
    walked = await walk(http, url, limit="7")
    assert [item["uid"] for item in walked] == [item["uid"] for item in everything]
    assert len({item["uid"] for item in walked}) == 60
    for item in walked:
        assert set(item) == ITEM_FIELDS
        assert item["dataset_slug"] == "warehouse-cameras"
        assert item["dataset_owner_name"] == "demo"
        # media URLs are presigned URLs of the server's own storage
        media = srv.origin + "/_storage/avala-local/media/demo/warehouse-cameras/"
        assert item["url"].startswith(media) and "X-Avala-Signature=" in item["url"]
        assert TIMESTAMP.fullmatch(item["created_at"])


async def test_next_and_previous_urls(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    url = srv.url("/datasets/demo/highway-lidar/items/")
    first = await get_json(http, url, limit="10", extra="kept")
    assert first["previous"] is None
    next_url = urlsplit(first["next"])
    assert f"{next_url.scheme}://{next_url.netloc}" == srv.origin
    assert next_url.path == "/api/v1/datasets/demo/highway-lidar/items/"
    query = parse_qs(next_url.query)
    assert query["limit"] == ["10"] and query["extra"] == ["kept"]
    assert decode_cursor(query["cursor"][0]) == 10

    second = await get_json(http, first["next"])
    assert second["previous"] is not None
    back = await get_json(http, second["previous"])
    assert back["results"] == first["results"]
    assert second["results"][0]["uid"] != first["results"][0]["uid"]

    # 48 items in pages of 10: the last page holds 8 and has no next.
    last = await get_json(http, url, limit="10", cursor=encode_cursor(40))
    assert len(last["results"]) == 8 and last["next"] is None
    # Past the end: empty, but still a way back.
    beyond = await get_json(http, url, limit="10", cursor=encode_cursor(500))
    assert beyond["results"] == [] and beyond["next"] is None and beyond["previous"]


async def test_default_page_size_is_100(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    async with serve_async(bench_items=2500) as bench, aiohttp.ClientSession() as session:
        headers = {"X-Avala-Api-Key": bench.api_key}
        url = bench.url("/datasets/bench/bench/items/")
        async with session.get(url, headers=headers) as response:
            page = await response.json()
        assert len(page["results"]) == 100
        async with session.get(url, headers=headers, params={"limit": "5000"}) as response:
            page = await response.json()
        assert len(page["results"]) == 1000  # clamped to the maximum


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"limit": "abc"}, {"limit": ["A valid integer is required."]}),
        ({"limit": "0"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": "-3"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"cursor": "not a cursor"}, {"detail": "Invalid cursor"}),
        ({"cursor": "Zm9v"}, {"detail": "Invalid cursor"}),  # base64 of "foo"
        ({"cursor": ""}, {"detail": "Invalid cursor"}),
    ],
)
async def test_bad_page_parameters(
    srv: ServerHandle, http: aiohttp.ClientSession, params: dict[str, str], body: Any
) -> None:
    assert await get_json(http, srv.url("/tasks/"), expect=400, **params) == body


async def test_get_item(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    base = srv.url("/datasets/demo/drone-flights/items/")
    listed = (await get_json(http, base, limit="3"))["results"][2]
    item = await get_json(http, f"{base}{listed['uid']}/")
    # the same item; its media URLs are signed afresh (the expiry may tick over in between)
    assert without_signatures(item) == without_signatures(listed)
    assert item["video_thumbnail"].startswith(srv.origin + "/_storage/avala-local/media/")
    await get_json(http, f"{base}{uuid.uuid4()}/", expect=404)
    other = srv.url(f"/datasets/demo/highway-lidar/items/{listed['uid']}/")
    await get_json(http, other, expect=404)


async def test_sequences(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    base = srv.url("/datasets/demo/highway-lidar/sequences/")
    dataset = await get_json(http, srv.url("/datasets/demo/highway-lidar/"))
    sequences = await walk(http, base, limit="3")
    assert len(sequences) == 4
    for listed in sequences:
        sequence = await get_json(http, f"{base}{listed['uid']}/")
        assert sequence == listed
        assert set(sequence) == SEQUENCE_FIELDS
        assert sequence["dataset_uid"] == dataset["uid"]
        frames = sequence["frames"]
        assert 3 <= len(frames) <= 5
        assert sequence["number_of_frames"] == len(frames)
        for frame in frames:
            assert set(frame["device_position"]) == {"x", "y", "z"}
            assert set(frame["device_heading"]) == {"x", "y", "z", "w"}
            assert frame["key"]
            for image in frame["images"]:
                assert image["image_url"].startswith("https://")
                assert isinstance(image["width"], int) and isinstance(image["height"], int)
                for name in ("fx", "fy", "cx", "cy"):
                    assert isinstance(image[name], float)
                assert set(image["position"]) == {"x", "y", "z"}
                assert set(image["heading"]) == {"x", "y", "z", "w"}
    await get_json(http, f"{base}{uuid.uuid4()}/", expect=404)
    await get_json(http, srv.url("/datasets/demo/missing/sequences/"), expect=404)


async def test_health(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    health = await get_json(http, srv.url("/datasets/demo/highway-lidar/health/"))
    assert health["dataset_slug"] == "highway-lidar"
    assert health["sequence_count"] == 4 and health["ingest_ok"] is True
    assert health["total_frames"] == sum(s["frame_count"] for s in health["sequences"])
    creating = await get_json(http, srv.url("/datasets/demo/robot-logs/health/"))
    assert creating["ingest_ok"] is False and creating["issues"]


# --------------------------------------------------------------------------- dataset create


async def test_create_dataset_then_it_becomes_created(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    body = {"name": "New Set", "slug": "new-set", "data_type": "splat", "is_sequence": True}
    created = await post_json(http, srv.url("/datasets/"), body)
    assert set(created) == DATASET_FIELDS
    assert created["status"] == "creating"
    assert created["visibility"] == "private"
    assert created["owner_name"] == "demo"
    assert created["is_sequence"] is True
    assert_uid(created["uid"])

    listed = await get_json(http, srv.url("/datasets/"), status="creating")
    assert [d["slug"] for d in listed["results"]] == ["robot-logs", "new-set"]
    first = await get_json(http, srv.url(f"/datasets/{created['uid']}/"))
    assert first["status"] == "creating"
    second = await get_json(http, srv.url("/datasets/demo/new-set/"))
    assert second["status"] == "created"
    items = await get_json(http, srv.url("/datasets/demo/new-set/items/"))
    assert items == {"next": None, "previous": None, "results": []}


async def test_create_dataset_for_other_owner(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    body = {
        "name": "Theirs",
        "slug": "highway-lidar",
        "data_type": "image",
        "owner_name": "serve.robotics@avala.ai",
        "visibility": "public",
        "create_metadata": True,
        "provider_config": {"provider": "aws_s3", "s3_bucket_name": "b"},
        "metadata": {"team": "x"},
    }
    created = await post_json(http, srv.url("/datasets/"), body)
    assert created["owner_name"] == "serve.robotics@avala.ai"
    fetched = await get_json(http, srv.url("/datasets/serve.robotics@avala.ai/highway-lidar/"))
    assert fetched["uid"] == created["uid"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "name": ["This field is required."],
                "slug": ["This field is required."],
                "data_type": ["This field is required."],
            },
        ),
        (
            {"name": "", "slug": "ok", "data_type": "image"},
            {"name": ["This field may not be blank."]},
        ),
        (
            {"name": None, "slug": "ok", "data_type": "image"},
            {"name": ["This field may not be null."]},
        ),
        ({"name": ["x"], "slug": "ok", "data_type": "image"}, {"name": ["Not a valid string."]}),
        (
            {"name": "n", "slug": "not a slug!", "data_type": "image"},
            {
                "slug": [
                    'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
                ]
            },
        ),
        (
            {"name": "n", "slug": "ok", "data_type": "pointcloud"},
            {"data_type": ['"pointcloud" is not a valid choice.']},
        ),
        (
            {"name": "n", "slug": "ok", "data_type": "image", "visibility": "secret"},
            {"visibility": ['"secret" is not a valid choice.']},
        ),
        (
            {"name": "n", "slug": "ok", "data_type": "image", "is_sequence": "maybe"},
            {"is_sequence": ["Must be a valid boolean."]},
        ),
        (
            {"name": "n", "slug": "ok", "data_type": "image", "provider_config": "s3"},
            {"provider_config": ['Expected a dictionary of items but got type "str".']},
        ),
        (
            {"name": "n", "slug": "highway-lidar", "data_type": "lidar"},
            {"slug": ["dataset with this slug already exists."]},
        ),
    ],
)
async def test_create_dataset_validation(
    srv: ServerHandle, http: aiohttp.ClientSession, body: dict[str, Any], errors: Any
) -> None:
    assert await post_json(http, srv.url("/datasets/"), body, expect=400) == errors
    assert len(srv.state.store.datasets) == 4


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [
        (b"{not json", "JSON parse error - "),
        (b'["a", "list"]', "JSON parse error - Expected a JSON object, got list"),
        (b'"text"', "JSON parse error - Expected a JSON object, got str"),
    ],
)
async def test_create_dataset_bad_json(
    srv: ServerHandle, http: aiohttp.ClientSession, raw: bytes, prefix: str
) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post(srv.url("/datasets/"), data=raw, headers=headers) as response:
        assert response.status == 400
        body = await response.json()
    assert set(body) == {"detail"} and body["detail"].startswith(prefix)


async def test_oversized_body_is_json_413(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post(
        srv.url("/datasets/"), data=io.BytesIO(b" " * (3 << 20)), headers=headers
    ) as response:
        assert response.status == 413
        assert set(await response.json()) == {"detail"}


# --------------------------------------------------------------------------- projects and tasks


async def test_projects(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    projects = await walk(http, srv.url("/users/me/projects/"), limit="2")
    assert len(projects) == 3
    statuses = {"pending-approval", "active", "paused", "canceled", "archived", "completed"}
    for project in projects:
        assert set(project) == PROJECT_FIELDS
        assert project["status"] in statuses
        assert await get_json(http, srv.url(f"/users/me/projects/{project['uid']}/")) == project
    await get_json(http, srv.url(f"/users/me/projects/{uuid.uuid4()}/"), expect=404)


async def test_tasks_filters_across_pages(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    everything = await walk(http, srv.url("/tasks/"), limit="10")
    assert len(everything) == 32
    assert len({t["uid"] for t in everything}) == 32
    for task in everything:
        assert set(task) == TASK_FIELDS
        assert task["status"] in ("pending", "completed")

    project = everything[0]["project"]
    pending = await walk(http, srv.url("/tasks/"), project=project, status="pending", limit="3")
    expected = [t for t in everything if t["project"] == project and t["status"] == "pending"]
    assert pending == expected and len(expected) > 3
    for status in ("pending", "completed"):
        subset = await walk(http, srv.url("/tasks/"), status=status, limit="4")
        assert subset == [t for t in everything if t["status"] == status]

    task = await get_json(http, srv.url(f"/tasks/{everything[5]['uid']}/"))
    assert task == everything[5]
    await get_json(http, srv.url(f"/tasks/{uuid.uuid4()}/"), expect=404)


# --------------------------------------------------------------------------- exports


async def test_export_progression(
    srv: ServerHandle, http: aiohttp.ClientSession, anon: aiohttp.ClientSession
) -> None:
    export = await post_json(http, srv.url("/exports/"), {})
    assert set(export) == EXPORT_FIELDS
    assert export["status"] == "pending" and export["download_url"] is None
    url = srv.url(f"/exports/{export['uid']}/")
    statuses = []
    for _ in range(4):
        current = await get_json(http, url)
        statuses.append(current["status"])
    assert statuses == ["pending", "processing", "exported", "exported"]
    # a presigned URL on the server's own storage, fetched without the key
    assert current["download_url"].startswith(f"http://{srv.host}:{srv.port}/_storage/")
    assert "X-Avala-Signature=" in current["download_url"]
    async with anon.get(current["download_url"]) as response:
        assert response.status == 200
        document = await response.json()
    assert document["export"] == export["uid"] and len(document["tasks"]) == 32
    assert current["exported_task_count"] == current["total_task_count"] == 32
    listed = await get_json(http, srv.url("/exports/"))
    assert [e["uid"] for e in listed["results"]][-1] == export["uid"]  # after the seeded one
    assert listed["results"][-1]["status"] == "exported"


async def test_export_for_project_and_dataset(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    project = (await get_json(http, srv.url("/users/me/projects/")))["results"][1]
    dataset = (await get_json(http, srv.url("/datasets/")))["results"][0]
    export = await post_json(
        http, srv.url("/exports/"), {"project": project["uid"], "dataset": dataset["uid"]}
    )
    assert export["projects"] == [project["uid"]]
    assert export["datasets"] == [dataset["uid"]]
    await get_json(http, srv.url(f"/exports/{uuid.uuid4()}/"), expect=404)


async def test_export_validation(srv: ServerHandle, http: aiohttp.ClientSession) -> None:
    missing = str(uuid.uuid4())
    body = await post_json(http, srv.url("/exports/"), {"project": missing}, expect=400)
    assert body == {"project": [f"Object with uid={missing} does not exist."]}
    body = await post_json(http, srv.url("/exports/"), {"dataset": 12}, expect=400)
    assert body == {"dataset": ["Invalid value."]}
    async with http.post(srv.url("/exports/")) as response:  # no body at all
        assert response.status == 201
    assert len(srv.state.store.exports) == 2  # the seeded one and the body-less one


async def test_export_fails_for_fail_dataset(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    dataset = await post_json(
        http,
        srv.url("/datasets/"),
        {"name": "Will Fail", "slug": "will-fail", "data_type": "image"},
    )
    export = await post_json(http, srv.url("/exports/"), {"dataset": dataset["uid"]})
    url = srv.url(f"/exports/{export['uid']}/")
    statuses = [(await get_json(http, url))["status"] for _ in range(3)]
    assert statuses == ["pending", "processing", "failed"]
    assert (await get_json(http, url))["download_url"] is None


async def test_export_status_sequence_is_scriptable(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    srv.state.next_export_status_sequence("processing", "completed")
    scripted = await post_json(http, srv.url("/exports/"), {})
    normal = await post_json(http, srv.url("/exports/"), {})
    scripted_url = srv.url(f"/exports/{scripted['uid']}/")
    assert [(await get_json(http, scripted_url))["status"] for _ in range(3)] == [
        "processing",
        "completed",
        "completed",
    ]
    assert (await get_json(http, srv.url(f"/exports/{normal['uid']}/")))["status"] == "pending"


async def test_export_polls_is_configurable() -> None:
    state = ServerState(export_polls=1)
    async with serve_async(state=state) as handle, aiohttp.ClientSession() as session:
        headers = {"X-Avala-Api-Key": handle.api_key}
        async with session.post(handle.url("/exports/"), json={}, headers=headers) as response:
            uid = (await response.json())["uid"]
        async with session.get(handle.url(f"/exports/{uid}/"), headers=headers) as response:
            assert (await response.json())["status"] == "exported"


# --------------------------------------------------------------------------- benchmark dataset


async def test_bench_dataset_is_generated_on_the_fly() -> None:
    count = 1_000_000
    async with (
        serve_async(bench_items=count) as handle,
        aiohttp.ClientSession(headers={"X-Avala-Api-Key": handle.api_key}) as session,
    ):
        dataset = await get_json(session, handle.url("/datasets/bench/bench/"))
        assert dataset["item_count"] == count
        assert dataset["owner_name"] == "bench"
        listed = await get_json(session, handle.url("/datasets/"), limit="10")
        assert "bench" in [d["slug"] for d in listed["results"]]

        url = handle.url("/datasets/bench/bench/items/")
        started = time.perf_counter()
        last = await get_json(session, url, limit="1", cursor=encode_cursor(count - 1))
        page = await get_json(session, url, limit="1000", cursor=encode_cursor(500_000))
        elapsed = time.perf_counter() - started
        assert elapsed < 2.0  # O(page size), never O(dataset size)

        assert last["next"] is None
        assert decode_cursor(parse_qs(urlsplit(last["previous"]).query)["cursor"][0]) == count - 2
        (item,) = last["results"]
        assert set(item) == ITEM_FIELDS
        assert item["id"] == count
        assert item["dataset"] == dataset["uid"]
        assert_uid(item["uid"])
        assert TIMESTAMP.fullmatch(item["created_at"])
        # about 900 bytes of JSON, plus ~550 for its presigned media URLs (3 distinct ones)
        assert 1200 <= len(await _raw_item(session, url, item["uid"])) <= 1700

        assert len(page["results"]) == 1000
        assert page["results"][0]["id"] == 500_001
        assert len({i["uid"] for i in page["results"]}) == 1000

        # media URLs are signed afresh on each answer (the expiry may tick over in between)
        detail = await get_json(session, f"{url}{item['uid']}/")
        assert without_signatures(detail) == without_signatures(item)
        missing = item["uid"][:24] + f"{count:012x}"
        await get_json(session, f"{url}{missing}/", expect=404)
        await get_json(session, f"{url}{uuid.uuid4()}/", expect=404)
        empty = await get_json(session, handle.url("/datasets/bench/bench/sequences/"))
        assert empty["results"] == []


async def _raw_item(session: aiohttp.ClientSession, url: str, uid: str) -> bytes:
    async with session.get(f"{url}{uid}/") as response:
        return await response.read()


async def test_bench_dataset_absent_by_default(
    srv: ServerHandle, http: aiohttp.ClientSession
) -> None:
    await get_json(http, srv.url("/datasets/bench/bench/"), expect=404)
