"""The API key from AWS Secrets Manager, as a credential provider (``pip install "avala[aws]"``).

::

    from avala import AsyncClient
    from avala.integrations.aws import AWSSecretsManagerProvider

    provider = AWSSecretsManagerProvider("avala/api-key", region_name="us-east-1")
    client = AsyncClient(credentials=provider)

The secret is read once and cached. When the API rejects the key (it was rotated), the
client drops the cache and reads ``AWSCURRENT`` again, in a worker thread, so the new key is
used without a restart. boto3 is imported when a provider is made, not by ``import avala``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..credentials import CredentialProviderError, CredentialUnavailable
from ..errors import ConfigurationError
from ._secrets import SecretCache, check_cache_ttl, check_text, import_extra, pick_key

__all__ = ["AWSSecretsManagerProvider"]

_log = logging.getLogger("avala")
_NOT_FOUND = "ResourceNotFoundException"


class AWSSecretsManagerProvider:
    """Reads the API key from an AWS Secrets Manager secret (``GetSecretValue``).

    The key is the secret string, or with ``json_key`` one string field of a JSON secret
    (``{"api_key": "avk_..."}``). A binary secret is read as UTF-8 text.

    The value is cached (for ``cache_ttl`` seconds, or until :meth:`invalidate`); a client
    invalidates it when the API answers 401, so a rotation in Secrets Manager is picked up
    without a restart. Reads block on the network: a client makes the first read when it is
    built and later ones in a worker thread (see ``docs/secret-managers.md`` for building
    an ``AsyncClient`` inside a running event loop).

    A secret that does not exist raises :class:`~avala.credentials.CredentialUnavailable`,
    so a chain moves on to its next provider; any other failure (access denied, no AWS
    credentials, a JSON secret without ``json_key``) raises
    :class:`~avala.credentials.CredentialProviderError` naming this provider. Neither
    message, nor the repr, ever contains the secret value.

    Args:
        secret_id: The secret's name or ARN.
        json_key: The field of a JSON secret that holds the key; ``None`` takes the whole
            secret string.
        region_name: The AWS region; default from the AWS configuration
            (``AWS_REGION``, ``AWS_DEFAULT_REGION``, ``~/.aws/config``).
        version_stage: The staging label to read; ``None`` means ``AWSCURRENT``.
        client: A boto3 ``secretsmanager`` client to use (it is thread-safe). Excludes
            ``session`` and ``region_name``.
        session: A ``boto3.Session`` to make the client from (e.g. with a profile).
        endpoint_url: Another endpoint (a VPC endpoint, a local emulator).
        cache_ttl: Seconds the value is reused before the secret is read again; ``None``
            (the default) keeps it until the API rejects it, ``0`` reads on every
            resolution.

    Raises:
        ImportError: boto3 is not installed (``pip install "avala[aws]"``).
        ValueError: the arguments do not fit together
            (:class:`~avala.errors.ConfigurationError`).
    """

    def __init__(
        self,
        secret_id: str,
        *,
        json_key: str | None = None,
        region_name: str | None = None,
        version_stage: str | None = None,
        client: Any = None,
        session: Any = None,
        endpoint_url: str | None = None,
        cache_ttl: float | None = None,
    ) -> None:
        self.secret_id: str = check_text(secret_id, "secret_id")
        self.json_key: str | None = None if json_key is None else check_text(json_key, "json_key")
        self.version_stage: str | None = (
            None if version_stage is None else check_text(version_stage, "version_stage")
        )
        if client is not None and (
            session is not None or region_name is not None or endpoint_url is not None
        ):
            raise ConfigurationError(
                "AWSSecretsManagerProvider: pass either client= or the settings to make one "
                "(session=, region_name=, endpoint_url=), not both."
            )
        self._boto3: Any = None
        if client is None and session is None:
            self._boto3 = import_extra(
                "boto3", package="boto3", extra="aws", needed_by="AWSSecretsManagerProvider"
            )
        self._client: Any = client
        self._session: Any = session
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._cache = SecretCache(check_cache_ttl(cache_ttl))

    @property
    def name(self) -> str:
        """``aws-secretsmanager:<secret_id>``: names the secret, never its value."""
        return f"aws-secretsmanager:{self.secret_id}"

    @property
    def region_name(self) -> str | None:
        """The region of the client, once it is made, else the one given (or ``None``)."""
        client = self._client
        if client is not None:
            region = getattr(getattr(client, "meta", None), "region_name", None)
            if isinstance(region, str):
                return region
        return self._region_name

    def __repr__(self) -> str:
        return (
            f"AWSSecretsManagerProvider(secret_id={self.secret_id!r}, "
            f"json_key={self.json_key!r}, region_name={self.region_name!r})"
        )

    def get_api_key(self) -> str:
        """The key: cached, else read from Secrets Manager (a blocking network call).

        Returns:
            The secret string, or its ``json_key`` field.

        Raises:
            CredentialUnavailable: the secret does not exist.
            CredentialProviderError: it could not be read, or holds no usable key.
        """
        return self._cache.get(self._fetch)

    def invalidate(self) -> None:
        """Forget the cached value: the next :meth:`get_api_key` reads the secret again."""
        self._cache.clear()

    def _get_client(self) -> Any:
        """The boto3 client, made on first use (called with the cache's lock held)."""
        if self._client is None:
            options: dict[str, Any] = {}
            if self._region_name is not None:
                options["region_name"] = self._region_name
            if self._endpoint_url is not None:
                options["endpoint_url"] = self._endpoint_url
            # A session of our own: boto3's default-session helpers are not thread-safe.
            session = self._session if self._session is not None else self._boto3.session.Session()
            self._client = session.client("secretsmanager", **options)
        return self._client

    def _fetch(self) -> str:
        try:
            client = self._get_client()
            request: dict[str, str] = {"SecretId": self.secret_id}
            if self.version_stage is not None:
                request["VersionStage"] = self.version_stage
            response = client.get_secret_value(**request)
        except Exception as exc:
            code = _error_code(exc)
            if code == _NOT_FOUND:
                region = self.region_name
                where = f" in {region}" if region else ""
                raise CredentialUnavailable(f"no such secret{where}") from None
            raise CredentialProviderError(self.name, _describe(exc, code)) from exc
        version = response.get("VersionId") if isinstance(response, Mapping) else None
        text, problem = _secret_text(response)
        del response  # it holds the secret: out of the frame before anything can raise
        key = None
        if text is not None:
            key, problem = pick_key(text, self.json_key)
            del text
        if key is None:
            raise CredentialProviderError(self.name, problem or "the secret holds no key.")
        _log.debug("Read the Avala API key from %s (version %s)", self.name, version)
        return key


def _secret_text(response: object) -> tuple[str | None, str | None]:
    """``(text, None)`` from a GetSecretValue response, or ``(None, problem)``."""
    if not isinstance(response, Mapping):
        return None, f"GetSecretValue returned {type(response).__name__}, not a dict."
    secret = response.get("SecretString")
    if isinstance(secret, str):
        return secret, None
    binary = response.get("SecretBinary")
    if isinstance(binary, (bytes, bytearray)):
        try:
            return bytes(binary).decode("utf-8"), None
        except UnicodeDecodeError:
            return None, "the secret is binary and not UTF-8 text."
    return None, "the secret has neither a SecretString nor a SecretBinary."


def _error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``None`` for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            code = error.get("Code")
            if isinstance(code, str):
                return code
    return None


def _describe(exc: BaseException, code: str | None) -> str:
    """A failure in words: AWS's code and message, or the exception's class and text."""
    if code is None:
        return f"{type(exc).__name__}: {exc}"
    response: Any = getattr(exc, "response", {})
    message = response.get("Error", {}).get("Message") or str(exc)
    if code in ("AccessDeniedException", "AccessDenied"):
        return f"access denied ({code}): {message}"
    return f"{code}: {message}"
