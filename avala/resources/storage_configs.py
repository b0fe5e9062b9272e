"""``client.storage_configs``: connections to your own S3 or Google Cloud Storage bucket."""

from __future__ import annotations

from ..models.storage_configs import StorageConfig, StorageConfigSetupInfo, StorageConfigTestResult
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, path, query


class AsyncStorageConfigs(AsyncResource):
    """Cloud storage connections (S3, GCS) that datasets import from."""

    __slots__ = ()

    def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        organization: str | None = None,
    ) -> AsyncPaginator[StorageConfig]:
        """List storage configurations.

        Args:
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).
            organization: Only this organization's configurations (its slug). The docs
                require it when the key's user belongs to more than one organization.

        Returns:
            A paginator: iterate it for every configuration, or call ``first_page()`` for
            one page. Credentials are never returned.
        """
        return self._list("/storage-configs/", StorageConfig, locals())

    async def create(
        self,
        *,
        name: str,
        provider: str,
        organization: str | None = None,
        s3_bucket_name: str | None = None,
        s3_bucket_region: str | None = None,
        s3_bucket_prefix: str | None = None,
        s3_auth_method: str | None = None,
        s3_role_arn: str | None = None,
        s3_access_key_id: str | None = None,
        s3_secret_access_key: str | None = None,
        s3_is_accelerated: bool | None = None,
        gc_storage_bucket_name: str | None = None,
        gc_storage_prefix: str | None = None,
        gc_storage_auth_json_content: str | None = None,
    ) -> StorageConfig:
        """Connect a bucket. Run :meth:`test` afterwards to verify that Avala can reach it.

        Args:
            name: Display name.
            provider: ``aws_s3`` or ``gc_storage``.
            organization: The owning organization's slug. Sent in the query string, not in
                the body, as the API wants.
            s3_bucket_name: S3 bucket name.
            s3_bucket_region: S3 bucket region, e.g. ``us-west-2``.
            s3_bucket_prefix: Key prefix within the bucket.
            s3_auth_method: ``iam_role`` (with ``s3_role_arn``; see :meth:`setup_info`) or
                ``access_key`` (with the two keys).
            s3_role_arn: The IAM role Avala assumes.
            s3_access_key_id: Access key id (accepted, never returned).
            s3_secret_access_key: Secret access key (accepted, never returned).
            s3_is_accelerated: Whether to use S3 Transfer Acceleration.
            gc_storage_bucket_name: Google Cloud Storage bucket name.
            gc_storage_prefix: Object prefix within the bucket.
            gc_storage_auth_json_content: The service account key file's JSON, as text
                (accepted, never returned).

        Returns:
            The configuration, without its credentials.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        fields = given(locals(), "organization")
        return await self._send(
            "POST",
            "/storage-configs/",
            StorageConfig,
            params=query(organization=organization),
            json=fields,
        )

    async def get(self, uid: str, *, organization: str | None = None) -> StorageConfig:
        """Fetch a storage configuration by uid.

        Args:
            uid: The configuration.
            organization: The owning organization's slug, sent as ``?organization=`` (as
                the official SDK does since 0.10).

        Raises:
            NotFoundError: no such configuration.
        """
        return await self._get(
            path("/storage-configs/{uid}/", uid=uid), StorageConfig, given(locals(), "uid")
        )

    async def setup_info(self, *, organization: str | None = None) -> StorageConfigSetupInfo:
        """What an IAM role's trust policy needs so Avala can assume it.

        Args:
            organization: The organization's slug (the external id is per organization).

        Returns:
            Avala's AWS account id and the external id the role must require.
        """
        return await self._get(
            "/storage-configs/setup-info/", StorageConfigSetupInfo, given(locals())
        )

    async def test(self, uid: str) -> StorageConfigTestResult:
        """Check that Avala can reach the bucket (no body is sent).

        A successful test marks the configuration ``is_verified`` and sets
        ``last_verified_at``; fetch it again to see them.

        Returns:
            ``{"verified": bool, "errors": {field: [messages]}}``; ``errors`` says what to
            fix when ``verified`` is False.
        """
        return await self._post(
            path("/storage-configs/{uid}/test/", uid=uid), StorageConfigTestResult
        )

    async def delete(self, uid: str) -> None:
        """Delete a storage configuration.

        Raises:
            NotFoundError: no such configuration.
        """
        await self._void("DELETE", path("/storage-configs/{uid}/", uid=uid))
