"""What the secret-manager providers share: the cache, the lazy import, the JSON field.

Nothing here ever formats a secret value into a message, a log record or a repr.
"""

from __future__ import annotations

import importlib
import json
import math
import threading
import time
from collections.abc import Callable
from types import ModuleType

from ..errors import ConfigurationError


def import_extra(module: str, *, package: str, extra: str, needed_by: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'{needed_by} needs {package}, which is not installed: pip install "avala[{extra}]"'
        ) from exc


def check_cache_ttl(cache_ttl: float | None) -> float | None:
    """``None`` (keep until invalidated) or a number of seconds >= 0."""
    if cache_ttl is None:
        return None
    if (
        isinstance(cache_ttl, bool)
        or not isinstance(cache_ttl, (int, float))
        or math.isnan(cache_ttl)
        or cache_ttl < 0
    ):
        raise ConfigurationError(f"cache_ttl must be None or seconds >= 0, got {cache_ttl!r}.")
    return float(cache_ttl)


def check_text(value: object, what: str) -> str:
    """A non-empty str argument (a secret id, a JSON key, ...)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{what} must be a non-empty str, got {value!r}.")
    return value


class _Held:
    """The cached value; its repr is redacted and it refuses to be pickled or copied."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("A secret-manager provider cannot be pickled or copied: it holds a secret.")


class SecretCache:
    """One cached value, read through ``fetch`` at most once at a time (a lock per cache).

    Args:
        ttl: Seconds a value stays fresh; ``None`` keeps it until :meth:`clear`.
        clock: Where "now" comes from (tests pass their own).
    """

    __slots__ = ("_clock", "_expires", "_held", "_lock", "_ttl")

    def __init__(self, ttl: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._expires = math.inf

    def __repr__(self) -> str:
        return f"SecretCache(ttl={self._ttl!r}, cached={self._held is not None})"

    def get(self, fetch: Callable[[], str]) -> str:
        """The cached value if fresh, else ``fetch()`` (while holding the lock, so threads
        asking at once share one read)."""
        with self._lock:
            held = self._held
            if held is not None and self._clock() < self._expires:
                return held.value
            self._held = None
            value = fetch()
            if self._ttl != 0:
                self._held = _Held(value)
                self._expires = math.inf if self._ttl is None else self._clock() + self._ttl
            return value

    def clear(self) -> None:
        """Drop the value; the next :meth:`get` fetches."""
        with self._lock:
            self._held = None


def pick_key(text: str, json_key: str | None) -> tuple[str | None, str | None]:
    """``(key, None)``: the secret itself, or the string under ``json_key`` of a JSON object
    secret; or ``(None, problem)``.

    It returns rather than raises, so that the caller can drop its locals holding the
    secret before raising (tracebacks that show locals would print them). The problem
    describes the secret's shape, never its content.
    """
    if json_key is None:
        if text.lstrip().startswith("{"):
            return None, (
                "the secret looks like a JSON object; pass json_key= to name the field that "
                "holds the API key."
            )
        return text, None
    try:
        document = json.loads(text)
    except ValueError as exc:
        # A JSONDecodeError's message is positional only (the object holds the document).
        where = (
            f" (line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        return None, f"json_key={json_key!r} was given but the secret is not valid JSON{where}."
    if not isinstance(document, dict):
        return None, (
            f"json_key={json_key!r} was given but the secret is a JSON "
            f"{_json_kind(document)}, not an object."
        )
    if json_key not in document:
        return None, f"the JSON secret has no field {json_key!r} (it has {len(document)} field(s))."
    value = document[json_key]
    if not isinstance(value, str):
        return None, (
            f"the field {json_key!r} of the JSON secret is a JSON {_json_kind(value)}, "
            "expected a string."
        )
    return value, None


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
