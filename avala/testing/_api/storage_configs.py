"""Storage configurations: connections to a customer's S3 or Google Cloud Storage bucket.

Credentials (keys, role ARN, service-account JSON) are accepted and kept but never served.
Each configuration remembers the organization slug it was created under (``?organization=``
on create); ``?organization=`` on list returns only that organization's configurations.

The connection test is deterministic: a bucket whose name contains ``missing`` is not found,
and the credentials the chosen provider and auth method need must be present; otherwise the
configuration is verified (``is_verified``, ``last_verified_at``).
"""

from __future__ import annotations

import json

from aiohttp import web

from .._engine import Call, json_response
from .._schema import STAMPS, Action, Endpoint, Field, Filter, JSONDict, Table
from .._store import DEMO_OWNER, Store, now_timestamp, seed_time, stable_uid

PROVIDERS = ("aws_s3", "gc_storage")
AVALA_AWS_ACCOUNT_ID = "123456789012"
"""The AWS account a customer's IAM role must trust (a placeholder on the test server)."""

_REQUIRED = "This field is required."
_SEED_ORG = "avala-demo"

_CONFIGS = (
    # name, provider, bucket, prefix, organization, verified
    ("Highway raw scans", "aws_s3", "highway-raw-scans", "lidar/", _SEED_ORG, True),
    ("Drone archive", "gc_storage", "drone-archive", "flights/", _SEED_ORG, True),
    ("Personal sandbox", "aws_s3", "demo-sandbox", None, None, False),
)


def config_uid(name: str) -> str:
    """The uid of a seeded storage configuration."""
    return stable_uid("storage-config", name)


def _seed(store: Store) -> list[JSONDict]:
    out = []
    for i, (name, provider, bucket, prefix, org, verified) in enumerate(_CONFIGS):
        record: JSONDict = {
            "uid": config_uid(name),
            "name": name,
            "provider": provider,
            "is_verified": verified,
            "last_verified_at": seed_time(days=10 + i) if verified else None,
            "_organization": org,
        }
        if provider == "aws_s3":
            record.update(
                s3_bucket_name=bucket,
                s3_bucket_region="us-west-2",
                s3_bucket_prefix=prefix,
                s3_auth_method="iam_role",
                s3_role_arn=f"arn:aws:iam::210987654321:role/avala-{bucket}",
            )
        else:
            record.update(
                gc_storage_bucket_name=bucket,
                gc_storage_prefix=prefix,
                gc_storage_auth_json_content=json.dumps({"type": "service_account"}),
            )
        out.append(record)
    return out


def _on_create(call: Call, values: JSONDict) -> None:
    values["_organization"] = call.query("organization")


CONFIGS = Table(
    "storage_configs",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "provider": Field(required=True, choices=PROVIDERS),
        "s3_bucket_name": Field(max_length=255),
        "s3_bucket_region": Field(max_length=50),
        "s3_bucket_prefix": Field(),
        "s3_auth_method": Field(),
        "s3_is_accelerated": Field(kind="bool", default=False, nullable=False),
        "gc_storage_bucket_name": Field(max_length=255),
        "gc_storage_prefix": Field(),
        "is_verified": Field(kind="bool", read_only=True, default=False),
        "last_verified_at": Field(kind="datetime", read_only=True),
        "s3_role_arn": Field(write_only=True),
        "s3_access_key_id": Field(write_only=True),
        "s3_secret_access_key": Field(write_only=True),
        "gc_storage_auth_json_content": Field(write_only=True),
        "_organization": Field(),
    },
    seed=_seed,
    on_create=_on_create,
)


def verification_errors(config: JSONDict) -> dict[str, list[str]]:
    """What stops the server from reaching the configured bucket (empty: it can)."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if config["provider"] == "aws_s3":
        bucket_field = "s3_bucket_name"
        if not config.get("s3_bucket_region"):
            fail("s3_bucket_region", _REQUIRED)
        method = config.get("s3_auth_method")
        has_role = bool(config.get("s3_role_arn"))
        has_keys = bool(config.get("s3_access_key_id") and config.get("s3_secret_access_key"))
        if method == "iam_role" and not has_role:
            fail("s3_role_arn", "Required when s3_auth_method is iam_role.")
        elif method == "access_key" and not has_keys:
            for name in ("s3_access_key_id", "s3_secret_access_key"):
                if not config.get(name):
                    fail(name, "Required when s3_auth_method is access_key.")
        elif method is None and not (has_role or has_keys):
            fail("s3_auth_method", "Give an IAM role ARN or an access key pair.")
    else:
        bucket_field = "gc_storage_bucket_name"
        raw = config.get("gc_storage_auth_json_content")
        if not raw:
            fail("gc_storage_auth_json_content", _REQUIRED)
        else:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                fail("gc_storage_auth_json_content", "Not a valid service account JSON key.")
    bucket = config.get(bucket_field)
    if not bucket:
        fail(bucket_field, _REQUIRED)
    elif "missing" in str(bucket).lower():
        fail(bucket_field, f"Bucket {bucket!r} does not exist or is not accessible.")
    return errors


async def test_config(call: Call) -> web.StreamResponse:
    """Verify the connection and record the outcome on the configuration."""
    config = call.record
    assert config is not None
    errors = verification_errors(config)
    with call.store.lock:
        config["is_verified"] = not errors
        if not errors:
            config["last_verified_at"] = now_timestamp()
        config["updated_at"] = now_timestamp()
    return json_response({"verified": not errors, "errors": errors})


async def setup_info(call: Call) -> web.StreamResponse:
    """The trust-policy values; the external id is per organization (or per user)."""
    owner = call.query("organization") or DEMO_OWNER
    return json_response(
        {
            "avala_aws_account_id": AVALA_AWS_ACCOUNT_ID,
            "external_id": stable_uid("storage-external-id", owner),
        }
    )


ENDPOINTS = (
    Endpoint(
        CONFIGS,
        "/storage-configs/",
        verbs=frozenset({"list", "create", "retrieve", "destroy"}),
        filters=(Filter("organization", field="_organization"),),
        ordering=("name", "created_at"),
        actions=(
            Action("test", test_config),
            Action("setup-info", setup_info, method="GET", detail=False),
        ),
    ),
)

TABLES = (CONFIGS,)
