"""Where the API key comes from: a pluggable chain of credential providers.

A provider has a stable ``name`` (``"explicit"``, ``"env:AVALA_API_KEY"``,
``"dotenv:/app/.env"``, ``"file:/run/secrets/avala"``, ``"callable:get_secret"``) and a
``get_api_key()`` method that either returns a key or raises :class:`CredentialUnavailable`
when its source has nothing (the chain then asks the next provider). Any other exception
means the source exists but is broken; the chain stops and reports that provider by name,
so a later provider never hides a real failure.

The default chain is: the explicit ``api_key=`` argument (if given, nothing else is
consulted), then the ``AVALA_API_KEY`` environment variable, then ``AVALA_API_KEY`` in a
``.env`` file in the working directory, then the profile ``avala configure`` saved
(:class:`ProfileProvider`: profile ``AVALA_PROFILE``, else ``default``). Pass
``credentials=`` to a client to use your own provider or chain, e.g. a secret manager::

    from avala import AsyncClient
    from avala.credentials import CallableProvider

    client = AsyncClient(credentials=CallableProvider(get_secret))

A provider that caches its key (the secret managers of :mod:`avala.integrations.aws` and
:mod:`avala.integrations.gcp`) also has an ``invalidate()`` method
(:class:`RefreshableProvider`). When the API rejects the key, the client calls
:meth:`CredentialChain.refresh`, which tells every such provider to forget its cached key
before asking the chain again, so a key rotated in the source is picked up without a restart.
"""

from __future__ import annotations

import configparser
import logging
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs
from dotenv import dotenv_values

from .errors import ConfigurationError

__all__ = [
    "API_KEY_ENV",
    "API_KEY_FILE_ENV",
    "CONFIG_DIR_ENV",
    "PROFILE_ENV",
    "CallableProvider",
    "Credential",
    "CredentialChain",
    "CredentialError",
    "CredentialProvider",
    "CredentialProviderError",
    "CredentialUnavailable",
    "CredentialsNotFoundError",
    "DotenvProvider",
    "EnvironmentProvider",
    "ExplicitKeyProvider",
    "FileProvider",
    "ProfileProvider",
    "RefreshableProvider",
    "config_dir",
    "default_chain",
]

API_KEY_ENV = "AVALA_API_KEY"
API_KEY_FILE_ENV = "AVALA_API_KEY_FILE"
PROFILE_ENV = "AVALA_PROFILE"
"""The environment variable naming the profile :class:`ProfileProvider` reads."""
CONFIG_DIR_ENV = "AVALA_CONFIG_DIR"
"""The environment variable overriding the directory profiles are kept in."""
DEFAULT_PROFILE = "default"
PROFILES_FILE = "credentials"
_log = logging.getLogger("avala")


class CredentialError(ConfigurationError):
    """Base of credential failures; a :class:`ValueError`, raised while a client is built."""


class CredentialUnavailable(Exception):
    """Raised by a provider whose source holds no key; the chain moves on to the next one.

    The reason must name the source (a variable name, a path), never a secret value.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason: str = reason


@attrs.frozen
class Attempt:
    """One provider the chain asked, and why it had nothing."""

    provider: str
    reason: str


class CredentialsNotFoundError(CredentialError):
    """No provider in the chain produced a key.

    Attributes:
        attempts: Each provider tried and why it had nothing.
    """

    def __init__(self, attempts: Iterable[Attempt]) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        tried = "".join(f"\n  - {a.provider}: {a.reason}" for a in self.attempts)
        super().__init__(
            f"No Avala API key found. Pass api_key=..., set the {API_KEY_ENV} environment "
            f"variable, put {API_KEY_ENV}=... in a .env file, or save a profile with "
            f"`avala configure`. Tried:{tried or ' nothing'}"
        )


class CredentialProviderError(CredentialError):
    """A provider failed (its source exists but could not be read); the chain stopped.

    Attributes:
        provider: The failing provider's name.
    """

    def __init__(self, provider: str, problem: str) -> None:
        self.provider: str = provider
        where = (
            "The api_key argument"
            if provider == "explicit"
            else f"Credential provider {provider!r}"
        )
        super().__init__(f"{where} failed: {problem}")


@runtime_checkable
class CredentialProvider(Protocol):
    """What a credential source implements."""

    @property
    def name(self) -> str:
        """A short stable name naming the source (never the secret)."""
        ...

    def get_api_key(self) -> str:
        """Return the key, or raise :class:`CredentialUnavailable` if the source is empty."""
        ...


@runtime_checkable
class RefreshableProvider(CredentialProvider, Protocol):
    """A provider that caches its key and can be told to read the source again.

    :meth:`CredentialChain.refresh` (called by a client after the API answered 401) calls
    ``invalidate()`` on each provider that has it, then resolves the chain again.
    """

    def invalidate(self) -> None:
        """Forget the cached key, so the next ``get_api_key()`` reads the source again.

        Keep it cheap (no I/O): the reading belongs in ``get_api_key()``.
        """
        ...


class Credential:
    """A resolved API key and the provider that supplied it. Its repr never shows the key."""

    __slots__ = ("_api_key", "provider")

    def __init__(self, api_key: str, provider: str) -> None:
        self._api_key = api_key
        self.provider: str = provider

    @property
    def api_key(self) -> str:
        return self._api_key

    def __repr__(self) -> str:
        return f"Credential(provider={self.provider!r}, api_key='<redacted>')"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Credential)
            and other._api_key == self._api_key
            and other.provider == self.provider
        )

    def __hash__(self) -> int:
        return hash((self._api_key, self.provider))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("Credential objects cannot be pickled: they hold a secret.")


def check_api_key(raw: object, provider: str) -> str:
    """Strip surrounding whitespace and validate a key; errors name the provider, not the key."""
    if not isinstance(raw, str):
        raise CredentialProviderError(
            provider, f"it returned {type(raw).__name__}, expected the API key as a str."
        )
    key = raw.strip()
    if not key:
        raise CredentialProviderError(provider, "the API key is empty.")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise CredentialProviderError(
            provider,
            "the API key contains whitespace or control characters (such as a newline); "
            "check how it was copied.",
        )
    return key


class ExplicitKeyProvider:
    """A key given directly, e.g. ``api_key=`` on the client."""

    name = "explicit"

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return "ExplicitKeyProvider(api_key='<redacted>')"

    def get_api_key(self) -> str:
        """The key it was given."""
        return self._api_key


class EnvironmentProvider:
    """Reads an environment variable (``AVALA_API_KEY`` by default) at each resolution."""

    def __init__(self, variable: str = API_KEY_ENV, environ: Mapping[str, str] | None = None):
        self.variable: str = variable
        self._environ = environ

    @property
    def name(self) -> str:
        return f"env:{self.variable}"

    def __repr__(self) -> str:
        return f"EnvironmentProvider(variable={self.variable!r})"

    def get_api_key(self) -> str:
        """The key from the environment variable."""
        environ = os.environ if self._environ is None else self._environ
        value = environ.get(self.variable)
        if value is None:
            raise CredentialUnavailable(f"{self.variable} is not set")
        if not value.strip():
            raise CredentialUnavailable(f"{self.variable} is set but empty")
        return value


class DotenvProvider:
    """Reads ``AVALA_API_KEY`` from a dotenv file without touching ``os.environ``.

    Args:
        path: The file; relative paths are taken from the working directory at resolution
            time. Defaults to ``.env``.
        variable: The variable to read from the file.
    """

    def __init__(self, path: str | os.PathLike[str] = ".env", variable: str = API_KEY_ENV):
        self.path: Path = Path(path)
        self.variable = variable

    @property
    def name(self) -> str:
        return f"dotenv:{self.path}"

    def __repr__(self) -> str:
        return f"DotenvProvider(path={str(self.path)!r}, variable={self.variable!r})"

    def get_api_key(self) -> str:
        """The key from the .env file (read without changing ``os.environ``)."""
        path = self.path if self.path.is_absolute() else Path.cwd() / self.path
        if not path.is_file():
            raise CredentialUnavailable(f"{path} not found")
        value = dotenv_values(path, interpolate=False).get(self.variable)
        if value is None or not value.strip():
            raise CredentialUnavailable(f"{self.variable} not set in {path}")
        return value


class FileProvider:
    """Reads the key from a file, re-read at every resolution (Kubernetes/Docker secrets).

    Args:
        path: The file holding the key. If omitted, the path is taken from the
            ``AVALA_API_KEY_FILE`` environment variable at resolution time.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.path: Path | None = None if path is None else Path(path)
        self._environ = environ

    @property
    def name(self) -> str:
        return f"file:{self.path}" if self.path is not None else f"file:${API_KEY_FILE_ENV}"

    def __repr__(self) -> str:
        return f"FileProvider(path={None if self.path is None else str(self.path)!r})"

    def get_api_key(self) -> str:
        """The key in the file (read again on each call, so a rotated secret is picked up)."""
        path = self.path
        if path is None:
            environ = os.environ if self._environ is None else self._environ
            configured = environ.get(API_KEY_FILE_ENV, "").strip()
            if not configured:
                raise CredentialUnavailable(f"{API_KEY_FILE_ENV} is not set")
            path = Path(configured)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CredentialUnavailable(f"{path} not found") from None


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory ``avala configure`` keeps profiles in.

    ``AVALA_CONFIG_DIR`` if set, else the platform's user configuration directory
    (``$XDG_CONFIG_HOME/avala`` or ``~/.config/avala`` on Linux, ``~/Library/Application
    Support/avala`` on macOS, ``%LOCALAPPDATA%\\avala`` on Windows). Never a cache directory,
    which cleanup tools empty.
    """
    environ = os.environ if environ is None else environ
    configured = environ.get(CONFIG_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_config_dir  # ~25 ms, paid only when a profile is read

    return Path(user_config_dir("avala", appauthor=False))


def read_profiles(path: Path) -> configparser.ConfigParser:
    """Parse a profiles file (INI: one section per profile); a missing file reads as empty.

    Raises:
        configparser.Error: the file is not valid INI.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return parser
    parser.read_string(text, source=str(path))
    return parser


class ProfileProvider:
    """Reads the key of a profile saved by ``avala configure``.

    Profiles live in one INI file, ``credentials`` in :func:`config_dir`, a section per
    profile holding ``api_key`` (and the ``base_url`` the CLI uses with it). The file is
    re-read at every resolution; one readable by other users is still used, with a warning
    on the ``avala`` logger.

    Args:
        profile: The profile to read. If omitted, ``AVALA_PROFILE`` at resolution time,
            else ``default``.
        path: The profiles file. If omitted, ``credentials`` in :func:`config_dir`.
    """

    def __init__(
        self,
        profile: str | None = None,
        path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._profile = profile
        self._path = None if path is None else Path(path)
        self._environ = environ

    @property
    def profile(self) -> str:
        """The profile this provider reads."""
        if self._profile is not None:
            return self._profile
        environ = os.environ if self._environ is None else self._environ
        return environ.get(PROFILE_ENV, "").strip() or DEFAULT_PROFILE

    @property
    def path(self) -> Path:
        """The profiles file."""
        return self._path if self._path is not None else config_dir(self._environ) / PROFILES_FILE

    @property
    def name(self) -> str:
        return f"profile:{self.profile}"

    def __repr__(self) -> str:
        return f"ProfileProvider(profile={self.profile!r}, path={str(self.path)!r})"

    def _section(self) -> configparser.SectionProxy:
        profile = self.profile
        try:
            path = self.path
        except Exception as exc:  # no home directory to find the configuration in
            raise CredentialUnavailable(f"no configuration directory ({exc})") from None
        profiles = read_profiles(path)
        if not profiles.sections() and not path.is_file():
            raise CredentialUnavailable(f"{path} not found")
        if not profiles.has_section(profile):
            raise CredentialUnavailable(f"no profile {profile!r} in {path}")
        if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            _log.warning(
                "%s is readable by other users; restrict it with: chmod 600 %s", path, path
            )
        return profiles[profile]

    def get_api_key(self) -> str:
        """The profile's ``api_key``."""
        value = self._section().get("api_key")
        if value is None or not value.strip():
            raise CredentialUnavailable(f"profile {self.profile!r} in {self.path} has no api_key")
        return value

    def base_url(self) -> str | None:
        """The base URL saved with the profile, if any (the CLI uses it with this key)."""
        try:
            value = self._section().get("base_url")
        except CredentialUnavailable:
            return None
        if value is None or not value.strip():
            return None
        return value.strip()


class CallableProvider:
    """Calls a function returning the key, e.g. one that reads a secret manager.

    The function returns the key as a str, or ``None`` when it has none (the chain moves on).
    An exception from it stops the chain and is reported with this provider's name.
    """

    def __init__(self, func: Callable[[], str | None], name: str | None = None) -> None:
        self._func = func
        self._name = name or getattr(func, "__qualname__", None) or type(func).__name__

    @property
    def name(self) -> str:
        return f"callable:{self._name}"

    def __repr__(self) -> str:
        return f"CallableProvider(name={self._name!r})"

    def get_api_key(self) -> str:
        """The key the function returns."""
        value = self._func()
        if value is None:
            raise CredentialUnavailable("returned None")
        return value


class CredentialChain:
    """Asks providers in order; the first key wins.

    A provider raising :class:`CredentialUnavailable` is skipped (and listed in the final
    error), as is a nested chain that found nothing; any other exception stops the chain as
    a :class:`CredentialProviderError`.
    """

    def __init__(self, providers: Iterable[CredentialProvider]) -> None:
        self.providers: tuple[CredentialProvider, ...] = tuple(providers)
        for p in self.providers:
            if not isinstance(p, CredentialProvider):
                raise TypeError(
                    f"credentials: {p!r} is not a credential provider (it needs a `name` "
                    "and a `get_api_key()` method)."
                )

    @property
    def name(self) -> str:
        return "chain(" + ", ".join(p.name for p in self.providers) + ")"

    def __repr__(self) -> str:
        return f"CredentialChain({list(self.providers)!r})"

    def resolve(self) -> Credential:
        """Return the first key found, recording which provider supplied it."""
        attempts: list[Attempt] = []
        for provider in self.providers:
            name = provider.name
            try:
                raw = provider.get_api_key()
            except CredentialUnavailable as exc:
                attempts.append(Attempt(name, exc.reason))
                continue
            except CredentialsNotFoundError as exc:  # a nested chain that found nothing
                attempts.extend(exc.attempts)
                continue
            except CredentialError:
                raise
            except Exception as exc:
                raise CredentialProviderError(name, f"{type(exc).__name__}: {exc}") from exc
            credential = Credential(check_api_key(raw, name), name)
            _log.debug("Avala API key taken from %s", name)
            return credential
        raise CredentialsNotFoundError(attempts)

    def get_api_key(self) -> str:
        """The key of the first provider that has one."""
        return self.resolve().api_key

    def invalidate(self) -> None:
        """Tell each provider that caches its key (has ``invalidate()``) to forget it.

        Nested chains pass it on to their own providers.

        Raises:
            CredentialProviderError: a provider's ``invalidate()`` raised.
        """
        for provider in self.providers:
            invalidate = getattr(provider, "invalidate", None)
            if not callable(invalidate):
                continue
            try:
                invalidate()
            except CredentialError:
                raise
            except Exception as exc:
                raise CredentialProviderError(
                    provider.name, f"invalidate() raised {type(exc).__name__}: {exc}"
                ) from exc

    def refresh(self) -> Credential:
        """Forget cached keys (:meth:`invalidate`), then :meth:`resolve` again.

        A client calls this, in a worker thread, when the API rejects its key (401), and
        switches to the new key if it differs from the rejected one. Providers may do
        blocking I/O here.

        Returns:
            The credential resolved after the caches were dropped.
        """
        self.invalidate()
        return self.resolve()


def default_chain(api_key: str | None = None) -> CredentialChain:
    """The chain clients use when given no ``credentials=``.

    An explicit key wins outright; otherwise ``AVALA_API_KEY``, then ``.env``, then the
    saved profile (``AVALA_PROFILE``, else ``default``; see :class:`ProfileProvider`).
    """
    if api_key is not None:
        return CredentialChain([ExplicitKeyProvider(api_key)])
    return CredentialChain([EnvironmentProvider(), DotenvProvider(), ProfileProvider()])


def build_chain(
    api_key: str | None,
    credentials: CredentialProvider | Iterable[CredentialProvider] | None,
) -> CredentialChain:
    """The chain for a client's ``api_key=`` / ``credentials=`` arguments."""
    if api_key is not None and credentials is not None:
        raise ConfigurationError(
            "Pass either api_key= or credentials=, not both: an explicit key would make the "
            "providers unreachable."
        )
    if credentials is None:
        return default_chain(api_key)
    if isinstance(credentials, CredentialChain):
        return credentials
    if isinstance(credentials, CredentialProvider):
        return CredentialChain([credentials])
    if isinstance(credentials, (str, bytes)):
        raise TypeError("credentials= takes provider objects; pass a key string as api_key=.")
    return CredentialChain(credentials)
