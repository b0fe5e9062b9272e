"""Client settings: base URL resolution and validation, timeouts, retry policy."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from .errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.avala.ai/api/v1"
BASE_URL_ENV = "AVALA_BASE_URL"
ALLOW_INSECURE_ENV = "AVALA_ALLOW_INSECURE_BASE_URL"
_TRUTHY = frozenset({"1", "true", "yes", "on"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


_USERINFO = re.compile(r"^([^:/?#]*://)[^/?#]*@")


def _fail(source: str, value: str, problem: str, fix: str) -> ConfigurationError:
    # A "user:password@" part is masked: error messages end up in logs.
    shown = _USERINFO.sub(r"\1[redacted]@", value)
    return ConfigurationError(f"Invalid base_url from {source} ({shown!r}): {problem}. {fix}")


def resolve_base_url(base_url: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the validated base URL without trailing slashes.

    Precedence: the ``base_url`` argument, then ``AVALA_BASE_URL``, then the default.
    Only ``https`` is accepted, unless ``AVALA_ALLOW_INSECURE_BASE_URL`` is truthy
    (1/true/yes/on); then plain ``http`` is accepted for localhost, 127.0.0.1 and ::1 only.

    Raises:
        ConfigurationError: (a ``ValueError``) naming where the bad value came from.
    """
    env = os.environ if environ is None else environ
    if base_url is not None:
        source, value = "the base_url argument", base_url
    elif env.get(BASE_URL_ENV):
        source, value = f"the {BASE_URL_ENV} environment variable", env[BASE_URL_ENV]
    else:
        return DEFAULT_BASE_URL
    if not isinstance(value, str):
        raise ConfigurationError(
            f"Invalid base_url from {source}: expected a str, got {type(value).__name__}."
        )
    stripped = value.strip()
    example = "Use a URL such as 'https://api.avala.ai/api/v1'."
    if not stripped or any(ord(c) < 0x21 or ord(c) == 0x7F for c in stripped):
        raise _fail(
            source, value, "it is empty or contains whitespace or control characters", example
        )
    try:
        parts = urlsplit(stripped)
        port = parts.port
    except ValueError as exc:
        raise _fail(source, value, f"it cannot be parsed ({exc})", example) from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not scheme or not host:
        raise _fail(source, value, "a scheme (https://) and a host are required", example)
    if "@" in parts.netloc:
        raise _fail(
            source,
            value,
            "user information ('user@') is not allowed in the URL",
            "Remove everything before '@' in the host part.",
        )
    if parts.query or parts.fragment or stripped.endswith(("?", "#")):
        raise _fail(
            source,
            value,
            "a query string or fragment is not allowed",
            "Give only scheme, host, optional port and path.",
        )
    if scheme == "http":
        if env.get(ALLOW_INSECURE_ENV, "").strip().lower() not in _TRUTHY:
            raise _fail(
                source,
                value,
                "plain http is refused because the API key would travel unencrypted",
                f"Use https, or for a local server set "
                f"{ALLOW_INSECURE_ENV}=true (allowed for localhost only).",
            )
        if host not in _LOOPBACK_HOSTS:
            raise _fail(
                source,
                value,
                f"plain http is allowed only for localhost, 127.0.0.1 and ::1, not {host!r}",
                "Use https for any other host.",
            )
    elif scheme != "https":
        raise _fail(source, value, f"unsupported scheme {parts.scheme!r}", example)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _positive(name: str, value: float | None, *, allow_none: bool = True) -> float | None:
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} must be a number of seconds, not None.")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}.")
    return float(value)


@attrs.frozen
class Timeout:
    """Per-attempt time limits in seconds.

    Attributes:
        total: The whole attempt, body included. Never cut short; it may run over by up
            to a second (limits of 5 s or more) or a twentieth of itself (shorter ones), as
            attempts ending close together share one timer.
        connect: Opening a new connection (TCP and TLS).
        read: The longest gap between two reads of the response; defaults to ``total``.
        pool: Waiting for a free connection when all ``connection_limit`` are busy
            (defaults to ``total``). It is not part of an attempt: running out raises
            :class:`~avala.errors.PoolTimeoutError`, never retried.
    """

    total: float = 60.0
    connect: float | None = 10.0
    read: float | None = None
    pool: float | None = None

    def __attrs_post_init__(self) -> None:
        _positive("Timeout.total", self.total, allow_none=False)
        _positive("Timeout.connect", self.connect)
        _positive("Timeout.read", self.read)
        _positive("Timeout.pool", self.pool)


TimeoutTypes = float | Timeout
DEFAULT_TIMEOUT = Timeout()


def to_timeout(value: TimeoutTypes | None, name: str = "timeout") -> Timeout:
    """Accept a number of seconds (applied to every phase) or a :class:`Timeout`."""
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, Timeout):
        return value
    seconds = _positive(name, value, allow_none=False)
    assert seconds is not None
    return Timeout(total=seconds, connect=seconds, read=seconds)


def check_max_retries(value: int, name: str = "max_retries") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (0 disables retries), got {value}.")
    return value
