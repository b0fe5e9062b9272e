"""Signup: the account created by ``avala.signup()`` (the official SDK's
``avala.types.account``; the classes of :mod:`avala.models.signup`).

The classes are those of ``avala.models``: ``avala.types.account.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.signup import (
    SignupResponse as SignupResponse,
    SignupUser as SignupUser,
)

__all__ = [
    "SignupResponse",
    "SignupUser",
]
