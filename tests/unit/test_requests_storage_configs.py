"""``client.storage_configs``: the exact request of every method."""

from __future__ import annotations

import pytest

from avala.models.storage_configs import StorageConfig, StorageConfigSetupInfo

from ._helpers import page
from ._requests import NO_BODY, Case, ids, run

CONFIG = {"uid": "sc-1", "name": "Raw scans", "provider": "aws_s3", "is_verified": True}

CASES = [
    Case(
        "list",
        lambda c: c.storage_configs.list(limit=5, cursor="abc", organization="acme"),
        "GET",
        "/storage-configs/",
        query={"limit": "5", "cursor": "abc", "organization": "acme"},
        response=page([CONFIG]),
        check=lambda p: isinstance(p.items[0], StorageConfig) and p.items[0].is_verified,
    ),
    Case(
        "list without filters",
        lambda c: c.storage_configs.list(),
        "GET",
        "/storage-configs/",
        response=page([]),
        check=lambda p: p.items == [],
    ),
    Case(
        "create sends organization in the query, the rest in the body",
        lambda c: c.storage_configs.create(
            name="Raw scans",
            provider="aws_s3",
            organization="acme",
            s3_bucket_name="raw",
            s3_bucket_region="us-west-2",
            s3_auth_method="access_key",
            s3_access_key_id="AKIAEXAMPLE",
            s3_secret_access_key="shh",
            s3_is_accelerated=False,
        ),
        "POST",
        "/storage-configs/",
        query={"organization": "acme"},
        body={
            "name": "Raw scans",
            "provider": "aws_s3",
            "s3_bucket_name": "raw",
            "s3_bucket_region": "us-west-2",
            "s3_auth_method": "access_key",
            "s3_access_key_id": "AKIAEXAMPLE",
            "s3_secret_access_key": "shh",
            "s3_is_accelerated": False,
        },
        response=CONFIG,
        status=201,
        check=lambda s: isinstance(s, StorageConfig) and s.uid == "sc-1",
    ),
    Case(
        "create without organization has no query",
        lambda c: c.storage_configs.create(
            name="GCS", provider="gc_storage", gc_storage_auth_json_content="{}"
        ),
        "POST",
        "/storage-configs/",
        body={"name": "GCS", "provider": "gc_storage", "gc_storage_auth_json_content": "{}"},
        response={**CONFIG, "provider": "gc_storage"},
        status=201,
    ),
    Case(
        "get",
        lambda c: c.storage_configs.get("s/1"),
        "GET",
        "/storage-configs/s%2F1/",
        response=CONFIG,
        check=lambda s: isinstance(s, StorageConfig),
    ),
    Case(
        "get with organization",
        lambda c: c.storage_configs.get("sc-1", organization="acme"),
        "GET",
        "/storage-configs/sc-1/",
        query={"organization": "acme"},
        response=CONFIG,
    ),
    Case(
        "setup_info",
        lambda c: c.storage_configs.setup_info(organization="acme"),
        "GET",
        "/storage-configs/setup-info/",
        query={"organization": "acme"},
        response={"avala_aws_account_id": "123", "external_id": "ext"},
        check=lambda i: isinstance(i, StorageConfigSetupInfo) and i.external_id == "ext",
    ),
    Case(
        "test sends no body",
        lambda c: c.storage_configs.test("sc-1"),
        "POST",
        "/storage-configs/sc-1/test/",
        body=NO_BODY,
        response={"verified": False, "errors": {"s3_bucket_name": ["Not found."]}},
        check=lambda r: r == {"verified": False, "errors": {"s3_bucket_name": ["Not found."]}},
    ),
    Case(
        "delete",
        lambda c: c.storage_configs.delete("sc-1"),
        "DELETE",
        "/storage-configs/sc-1/",
        status=204,
        check=lambda r: r is None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)
