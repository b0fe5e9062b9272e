"""Pieces several collection descriptions share: status plans, the demo identity, the caller,
and checks on upload paths and uids."""

from __future__ import annotations

import math
import unicodedata
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from .._schema import JSONDict
from .._store import DEMO_OWNER, now_timestamp, stable_uid

if TYPE_CHECKING:
    from .._engine import Call
    from .._store import Store

_T = TypeVar("_T")

DEMO_USER_UID = stable_uid("user", DEMO_OWNER)
"""The uid of the demo key's user."""

DEMO_EMAIL = "demo@avala.test"
"""The demo user's email."""


def server_state(store: Store, key: str, factory: Callable[[], _T]) -> _T:
    """State a handler module keeps beside its collections (upload sessions, ...): made by
    ``factory`` on first use, then kept in ``store.settings[key]`` for the server's life."""
    state: _T | None = store.settings.get(key)
    if state is None:
        state = store.settings[key] = factory()
    return state


def status_plan(polls: int, final: str, first: str, middle: str) -> list[str]:
    """Statuses shown by GET number 1, 2, ...: ``final`` first appears on GET ``polls``."""
    if polls <= 1:
        return [final]
    if polls == 2:
        return [middle, final]
    return [first] + [middle] * (polls - 2) + [final]


def advance(record: JSONDict, status_field: str = "status") -> bool:
    """Count one detail read of an object with a ``_plan`` and move it along; True if its
    status changed. Objects without a plan (seed data) never change."""
    plan: list[str] | None = record.get("_plan")
    if not plan:
        return False
    record["_polls"] = polls = record.get("_polls", 0) + 1
    status = plan[min(polls, len(plan)) - 1]
    if status == record.get(status_field):
        return False
    record[status_field] = status
    record["updated_at"] = now_timestamp()
    return True


# --------------------------------------------------------------------------- the caller


def caller_uid(call: Call) -> str:
    """The uid of the user whose key made the request (the demo user for the demo key)."""
    key = call.request.headers.get("X-Avala-Api-Key", "")
    return str(call.store.settings.get("key_users", {}).get(key, DEMO_USER_UID))


def caller_username(call: Call) -> str:
    """The username of the user whose key made the request."""
    user = call.store.find("users", uid=caller_uid(call))
    return DEMO_OWNER if user is None else str(user["username"])


# --------------------------------------------------------------------------- upload checks

MAX_PATH_LENGTH = 1024


def path_problem(path: Any) -> str | None:
    """Why ``path`` is not a safe relative file path (None when it is): not a string, blank,
    absolute, with ``\\``, control characters or empty/``.``/``..`` segments, or too long."""
    if not isinstance(path, str):
        return "Not a valid string."
    if not path.strip():
        return "This field may not be blank."
    if len(path) > MAX_PATH_LENGTH:
        return f"Ensure this field has no more than {MAX_PATH_LENGTH} characters."
    if path.startswith("/"):
        return "Must be a relative path."
    if "\\" in path or any(unicodedata.category(ch) == "Cc" for ch in path):
        return "Must not contain backslashes or control characters."
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "Must not contain empty, '.' or '..' segments."
    return None


def canonical_uuid(value: Any) -> str | None:
    """``value`` as a canonical lowercase UUID string, or None when it is not a UUID."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def is_size(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is a non-negative JSON integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def part_count(size: int, part_size: int) -> int:
    """How many parts of ``part_size`` bytes a file of ``size`` bytes has (at least one)."""
    return max(1, math.ceil(size / part_size))
