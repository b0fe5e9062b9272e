"""The API key from Google Cloud Secret Manager, as a credential provider
(``pip install "avala[gcp]"``).

::

    from avala import AsyncClient
    from avala.integrations.gcp import GoogleSecretManagerProvider

    provider = GoogleSecretManagerProvider(project="my-project", secret="avala-api-key")
    client = AsyncClient(credentials=provider)

The secret version is read once and cached. When the API rejects the key (it was rotated),
the client drops the cache and reads the version again (``latest`` by default), in a worker
thread, so the new key is used without a restart. google-cloud-secret-manager is imported
when a provider is made, not by ``import avala``.
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from ..credentials import CredentialProviderError, CredentialUnavailable
from ..errors import ConfigurationError
from ._secrets import SecretCache, check_cache_ttl, check_text, import_extra, pick_key

__all__ = ["GoogleSecretManagerProvider"]

_log = logging.getLogger("avala")
_SECRET = re.compile(r"projects/[^/]+(?:/locations/[^/]+)?/secrets/[^/]+")
_VERSION = re.compile(_SECRET.pattern + r"/versions/[^/]+")
_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected


class GoogleSecretManagerProvider:
    """Reads the API key from a Google Cloud Secret Manager secret version.

    Name the secret by its resource name (``projects/p/secrets/s``, with or without
    ``/versions/v``; regional ``projects/p/locations/l/secrets/s`` too) or by ``project`` and
    ``secret``. The key is the payload (UTF-8), or with ``json_key`` one string field of a
    JSON payload. A payload checksum (``dataCrc32c``), when the service sends one, is checked.

    The value is cached (for ``cache_ttl`` seconds, or until :meth:`invalidate`); a client
    invalidates it when the API answers 401, so adding a new version (with ``latest``) is
    picked up without a restart. Reads block on the network: a client makes the first read
    when it is built and later ones in a worker thread (see ``docs/secret-managers.md`` for
    building an ``AsyncClient`` inside a running event loop).

    A secret or version that does not exist raises
    :class:`~avala.credentials.CredentialUnavailable`, so a chain moves on to its next
    provider; any other failure (permission denied, a disabled version, no Google
    credentials) raises :class:`~avala.credentials.CredentialProviderError` naming this
    provider. Neither message, nor the repr, ever contains the secret value.

    Args:
        name: The secret's or the version's resource name.
        project: The project id or number (with ``secret``, instead of ``name``).
        secret: The secret id (with ``project``).
        version: The version to read when ``name`` has none: ``"latest"`` or a number.
        json_key: The field of a JSON payload that holds the key; ``None`` takes the
            whole payload.
        client: A ``secretmanager.SecretManagerServiceClient`` to use; by default one is
            made on first use, with Application Default Credentials.
        timeout: Seconds for each read; ``None`` uses the client library's default.
        cache_ttl: Seconds the value is reused before the version is read again; ``None``
            (the default) keeps it until the API rejects it, ``0`` reads on every
            resolution.

    Raises:
        ImportError: google-cloud-secret-manager is not installed
            (``pip install "avala[gcp]"``).
        ValueError: the secret is not named exactly once, or a name is malformed
            (:class:`~avala.errors.ConfigurationError`).
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        project: str | None = None,
        secret: str | None = None,
        version: str = "latest",
        json_key: str | None = None,
        client: Any = None,
        timeout: float | None = None,
        cache_ttl: float | None = None,
    ) -> None:
        self.resource_name: str = _resource_name(name, project, secret, version)
        self.json_key: str | None = None if json_key is None else check_text(json_key, "json_key")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise ConfigurationError(f"timeout must be None or seconds > 0, got {timeout!r}.")
        self._timeout = timeout
        self._secretmanager: Any = None
        if client is None:
            self._secretmanager = import_extra(
                "google.cloud.secretmanager",
                package="google-cloud-secret-manager",
                extra="gcp",
                needed_by="GoogleSecretManagerProvider",
            )
        self._client: Any = client
        self._cache = SecretCache(check_cache_ttl(cache_ttl))

    @property
    def name(self) -> str:
        """``gcp-secretmanager:projects/p/secrets/s/versions/v``: names the secret, never its
        value."""
        return f"gcp-secretmanager:{self.resource_name}"

    def __repr__(self) -> str:
        return (
            f"GoogleSecretManagerProvider(name={self.resource_name!r}, json_key={self.json_key!r})"
        )

    def get_api_key(self) -> str:
        """The key: cached, else read from Secret Manager (a blocking network call).

        Returns:
            The payload, or its ``json_key`` field.

        Raises:
            CredentialUnavailable: the secret or the version does not exist.
            CredentialProviderError: it could not be read, or holds no usable key.
        """
        return self._cache.get(self._fetch)

    def invalidate(self) -> None:
        """Forget the cached value: the next :meth:`get_api_key` reads the version again."""
        self._cache.clear()

    def _get_client(self) -> Any:
        """The Secret Manager client, made on first use (with the cache's lock held)."""
        if self._client is None:
            self._client = self._secretmanager.SecretManagerServiceClient()
        return self._client

    def _fetch(self) -> str:
        try:
            client = self._get_client()
            options: dict[str, Any] = {}
            if self._timeout is not None:
                options["timeout"] = self._timeout
            response = client.access_secret_version(request={"name": self.resource_name}, **options)
        except Exception as exc:
            if _is_not_found(exc):
                raise CredentialUnavailable("no such secret or version") from None
            raise CredentialProviderError(self.name, _describe(exc)) from exc
        version = getattr(response, "name", None)
        text, problem = _payload_text(response)
        del response  # it holds the secret: out of the frame before anything can raise
        key = None
        if text is not None:
            key, problem = pick_key(text, self.json_key)
            del text
        if key is None:
            raise CredentialProviderError(self.name, problem or "the secret holds no key.")
        _log.debug("Read the Avala API key from %s (%s)", self.name, version)
        return key


def _resource_name(name: str | None, project: str | None, secret: str | None, version: str) -> str:
    """The version's full resource name, from ``name`` or from ``project`` and ``secret``."""
    check_text(version, "version")
    if "/" in version:
        raise ConfigurationError(f"version must be 'latest' or a version number, got {version!r}.")
    if name is not None:
        if project is not None or secret is not None:
            raise ConfigurationError(
                "GoogleSecretManagerProvider: pass either name= or project= and secret=, not both."
            )
        check_text(name, "name")
        if _VERSION.fullmatch(name):
            if version != "latest" and not name.endswith(f"/versions/{version}"):
                raise ConfigurationError(
                    f"The name {name!r} already names a version; version={version!r} "
                    "contradicts it."
                )
            return name
        if _SECRET.fullmatch(name):
            return f"{name}/versions/{version}"
        raise ConfigurationError(
            "name must be a secret's resource name, 'projects/<project>/secrets/<secret>' "
            f"(optionally with '/versions/<version>'), got {name!r}."
        )
    if project is None or secret is None:
        raise ConfigurationError(
            "GoogleSecretManagerProvider needs the secret: name='projects/p/secrets/s', "
            "or project= and secret=."
        )
    for value, what in ((project, "project"), (secret, "secret")):
        check_text(value, what)
        if "/" in value:
            raise ConfigurationError(f"{what} must be an id without '/', got {value!r}.")
    return f"projects/{project}/secrets/{secret}/versions/{version}"


def _is_not_found(exc: BaseException) -> bool:
    """A NOT_FOUND answer from the API (google.api_core's ``NotFound``)."""
    try:
        exceptions: Any = importlib.import_module("google.api_core.exceptions")
    except ImportError:
        return False
    return isinstance(exc, exceptions.NotFound)


def _describe(exc: BaseException) -> str:
    """A failure in words: the API's own message (without the request URL) when it has one."""
    message = getattr(exc, "message", None)
    if not isinstance(message, str) or not message:
        message = str(exc)
    kind = type(exc).__name__
    if kind in ("Forbidden", "PermissionDenied"):
        return f"permission denied ({kind}): {message}"
    return f"{kind}: {message}"


def _payload_text(response: object) -> tuple[str | None, str | None]:
    """``(text, None)`` from an AccessSecretVersionResponse, or ``(None, problem)``."""
    payload: Any = getattr(response, "payload", None)
    data = getattr(payload, "data", None)
    if not isinstance(data, bytes):
        return None, "the response has no payload."
    expected = _sent_checksum(payload)
    if expected is not None and _crc32c(data) != expected:
        return None, "the payload does not match its checksum (dataCrc32c); it was corrupted."
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "the payload is not UTF-8 text."


def _sent_checksum(payload: Any) -> int | None:
    """``payload.data_crc32c`` if the service set it (the field is optional)."""
    try:
        present = "data_crc32c" in payload
    except TypeError:  # not a proto-plus message
        present = getattr(payload, "data_crc32c", None) is not None
    if not present:
        return None
    value = getattr(payload, "data_crc32c", None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _crc32c(data: bytes) -> int:
    """The CRC-32C (Castagnoli) of ``data``, as Secret Manager computes ``dataCrc32c``.

    Args:
        data: The bytes to checksum.

    Returns:
        The checksum, an unsigned 32-bit int.
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_CRC32C_POLY if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
