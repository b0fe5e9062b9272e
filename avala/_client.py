"""``AsyncClient``: configuration and credentials at construction, the aiohttp session on
the running loop, resources as attributes."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._config import TimeoutTypes, check_max_retries, resolve_base_url, to_timeout
from ._pacing import DEFAULT_PACING, Pacing
from ._transport import DEFAULT_MAX_RESPONSE_SIZE, RateLimitInfo, RequestOptions, Transport
from .credentials import Credential, CredentialProvider, build_chain, check_api_key

if TYPE_CHECKING:
    from .resources.agents import AsyncAgents
    from .resources.annotation_issues import AsyncAnnotationIssues
    from .resources.annotations import AsyncAnnotations
    from .resources.auto_label_jobs import AsyncAutoLabelJobs
    from .resources.consensus import AsyncConsensus
    from .resources.datasets import AsyncDatasets
    from .resources.exports import AsyncExports
    from .resources.fleet import AsyncFleet
    from .resources.inference_providers import AsyncInferenceProviders
    from .resources.organizations import AsyncOrganizations
    from .resources.projects import AsyncProjects
    from .resources.quality_targets import AsyncQualityTargets
    from .resources.slices import AsyncSlices
    from .resources.storage_configs import AsyncStorageConfigs
    from .resources.tasks import AsyncTasks
    from .resources.webhook_deliveries import AsyncWebhookDeliveries
    from .resources.webhooks import AsyncWebhooks

__all__ = ["AsyncClient"]


class _Resource:
    """A client attribute built on first use, importing its module only then, so
    ``import avala`` does not pay for twenty resource families."""

    __slots__ = ("_class", "_module", "_name")

    def __init__(self, module: str, cls: str) -> None:
        self._module, self._class, self._name = module, cls, ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, client: AsyncClient | None, owner: type | None = None) -> Any:
        if client is None:
            return self
        cls = getattr(importlib.import_module(self._module, __package__), self._class)
        resource = client.__dict__[self._name] = cls(client)
        return resource


def _resource(module: str, cls: str) -> Any:
    return _Resource(module, cls)


def _check_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_response_size must be a positive int (bytes), got {value!r}.")
    return value


class AsyncClient:
    """The asynchronous Avala client.

    Use it as ``async with AsyncClient() as client:``, or create it and call
    ``await client.close()`` when done. One client holds one connection pool; share it
    across tasks (for example, one per FastAPI app) rather than creating one per request.

    The API key is resolved here, before any request: ``api_key=`` if given, else the
    ``AVALA_API_KEY`` environment variable, else ``AVALA_API_KEY`` in ``./.env``, or the
    providers passed as ``credentials=``. The base URL is ``base_url=``, else
    ``AVALA_BASE_URL``, else ``https://api.avala.ai/api/v1``; it must be https (plain http is
    allowed for localhost only, with ``AVALA_ALLOW_INSECURE_BASE_URL=true``).

    Args:
        api_key: The API key. Prefer the environment or a secret manager to hard-coding it.
        base_url: The API root, e.g. ``https://api.avala.ai/api/v1``.
        timeout: Seconds per attempt (a number applies to every phase), or a
            :class:`avala.Timeout`. Defaults to 60 s in all, 10 s to connect.
        max_retries: Retries after the first attempt for failures that are safe to retry
            (connection errors, timeouts, 408, 409, 429, 5xx). 0 disables retries.
        credentials: A credential provider, a list of providers, or a
            :class:`avala.credentials.CredentialChain`, used instead of the default chain.
        connection_limit: Most connections open at once. A request that finds them all
            busy queues for one (bounded by ``Timeout.pool``, not counted as a retry).
        max_response_size: Largest response body read, in bytes after decompression
            (default 64 MiB); a larger one raises :class:`avala.errors.ResponseTooLargeError`
            without being held in memory.
        pacing: How requests are paced to stay inside the API's rate limits. By default
            the client follows the server (waits when ``X-RateLimit-Remaining`` is 0, and
            pauses every request for a 429's ``Retry-After``); :class:`avala.Pacing` adds
            fixed limits; ``None`` turns pacing off. Shared with ``with_options`` twins.

    Raises:
        ValueError: no API key was found (:class:`avala.credentials.CredentialsNotFoundError`
            lists every place tried), a key is malformed, or the base URL is invalid.
    """

    datasets: AsyncDatasets = _resource(".resources.datasets", "AsyncDatasets")
    """Datasets, their items and sequences, health, transfers and manual uploads."""
    projects: AsyncProjects = _resource(".resources.projects", "AsyncProjects")
    """Annotation projects."""
    tasks: AsyncTasks = _resource(".resources.tasks", "AsyncTasks")
    """Annotation tasks."""
    exports: AsyncExports = _resource(".resources.exports", "AsyncExports")
    """Exports of annotations."""
    storage_configs: AsyncStorageConfigs = _resource(
        ".resources.storage_configs", "AsyncStorageConfigs"
    )
    """Cloud storage connections (S3, GCS)."""
    agents: AsyncAgents = _resource(".resources.agents", "AsyncAgents")
    """Automation agents called on annotation events."""
    inference_providers: AsyncInferenceProviders = _resource(
        ".resources.inference_providers", "AsyncInferenceProviders"
    )
    """Model endpoints used for pre-labelling."""
    auto_label_jobs: AsyncAutoLabelJobs = _resource(
        ".resources.auto_label_jobs", "AsyncAutoLabelJobs"
    )
    """Auto-labelling jobs of projects."""
    quality_targets: AsyncQualityTargets = _resource(
        ".resources.quality_targets", "AsyncQualityTargets"
    )
    """Quality targets of projects, and their evaluation."""
    consensus: AsyncConsensus = _resource(".resources.consensus", "AsyncConsensus")
    """Inter-annotator consensus of projects."""
    webhooks: AsyncWebhooks = _resource(".resources.webhooks", "AsyncWebhooks")
    """Webhook subscriptions."""
    webhook_deliveries: AsyncWebhookDeliveries = _resource(
        ".resources.webhook_deliveries", "AsyncWebhookDeliveries"
    )
    """Deliveries of webhook events (read-only)."""
    organizations: AsyncOrganizations = _resource(".resources.organizations", "AsyncOrganizations")
    """Organizations, members, invitations and teams."""
    slices: AsyncSlices = _resource(".resources.slices", "AsyncSlices")
    """Slices: curated subsets of datasets."""
    annotation_issues: AsyncAnnotationIssues = _resource(
        ".resources.annotation_issues", "AsyncAnnotationIssues"
    )
    """Quality-control issues raised on annotations."""
    annotations: AsyncAnnotations = _resource(".resources.annotations", "AsyncAnnotations")
    """Bulk edits of 3D annotations."""
    fleet: AsyncFleet = _resource(".resources.fleet", "AsyncFleet")
    """Fleet: devices, recordings, events, rules, alerts and alert channels."""

    _transport: Transport
    _options: RequestOptions
    _owns_transport: bool

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutTypes | None = None,
        max_retries: int = 2,
        credentials: CredentialProvider | Iterable[CredentialProvider] | None = None,
        connection_limit: int = 100,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        pacing: Pacing | None = DEFAULT_PACING,
    ) -> None:
        url = resolve_base_url(base_url)
        if pacing is not None and not isinstance(pacing, Pacing):
            raise TypeError(f"pacing must be an avala.Pacing or None, got {type(pacing).__name__}.")
        options = RequestOptions(
            to_timeout(timeout),
            check_max_retries(max_retries),
            max_response_size=_check_size(max_response_size),
        )
        if (
            isinstance(connection_limit, bool)
            or not isinstance(connection_limit, int)
            or connection_limit < 1
        ):
            raise ValueError(f"connection_limit must be an int >= 1, got {connection_limit!r}.")
        chain = build_chain(api_key, credentials)
        self._setup(
            Transport(
                url,
                chain,
                chain.resolve(),
                options,
                connection_limit=connection_limit,
                pacing=pacing,
            ),
            options,
            owns=True,
        )

    def _setup(self, transport: Transport, options: RequestOptions, *, owns: bool) -> None:
        self._transport = transport
        self._options = options
        self._owns_transport = owns

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | None = None,
        max_retries: int | None = None,
        max_response_size: int | None = None,
    ) -> AsyncClient:
        """A client sharing this one's connection pool and key, with other call settings.

        ``client.with_options(max_retries=0).datasets.get(uid)`` makes one attempt only.
        The derived client does not own the pool: closing it (or leaving its ``with``
        block) leaves the original open; closing the original closes the pool for both.

        Args:
            timeout: Replaces the timeout (seconds or a :class:`avala.Timeout`).
            max_retries: Replaces the retry count (0 disables retries).
            max_response_size: Replaces the response size cap (bytes).
        """
        current = self._options
        options = RequestOptions(
            current.timeout if timeout is None else to_timeout(timeout),
            current.max_retries if max_retries is None else check_max_retries(max_retries),
            current.max_retry_after,
            current.max_response_size
            if max_response_size is None
            else _check_size(max_response_size),
        )
        derived = object.__new__(AsyncClient)
        derived._setup(self._transport, options, owns=False)
        return derived

    def with_credential(self, api_key: str) -> AsyncClient:
        """A client sharing this one's connection pool and call settings, sending another key.

        For multi-tenant services: one client (one pool) for the process, and per request
        ``client.with_credential(tenant_key).datasets.list()``. No session or connection is
        opened for it, and the key is sent only on the derived client's own requests (never
        set on the shared session, so no other request can carry it); it is redacted from
        reprs and errors like the client's own key.

        The derived client does not own the pool: closing it (or leaving its ``with``
        block) leaves the original open; closing the original closes the pool for both. Its
        key is final (a 401 is raised, not retried with another key). Its pacing follows
        its own key's rate limits, so keep one derived client per tenant if pacing should
        span requests.

        Args:
            api_key: The API key to send instead of this client's.

        Raises:
            ValueError: ``api_key`` is empty, or has whitespace or control characters
                inside (a :class:`avala.credentials.CredentialProviderError`, which never
                shows the key).
        """
        credential = Credential(check_api_key(api_key, "explicit"), "explicit")
        derived = object.__new__(AsyncClient)
        derived._setup(self._transport.with_credential(credential), self._options, owns=False)
        return derived

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._transport.base_url

    @property
    def credential(self) -> Credential:
        """The resolved credential; ``.provider`` names where the key came from."""
        return self._transport.credential

    @property
    def timeout(self) -> float:
        """The per-attempt total timeout, in seconds."""
        return self._options.timeout.total

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._options.max_retries

    @property
    def rate_limit_info(self) -> RateLimitInfo:
        """``X-RateLimit-*`` values from the most recent response that carried them."""
        return self._transport.rate_limit

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._transport.closed

    async def close(self) -> None:
        """Close the connection pool. Safe to call more than once.

        On a client made by :meth:`with_options` this does nothing: only the client that
        owns the pool closes it.
        """
        if self._owns_transport:
            await self._transport.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        transport = getattr(self, "_transport", None)
        if transport is None:  # the constructor raised (e.g. in a traceback with locals)
            return "AsyncClient(<not constructed>)"
        return (
            f"AsyncClient(base_url={transport.base_url!r}, "
            f"credential={transport.credential.provider!r})"
        )

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if (
            getattr(self, "_owns_transport", False)
            and transport is not None
            and transport.has_open_session
        ):
            warnings.warn(
                f"Unclosed {self!r}: use `async with AsyncClient() as client:` or "
                "`await client.close()`.",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
