"""avala: the async-native Python SDK for the Avala API.

``AsyncClient`` is the core; ``Client`` is its generated synchronous facade. Models (``avala.
Dataset``, ``avala.Webhook``...), the core (``AsyncClient``, with aiohttp) and the sync facade
(``Client``, ``signup``, with its event-loop thread machinery) are imported on first use, so
``import avala`` stays cheap (the ``avala`` command starts without them).
"""

from typing import TYPE_CHECKING, Any

from . import errors
from ._config import DEFAULT_BASE_URL, Timeout
from ._pacing import Pacing
from ._version import __version__
from .credentials import (
    CallableProvider,
    Credential,
    CredentialChain,
    CredentialProvider,
    CredentialsNotFoundError,
    DotenvProvider,
    EnvironmentProvider,
    ExplicitKeyProvider,
    FileProvider,
)
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    AvalaError,
    BulkEditError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    NotEnrolledError,
    NotFoundError,
    PoolTimeoutError,
    QuotaExceededError,
    RateLimitError,
    RedirectError,
    ServerError,
    UploadError,
    UploadIntegrityError,
    UploadStateError,
    ValidationError,
)
from .pagination import AsyncPage, AsyncPaginator, SyncPage, SyncPaginator

if TYPE_CHECKING:
    from ._client import AsyncClient
    from ._load._dataset import AsyncResolvedDataset, ResolvedDataset, async_load, load
    from ._signup import async_signup
    from ._sync.client import Client
    from ._sync.signup import signup
    from ._transport import RateLimitInfo
    from .models import Dataset, DatasetItem, DatasetSequence, Export, Project, Task

    Avala = Client
    """The official SDK's other name for :class:`Client`."""

_MODELS = ("Dataset", "DatasetItem", "DatasetSequence", "Export", "Project", "Task")
_LOAD = ("load", "async_load", "ResolvedDataset", "AsyncResolvedDataset")


def __getattr__(name: str) -> Any:
    if name in ("AsyncClient", "async_signup", "RateLimitInfo"):  # aiohttp: ~200 ms of imports
        from ._client import AsyncClient
        from ._signup import async_signup
        from ._transport import RateLimitInfo

        globals().update(
            AsyncClient=AsyncClient, async_signup=async_signup, RateLimitInfo=RateLimitInfo
        )
        return globals()[name]
    if name in _LOAD:  # the public dataset resolver (attrs, yarl; aiohttp once it runs)
        from ._load import _dataset

        return getattr(_dataset, name)
    if name in _MODELS:
        from . import models

        return getattr(models, name)
    if name in ("Client", "Avala", "signup"):  # the sync facade: ~30 ms of imports
        from ._sync.client import Client
        from ._sync.signup import signup

        globals().update(Client=Client, Avala=Client, signup=signup)
        return globals()[name]
    raise AttributeError(f"module 'avala' has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncResolvedDataset",
    "AuthenticationError",
    "Avala",
    "AvalaError",
    "BulkEditError",
    "CallableProvider",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "Credential",
    "CredentialChain",
    "CredentialProvider",
    "CredentialsNotFoundError",
    "Dataset",
    "DatasetItem",
    "DatasetSequence",
    "DotenvProvider",
    "EnvironmentProvider",
    "ExplicitKeyProvider",
    "Export",
    "FileProvider",
    "ForbiddenError",
    "NotEnrolledError",
    "NotFoundError",
    "Pacing",
    "PoolTimeoutError",
    "Project",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimitInfo",
    "RedirectError",
    "ResolvedDataset",
    "ServerError",
    "SyncPage",
    "SyncPaginator",
    "Task",
    "Timeout",
    "UploadError",
    "UploadIntegrityError",
    "UploadStateError",
    "ValidationError",
    "__version__",
    "async_load",
    "async_signup",
    "errors",
    "load",
    "signup",
]
