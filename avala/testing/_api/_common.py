"""Pieces several collection descriptions share: status plans and the demo identity."""

from __future__ import annotations

from .._schema import JSONDict
from .._store import DEMO_OWNER, now_timestamp, stable_uid

DEMO_USER_UID = stable_uid("user", DEMO_OWNER)
"""The uid of the demo key's user."""

DEMO_EMAIL = "demo@avala.test"
"""The demo user's email."""


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
