"""``client.organizations``: (to be written)."""

from __future__ import annotations

from ._base import AsyncResource


class AsyncOrganizations(AsyncResource):
    """Organizations, their members, invitations and teams."""

    __slots__ = ()
