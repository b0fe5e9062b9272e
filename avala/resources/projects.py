"""``client.projects``: annotation projects."""

from __future__ import annotations

from ..models.projects import Project
from ..pagination import AsyncPaginator
from ._base import AsyncResource, path


class AsyncProjects(AsyncResource):
    """Projects owned by or shared with the key's user."""

    __slots__ = ()

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[Project]:
        """List the key owner's projects.

        Returns:
            A paginator: iterate it for every project, or call ``first_page()`` for one page.
        """
        return self._list("/users/me/projects/", Project, locals())

    async def get(self, uid: str) -> Project:
        """Fetch a project by uid."""
        return await self._get(path("/users/me/projects/{uid}/", uid=uid), Project)
