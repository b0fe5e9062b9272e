"""Organization, member, invitation and team models."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import attrs


@attrs.frozen(kw_only=True)
class Organization:
    """An organization: a group of users that share datasets, projects and billing."""

    uid: str
    """The organization's unique id."""
    name: str
    """Display name."""
    slug: str
    """URL name, used to address the organization."""
    handle: str | None = None
    """Public handle."""
    description: str | None = None
    """Short description."""
    readme: str | None = None
    """Longer profile text."""
    logo: str | None = None
    """Logo URL."""
    website: str | None = None
    """Website URL."""
    industry: str | None = None
    """Industry."""
    organization_type: str | None = None
    """Kind of organization."""
    x_url: str | None = None
    """X (Twitter) profile URL."""
    hugging_face_url: str | None = None
    """Hugging Face profile URL."""
    github_url: str | None = None
    """GitHub profile URL."""
    linkedin_url: str | None = None
    """LinkedIn profile URL."""
    email: str | None = None
    """Contact email."""
    phone: str | None = None
    """Contact phone."""
    visibility: str | None = None
    """``private`` or ``public``."""
    plan: str | None = None
    """Billing plan."""
    is_verified: bool = False
    """Whether Avala verified the organization."""
    is_active: bool = True
    """Whether the organization is active."""
    member_count: int | None = None
    """Number of members."""
    team_count: int | None = None
    """Number of teams."""
    dataset_count: int | None = None
    """Number of datasets."""
    project_count: int | None = None
    """Number of projects."""
    slice_count: int | None = None
    """Number of slices."""
    role: str | None = None
    """Your role in the organization."""
    joined_at: datetime | None = None
    """When you joined (timezone-aware)."""
    slug_edits_remaining: int | None = None
    """How many more times the slug may be changed."""
    allowed_domains: list[str] | None = None
    """Email domains allowed to join."""
    billing_status: str | None = None
    """Billing status."""
    public_slug: str | None = None
    """Slug of the public profile."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class TeamMember:
    """A member of a team (or of an organization) and their role."""

    user_uid: str
    """The user's uid."""
    username: str | None = None
    """The user's handle."""
    email: str | None = None
    """The user's email."""
    full_name: str | None = None
    """The user's full name."""
    picture: str | None = None
    """Avatar URL."""
    role: str | None = None
    """Role in the team or organization."""
    created_at: datetime | None = None
    """When the user joined (timezone-aware)."""


@attrs.frozen(kw_only=True)
class OrganizationMember(TeamMember):
    """A member of an organization and their role."""

    last_active_at: datetime | None = None
    """Last activity (timezone-aware); sent to organization managers only."""


@attrs.frozen(kw_only=True)
class Invitation:
    """An invitation to join an organization."""

    uid: str
    """The invitation's unique id."""
    invited_email: str
    """The address invited."""
    organization_name: str | None = None
    """The organization's name."""
    organization_slug: str | None = None
    """The organization's slug."""
    invited_by_username: str | None = None
    """Who sent the invitation."""
    role: str | None = None
    """Role given on acceptance."""
    status: str | None = None
    """Invitation status."""
    expires_at: datetime | None = None
    """Expiry time (timezone-aware)."""
    is_expired: bool | None = None
    """Whether the invitation expired."""
    accept_url: str | None = None
    """URL that accepts the invitation."""
    copy_link: str | None = None
    """Shareable invitation link."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""


@attrs.frozen(kw_only=True)
class Team:
    """A team within an organization."""

    uid: str
    """The team's unique id."""
    name: str
    """Display name."""
    slug: str | None = None
    """URL name, used to address the team."""
    description: str | None = None
    """Short description."""
    color: str | None = None
    """Display color."""
    organization_uid: str | None = None
    """The organization's uid."""
    organization_name: str | None = None
    """The organization's name."""
    organization_slug: str | None = None
    """The organization's slug."""
    member_count: int | None = None
    """Number of members."""
    created_at: datetime | None = None
    """Creation time (timezone-aware)."""
    updated_at: datetime | None = None
    """Last update time (timezone-aware)."""


class IndustryChoice(TypedDict, total=False):
    """One industry an organization may declare."""

    value: str  # what to send as ``industry``
    label: str  # the name to display


class IndustryChoices(TypedDict, total=False):
    """The industries an organization may declare."""

    choices: list[IndustryChoice]  # every choice, in display order
