"""``client.organizations`` through both surfaces against the bundled server."""

from __future__ import annotations

import uuid

import pytest

from avala import NotFoundError, ValidationError
from avala.models.organizations import (
    Invitation,
    Organization,
    OrganizationMember,
    Team,
    TeamMember,
)
from avala.testing import ServerHandle
from avala.testing._api.organizations import add_member

from ._surface import Surface

SEEDED = "avala-demo"


def tag(api: Surface) -> str:
    """A per-surface suffix: the server lives for the whole session, both surfaces share it."""
    return "a" if api.is_async else "s"


async def new_org(api: Surface, name: str) -> Organization:
    org: Organization = await api(api.client.organizations.create(name=f"{name} {tag(api)}"))
    return org


async def test_organizations_lifecycle(api: Surface) -> None:
    orgs = api.client.organizations
    seeded = await api.all(orgs.list())
    assert len(seeded) >= 3 and all(isinstance(o, Organization) for o in seeded)
    assert SEEDED in [o.slug for o in seeded]
    choices = (await api(orgs.industry_choices()))["choices"]
    assert choices and all(set(c) == {"value", "label"} for c in choices)

    created = await api(
        orgs.create(
            name=f"Lifecycle Labs {tag(api)}",
            industry=choices[0]["value"],
            visibility="public",
            website="https://lifecycle.example.com",
        )
    )
    slug = f"lifecycle-labs-{tag(api)}"
    assert (created.slug, created.role, created.member_count) == (slug, "owner", 1)
    assert created.industry == choices[0]["value"] and created.visibility == "public"
    fetched = await api(orgs.get(slug))
    assert fetched.uid == created.uid and fetched.name == created.name
    assert created.uid in [o.uid for o in await api.all(orgs.list())]

    updated = await api(orgs.update(slug, handle=f"lifecycle-hq-{tag(api)}", phone="+1 555"))
    assert updated.handle == f"lifecycle-hq-{tag(api)}" and updated.phone == "+1 555"
    assert updated.website == "https://lifecycle.example.com" and updated.slug == slug

    assert await api(orgs.slug_for_uid(created.uid)) == slug
    assert await api(orgs.slug_for_uid(created.uid.upper().replace("-", ""))) == slug
    assert await api(orgs.slug_for_uid(str(uuid.uuid4()))) is None

    with pytest.raises(ValidationError) as caught:
        await api(orgs.create(name=f"Lifecycle  Labs {tag(api)}"))  # the same slug
    assert caught.value.errors == {"slug": ["organization with this slug already exists."]}

    assert await api(orgs.delete(slug)) is None
    with pytest.raises(NotFoundError):
        await api(orgs.get(slug))
    assert await api(orgs.slug_for_uid(created.uid)) is None


async def test_organizations_validation(api: Surface) -> None:
    orgs = api.client.organizations
    with pytest.raises(ValidationError) as caught:
        await api(orgs.create(name=""))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(orgs.update(SEEDED, handle="not a handle!"))
    assert list(caught.value.errors) == ["handle"]
    with pytest.raises(ValueError, match="organization_uid must be a UUID"):
        await api(orgs.slug_for_uid("avala-demo"))
    with pytest.raises(NotFoundError):
        await api(orgs.get("no-such-organization"))


async def test_organizations_list_is_paged_by_page_number(api: Surface) -> None:
    orgs = api.client.organizations
    first = await api.first_page(orgs.list(limit=1))
    assert len(first.items) == 1 and first.has_more and first.next_cursor == "2"
    second = await api.first_page(orgs.list(limit=1, page=2))
    assert second.items[0].uid != first.items[0].uid and second.previous_cursor == "1"
    resumed = await api.first_page(orgs.list(limit=1, cursor=first.next_cursor))
    assert resumed.items[0].uid == second.items[0].uid  # not page 1 again
    assert (await api.next_page(first)).items[0].uid == second.items[0].uid
    walked = [o.uid for o in await api.all(orgs.list(limit=1))]
    assert walked == [o.uid for o in await api.all(orgs.list())] and len(set(walked)) >= 3


async def test_members_roles_ownership_and_leaving(api: Surface, local_env: ServerHandle) -> None:
    orgs = api.client.organizations
    seeded = await api.all(orgs.list_members(SEEDED))
    assert seeded and all(isinstance(m, OrganizationMember) for m in seeded)

    org = await new_org(api, "Members Guild")
    store = local_env.state.store
    erin = add_member(store, org.slug, "erin", email="erin@guild.test", full_name="Erin Vance")
    frank = add_member(store, org.slug, "frank", full_name="Frank Ocean")
    assert (await api(orgs.get(org.slug))).member_count == 3
    names = [m.username for m in await api.all(orgs.list_members(org.slug))]
    assert sorted(names) == ["demo", "erin", "frank"]

    async def usernames(**filters: str) -> list[str]:
        found = await api.all(orgs.list_members(org.slug, **filters))
        return sorted(m.username for m in found)

    assert await usernames(search="VANCE") == ["erin"]  # full name, case-insensitive
    assert await usernames(search="guild.test") == ["erin"]  # email
    assert await usernames(search="fran") == ["frank"]  # username
    assert await usernames(role="owner") == ["demo"]

    assert await api(orgs.update_member_role(org.slug, erin["user_uid"], role="admin")) is None
    assert await usernames(role="admin") == ["erin"]
    with pytest.raises(ValidationError):  # ownership moves only by transfer
        await api(orgs.update_member_role(org.slug, erin["user_uid"], role="owner"))

    assert await api(orgs.remove_member(org.slug, frank["user_uid"])) is None
    assert await usernames() == ["demo", "erin"]
    with pytest.raises(NotFoundError):
        await api(orgs.remove_member(org.slug, frank["user_uid"]))

    with pytest.raises(ValidationError):  # the owner cannot leave
        await api(orgs.leave(org.slug))
    with pytest.raises(ValidationError) as caught:
        await api(orgs.transfer_ownership(org.slug, new_owner_uid=frank["user_uid"]))
    assert list(caught.value.errors) == ["new_owner_uid"]
    done = await api(orgs.transfer_ownership(org.slug, new_owner_uid=erin["user_uid"]))
    assert done is None
    assert await usernames(role="owner") == ["erin"]
    assert (await api(orgs.get(org.slug))).role == "admin"

    assert await api(orgs.leave(org.slug)) is None
    assert await usernames() == ["erin"]
    after = await api(orgs.get(org.slug))
    assert (after.role, after.member_count) == (None, 1)
    with pytest.raises(ValidationError):  # not a member any more
        await api(orgs.leave(org.slug))


async def test_invitations(api: Surface, local_env: ServerHandle) -> None:
    orgs = api.client.organizations
    assert await api.all(orgs.list_invitations(SEEDED))
    org = await new_org(api, "Invite Works")
    invitation = await api(orgs.create_invitation(org.slug, email="New.Hire@Invite.test"))
    assert isinstance(invitation, Invitation)
    assert invitation.invited_email == "new.hire@invite.test"
    assert (invitation.status, invitation.role, invitation.is_expired) == (
        "pending",
        "member",
        False,
    )
    assert invitation.organization_slug == org.slug and invitation.invited_by_username == "demo"
    assert invitation.accept_url and invitation.accept_url.startswith("https://")
    assert invitation.copy_link and invitation.copy_link.startswith("https://")
    assert invitation.expires_at and invitation.created_at
    assert invitation.expires_at > invitation.created_at
    listed = await api.all(orgs.list_invitations(org.slug))
    assert [i.uid for i in listed] == [invitation.uid]

    with pytest.raises(ValidationError) as caught:
        await api(orgs.create_invitation(org.slug, email="new.hire@invite.test"))
    assert list(caught.value.errors) == ["email"]  # already pending
    with pytest.raises(ValidationError) as caught:
        await api(orgs.create_invitation(org.slug, email="not-an-email"))
    assert caught.value.errors == {"email": ["Enter a valid email address."]}
    admin = await api(orgs.create_invitation(org.slug, email="lead@invite.test", role="admin"))
    assert admin.role == "admin"

    assert await api(orgs.resend_invitation(org.slug, invitation.uid)) is None
    stored = local_env.state.store.find("invitations", uid=invitation.uid)
    assert stored is not None and stored["_sent"] == 2
    resent = next(
        i for i in await api.all(orgs.list_invitations(org.slug)) if i.uid == stored["uid"]
    )
    assert resent.expires_at and resent.expires_at >= invitation.expires_at

    assert await api(orgs.cancel_invitation(org.slug, invitation.uid)) is None
    statuses = {i.uid: i.status for i in await api.all(orgs.list_invitations(org.slug))}
    assert statuses == {invitation.uid: "canceled", admin.uid: "pending"}
    with pytest.raises(ValidationError):
        await api(orgs.resend_invitation(org.slug, invitation.uid))
    with pytest.raises(ValidationError):
        await api(orgs.cancel_invitation(org.slug, invitation.uid))
    with pytest.raises(NotFoundError):
        await api(orgs.cancel_invitation(org.slug, str(uuid.uuid4())))


async def test_teams_and_team_members(api: Surface, local_env: ServerHandle) -> None:
    orgs = api.client.organizations
    seeded = await api.all(orgs.list_teams(SEEDED))
    assert seeded and all(isinstance(t, Team) for t in seeded)
    assert await api.all(orgs.list_team_members(SEEDED, str(seeded[0].slug)))

    org = await new_org(api, "Team Works")
    team = await api(orgs.create_team(org.slug, name="Night Shift", color="#123456"))
    assert (team.slug, team.organization_slug, team.member_count) == ("night-shift", org.slug, 0)
    assert team.organization_uid == org.uid and team.color == "#123456"
    assert (await api(orgs.get_team(org.slug, "night-shift"))).uid == team.uid
    assert [t.slug for t in await api.all(orgs.list_teams(org.slug))] == ["night-shift"]
    assert (await api(orgs.get(org.slug))).team_count == 1
    with pytest.raises(ValidationError) as caught:
        await api(orgs.create_team(org.slug, name="Night shift!"))
    assert caught.value.errors == {"slug": ["team with this slug already exists."]}
    with pytest.raises(ValidationError) as caught:
        await api(orgs.create_team(org.slug, name=""))
    assert caught.value.errors == {"name": ["This field may not be blank."]}

    renamed = await api(orgs.update_team(org.slug, "night-shift", name="Nights", description="d"))
    assert (renamed.name, renamed.description, renamed.slug) == ("Nights", "d", "night-shift")
    assert renamed.color == "#123456"

    me = (await api.all(orgs.list_members(org.slug)))[0]
    joined = await api(
        orgs.add_team_member(org.slug, "night-shift", user_uid=me.user_uid, role="lead")
    )
    assert isinstance(joined, TeamMember) and (joined.username, joined.role) == ("demo", "lead")
    assert (await api(orgs.get_team(org.slug, "night-shift"))).member_count == 1
    with pytest.raises(ValidationError):  # already in the team
        await api(orgs.add_team_member(org.slug, "night-shift", user_uid=me.user_uid))
    with pytest.raises(ValidationError) as caught:  # not in the organization
        await api(orgs.add_team_member(org.slug, "night-shift", user_uid=str(uuid.uuid4())))
    assert caught.value.errors == {"user_uid": ["User is not a member of this organization."]}
    gina = add_member(local_env.state.store, org.slug, "gina")
    await api(orgs.add_team_member(org.slug, "night-shift", user_uid=gina["user_uid"]))

    done = await api(
        orgs.update_team_member_role(org.slug, "night-shift", me.user_uid, role="member")
    )
    assert done is None
    members = await api.all(orgs.list_team_members(org.slug, "night-shift"))
    assert sorted((m.username, m.role) for m in members) == [("demo", "member"), ("gina", "member")]

    assert await api(orgs.remove_team_member(org.slug, "night-shift", me.user_uid)) is None
    members = await api.all(orgs.list_team_members(org.slug, "night-shift"))
    assert [m.username for m in members] == ["gina"]
    with pytest.raises(NotFoundError):
        await api(orgs.remove_team_member(org.slug, "night-shift", me.user_uid))
    assert me.username in [m.username for m in await api.all(orgs.list_members(org.slug))]

    assert await api(orgs.delete_team(org.slug, "night-shift")) is None
    with pytest.raises(NotFoundError):
        await api(orgs.get_team(org.slug, "night-shift"))
    with pytest.raises(NotFoundError):
        await api(orgs.list_team_members(org.slug, "night-shift"))
    assert (await api(orgs.get(org.slug))).team_count == 0
