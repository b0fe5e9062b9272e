"""What goes on the wire: headers, JSON bodies, idempotency keys and query parameters."""

from __future__ import annotations

import re

import pytest
from aioresponses import aioresponses
from yarl import URL

import avala
from avala import APIResponseValidationError, AsyncClient
from avala.resources._base import query

from ._helpers import BASE, KEY, calls, dataset, headers_of, page, url


async def test_every_request_carries_key_accept_and_user_agent(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(url("/datasets/a/"), payload=dataset("a"))
    http.get(url("/datasets/"), payload=page([]))
    http.post(url("/exports/"), payload={"uid": "ex-1", "status": "pending"})
    await client.datasets.get("a")
    await client.datasets.list()
    await client.exports.create(project="p-1")
    seen = calls(http)
    assert len(seen) == 3
    for _, _, call in seen:
        headers = headers_of(call)
        assert headers["X-Avala-Api-Key"] == KEY
        assert headers["Accept"] == "application/json"
        assert headers["User-Agent"].startswith(f"avala-python/{avala.__version__}")
        assert "Authorization" not in headers


async def test_key_header_is_redacted_in_reprs(http: aioresponses, client: AsyncClient) -> None:
    http.get(url("/datasets/a/"), payload=dataset("a"))
    await client.datasets.get("a")
    ((_, _, call),) = calls(http)
    assert KEY not in repr(call.kwargs["headers"])
    assert KEY not in repr(client)


async def test_post_sends_json_body_and_idempotency_key(
    http: aioresponses, client: AsyncClient
) -> None:
    http.post(url("/datasets/"), status=201, payload=dataset("new", status="creating"))
    created = await client.datasets.create(name="Cars", slug="cars", data_type="image")
    assert created.status == "creating"
    ((method, seen, call),) = calls(http)
    assert (method, str(seen)) == ("POST", f"{BASE}/datasets/")
    assert call.kwargs["json"] == {
        "name": "Cars",
        "slug": "cars",
        "data_type": "image",
        "visibility": "private",
        "create_metadata": True,
    }
    assert re.fullmatch(r"\S{8,}", headers_of(call)["Idempotency-Key"])


async def test_post_body_drops_none_but_keeps_given_optionals(
    http: aioresponses, client: AsyncClient
) -> None:
    http.post(url("/datasets/"), payload=dataset("new"))
    await client.datasets.create(
        name="Cars",
        slug="cars",
        data_type="lidar",
        visibility="public",
        create_metadata=False,
        is_sequence=False,
        metadata={"site": "sf"},
        organization_id=7,
    )
    ((_, _, call),) = calls(http)
    assert call.kwargs["json"] == {
        "name": "Cars",
        "slug": "cars",
        "data_type": "lidar",
        "visibility": "public",
        "create_metadata": False,
        "is_sequence": False,
        "metadata": {"site": "sf"},
        "organization_id": 7,
    }


async def test_export_create_can_send_an_empty_object(
    http: aioresponses, client: AsyncClient
) -> None:
    http.post(url("/exports/"), payload={"uid": "ex-1"})
    http.post(url("/exports/"), payload={"uid": "ex-2"})
    await client.exports.create()
    await client.exports.create(dataset="ds-9")
    bodies = [c.kwargs["json"] for _, _, c in calls(http)]
    assert bodies == [{}, {"dataset": "ds-9"}]


async def test_each_post_gets_its_own_idempotency_key(
    http: aioresponses, client: AsyncClient
) -> None:
    http.post(url("/exports/"), payload={"uid": "ex-1"}, repeat=True)
    await client.exports.create(project="p")
    await client.exports.create(project="p")
    keys = [headers_of(c)["Idempotency-Key"] for _, _, c in calls(http)]
    assert len(keys) == 2
    assert keys[0] != keys[1]


async def test_get_has_no_body_and_no_idempotency_key(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(url("/datasets/a/"), payload=dataset("a"))
    await client.datasets.get("a")
    ((_, _, call),) = calls(http)
    assert call.kwargs["json"] is None
    assert "Idempotency-Key" not in headers_of(call)
    assert call.kwargs["allow_redirects"] is False


def test_query_helper_drops_none_and_spells_bools() -> None:
    assert query(a=None, b=True, c=False, d=3, e="x", f=0, g="") == {
        "b": "true",
        "c": "false",
        "d": "3",
        "e": "x",
        "f": "0",
        "g": "",
    }
    assert query() == {}


async def test_list_without_filters_sends_no_query(http: aioresponses, client: AsyncClient) -> None:
    http.get(url("/datasets/"), payload=page([]))
    await client.datasets.list(name=None, status=None)
    ((_, seen, _),) = calls(http)
    assert seen.raw_query_string == ""


async def test_datasets_list_sends_every_filter(http: aioresponses, client: AsyncClient) -> None:
    expected = {
        "data_type": "image",
        "name": "cars",
        "status": "created",
        "visibility": "public",
        "limit": "25",
        "cursor": "cD0yMDI0",
    }
    http.get(URL(f"{BASE}/datasets/").with_query(expected), payload=page([dataset()]))
    result = await client.datasets.list(
        data_type="image",
        name="cars",
        status="created",
        visibility="public",
        limit=25,
        cursor="cD0yMDI0",
    )
    assert len(result) == 1
    ((_, seen, _),) = calls(http)
    assert seen.path == "/api/v1/datasets/"
    assert dict(seen.query) == expected


async def test_datasets_list_sends_only_given_filters(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(URL(f"{BASE}/datasets/?data_type=video"), payload=page([]))
    await client.datasets.list(data_type="video")
    ((_, seen, _),) = calls(http)
    assert dict(seen.query) == {"data_type": "video"}


async def test_tasks_list_sends_project_and_status(http: aioresponses, client: AsyncClient) -> None:
    http.get(
        URL(f"{BASE}/tasks/?project=proj-1&status=pending"),
        payload=page([{"uid": "t-1", "project": "proj-1", "status": "pending"}]),
    )
    tasks = await client.tasks.list(project="proj-1", status="pending")
    assert [t.uid for t in tasks] == ["t-1"]
    ((_, seen, _),) = calls(http)
    assert seen.path == "/api/v1/tasks/"
    assert dict(seen.query) == {"project": "proj-1", "status": "pending"}


async def test_filter_values_cannot_inject_parameters(
    http: aioresponses, client: AsyncClient
) -> None:
    http.get(re.compile(r".*/datasets/\?.*"), payload=page([]))
    await client.datasets.list(name="a&status=created#x", data_type="image video")
    ((_, seen, _),) = calls(http)
    assert dict(seen.query) == {"name": "a&status=created#x", "data_type": "image video"}


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "10"])
async def test_invalid_limit_is_refused_before_any_request(
    http: aioresponses, client: AsyncClient, bad: object
) -> None:
    with pytest.raises(ValueError, match="limit"):
        client.datasets.list(limit=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        client.tasks.list(limit=bad)  # type: ignore[arg-type]
    assert calls(http) == []


async def test_rate_limit_headers_are_exposed(http: aioresponses, client: AsyncClient) -> None:
    http.get(
        url("/datasets/a/"),
        payload=dataset("a"),
        headers={
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "99",
            "X-RateLimit-Reset": "1700000000",
        },
    )
    assert client.rate_limit_info == avala.RateLimitInfo()
    await client.datasets.get("a")
    # budget: what the client's pacing counts it may still send (99, nothing sent since)
    assert client.rate_limit_info == avala.RateLimitInfo("100", "99", "1700000000", 99)


async def test_success_with_non_json_body_is_a_response_validation_error(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url("/datasets/a/"), body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(APIResponseValidationError) as info:
        await no_retry.datasets.get("a")
    assert info.value.status_code == 200
    assert info.value.body == "<html>maintenance</html>"


async def test_success_body_echoing_the_key_is_scrubbed(
    http: aioresponses, no_retry: AsyncClient
) -> None:
    http.get(url("/datasets/a/"), body=f"oops {KEY}", content_type="text/plain")
    with pytest.raises(APIResponseValidationError) as info:
        await no_retry.datasets.get("a")
    assert KEY not in str(info.value.body)
    assert "[redacted]" in info.value.body


def test_sync_client_sends_the_same_headers(http: aioresponses) -> None:
    http.get(url("/datasets/a/"), payload=dataset("a"))
    with avala.Client(api_key=KEY) as client:
        assert client.datasets.get("a").uid == "a"
    ((_, _, call),) = calls(http)
    headers = headers_of(call)
    assert headers["X-Avala-Api-Key"] == KEY
    assert headers["User-Agent"].startswith(f"avala-python/{avala.__version__}")


async def test_closed_client_refuses_requests(http: aioresponses) -> None:
    http.get(url("/datasets/a/"), payload=dataset("a"), repeat=True)
    client = AsyncClient(api_key=KEY)
    await client.datasets.get("a")
    await client.close()
    await client.close()  # idempotent
    assert client.is_closed
    with pytest.raises(avala.AvalaError, match="closed"):
        await client.datasets.get("a")
    assert len(calls(http)) == 1
