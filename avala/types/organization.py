"""Organizations, members, invitations and teams (the official SDK's
``avala.types.organization``; the classes of :mod:`avala.models.organizations`).

Also here: ``IndustryChoice`` and ``IndustryChoices``, the typed dicts
``organizations.industry_choices()`` returns (a plain dict in the official SDK).

The classes are those of ``avala.models``: ``avala.types.organization.X is avala.models.X``.
"""

from __future__ import annotations

from ..models.organizations import (
    IndustryChoice as IndustryChoice,
    IndustryChoices as IndustryChoices,
    Invitation as Invitation,
    Organization as Organization,
    OrganizationMember as OrganizationMember,
    Team as Team,
    TeamMember as TeamMember,
)

__all__ = [
    "IndustryChoice",
    "IndustryChoices",
    "Invitation",
    "Organization",
    "OrganizationMember",
    "Team",
    "TeamMember",
]
