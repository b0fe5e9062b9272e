"""Storage configuration models: your own S3 or Google Cloud bucket."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import attrs


@attrs.frozen(kw_only=True)
class StorageConfig:
    """A connection to your own cloud bucket (credentials are never returned)."""

    uid: str
    """The configuration's unique id."""
    name: str
    """Display name."""
    provider: str
    """``aws_s3`` or ``gc_storage``."""
    s3_bucket_name: str | None = None
    """S3 bucket name."""
    s3_bucket_region: str | None = None
    """S3 bucket region."""
    s3_bucket_prefix: str | None = None
    """Key prefix within the S3 bucket."""
    s3_auth_method: str | None = None
    """``iam_role`` or ``access_key``."""
    s3_is_accelerated: bool = False
    """Whether S3 Transfer Acceleration is used."""
    gc_storage_bucket_name: str | None = None
    """Google Cloud Storage bucket name."""
    gc_storage_prefix: str | None = None
    """Object prefix within the Google Cloud Storage bucket."""
    is_verified: bool = False
    """Whether the last connection test succeeded."""
    last_verified_at: datetime | None = None
    """Time of the last successful test (timezone-aware)."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class StorageConfigSetupInfo:
    """What to put in your AWS IAM role's trust policy so Avala can reach your bucket."""

    avala_aws_account_id: str
    """Avala's AWS account id, to trust."""
    external_id: str
    """The external id the role must require."""


class StorageConfigTestResult(TypedDict, total=False):
    """The outcome of testing a storage configuration."""

    verified: bool  # whether Avala could reach the bucket
    errors: dict[str, list[str]]  # messages per field, when the test failed
