"""``client.inference_providers``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.inference_providers import InferenceProvider

from ._helpers import page
from ._requests import NO_BODY, Case, ids, run

PROVIDER = {
    "uid": "ip-1",
    "name": "YOLO",
    "provider_type": "http",
    "config": {"endpoint_url": "https://m.test/predict"},
}

CASES = [
    Case(
        "list",
        lambda c: c.inference_providers.list(limit=3, cursor="abc"),
        "GET",
        "/inference-providers/",
        query={"limit": "3", "cursor": "abc"},
        response=page([PROVIDER]),
        check=lambda p: isinstance(p.items[0], InferenceProvider),
    ),
    Case(
        "get",
        lambda c: c.inference_providers.get("i/1"),
        "GET",
        "/inference-providers/i%2F1/",
        response=PROVIDER,
        check=lambda p: isinstance(p, InferenceProvider) and p.is_active,
    ),
    Case(
        "create sends only what is given",
        lambda c: c.inference_providers.create(
            name="YOLO", provider_type="http", config={"endpoint_url": "https://m.test/predict"}
        ),
        "POST",
        "/inference-providers/",
        body={
            "name": "YOLO",
            "provider_type": "http",
            "config": {"endpoint_url": "https://m.test/predict"},
        },
        response=PROVIDER,
        status=201,
        check=lambda p: p.uid == "ip-1",
    ),
    Case(
        "create with an integer project, served back as an integer",
        lambda c: c.inference_providers.create(
            name="SM",
            provider_type="sagemaker",
            config={"endpoint_name": "e", "region": "us-east-1"},
            description="d",
            is_active=False,
            project=42,
        ),
        "POST",
        "/inference-providers/",
        body={
            "name": "SM",
            "provider_type": "sagemaker",
            "config": {"endpoint_name": "e", "region": "us-east-1"},
            "description": "d",
            "is_active": False,
            "project": 42,
        },
        response={**PROVIDER, "project": 42, "is_active": False},
        status=201,
        check=lambda p: p.project == "42" and p.is_active is False,
    ),
    Case(
        "update is a partial PATCH",
        lambda c: c.inference_providers.update("ip-1", is_active=False, config={"timeout": 5}),
        "PATCH",
        "/inference-providers/ip-1/",
        body={"is_active": False, "config": {"timeout": 5}},
        response=PROVIDER,
        check=lambda p: isinstance(p, InferenceProvider),
    ),
    Case(
        "delete",
        lambda c: c.inference_providers.delete("ip-1"),
        "DELETE",
        "/inference-providers/ip-1/",
        status=204,
        check=lambda r: r is None,
    ),
    Case(
        "test sends no body",
        lambda c: c.inference_providers.test("ip-1"),
        "POST",
        "/inference-providers/ip-1/test/",
        body=NO_BODY,
        response={"success": True, "latency_ms": 12.5},
        check=lambda r: r == {"success": True, "latency_ms": 12.5},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
