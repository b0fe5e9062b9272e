"""avala: the async-native Python SDK for the Avala API.

``AsyncClient`` is the core; ``Client`` is its generated synchronous facade.
"""

from . import errors
from ._client import AsyncClient
from ._config import DEFAULT_BASE_URL, Timeout
from ._sync.client import Client
from ._transport import RateLimitInfo
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
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RedirectError,
    ServerError,
    ValidationError,
)
from .models import Dataset, DatasetItem, DatasetSequence, Export, Project, Task
from .pagination import AsyncPage, AsyncPaginator, SyncPage, SyncPaginator

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPage",
    "AsyncPaginator",
    "AuthenticationError",
    "AvalaError",
    "CallableProvider",
    "Client",
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
    "NotFoundError",
    "Project",
    "RateLimitError",
    "RateLimitInfo",
    "RedirectError",
    "ServerError",
    "SyncPage",
    "SyncPaginator",
    "Task",
    "Timeout",
    "ValidationError",
    "__version__",
    "errors",
]
