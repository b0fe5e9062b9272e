"""``client.organizations``: the exact request of every method, the page-number paging of
``list`` and the walk of ``slug_for_uid``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aioresponses import aioresponses

from avala import AsyncClient, NotFoundError
from avala.models.organizations import (
    Invitation,
    Organization,
    OrganizationMember,
    Team,
    TeamMember,
)
from avala.resources.organizations import MAX_LOOKUP_PAGES

from ._helpers import BASE, KEY, calls, page
from ._requests import NO_BODY, Case, ids, run

ORG_UID = "7c1f4a52-93b5-4d8e-9a51-3f0c6be2d901"
ORG = {"uid": ORG_UID, "name": "Acme", "slug": "acme", "role": "owner"}
MEMBER = {"user_uid": "u-1", "username": "alice", "role": "admin"}
INVITATION = {"uid": "inv-1", "invited_email": "bob@acme.test", "status": "pending"}
TEAM = {"uid": "t-1", "name": "Crew", "slug": "crew", "member_count": 2}
NEXT = BASE + "/organizations/?page=3"

CASES = [
    Case("list", lambda c: c.organizations.list(limit=5), "GET", "/organizations/",
         query={"limit": "5"}, response={"count": 1, **page([ORG], next=NEXT)},
         check=lambda p: isinstance(p.items[0], Organization) and p.next_cursor == "3"),
    Case("list page= resumes at a page", lambda c: c.organizations.list(page=3), "GET",
         "/organizations/", query={"page": "3"}, response=page([ORG])),
    Case("list sends a page-number cursor as page (not cursor=, the official bug)",
         lambda c: c.organizations.list(cursor="2", limit=1), "GET", "/organizations/",
         query={"page": "2", "limit": "1"}, response=page([ORG])),
    Case("list passes an opaque cursor on as cursor",
         lambda c: c.organizations.list(cursor="cD0yMDI1"), "GET", "/organizations/",
         query={"cursor": "cD0yMDI1"}, response=page([ORG])),
    Case("get", lambda c: c.organizations.get("ac/me"), "GET", "/organizations/ac%2Fme/",
         response=ORG, check=lambda o: isinstance(o, Organization) and o.role == "owner"),
    Case("create sends only what is given",
         lambda c: c.organizations.create(name="Acme", visibility="public"), "POST",
         "/organizations/", body={"name": "Acme", "visibility": "public"}, response=ORG,
         status=201, check=lambda o: o.slug == "acme"),
    Case("update is a partial PATCH (handle is update-only)",
         lambda c: c.organizations.update("acme", handle="acme-hq", phone="+1 555"), "PATCH",
         "/organizations/acme/", body={"handle": "acme-hq", "phone": "+1 555"}, response=ORG,
         check=lambda o: isinstance(o, Organization)),
    Case("delete", lambda c: c.organizations.delete("acme"), "DELETE", "/organizations/acme/",
         status=204, check=lambda r: r is None),
    Case("industry_choices", lambda c: c.organizations.industry_choices(), "GET",
         "/organizations/industry-choices/",
         response={"choices": [{"value": "robotics", "label": "Robotics"}]},
         check=lambda r: r == {"choices": [{"value": "robotics", "label": "Robotics"}]}),
    Case("slug_for_uid compares UUIDs in canonical form",
         lambda c: c.organizations.slug_for_uid("{" + ORG_UID.upper() + "}"), "GET",
         "/organizations/", response=page([{**ORG, "uid": "not-a-uuid"}, ORG]),
         check=lambda slug: slug == "acme"),
    Case("slug_for_uid of an organization you are not in is None",
         lambda c: c.organizations.slug_for_uid("00000000-0000-0000-0000-000000000001"),
         "GET", "/organizations/", response=page([ORG]), check=lambda slug: slug is None),
    Case("list_members with filters",
         lambda c: c.organizations.list_members("acme", search="ali", role="admin", limit=2),
         "GET", "/organizations/acme/members/",
         query={"search": "ali", "role": "admin", "limit": "2"}, response=page([MEMBER]),
         check=lambda p: isinstance(p.items[0], OrganizationMember)),
    Case("remove_member", lambda c: c.organizations.remove_member("acme", "u-1"), "DELETE",
         "/organizations/acme/members/u-1/", status=204, check=lambda r: r is None),
    Case("update_member_role ignores the answer",
         lambda c: c.organizations.update_member_role("acme", "u-1", role="member"), "PATCH",
         "/organizations/acme/members/u-1/role/", body={"role": "member"}, response=MEMBER,
         check=lambda r: r is None),
    Case("leave sends no body", lambda c: c.organizations.leave("acme"), "POST",
         "/organizations/acme/leave/", body=NO_BODY, status=204, check=lambda r: r is None),
    Case("transfer_ownership",
         lambda c: c.organizations.transfer_ownership("acme", new_owner_uid="u-1"), "POST",
         "/organizations/acme/transfer-ownership/", body={"new_owner_uid": "u-1"},
         status=204, check=lambda r: r is None),
    Case("list_invitations", lambda c: c.organizations.list_invitations("acme", cursor="c1"),
         "GET", "/organizations/acme/invitations/", query={"cursor": "c1"},
         response=page([INVITATION]), check=lambda p: isinstance(p.items[0], Invitation)),
    Case("create_invitation",
         lambda c: c.organizations.create_invitation("acme", email="bob@acme.test"), "POST",
         "/organizations/acme/invitations/", body={"email": "bob@acme.test"},
         response=INVITATION, status=201, check=lambda i: i.invited_email == "bob@acme.test"),
    Case("resend_invitation sends no body",
         lambda c: c.organizations.resend_invitation("acme", "inv-1"), "POST",
         "/organizations/acme/invitations/inv-1/resend/", body=NO_BODY, status=204,
         check=lambda r: r is None),
    Case("cancel_invitation sends no body",
         lambda c: c.organizations.cancel_invitation("acme", "inv-1"), "POST",
         "/organizations/acme/invitations/inv-1/cancel/", body=NO_BODY,
         response={"detail": "ok"}, check=lambda r: r is None),
    Case("list_teams", lambda c: c.organizations.list_teams("acme", limit=1), "GET",
         "/organizations/acme/teams/", query={"limit": "1"}, response=page([TEAM]),
         check=lambda p: isinstance(p.items[0], Team)),
    Case("create_team", lambda c: c.organizations.create_team("acme", name="Crew",
                                                              color="#fff"),
         "POST", "/organizations/acme/teams/", body={"name": "Crew", "color": "#fff"},
         response=TEAM, status=201, check=lambda t: t.slug == "crew"),
    Case("get_team", lambda c: c.organizations.get_team("acme", "crew"), "GET",
         "/organizations/acme/teams/crew/", response=TEAM,
         check=lambda t: isinstance(t, Team) and t.member_count == 2),
    Case("update_team", lambda c: c.organizations.update_team("acme", "crew",
                                                              description="d"),
         "PATCH", "/organizations/acme/teams/crew/", body={"description": "d"}, response=TEAM,
         check=lambda t: isinstance(t, Team)),
    Case("delete_team", lambda c: c.organizations.delete_team("acme", "crew"), "DELETE",
         "/organizations/acme/teams/crew/", status=204, check=lambda r: r is None),
    Case("list_team_members", lambda c: c.organizations.list_team_members("acme", "crew"),
         "GET", "/organizations/acme/teams/crew/members/", response=page([MEMBER]),
         check=lambda p: type(p.items[0]) is TeamMember),
    Case("add_team_member",
         lambda c: c.organizations.add_team_member("acme", "crew", user_uid="u-1",
                                                   role="lead"),
         "POST", "/organizations/acme/teams/crew/members/",
         body={"user_uid": "u-1", "role": "lead"}, response=MEMBER, status=201,
         check=lambda m: isinstance(m, TeamMember) and m.user_uid == "u-1"),
    Case("remove_team_member",
         lambda c: c.organizations.remove_team_member("acme", "crew", "u-1"), "DELETE",
         "/organizations/acme/teams/crew/members/u-1/", status=204, check=lambda r: r is None),
    Case("update_team_member_role ignores the answer",
         lambda c: c.organizations.update_team_member_role("acme", "crew", "u-1",
                                                           role="member"),
         "PATCH", "/organizations/acme/teams/crew/members/u-1/role/", body={"role": "member"},
         response=MEMBER, check=lambda r: r is None),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
async def test_request(case: Case) -> None:
    await run(case)


def org_page(number: int, pages: int) -> dict[str, Any]:
    """Page ``number`` of ``pages``: one organization each, linked by ``?page=``."""
    uid = f"00000000-0000-0000-0000-{number:012d}"
    following = f"{BASE}/organizations/?page={number + 1}" if number < pages else None
    return page([{"uid": uid, "name": f"Org {number}", "slug": f"org-{number}"}], following)


def serve_pages(mock: aioresponses, pages: int) -> None:
    mock.get(f"{BASE}/organizations/", payload=org_page(1, pages))
    for number in range(2, pages + 2):
        mock.get(f"{BASE}/organizations/?page={number}", payload=org_page(number, pages))


def pages_asked(mock: aioresponses) -> list[str | None]:
    return [url.query.get("page") for _, url, _ in calls(mock)]


async def test_walking_the_list_follows_next_by_page() -> None:
    with aioresponses() as mock:
        serve_pages(mock, 3)
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            slugs = [o.slug async for o in client.organizations.list()]
        assert slugs == ["org-1", "org-2", "org-3"]
        assert sorted(map(str, pages_asked(mock))) == ["2", "3", "None"]
        assert all("cursor" not in url.query for _, url, _ in calls(mock))


async def test_slug_for_uid_walks_pages_by_page_number() -> None:
    with aioresponses() as mock:
        serve_pages(mock, 3)
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            slug = await client.organizations.slug_for_uid("00000000-0000-0000-0000-000000000003")
        assert slug == "org-3"
        assert sorted(map(str, pages_asked(mock))) == ["2", "3", "None"]


async def test_slug_for_uid_stops_after_the_page_limit() -> None:
    with aioresponses() as mock:
        serve_pages(mock, MAX_LOOKUP_PAGES + 5)
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(LookupError, match=f"first {MAX_LOOKUP_PAGES} pages"):
                await client.organizations.slug_for_uid("11111111-0000-0000-0000-000000000000")
        read = [int(p or 1) for p in pages_asked(mock)]
        assert max(read) <= MAX_LOOKUP_PAGES + 1  # the limit, plus at most one read-ahead


async def test_slug_for_uid_propagates_request_errors() -> None:
    with aioresponses() as mock:
        mock.get(f"{BASE}/organizations/", status=404, body=json.dumps({"detail": "Not found."}))
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(NotFoundError):
                await client.organizations.slug_for_uid(ORG_UID)


@pytest.mark.parametrize("bad", ["acme", "", "1234"])
async def test_slug_for_uid_refuses_a_non_uuid_before_any_request(bad: str) -> None:
    with aioresponses() as mock:
        async with AsyncClient(api_key=KEY, max_retries=0) as client:
            with pytest.raises(ValueError, match="organization_uid must be a UUID"):
                await client.organizations.slug_for_uid(bad)
        assert calls(mock) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cursor": "2", "page": 2}, "at most one of cursor or page"),
        ({"page": 0}, "page must be a positive page number"),
        ({"page": "two"}, "page must be a positive page number"),
        ({"page": True}, "page must be a positive page number"),
    ],
)
async def test_list_checks_page_before_any_request(kwargs: dict[str, Any], match: str) -> None:
    async with AsyncClient(api_key=KEY) as client:
        with pytest.raises(ValueError, match=match):
            client.organizations.list(**kwargs)
