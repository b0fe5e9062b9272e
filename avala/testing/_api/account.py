"""Accounts: ``POST /signup/`` (no key needed) and ``GET /users/me/``."""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from .._engine import Call, json_response
from .._schema import STAMPS, Action, ApiError, Endpoint, Field, JSONDict, Table, Validator
from .._store import DEMO_OWNER, Store
from ._common import DEMO_EMAIL, DEMO_USER_UID

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 8


def _seed_users(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": DEMO_USER_UID,
            "username": DEMO_OWNER,
            "email": DEMO_EMAIL,
            "first_name": "Demo",
            "last_name": "User",
            "in_waitlist": False,
        }
    ]


USERS = Table(
    "users",
    {
        **STAMPS,
        "username": Field(read_only=True),
        "email": Field(required=True, max_length=254),
        "first_name": Field(max_length=150),
        "last_name": Field(max_length=150),
        "in_waitlist": Field(kind="bool", read_only=True, default=True),
        "password": Field(required=True, write_only=True),
    },
    seed=_seed_users,
)

_USER_FIELDS = ("uid", "username", "email", "first_name", "last_name", "in_waitlist")


async def signup(call: Call) -> web.StreamResponse:
    """Create an account and its first API key; the server accepts the key at once.

    ``state.store.settings["signups_open"] = False`` makes it answer 403, as a deployment
    with closed sign-ups does.
    """
    if not call.store.settings.get("signups_open", True):
        raise ApiError(403, {"detail": "Sign-ups are closed on this deployment."})
    values = Validator(call.store, USERS, await call.body(), partial=False).clean()
    email = str(values["email"]).lower()
    errors: dict[str, list[str]] = {}
    if not _EMAIL.fullmatch(email):
        errors["email"] = ["Enter a valid email address."]
    elif call.store.find("users", email=email) is not None:
        errors["email"] = ["A user with this email already exists."]
    if len(str(values["password"])) < MIN_PASSWORD:
        errors["password"] = [
            f"This password is too short. It must contain at least {MIN_PASSWORD} characters."
        ]
    if errors:
        raise ApiError(400, errors)
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0]).strip("-") or "user"
    username, n = base, 1
    while call.store.find("users", username=username) is not None:
        n += 1
        username = f"{base}{n}"
    user = call.store.insert("users", {**values, "email": email, "username": username})
    api_key = "avk_" + secrets.token_hex(20)
    call.state.add_key(api_key)
    call.store.settings.setdefault("key_users", {})[api_key] = user["uid"]
    return json_response({"user": {k: user[k] for k in _USER_FIELDS}, "api_key": api_key}, 201)


async def me(call: Call) -> web.StreamResponse:
    key = call.request.headers.get("X-Avala-Api-Key", "")
    uid = call.store.settings.get("key_users", {}).get(key, DEMO_USER_UID)
    user = call.store.find("users", uid=uid)
    assert user is not None
    return json_response({k: user[k] for k in _USER_FIELDS})


ENDPOINTS = (
    Endpoint(
        USERS,
        "/",
        detail=None,
        verbs=frozenset(),
        actions=(Action("signup", signup, detail=False),),
        anonymous=True,
    ),
    Endpoint(
        USERS,
        "/users/",
        detail=None,
        verbs=frozenset(),
        actions=(Action("me", me, method="GET", detail=False),),
    ),
)

TABLES = (USERS,)
