"""Signup models."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class SignupUser:
    """The user account a signup created."""

    uid: str
    """The user's unique id."""
    username: str
    """The user's handle."""
    email: str | None = None
    """The user's email."""
    first_name: str | None = None
    """First name."""
    last_name: str | None = None
    """Last name."""
    in_waitlist: bool = True
    """Whether the account waits for approval."""


@attrs.frozen(kw_only=True)
class SignupResponse:
    """The result of a signup: the new account and its API key."""

    user: SignupUser
    """The account created."""
    api_key: str = attrs.field(repr=False)
    """The account's API key (kept out of ``repr``)."""
