"""``client.storage_configs`` through both surfaces against the bundled server."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from avala import NotFoundError, ValidationError
from avala.models.storage_configs import StorageConfig, StorageConfigSetupInfo
from avala.testing import ServerHandle

from ._surface import Surface

CREDENTIALS = (
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_role_arn",
    "gc_storage_auth_json_content",
)


def raw_get(server: ServerHandle, path: str) -> tuple[str, Any]:
    """What the server sends, as text and decoded (no SDK in between)."""
    request = urllib.request.Request(server.url(path), headers={"X-Avala-Api-Key": server.api_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return text, json.loads(text)


async def test_storage_configs_lifecycle(api: Surface, local_env: ServerHandle) -> None:
    configs = api.client.storage_configs
    seeded = await api.all(configs.list())
    assert len(seeded) >= 3 and all(isinstance(s, StorageConfig) for s in seeded)
    org = f"org-{uuid.uuid4().hex[:8]}"

    created = await api(
        configs.create(
            name="Raw scans",
            provider="aws_s3",
            organization=org,
            s3_bucket_name="raw-scans",
            s3_bucket_region="us-west-2",
            s3_bucket_prefix="lidar/",
            s3_auth_method="access_key",
            s3_access_key_id="AKIAIOSFODNN7EXAMPLE",
            s3_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
    )
    assert (created.name, created.provider, created.s3_bucket_prefix) == (
        "Raw scans",
        "aws_s3",
        "lidar/",
    )
    assert created.is_verified is False and created.last_verified_at is None
    assert created.s3_is_accelerated is False
    # the organization went in the query, and the credentials are kept but never shown
    sent = next(r for r in reversed(local_env.state.requests) if r.method == "POST")
    assert sent.path.endswith("/storage-configs/")
    assert sent.query == {"organization": org} and "organization" not in sent.json()
    stored = local_env.state.store.get("storage_configs", created.uid)
    assert isinstance(stored, dict) and stored["s3_access_key_id"] == "AKIAIOSFODNN7EXAMPLE"

    fetched = await api(configs.get(created.uid))
    assert fetched == created
    assert await api(configs.get(created.uid, organization=org)) == created

    mine = await api.all(configs.list(organization=org))
    assert [s.uid for s in mine] == [created.uid]
    assert created.uid in [s.uid for s in await api.all(configs.list(limit=1))]
    assert await api.all(configs.list(organization=f"{org}-other")) == []

    report = await api(configs.test(created.uid))
    assert report == {"verified": True, "errors": {}}
    verified = await api(configs.get(created.uid))
    assert verified.is_verified is True and verified.last_verified_at is not None
    assert verified.last_verified_at.tzinfo is not None

    assert await api(configs.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(configs.get(created.uid))
    with pytest.raises(NotFoundError):
        await api(configs.test(created.uid))


async def test_credentials_are_never_returned(api: Surface, local_env: ServerHandle) -> None:
    configs = api.client.storage_configs
    made = await api(
        configs.create(
            name="Service account",
            provider="gc_storage",
            gc_storage_bucket_name="drone-frames",
            gc_storage_auth_json_content='{"type": "service_account"}',
        )
    )
    try:
        assert (await api(configs.test(made.uid)))["verified"] is True  # the key is kept
        detail, one = raw_get(local_env, f"/storage-configs/{made.uid}/")
        listed, page = raw_get(local_env, "/storage-configs/?limit=1000")
        assert one["gc_storage_bucket_name"] == "drone-frames"
        assert made.uid in [c["uid"] for c in page["results"]]
        for text in (detail, listed):  # no credential of any config, seeded ones included
            assert "service_account" not in text and "arn:aws" not in text
            assert not any(name in text for name in CREDENTIALS)
            assert "_organization" not in text
    finally:
        await api(configs.delete(made.uid))


async def test_test_reports_field_errors(api: Surface) -> None:
    configs = api.client.storage_configs
    missing = await api(
        configs.create(
            name="Gone",
            provider="aws_s3",
            s3_bucket_name="missing-bucket",
            s3_bucket_region="eu-west-1",
            s3_auth_method="iam_role",
        )
    )
    report = await api(configs.test(missing.uid))
    assert report["verified"] is False
    assert set(report["errors"]) == {"s3_bucket_name", "s3_role_arn"}
    assert (await api(configs.get(missing.uid))).is_verified is False

    gcs = await api(
        configs.create(
            name="Bad key",
            provider="gc_storage",
            gc_storage_bucket_name="fine",
            gc_storage_auth_json_content="not json",
        )
    )
    report = await api(configs.test(gcs.uid))
    assert report["verified"] is False and list(report["errors"]) == [
        "gc_storage_auth_json_content"
    ]
    for uid in (missing.uid, gcs.uid):
        await api(configs.delete(uid))


async def test_setup_info(api: Surface) -> None:
    info = await api(api.client.storage_configs.setup_info())
    assert isinstance(info, StorageConfigSetupInfo) and info.avala_aws_account_id
    acme = await api(api.client.storage_configs.setup_info(organization="acme"))
    assert acme.external_id != info.external_id  # one external id per organization
    assert acme == await api(api.client.storage_configs.setup_info(organization="acme"))


async def test_storage_configs_validation(api: Surface) -> None:
    configs = api.client.storage_configs
    with pytest.raises(ValidationError) as caught:
        await api(configs.create(name="", provider="aws_s3"))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(configs.create(name="x", provider="dropbox"))
    assert list(caught.value.errors) == ["provider"]
    with pytest.raises(ValidationError) as caught:
        await api(configs.create(name="x", provider="aws_s3", s3_is_accelerated="yes please"))
    assert list(caught.value.errors) == ["s3_is_accelerated"]
