"""The exception tree of the Avala SDK.

Every error the SDK raises on purpose derives from :class:`AvalaError`, which carries
``.message``, ``.status_code`` and ``.body``. HTTP failures map to one subclass per status
family; network failures become :class:`APIConnectionError` / :class:`APITimeoutError`, so no
raw aiohttp or asyncio exception escapes a client call. Configuration problems found while a
client is built (no API key, a bad base URL) are :class:`ConfigurationError`, which is also a
:class:`ValueError`.

The API key never appears in any message, ``repr`` or ``body``: response bodies are scrubbed
of the key before they are stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "AvalaError",
    "BulkEditError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DatasetDownloadError",
    "DatasetIntegrityError",
    "DatasetReferenceError",
    "DatasetResolverError",
    "DatasetRevisionWithdrawnError",
    "DownloadError",
    "DownloadIntegrityError",
    "ExportNotReadyError",
    "ForbiddenError",
    "MutableDatasetAliasWarning",
    "NotEnrolledError",
    "NotFoundError",
    "PoolTimeoutError",
    "QuotaExceededError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLargeError",
    "ServerError",
    "UnsupportedDatasetModeError",
    "UploadError",
    "UploadIntegrityError",
    "UploadStateError",
    "ValidationError",
]


class AvalaError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        message: A human-readable description. For HTTP errors it is the server's own
            ``detail`` text when the server sent one.
        status_code: The HTTP status, or ``None`` when no response was received.
        body: The decoded response body (a dict, list or str), or ``None``.
        retries_taken: How many retries the client made before giving up.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        retries_taken: int = 0,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.status_code: int | None = status_code
        self.body: Any = body
        self.retries_taken: int = retries_taken

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its attributes, not by calling __init__ again: every subclass (with
        # its own constructor) survives pickling, e.g. from a ProcessPoolExecutor worker.
        return (_rebuild, (type(self), self.args, self.__dict__.copy()))

    def __repr__(self) -> str:
        if self.status_code is None:
            return f"{type(self).__name__}({self.message!r})"
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code})"


def _rebuild(cls: type[AvalaError], args: tuple[Any, ...], state: dict[str, Any]) -> AvalaError:
    """Unpickle an :class:`AvalaError` of any subclass from its args and attributes."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(AvalaError, ValueError):
    """The client was given settings it cannot use (raised while the client is built)."""


class APIStatusError(AvalaError):
    """The server answered with a status outside 2xx.

    Attributes:
        request_id: The server's ``X-Request-Id`` for this response, if it sent one.
        code: A machine-readable error code from the body (``code`` or ``error.code``).
        doc_url: A documentation link from the body, if any.
        headers: The response headers (the request's own headers are never kept).
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        retries_taken: int = 0,
        request_id: str | None = None,
        code: str | None = None,
        doc_url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, body=body, retries_taken=retries_taken)
        self.request_id: str | None = request_id
        self.code: str | None = code
        self.doc_url: str | None = doc_url
        self.headers: Mapping[str, str] = dict(headers) if headers is not None else {}


class RedirectError(APIStatusError):
    """The server answered with a 3xx. Redirects are never followed, so the API key is never
    sent anywhere but the configured base URL.

    Attributes:
        location: The ``Location`` the server pointed to, if any.
    """

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location: str | None = location


class ValidationError(APIStatusError):
    """400 or 422: the request was rejected as invalid.

    Attributes:
        errors: Field errors as ``{field: [messages]}``; non-field errors are under
            ``"non_field_errors"``. Empty when the server gave none.
        details: The official SDK's view of the same: the body when it is a JSON array,
            else an empty list (kept so code written for it works unchanged).
    """

    def __init__(
        self, message: str, *, errors: Mapping[str, list[str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.errors: dict[str, list[str]] = dict(errors or {})

    @property
    def details(self) -> list[Any]:
        """The body when it is a JSON array, else ``[]`` (as in the official SDK)."""
        return list(self.body) if isinstance(self.body, list) else []


class AuthenticationError(APIStatusError):
    """401: the API key is missing, invalid, expired or revoked.

    ``.message`` is the server's ``detail`` exactly, e.g. ``"Invalid API key."``,
    ``"API key has expired."`` or ``"Authentication credentials were not provided."``.
    """


class ForbiddenError(APIStatusError):
    """403: the key is valid but lacks the scope, organization or plan for this call."""


class NotFoundError(APIStatusError):
    """404: the object does not exist, or the key cannot see it."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state of the object."""


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked us to wait (from ``Retry-After``), or ``None``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after: float | None = retry_after


class QuotaExceededError(APIStatusError):
    """413 with the upload quota in the body: the bytes asked for would exceed it.

    Attributes:
        limit: The quota in bytes, if the server said.
        used: Bytes already used (open reservations included), if the server said.
    """

    def __init__(
        self, message: str, *, limit: int | None = None, used: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.limit: int | None = limit
        self.used: int | None = used


class NotEnrolledError(ForbiddenError):
    """403 from a managed fleet upload: the organization is not enrolled in managed uploads
    (ask Avala to enable it, or upload with ``fleet.uploads.upload_recording`` and a storage
    config of your own)."""


class ServerError(APIStatusError):
    """5xx: the server failed."""


class APIConnectionError(AvalaError):
    """No usable response arrived: the connection failed, was reset or the body was cut short."""


class APITimeoutError(APIConnectionError):
    """The request did not complete within the configured timeout."""


class PoolTimeoutError(APITimeoutError):
    """Every connection of the client stayed busy for ``Timeout.pool`` seconds, so the
    request was never sent (and not retried): raise ``connection_limit=`` or send fewer
    requests at once."""


class ResponseTooLargeError(AvalaError):
    """A response body was larger than the client's ``max_response_size`` (measured after
    decompression, while reading, so memory stays bounded). Not retried.

    Attributes:
        limit: The cap, in bytes.
    """

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit: int = limit


class ClientClosedError(AvalaError):
    """The client was closed (by another task or thread) before or while this call ran;
    create a new client. Raised instead of aiohttp's ``Session is closed`` or a bare
    ``CancelledError``."""


class APIResponseValidationError(AvalaError):
    """A 2xx response body could not be decoded or did not match the expected model."""


class BulkEditError(AvalaError, RuntimeError):
    """A chunk of ``annotations.bulk_edit`` failed. Chunks before it were applied; the
    original error is ``__cause__`` (its status and body are copied here).

    It is also a ``RuntimeError``, as the official SDK raises, so code written for it works.

    Attributes:
        chunk_index: The failing chunk, counted from 0.
        chunk_size: How many edits that chunk held.
    """

    def __init__(self, chunk_index: int, chunk_size: int, cause: AvalaError) -> None:
        super().__init__(
            f"bulk_edit chunk {chunk_index} ({chunk_size} edits) failed: {cause.message}",
            status_code=cause.status_code,
            body=cause.body,
            retries_taken=cause.retries_taken,
        )
        self.chunk_index: int = chunk_index
        self.chunk_size: int = chunk_size


class UploadError(AvalaError):
    """A file (or a part of one) could not be stored: the storage host kept failing or
    refused it, or it returned a grant the SDK does not trust. What was stored before stays
    recorded, so running the same upload again sends only what is missing.

    Errors of the API itself (a 401, a 413 quota error, ...) are raised as their own
    classes, not as this one. Messages name the file, never a signed URL.

    Attributes:
        path: The file's path inside the upload (relative, with ``/``), when one file failed.
    """

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.path: str | None = path


class UploadIntegrityError(UploadError):
    """What the storage host holds is not what was sent: its size, ETag (MD5) or SHA-256
    differs from the local file's, or the file changed on disk while it was being sent."""


class DownloadError(AvalaError):
    """A file could not be downloaded: the host kept failing, refused the request, or sent a
    URL the SDK does not trust. Nothing is left at the destination; a partial file beside it
    (``.<name>.*.avala-partial``) lets the next attempt resume. Messages name the host and
    the destination, never a signed URL.

    Attributes:
        path: The destination file.
    """

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.path: str | None = path


class DownloadIntegrityError(DownloadError):
    """The bytes received are not the file described: the size, or the SHA-256 / MD5 the
    response or the caller gave, differs. The bad partial file was deleted."""


class ExportNotReadyError(AvalaError):
    """An export cannot be downloaded yet (``pending``, ``processing``) or ever (``failed``).

    Attributes:
        uid: The export's uid.
        status: Its status when asked.
    """

    def __init__(self, message: str, *, uid: str, status: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.uid: str = uid
        self.status: str | None = status


class UploadStateError(AvalaError):
    """The local upload state cannot be used as it is: it is corrupt or of another upload,
    another run of the same upload holds its lock, or a file already stored changed on disk
    since. The message says which, and what to do (usually ``resume=False`` or deleting the
    named state file)."""


# --------------------------------------------------------------------------- dataset resolver


class DatasetReferenceError(AvalaError, ValueError):
    """A reference given to :func:`avala.load` is malformed or ambiguous (e.g. a revision
    both in the reference and in ``revision=``). The message names the argument and the
    accepted forms."""


class UnsupportedDatasetModeError(AvalaError, ValueError):
    """A mode :func:`avala.load` does not offer (``streaming=False``), or
    :meth:`~avala.DatasetObject.read` of an object larger than its ``max_bytes``."""


class MutableDatasetAliasWarning(UserWarning):
    """:func:`avala.load` was given an alias (such as ``main``) rather than a SHA-256
    revision: what it names may change; pin ``@<sha256>`` for reproducible runs."""


class DatasetResolverError(AvalaError):
    """The public dataset resolver could not answer.

    Attributes:
        reason: A short code: ``transport_error``, ``not_found``, ``rate_limited``,
            ``service_unavailable``, ``request_rejected`` or ``invalid_withdrawal``
            (subclasses add their own).
    """

    def __init__(self, reason: str, *, status_code: int | None = None, detail: str = "") -> None:
        message = f"Dataset resolver failed ({reason})."
        if detail:
            message = f"{message} {detail}"
        super().__init__(message, status_code=status_code)
        self.reason: str = reason


class DatasetRevisionWithdrawnError(DatasetResolverError):
    """The revision was withdrawn by its publisher (HTTP 410); it can no longer be loaded.

    Attributes:
        canonical_reference: ``avala://datasets/<uid>@<sha256>`` of the withdrawn revision.
        dataset_uid: The dataset's uid.
        revision_sha256: The withdrawn revision's SHA-256.
    """

    def __init__(self, canonical_reference: str, dataset_uid: str, revision_sha256: str) -> None:
        super().__init__(
            "revision_withdrawn",
            status_code=410,
            detail=f"{canonical_reference} was withdrawn by its publisher.",
        )
        self.canonical_reference: str = canonical_reference
        self.dataset_uid: str = dataset_uid
        self.revision_sha256: str = revision_sha256


class DatasetIntegrityError(DatasetResolverError):
    """What the resolver answered breaks a rule of the protocol: an identity, manifest,
    grant or order violation (``resolver_identity_mismatch``,
    ``manifest_object_count_mismatch``, ``invalid_cursor_sequence``,
    ``untrusted_download_host``, ``grant_expiry_too_short``, ...). Nothing unverified is kept.
    """


class DatasetDownloadError(AvalaError):
    """An object's bytes could not be fetched or did not verify. The message never shows a
    URL (signed URLs are credentials).

    Attributes:
        provider: The grant's storage provider (``aws_s3``, ``avala_proxy``, ...).
        object_uid: The object's uid.
        reason: ``redirect_rejected``, ``provider_response``, ``transport_error``,
            ``local_storage_error``, ``size_mismatch`` or ``sha256_mismatch``.
    """

    def __init__(self, provider: str, object_uid: str, reason: str, *, detail: str = "") -> None:
        message = f"Download of dataset object {object_uid} from {provider} failed ({reason})."
        if detail:
            message = f"{message} {detail}"
        super().__init__(message)
        self.provider: str = provider
        self.object_uid: str = object_uid
        self.reason: str = reason
