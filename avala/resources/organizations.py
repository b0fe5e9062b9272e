"""``client.organizations``: organizations, their members, invitations and teams."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncGenerator
from typing import cast

from ..models.organizations import (
    IndustryChoices,
    Invitation,
    Organization,
    OrganizationMember,
    Team,
    TeamMember,
)
from ..pagination import AsyncPage, AsyncPaginator
from ._base import AsyncResource, given, page_query, path

_ORG = "/organizations/{slug}/"
_MEMBER = _ORG + "members/{user_uid}/"
_INVITATION = _ORG + "invitations/{invitation_uid}/"
_TEAM = _ORG + "teams/{team_slug}/"
_TEAM_MEMBER = _TEAM + "members/{user_uid}/"

#: How many pages of ``list()`` :meth:`AsyncOrganizations.slug_for_uid` reads at most.
MAX_LOOKUP_PAGES = 50


def _canonical_uid(value: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(f"organization_uid must be a str, got {type(value).__name__}.")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"organization_uid must be a UUID, got {value!r}.") from None


def _is_uid(candidate: str, wanted: uuid.UUID) -> bool:
    try:
        return uuid.UUID(candidate) == wanted
    except ValueError:  # a uid that is not a UUID cannot be the one asked for
        return False


class AsyncOrganizations(AsyncResource):
    """Organizations, their members, invitations and teams."""

    __slots__ = ()

    # ------------------------------------------------------------------ organizations

    def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        page: int | str | None = None,
    ) -> AsyncPaginator[Organization]:
        """List the organizations the key's user belongs to.

        The endpoint is paginated by page number (about 20 per page). Iterating the
        paginator follows the ``next`` links by their ``page`` parameter, so a walk reaches
        every organization. The official async client sends the number back as
        ``cursor=``, which the endpoint ignores, so it reads page 1 again and again. Here a
        ``cursor`` that is a page number is sent as ``page``.

        Args:
            limit: Organizations per page.
            cursor: Resume from ``page.next_cursor`` (for this endpoint, a page number).
            page: Start at this page number (1-based).

        Returns:
            A paginator: iterate it for every organization, or await it for one page.

        Raises:
            ValueError: both ``cursor`` and ``page`` given, or ``page`` is not a positive
                number (before any request).
        """
        return self._list(
            "/organizations/", Organization, {"limit": limit, **page_query(cursor, page)}
        )

    async def get(self, slug: str) -> Organization:
        """Fetch an organization by slug.

        Raises:
            NotFoundError: no such organization.
        """
        return await self._get(path(_ORG, slug=slug), Organization)

    async def create(
        self,
        *,
        name: str,
        description: str | None = None,
        logo: str | None = None,
        website: str | None = None,
        industry: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        visibility: str | None = None,
    ) -> Organization:
        """Create an organization; you become its owner. Its ``slug`` is made from ``name``.

        Args:
            name: Display name.
            description: Short description.
            logo: Logo URL.
            website: Website URL.
            industry: An industry ``value`` from :meth:`industry_choices`.
            email: Contact email.
            phone: Contact phone.
            visibility: ``private`` or ``public``.

        Raises:
            ValidationError: a field was rejected, or an organization already has the slug.
        """
        return await self._post("/organizations/", Organization, given(locals()))

    async def update(
        self,
        slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        logo: str | None = None,
        website: str | None = None,
        handle: str | None = None,
        industry: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        visibility: str | None = None,
    ) -> Organization:
        """Change an organization: only the fields given are sent (PATCH).

        Args:
            slug: The organization.
            handle: New public handle (it can be set here only, not on create).

        Returns:
            The organization; its ``slug`` does not change.
        """
        return await self._patch(path(_ORG, slug=slug), Organization, given(locals(), "slug"))

    async def delete(self, slug: str) -> None:
        """Delete an organization.

        Raises:
            NotFoundError: no such organization.
        """
        await self._void("DELETE", path(_ORG, slug=slug))

    async def industry_choices(self) -> IndustryChoices:
        """The industries an organization may declare.

        Returns:
            ``{"choices": [{"value": ..., "label": ...}, ...]}``; send a ``value`` as
            ``industry``.
        """
        return await self._get("/organizations/industry-choices/", IndustryChoices)

    async def slug_for_uid(self, organization_uid: str) -> str | None:
        """The slug of one of your organizations, found by its uid.

        Walks :meth:`list` page by page (at most 50 pages) and compares uids as UUIDs, so
        case and hyphenation do not matter. The official SDK has this on the sync client
        only; here it is on both.

        Returns:
            The slug, or None when every page was read and none has this uid (you are not
            a member).

        Raises:
            ValueError: ``organization_uid`` is not a UUID (before any request).
            LookupError: 50 pages were read without finding it and more remain.
            AvalaError: a request failed (errors are not swallowed).
        """
        wanted = _canonical_uid(organization_uid)
        read = 0
        # pages() is an async generator (annotated AsyncIterator): close it on an early
        # return, so the read-ahead request is cancelled at once.
        pages = cast("AsyncGenerator[AsyncPage[Organization], None]", self.list().pages())
        async with contextlib.aclosing(pages):
            async for page in pages:
                for organization in page.items:
                    if _is_uid(organization.uid, wanted):
                        return organization.slug
                read += 1
                if read >= MAX_LOOKUP_PAGES and page.has_more:
                    raise LookupError(
                        f"organization {organization_uid} is not in the first "
                        f"{MAX_LOOKUP_PAGES} pages of organizations; stopped looking."
                    )
        return None

    # ------------------------------------------------------------------ members

    def list_members(
        self,
        slug: str,
        *,
        search: str | None = None,
        role: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[OrganizationMember]:
        """List an organization's members.

        Args:
            slug: The organization.
            search: Only members whose username, email or full name contains this text
                (case-insensitive).
            role: Only members with this role (e.g. ``owner``, ``admin``, ``member``).
            limit: Members per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator of :class:`~avala.models.organizations.OrganizationMember`.
        """
        return self._list(path(_ORG + "members/", slug=slug), OrganizationMember, locals(), "slug")

    async def remove_member(self, slug: str, user_uid: str) -> None:
        """Remove a member from an organization.

        Raises:
            NotFoundError: no such organization, or the user is not a member.
        """
        await self._void("DELETE", path(_MEMBER, slug=slug, user_uid=user_uid))

    async def update_member_role(self, slug: str, user_uid: str, *, role: str) -> None:
        """Change a member's role (the server's answer is not returned).

        Args:
            slug: The organization.
            user_uid: The member.
            role: The new role, e.g. ``admin`` or ``member``.
        """
        await self._void(
            "PATCH",
            path(_MEMBER + "role/", slug=slug, user_uid=user_uid),
            given(locals(), "slug", "user_uid"),
        )

    async def leave(self, slug: str) -> None:
        """Leave an organization (no body is sent).

        Raises:
            ValidationError: you own it; transfer the ownership first.
        """
        await self._void("POST", path(_ORG + "leave/", slug=slug))

    async def transfer_ownership(self, slug: str, *, new_owner_uid: str) -> None:
        """Make another member the owner of an organization.

        Args:
            slug: The organization.
            new_owner_uid: The member (user uid) to become the owner.

        Raises:
            ValidationError: that user is not a member.
        """
        await self._void(
            "POST", path(_ORG + "transfer-ownership/", slug=slug), given(locals(), "slug")
        )

    # ------------------------------------------------------------------ invitations

    def list_invitations(
        self, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Invitation]:
        """List an organization's invitations.

        Returns:
            A paginator of :class:`~avala.models.organizations.Invitation`.
        """
        return self._list(path(_ORG + "invitations/", slug=slug), Invitation, locals(), "slug")

    async def create_invitation(
        self, slug: str, *, email: str, role: str | None = None
    ) -> Invitation:
        """Invite someone to an organization by email.

        Args:
            slug: The organization.
            email: The address to invite.
            role: The role given on acceptance (the server's default when omitted).

        Returns:
            The invitation, with its ``accept_url`` and ``copy_link``.

        Raises:
            ValidationError: the address is invalid or already has a pending invitation.
        """
        return await self._post(
            path(_ORG + "invitations/", slug=slug), Invitation, given(locals(), "slug")
        )

    async def resend_invitation(self, slug: str, invitation_uid: str) -> None:
        """Send an invitation's email again; its expiry moves on (no body is sent)."""
        await self._void(
            "POST", path(_INVITATION + "resend/", slug=slug, invitation_uid=invitation_uid)
        )

    async def cancel_invitation(self, slug: str, invitation_uid: str) -> None:
        """Cancel a pending invitation (no body is sent); it stays listed as ``canceled``."""
        await self._void(
            "POST", path(_INVITATION + "cancel/", slug=slug, invitation_uid=invitation_uid)
        )

    # ------------------------------------------------------------------ teams

    def list_teams(
        self, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Team]:
        """List an organization's teams.

        Returns:
            A paginator of :class:`~avala.models.organizations.Team`.
        """
        return self._list(path(_ORG + "teams/", slug=slug), Team, locals(), "slug")

    async def create_team(
        self,
        slug: str,
        *,
        name: str,
        description: str | None = None,
        color: str | None = None,
    ) -> Team:
        """Create a team in an organization. Its ``slug`` is made from ``name``.

        Args:
            slug: The organization.
            name: Display name.
            description: Short description.
            color: Display color, e.g. ``#4363d8``.

        Raises:
            ValidationError: a field was rejected, or a team already has the slug.
        """
        return await self._post(path(_ORG + "teams/", slug=slug), Team, given(locals(), "slug"))

    async def get_team(self, slug: str, team_slug: str) -> Team:
        """Fetch a team by its slug.

        Raises:
            NotFoundError: no such organization or team.
        """
        return await self._get(path(_TEAM, slug=slug, team_slug=team_slug), Team)

    async def update_team(
        self,
        slug: str,
        team_slug: str,
        *,
        name: str | None = None,
        description: str | None = None,
        color: str | None = None,
    ) -> Team:
        """Change a team: only the fields given are sent (PATCH). Its slug does not change."""
        return await self._patch(
            path(_TEAM, slug=slug, team_slug=team_slug),
            Team,
            given(locals(), "slug", "team_slug"),
        )

    async def delete_team(self, slug: str, team_slug: str) -> None:
        """Delete a team (its members stay in the organization)."""
        await self._void("DELETE", path(_TEAM, slug=slug, team_slug=team_slug))

    def list_team_members(
        self, slug: str, team_slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[TeamMember]:
        """List a team's members.

        Returns:
            A paginator of :class:`~avala.models.organizations.TeamMember`.
        """
        return self._list(
            path(_TEAM + "members/", slug=slug, team_slug=team_slug),
            TeamMember,
            locals(),
            "slug",
            "team_slug",
        )

    async def add_team_member(
        self, slug: str, team_slug: str, *, user_uid: str, role: str | None = None
    ) -> TeamMember:
        """Add a member of the organization to a team.

        Args:
            slug: The organization.
            team_slug: The team.
            user_uid: The user (a member of the organization).
            role: Role in the team (the server's default when omitted).

        Raises:
            ValidationError: the user is not a member of the organization, or already in
                the team.
        """
        return await self._post(
            path(_TEAM + "members/", slug=slug, team_slug=team_slug),
            TeamMember,
            given(locals(), "slug", "team_slug"),
        )

    async def remove_team_member(self, slug: str, team_slug: str, user_uid: str) -> None:
        """Remove a user from a team (they stay in the organization)."""
        await self._void(
            "DELETE", path(_TEAM_MEMBER, slug=slug, team_slug=team_slug, user_uid=user_uid)
        )

    async def update_team_member_role(
        self, slug: str, team_slug: str, user_uid: str, *, role: str
    ) -> None:
        """Change a team member's role (the server's answer is not returned)."""
        await self._void(
            "PATCH",
            path(_TEAM_MEMBER + "role/", slug=slug, team_slug=team_slug, user_uid=user_uid),
            given(locals(), "slug", "team_slug", "user_uid"),
        )
