"""Organizations, their members, invitations, teams and team members.

The demo key's user belongs to every seeded organization (owner of one, admin and member of
the others); the organization list is page-number paginated, 20 to a page, as the API's is.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from aiohttp import web

from .._engine import Call, json_response, no_content, render
from .._schema import (
    STAMPS,
    Action,
    ApiError,
    Endpoint,
    Field,
    Filter,
    JSONDict,
    Parent,
    Scope,
    Table,
    Validator,
    check_body,
    not_found,
)
from .._store import (
    ASSET_HOST,
    DEMO_OWNER,
    SEED_EPOCH,
    Store,
    format_timestamp,
    now_timestamp,
    seed_time,
    stable_uid,
)
from ._common import DEMO_EMAIL, DEMO_USER_UID

APP_HOST = "https://app.avala.test"
INVITATION_DAYS = 7
_RESERVED_SLUGS = frozenset({"industry-choices"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

INDUSTRY_CHOICES = (
    ("autonomous_vehicles", "Autonomous Vehicles"),
    ("robotics", "Robotics"),
    ("drones", "Drones & Aerial"),
    ("agriculture", "Agriculture"),
    ("logistics", "Logistics & Warehousing"),
    ("mapping", "Mapping & Geospatial"),
    ("healthcare", "Healthcare"),
    ("retail", "Retail"),
    ("other", "Other"),
)

# --------------------------------------------------------------------------- seed data

_USERS = {  # username -> (full name, email)
    DEMO_OWNER: ("Demo User", DEMO_EMAIL),
    "alice": ("Alice Moreau", "alice@acme.test"),
    "bogdan": ("Bogdan Ilić", "bogdan@acme.test"),
    "chen": ("Chen Wei", "chen@openmap.test"),
    "dana": ("Dana Okafor", "dana@openmap.test"),
}

_ORGS = (
    # name, slug, industry, visibility, {username: role}, teams
    ("Avala Demo", "avala-demo", "autonomous_vehicles", "private",
     {DEMO_OWNER: "owner", "alice": "admin", "bogdan": "member"},
     (("Annotators", "#4363d8"), ("Reviewers", "#f58231"))),
    ("Acme Robotics", "acme-robotics", "robotics", "private",
     {"alice": "owner", DEMO_OWNER: "admin", "bogdan": "member"},
     (("Perception", "#3cb44b"), ("Safety", "#e6194b"))),
    ("Open Mapping Collective", "open-mapping", "mapping", "public",
     {"chen": "owner", "dana": "admin", DEMO_OWNER: "member"},
     (("Cartographers", "#911eb4"), ("Field Crew", "#46f0f0"))),
)  # fmt: skip


def user_uid(username: str) -> str:
    """The uid of a seeded user (the demo user's is ``DEMO_USER_UID``)."""
    return DEMO_USER_UID if username == DEMO_OWNER else stable_uid("user", username)


def organization_uid(slug: str) -> str:
    """The uid of a seeded organization."""
    return stable_uid("organization", slug)


def team_uid(org_slug: str, team_slug: str) -> str:
    """The uid of a seeded team."""
    return stable_uid("team", org_slug, team_slug)


def slugify(name: str) -> str:
    """A URL name made from a display name: lowercase words joined by ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _person(username: str, role: str, joined: str) -> JSONDict:
    full_name, email = _USERS[username]
    return {
        "user_uid": user_uid(username),
        "username": username,
        "email": email,
        "full_name": full_name,
        "picture": f"{ASSET_HOST}/avatars/{username}.png",
        "role": role,
        "created_at": joined,
        "_search": _search_text(username, email, full_name),
    }


def _search_text(*parts: object) -> str:
    """What ``?search=`` matches: the username, email and full name (one per line, so a
    search never matches across two of them)."""
    return "\n".join(str(part) for part in parts if part)


def _seed_organizations(store: Store) -> list[JSONDict]:
    out = []
    for index, (name, slug, industry, visibility, members, teams) in enumerate(_ORGS):
        role = members[DEMO_OWNER]
        out.append(
            {
                "uid": organization_uid(slug),
                "name": name,
                "slug": slug,
                "handle": slug,
                "description": f"{name}: a seeded demo organization.",
                "logo": f"{ASSET_HOST}/logos/{slug}.png",
                "website": f"https://{slug}.example.com",
                "industry": industry,
                "organization_type": "company" if index < 2 else "community",
                "email": f"contact@{slug}.example.com",
                "visibility": visibility,
                "plan": "enterprise" if role == "owner" else "team",
                "is_verified": index == 0,
                "member_count": len(members),
                "team_count": len(teams),
                "role": role,
                "joined_at": seed_time(days=index, minutes=5),
                "allowed_domains": [f"{slug}.example.com"],
                "public_slug": slug if visibility == "public" else None,
                "created_at": seed_time(days=index),
                "updated_at": seed_time(days=index + 10),
            }
        )
    return out


def _seed_members(store: Store) -> list[JSONDict]:
    return [
        {
            **_person(username, role, seed_time(days=index, minutes=5 + n)),
            "_organization": organization_uid(slug),
            "last_active_at": seed_time(days=60, minutes=n),
        }
        for index, (_, slug, _, _, members, _) in enumerate(_ORGS)
        for n, (username, role) in enumerate(members.items())
    ]


def _seed_invitations(store: Store) -> list[JSONDict]:
    out = []
    for index, (name, slug, _, _, _, _) in enumerate(_ORGS):
        for n, (email, role) in enumerate(
            ((f"new.hire@{slug}.example.com", "member"), (f"lead@{slug}.example.com", "admin"))
        ):
            uid = stable_uid("invitation", slug, email)
            out.append(
                {
                    **_invitation(uid, name, slug, email, role),
                    "expires_at": format_timestamp(SEED_EPOCH + timedelta(days=3650)),
                    "_organization": organization_uid(slug),
                    "created_at": seed_time(days=index + 30, minutes=n),
                }
            )
    return out


def _seed_teams(store: Store) -> list[JSONDict]:
    return [
        {
            "uid": team_uid(org_slug, slugify(team)),
            "name": team,
            "slug": slugify(team),
            "description": f"The {team} team of {org_name}.",
            "color": color,
            "organization_uid": organization_uid(org_slug),
            "organization_name": org_name,
            "organization_slug": org_slug,
            "member_count": 2,
            "_organization": organization_uid(org_slug),
            "created_at": seed_time(days=index + 1, minutes=n),
            "updated_at": seed_time(days=index + 2, minutes=n),
        }
        for index, (org_name, org_slug, _, _, _, teams) in enumerate(_ORGS)
        for n, (team, color) in enumerate(teams)
    ]


def _seed_team_members(store: Store) -> list[JSONDict]:
    out = []
    for index, (_, org_slug, _, _, members, teams) in enumerate(_ORGS):
        people = list(members)
        for n, (team, _) in enumerate(teams):
            for username in (people[n], people[2]):  # two members per team
                role = "lead" if username == people[n] else "member"
                out.append(
                    {
                        **_person(username, role, seed_time(days=index + 1, minutes=10 + n)),
                        "_team": team_uid(org_slug, slugify(team)),
                    }
                )
    return out


# --------------------------------------------------------------------------- derived fields


def _recount(store: Store, org: JSONDict) -> None:
    """Bring an organization's counts and the demo user's ``role`` up to date."""
    uid = str(org["uid"])
    me = store.find("organization_members", uid, user_uid=DEMO_USER_UID)
    org["member_count"] = len(store.group("organization_members", uid))
    org["team_count"] = len(store.group("teams", uid))
    org["role"] = None if me is None else me["role"]
    org["joined_at"] = None if me is None else me["created_at"]
    if "datasets" in store.tables:
        owned = [d for d in store.records("datasets") if d.get("owner_name") == org["slug"]]
        org["dataset_count"] = len(owned)
    if "slices" in store.tables:
        org["slice_count"] = len(store.records("slices", str(org["slug"])))


def _recount_team(store: Store, team: JSONDict) -> None:
    team["member_count"] = len(store.group("team_members", str(team["uid"])))


def _organization_of(call: Call) -> JSONDict:
    """The organization the URL named (the first step of the endpoint's scope)."""
    slug = call.request.match_info["slug"]
    org = call.store.find("organizations", slug=slug)
    if org is None:
        raise not_found()
    return org


def _slug_from(name: str) -> str:
    slug = slugify(name)
    if not slug or slug in _RESERVED_SLUGS:
        raise ApiError(400, {"name": [f"{name!r} does not make a usable slug."]})
    return slug


def _create_organization(call: Call, values: JSONDict) -> None:
    """Make the slug from the name; the demo user becomes the owner."""
    values["slug"] = _slug_from(str(values["name"]))
    values.setdefault("handle", values["slug"])
    if call.store.find("organizations", slug=values["slug"]) is not None:
        return  # the engine answers 400 "organization with this slug already exists."
    now = now_timestamp()
    values.update(role="owner", joined_at=now, member_count=1, team_count=0)
    values["uid"] = str(uuid.uuid4())
    member = _person(DEMO_OWNER, "owner", now)
    call.store.insert(
        "organization_members", {**member, "_organization": values["uid"], "last_active_at": now}
    )


def _create_team(call: Call, values: JSONDict) -> None:
    org = call.parent
    assert org is not None
    values["slug"] = _slug_from(str(values["name"]))
    values.update(
        organization_uid=org["uid"],
        organization_name=org["name"],
        organization_slug=org["slug"],
        member_count=0,
    )
    if call.store.find("teams", str(org["uid"]), slug=values["slug"]) is None:
        org["team_count"] = len(call.store.group("teams", str(org["uid"]))) + 1


def _add_team_member(call: Call, values: JSONDict) -> None:
    """Only a member of the organization can join one of its teams; their profile is copied."""
    team = call.parent
    assert team is not None
    org = _organization_of(call)
    person = call.store.find("organization_members", str(org["uid"]), user_uid=values["user_uid"])
    if person is None:
        raise ApiError(400, {"user_uid": ["User is not a member of this organization."]})
    for name in ("username", "email", "full_name", "picture", "_search"):
        values[name] = person.get(name)
    values.setdefault("role", "member")
    values["created_at"] = now_timestamp()
    if call.store.find("team_members", str(team["uid"]), user_uid=values["user_uid"]) is None:
        team["member_count"] = len(call.store.group("team_members", str(team["uid"]))) + 1


def _invitation(uid: str, org_name: str, org_slug: str, email: str, role: str) -> JSONDict:
    return {
        "uid": uid,
        "organization_name": org_name,
        "organization_slug": org_slug,
        "invited_email": email,
        "invited_by_username": DEMO_OWNER,
        "role": role,
        "status": "pending",
        "is_expired": False,
        "accept_url": f"{APP_HOST}/invitations/{uid}/accept/",
        "copy_link": f"{APP_HOST}/join/{uid}/",
        "_sent": 1,
    }


def _expiry() -> str:
    return format_timestamp(datetime.now(timezone.utc) + timedelta(days=INVITATION_DAYS))


def _create_invitation(call: Call, values: JSONDict) -> None:
    org = call.parent
    assert org is not None
    email = str(values.pop("email")).lower()
    if not _EMAIL.fullmatch(email):
        raise ApiError(400, {"email": ["Enter a valid email address."]})
    group = str(org["uid"])
    if call.store.find("organization_members", group, email=email) is not None:
        raise ApiError(400, {"email": ["This user is already a member of the organization."]})
    if call.store.find("invitations", group, invited_email=email, status="pending") is not None:
        raise ApiError(400, {"email": ["An invitation is already pending for this email."]})
    uid = str(uuid.uuid4())
    role = str(values.get("role") or "member")
    values.update(_invitation(uid, str(org["name"]), str(org["slug"]), email, role))
    values["expires_at"] = _expiry()


# --------------------------------------------------------------------------- tables

_PROFILE = (
    "description", "readme", "logo", "website", "industry", "organization_type", "x_url",
    "hugging_face_url", "github_url", "linkedin_url", "email", "phone",
)  # fmt: skip
_COUNTS = ("member_count", "team_count", "dataset_count", "project_count", "slice_count")
_INVITATION_FACTS = (
    "organization_name", "organization_slug", "invited_email", "invited_by_username",
)  # fmt: skip

ORGANIZATIONS = Table(
    "organizations",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "slug": Field(kind="slug", read_only=True),
        "handle": Field(kind="slug", max_length=100),
        **{name: Field() for name in _PROFILE},
        "visibility": Field(default="private", nullable=False),
        "plan": Field(read_only=True, default="free"),
        "is_verified": Field(kind="bool", read_only=True, default=False),
        "is_active": Field(kind="bool", read_only=True, default=True),
        **{name: Field(kind="int", read_only=True, default=0) for name in _COUNTS},
        "role": Field(read_only=True),
        "joined_at": Field(kind="datetime", read_only=True),
        "slug_edits_remaining": Field(kind="int", read_only=True, default=3),
        "allowed_domains": Field(kind="array", read_only=True, default=list),
        "billing_status": Field(read_only=True, default="active"),
        "public_slug": Field(read_only=True),
    },
    unique=(("slug",),),
    seed=_seed_organizations,
    on_create=_create_organization,
    on_retrieve=_recount,
)

_PERSON = {
    "user_uid": Field(read_only=True),
    "username": Field(read_only=True),
    "email": Field(read_only=True),
    "full_name": Field(read_only=True),
    "picture": Field(read_only=True),
    "role": Field(nullable=False),
    "created_at": Field(kind="datetime", read_only=True),
}

MEMBERS = Table(
    "organization_members",
    {
        **_PERSON,
        "last_active_at": Field(kind="datetime", read_only=True),
        "_search": Field(),
    },
    id_field="user_uid",
    parent=Parent("organizations", "_organization"),
    seed=_seed_members,
    updated_field=None,
)

INVITATIONS = Table(
    "invitations",
    {
        "uid": Field(read_only=True),
        **{name: Field(read_only=True) for name in _INVITATION_FACTS},
        "role": Field(),
        "status": Field(read_only=True, default="pending"),
        "expires_at": Field(kind="datetime", read_only=True),
        "is_expired": Field(kind="bool", read_only=True, default=False),
        "accept_url": Field(read_only=True),
        "copy_link": Field(read_only=True),
        "created_at": Field(kind="datetime", read_only=True),
        "email": Field(required=True, write_only=True, max_length=254),
        "_sent": Field(kind="int"),
    },
    parent=Parent("organizations", "_organization"),
    seed=_seed_invitations,
    on_create=_create_invitation,
    updated_field=None,
)

TEAMS = Table(
    "teams",
    {
        **STAMPS,
        "name": Field(required=True, max_length=255),
        "slug": Field(kind="slug", read_only=True),
        "description": Field(),
        "color": Field(max_length=32),
        "organization_uid": Field(read_only=True),
        "organization_name": Field(read_only=True),
        "organization_slug": Field(read_only=True),
        "member_count": Field(kind="int", read_only=True, default=0),
    },
    parent=Parent("organizations", "_organization"),
    unique=(("slug",),),
    seed=_seed_teams,
    on_create=_create_team,
    on_retrieve=_recount_team,
)

TEAM_MEMBERS = Table(
    "team_members",
    {**_PERSON, "user_uid": Field(required=True), "_search": Field()},
    id_field="user_uid",
    parent=Parent("teams", "_team"),
    unique=(("user_uid",),),
    seed=_seed_team_members,
    on_create=_add_team_member,
    updated_field=None,
)


# --------------------------------------------------------------------------- actions


async def industry_choices(call: Call) -> web.StreamResponse:
    return json_response({"choices": [{"value": v, "label": t} for v, t in INDUSTRY_CHOICES]})


async def set_role(call: Call) -> web.StreamResponse:
    """``PATCH .../members/{user_uid}/role/ {"role"}`` (organization or team member)."""
    member = call.record
    assert member is not None
    body = await call.body()
    check_body(body, ("role",))
    values = Validator(call.store, call.endpoint.table, body, partial=True).clean()
    old, new = member["role"], values["role"]
    if call.endpoint.table is MEMBERS and old != new and "owner" in (old, new):
        message = "Use transfer-ownership to change who owns the organization."
        raise ApiError(400, {"role": [message]})
    with call.store.lock:
        member["role"] = new
        if call.endpoint.table is MEMBERS:
            _recount(call.store, _organization_of(call))
    return json_response(render(call.endpoint.table, member))


async def leave(call: Call) -> web.StreamResponse:
    """The demo user leaves the organization (and its teams); the owner cannot."""
    org = call.record
    assert org is not None
    store = call.store
    me = store.find("organization_members", str(org["uid"]), user_uid=DEMO_USER_UID)
    if me is None:
        raise ApiError(400, {"detail": "You are not a member of this organization."})
    if me["role"] == "owner":
        message = "The owner cannot leave the organization; transfer the ownership first."
        raise ApiError(400, {"detail": message})
    with store.lock:
        store.delete("organization_members", me)
        for team in store.records("teams", str(org["uid"])):
            mine = store.find("team_members", str(team["uid"]), user_uid=DEMO_USER_UID)
            if mine is not None:
                store.delete("team_members", mine)
                _recount_team(store, team)
        _recount(store, org)
    return no_content()


async def transfer_ownership(call: Call) -> web.StreamResponse:
    """Make another member the owner; the previous owner becomes an admin."""
    org = call.record
    assert org is not None
    body = await call.body()
    check_body(body, ("new_owner_uid",))
    store = call.store
    group = str(org["uid"])
    heir = store.find("organization_members", group, user_uid=str(body["new_owner_uid"]))
    if heir is None:
        raise ApiError(400, {"new_owner_uid": ["User is not a member of this organization."]})
    with store.lock:
        for member in store.records("organization_members", group):
            if member["role"] == "owner":
                member["role"] = "admin"
        heir["role"] = "owner"
        _recount(store, org)
    return no_content()


def _pending(call: Call) -> JSONDict:
    invitation = call.record
    assert invitation is not None
    if invitation["status"] != "pending":
        raise ApiError(400, {"detail": f"The invitation is {invitation['status']}."})
    return invitation


async def resend_invitation(call: Call) -> web.StreamResponse:
    """Send it again: the send counter goes up and the expiry starts over."""
    invitation = _pending(call)
    with call.store.lock:
        invitation["_sent"] = int(invitation.get("_sent") or 0) + 1
        invitation["expires_at"] = _expiry()
        invitation["is_expired"] = False
    return no_content()


async def cancel_invitation(call: Call) -> web.StreamResponse:
    invitation = _pending(call)
    invitation["status"] = "canceled"
    return no_content()


def add_member(
    store: Store,
    slug: str,
    username: str,
    *,
    email: str | None = None,
    full_name: str | None = None,
    role: str = "member",
) -> JSONDict:
    """Make a user a member of an organization, as accepting an invitation would (the API
    has no call for that side); returns the member as stored.

    Raises:
        KeyError: no organization has this slug.
    """
    org = store.find("organizations", slug=slug)
    if org is None:
        raise KeyError(slug)
    email = email or f"{username}@example.com"
    full_name = full_name or username.title()
    now = now_timestamp()
    with store.lock:
        member = store.insert(
            "organization_members",
            {
                "user_uid": user_uid(username),
                "username": username,
                "email": email,
                "full_name": full_name,
                "picture": f"{ASSET_HOST}/avatars/{username}.png",
                "role": role,
                "created_at": now,
                "last_active_at": now,
                "_search": _search_text(username, email, full_name),
                "_organization": org["uid"],
            },
        )
        _recount(store, org)
    return member


BY_SLUG = Scope("organizations", slug="slug")
BY_TEAM = Scope("teams", team_slug="slug")
_ROLE = Action("role", set_role, method="PATCH")

ENDPOINTS = (
    Endpoint(
        ORGANIZATIONS,
        "/organizations/",
        detail="{slug}/",
        lookup={"slug": "slug"},
        paging="page",
        page_size=20,
        actions=(
            Action("industry-choices", industry_choices, method="GET", detail=False),
            Action("leave", leave),
            Action("transfer-ownership", transfer_ownership),
        ),
    ),
    Endpoint(
        MEMBERS,
        "/organizations/{slug}/members/",
        scope=(BY_SLUG,),
        detail="{user_uid}/",
        lookup={"user_uid": "user_uid"},
        verbs=frozenset({"list", "destroy"}),
        filters=(Filter("search", "_search", mode="icontains"), Filter("role")),
        actions=(_ROLE,),
    ),
    Endpoint(
        INVITATIONS,
        "/organizations/{slug}/invitations/",
        scope=(BY_SLUG,),
        detail="{invitation_uid}/",
        lookup={"invitation_uid": "uid"},
        verbs=frozenset({"list", "create"}),
        filters=(Filter("status"),),
        actions=(Action("resend", resend_invitation), Action("cancel", cancel_invitation)),
    ),
    Endpoint(
        TEAMS,
        "/organizations/{slug}/teams/",
        scope=(BY_SLUG,),
        detail="{team_slug}/",
        lookup={"team_slug": "slug"},
    ),
    Endpoint(
        TEAM_MEMBERS,
        "/organizations/{slug}/teams/{team_slug}/members/",
        scope=(BY_SLUG, BY_TEAM),
        detail="{user_uid}/",
        lookup={"user_uid": "user_uid"},
        verbs=frozenset({"list", "create", "destroy"}),
        filters=(Filter("role"),),
        actions=(_ROLE,),
    ),
)

TABLES = (ORGANIZATIONS, MEMBERS, INVITATIONS, TEAMS, TEAM_MEMBERS)
